"""What the editorial repository hands back: accounts, saved versions, audit entries (plain frozen records)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from medoracle.types import Answer

GENESIS = "0" * 64


@dataclass(frozen=True)
class User:
    """An editorial account as the rest of the system sees it (never carries the password hash)."""

    username: str
    role: str
    display_name: str = ""
    credentials: str = ""
    disclosures: str = ""
    disabled: bool = False
    created_at: str = ""
    session_version: int = 0
    # Anonymous-submitter ids of the browser session this person acts from (set by the web layer), so the
    # four-eyes rule also knows the articles they submitted before logging in.
    sessions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """How the person is shown on a page: display name and credentials when known."""
        base = self.display_name or self.username
        return f"{base}, {self.credentials}" if self.credentials else base

    @property
    def can_review(self) -> bool:
        return not self.disabled and self.role in ("reviewer", "editor", "admin")

    @property
    def is_editor(self) -> bool:
        return not self.disabled and self.role in ("editor", "admin")


@dataclass(frozen=True)
class Version:
    """One saved version of an article's answer."""

    version: int
    answer: Answer
    text: str
    actor: str | None
    note: str | None
    created_at: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str | None
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """sha256(previous hash + canonical JSON of the entry without its hashes)."""
    return hashlib.sha256((prev_hash + canonical_json(entry)).encode("utf-8")).hexdigest()
