"""medoracle: guideline-backed, cited, evidence-graded answers to clinical questions."""

from medoracle.errors import (
                              BadInput,
                              BadQuestion,
                              ComposerError,
                              MedoracleError,
                              PermissionDenied,
                              ReadError,
                              StoreError,
                              WorkflowError,
)
from medoracle.ingest.pipeline import IngestSummary, ingest
from medoracle.service import Clinic, answer
from medoracle.settings import Settings
from medoracle.store import SearchFilters, open_store
from medoracle.types import (
                              Answer,
                              Article,
                              ArticleStatus,
                              Audience,
                              DocType,
                              Document,
                              Evidence,
                              Grade,
                              Passage,
                              Reference,
                              ReviewEvent,
                              Section,
                              Statement,
)

__version__ = "0.1.0"

__all__ = [
    "Answer", "Article", "ArticleStatus", "Audience", "BadInput", "BadQuestion", "Clinic", "ComposerError",
    "DocType", "Document", "Evidence", "Grade", "IngestSummary", "MedoracleError", "Passage", "PermissionDenied",
    "ReadError", "Reference", "ReviewEvent", "SearchFilters", "Section", "Settings", "Statement", "StoreError",
    "WorkflowError", "__version__", "answer", "ingest", "open_store",
]
