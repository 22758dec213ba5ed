"""medoracle: guideline-backed, cited, evidence-graded answers to clinical questions."""

from medoracle.errors import (BadInput, BadQuestion, ComposerError, MedoracleError, PermissionDenied,
                              ReadError, StoreError, WorkflowError)
from medoracle.settings import Settings
from medoracle.types import (Answer, Article, ArticleStatus, Audience, DocType, Document, Evidence, Grade,
                             Passage, Reference, ReviewEvent, Section, Statement)

__version__ = "0.1.0"

__all__ = [
    "Answer", "Article", "ArticleStatus", "Audience", "BadInput", "BadQuestion", "ComposerError", "DocType",
    "Document", "Evidence", "Grade", "MedoracleError", "Passage", "PermissionDenied", "ReadError", "Reference",
    "ReviewEvent", "Section", "Settings", "Statement", "StoreError", "WorkflowError", "__version__",
]
