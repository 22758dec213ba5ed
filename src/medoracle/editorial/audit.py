"""The append-only, hash-chained log of everything the editorial side does.

Each entry carries the SHA-256 of the previous entry's hash and its own canonical JSON, so any edit,
deletion or reordering breaks the chain at the first changed entry. Entries are appended through the
repository under the chain's lock, so servers sharing one database never fork it.
"""

from __future__ import annotations

from typing import Any

from medoracle.editorial.records import GENESIS, AuditEntry, entry_hash
from medoracle.editorial.repository import EditorialRepository


class AuditLog:
    """Reading, appending and verifying the audit chain of one repository."""

    def __init__(self, repository: EditorialRepository) -> None:
        self.repository = repository

    def record(self, *, actor: str | None, action: str, subject: str,
               details: dict[str, Any] | None = None) -> AuditEntry:
        """Add an entry in a transaction of its own (e.g. account changes, failed logins)."""
        return self.repository.record_audit(actor=actor, action=action, subject=subject, details=details)

    def entries(self, subject: str | None = None, limit: int = 1000, *, newest_first: bool = False,
                before: int | None = None) -> list[AuditEntry]:
        return self.repository.audit_entries(subject, limit, newest_first=newest_first, before=before)

    def recent(self, action: str, *, subject: str | None = None, since: str | None = None,
               limit: int = 100, detail: tuple[str, str] | None = None) -> list[AuditEntry]:
        """Entries of one action, newest first (e.g. `login_failed` for one account in the last 15 minutes, or
        from one client address with `detail=("client", address)`)."""
        return self.repository.audit_recent(action=action, subject=subject, since=since, limit=limit,
                                            detail=detail)

    def head(self) -> str:
        """The latest hash: keep a copy elsewhere to also detect truncation of the newest entries."""
        return self.repository.audit_head()

    def verify_chain(self) -> tuple[bool, int | None]:
        """(True, None) if every entry's hash and link hold; else (False, id of the first bad entry)."""
        prev = GENESIS
        for e in self.repository.audit_all():
            body = {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
                    "details": e.details}
            if e.prev_hash != prev or entry_hash(prev, body) != e.hash:
                return False, e.id
            prev = e.hash
        return True, None
