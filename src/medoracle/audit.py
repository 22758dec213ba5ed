"""The append-only, hash-chained audit log of everything the editorial side does (and every failed login).

Each entry carries the SHA-256 of the previous entry's hash and its own canonical JSON, so an edited or
removed entry breaks the chain at that point (`verify_chain`). Its tables are created by the articles
migrations (`medoracle.articles`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE so read-check-write sequences (state checks, the audit chain head) are serialised."""
    if conn.in_transaction:
        conn.commit()  # never extend someone else's implicit transaction; ours must be atomic on its own
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    else:
        conn.commit()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """sha256(previous hash + canonical JSON of the entry without its hashes)."""
    return hashlib.sha256((prev_hash + canonical_json(entry)).encode("utf-8")).hexdigest()


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


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AuditLog:
    """The append-only, hash-chained log."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect

    def append(self, conn: sqlite3.Connection, *, actor: str | None, action: str, subject: str,
               details: dict[str, Any] | None = None) -> AuditEntry:
        """Add an entry inside the caller's transaction (which must hold the write lock)."""
        head = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        new_id, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
        at, info = now(), dict(details or {})
        body: dict[str, Any] = {"id": new_id, "at": at, "actor": actor, "action": action, "subject": subject,
                                "details": info}
        digest = entry_hash(prev, body)
        conn.execute("INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, hash)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (new_id, at, actor, action, subject, canonical_json(info), prev, digest))
        return AuditEntry(new_id, at, actor, action, subject, info, prev, digest)

    def record(self, *, actor: str | None, action: str, subject: str,
               details: dict[str, Any] | None = None) -> AuditEntry:
        """Add an entry in a transaction of its own (e.g. account changes)."""
        with transaction(self._connect()) as conn:
            return self.append(conn, actor=actor, action=action, subject=subject, details=details)

    def entries(self, subject: str | None = None, limit: int = 1000, *, newest_first: bool = False,
                before: int | None = None) -> list[AuditEntry]:
        sql = "SELECT id, at, actor, action, subject, details, prev_hash, hash FROM audit_log"
        where: list[str] = []
        args: list[Any] = []
        if subject is not None:
            where.append("subject = ?")
            args.append(subject)
        if before is not None:
            where.append("id < ?")
            args.append(before)
        sql += (" WHERE " + " AND ".join(where) if where else "") + (" ORDER BY id DESC" if newest_first
                                                                      else " ORDER BY id")
        rows = self._connect().execute(sql + " LIMIT ?", (*args, limit)).fetchall()
        return [AuditEntry(int(r[0]), str(r[1]), r[2], str(r[3]), str(r[4]), json.loads(r[5]), str(r[6]), str(r[7]))
                for r in rows]

    def recent(self, action: str, since: str, *, subject: str | None = None,
               detail: tuple[str, str] | None = None) -> tuple[int, str | None]:
        """(how many, time of the latest) entries of `action` at or after `since`, for one subject or one
        detail value (matched in the canonical JSON, so SQLite and PostgreSQL read it the same way)."""
        sql = "SELECT COUNT(*), MAX(at) FROM audit_log WHERE action = ? AND at >= ?"
        args: list[Any] = [action, since]
        if subject is not None:
            sql += " AND subject = ?"
            args.append(subject)
        if detail is not None:
            sql += " AND details LIKE ? ESCAPE '\\'"
            args.append("%" + _like(canonical_json({detail[0]: detail[1]})[1:-1]) + "%")
        row = self._connect().execute(sql, args).fetchone()
        return int(row[0] or 0), row[1]

    def head(self) -> str:
        """The latest hash: keep a copy elsewhere to also detect truncation of the newest entries."""
        row = self._connect().execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else GENESIS

    def verify_chain(self) -> tuple[bool, int | None]:
        """(True, None) if every entry's hash and link hold; else (False, id of the first bad entry)."""
        prev = GENESIS
        rows = self._connect().execute(
            "SELECT id, at, actor, action, subject, details, prev_hash, hash FROM audit_log ORDER BY id")
        for r in rows:
            try:
                details = json.loads(r[5])
            except (TypeError, ValueError):
                return False, r[0]
            body = {"id": r[0], "at": r[1], "actor": r[2], "action": r[3], "subject": r[4], "details": details}
            if r[6] != prev or entry_hash(prev, body) != r[7]:
                return False, r[0]
            prev = r[7]
        return True, None
