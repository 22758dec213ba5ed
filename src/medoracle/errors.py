"""The exception hierarchy. Every error a user can cause says what was wrong and where.

    MedoracleError
    ├── BadInput            a question, file or request we cannot use (→ HTTP 4xx, exit code 2)
    │   ├── BadQuestion     empty, overlong or meaningless question
    │   └── ReadError       one record of one file could not be read (file, line/record, reason)
    ├── StoreError          the database is missing, locked or from a newer version
    │   └── EmbedderMismatch  its vectors were made by another embedding model than the one asked for
    ├── WorkflowError       an editorial action not allowed in the article's state or for this user
    │   └── PermissionDenied
    └── ComposerError       a language-model composer failed (server down, bad response)
"""

from __future__ import annotations

import os


class MedoracleError(Exception):
    """Base of every error medoracle raises on purpose."""


class BadInput(MedoracleError):
    """Input we cannot use; the message says why."""


class BadQuestion(BadInput):
    """A question that is empty, too long or has nothing to search for."""


class ReadError(BadInput):
    """One record of one file could not be read. The rest of the file still goes in."""

    def __init__(self, path: str | os.PathLike[str], where: str | int | None, reason: str) -> None:
        self.path, self.where, self.reason = str(path), where, reason
        loc = f"{path}:{where}" if where not in (None, "") else str(path)
        super().__init__(f"{loc}: {reason}")


class StoreError(MedoracleError):
    """The database cannot be used as asked."""


class EmbedderMismatch(StoreError):
    """The database's vectors were made by another model than the one asked to embed the question."""


class WorkflowError(MedoracleError):
    """An editorial action that the article's state does not allow."""


class PermissionDenied(WorkflowError):
    """The user's role does not allow this action."""


class ComposerError(MedoracleError):
    """A model-backed composer failed."""
