"""medoracle: guideline-backed, cited, evidence-graded answers to clinical questions."""

import os

# numpy's OpenBLAS on one thread unless the caller chose (it reads this once, when numpy is first imported):
# the BLAS work here is matrix-vector products bound by memory bandwidth, where a second thread only spins. A warm
# ask over the four corpora took 59–61 ms of CPU with one thread against 79–103 ms with two, in the same wall time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from medoracle.errors import (  # noqa: E402 - after the thread count, which must precede numpy
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
