"""The editorial repository: articles, versions, reviews, accounts, threads, the audit log and shared settings.

`EditorialRepository` is the seam; `SQLRepository` implements it once over a `medoracle.store.db.Database`
(SQLite or PostgreSQL), with the dialect's locks where two writers could meet:

- SQLite: every write transaction starts with BEGIN IMMEDIATE, so it is the only writer; editorial
  connections run `synchronous=FULL`, so an acknowledged review survives a power cut.
- PostgreSQL: the article (or thread) row is taken `FOR UPDATE` before its state is checked, so two
  reviewers on two servers act one after the other; the audit chain's head is read under an advisory lock,
  so servers never fork it.

The workflow rules live in `medoracle.editorial.articles.ArticleDesk`; this module only stores and finds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import Any, Protocol

from medoracle.editorial import schema
from medoracle.editorial.records import GENESIS, AuditEntry, User, Version, canonical_json, entry_hash
from medoracle.errors import BadInput
from medoracle.store.db import Database, Row, Tx, integrity_errors
from medoracle.store.migrations import migrate
from medoracle.types import Answer, Article, ArticleStatus, ReviewEvent

ARTICLE_COLUMNS = "id, slug, question, status, version, author, answer_json, created_at, updated_at"
USER_COLUMNS = "username, role, display_name, credentials, disclosures, disabled, created_at, session_version"
AUDIT_COLUMNS = "id, at, actor, action, subject, details, prev_hash, hash"
_USER_FIELDS = {"password_hash", "role", "display_name", "credentials", "disclosures", "disabled", "token_hash",
                "session_version"}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class EditorialTx(Protocol):
    """Writes that must happen together (one article move, one publish), inside one transaction."""

    def article(self, key: str | int, *, for_update: bool = False) -> Article | None: ...

    def slug_taken(self, slug: str) -> bool: ...

    def insert_article(self, *, slug: str, question: str, status: str, author: str | None, answer_json: str,
                       search_text: str, at: str, answer_key: str | None = None, question_terms: str = "",
                       audience: str = "clinician") -> int: ...

    def articles_with_terms(self, terms: Sequence[str], need: int, *, audience: str, statuses: Sequence[str],
                            limit: int = 50) -> list[tuple[int, str, str, str]]:
        """(id, slug, question, status) of articles for `audience` in `statuses` whose stored question terms
        include at least `need` of `terms`, most terms first (under the publishing lock)."""

    def article_id_by_answer_key(self, answer_key: str) -> int | None:
        """The article already published from this answer key (one article per answer)."""

    def writers(self, article_id: int) -> list[str]:
        """Everyone who saved a version of the article (usernames, or `anon:` session hashes), sorted."""

    def update_article(self, article_id: int, **values: Any) -> None:
        """Set columns among status, version, answer_json, search_text, updated_at, audience."""

    def add_version(self, article_id: int, version: int, answer_json: str, text: str, actor: str | None,
                    note: str | None, at: str) -> None: ...

    def add_event(self, article_id: int, version: int, actor: str | None, action: str, comment: str | None,
                  section: str | None, at: str) -> None: ...

    def approvals(self, article_id: int, version: int, resets: Sequence[str]) -> list[str]:
        """Who approved this version since the last event of an action in `resets`, in order, each once."""

    def append_audit(self, *, actor: str | None, action: str, subject: str,
                     details: dict[str, Any] | None = None) -> AuditEntry:
        """Add an entry to the hash chain (its head read under the chain's lock)."""


class EditorialRepository(Protocol):
    """Everything editorial that must be shared by every server of one deployment."""

    dialect: str
    location: str

    def transaction(self) -> AbstractContextManager[EditorialTx]: ...

    # articles
    def article(self, key: str | int) -> Article | None: ...

    def articles(self, *, statuses: Sequence[str] = (), words: Sequence[str] = (), limit: int = 50,
                 offset: int = 0, oldest_first: bool = False) -> list[Article]:
        """Newest first (or oldest first); every word must occur in the question, summary or statements."""

    def review_events(self, article_id: int) -> list[ReviewEvent]: ...

    def versions(self, article_id: int) -> list[Version]: ...

    def article_by_answer_key(self, answer_key: str) -> Article | None: ...

    # accounts
    def insert_user(self, *, username: str, password_hash: str, role: str, display_name: str, credentials: str,
                    disclosures: str) -> None:
        """BadInput when the username is taken."""

    def user(self, username: str) -> User | None: ...

    def users(self) -> list[User]: ...

    def password_hash(self, username: str) -> str | None: ...

    def update_user(self, username: str, **values: Any) -> bool:
        """Set columns (password_hash, role, profile fields, disabled, token_hash, session_version);
        False when there is no such user."""

    def bump_session_version(self, username: str) -> int:
        """Invalidate the user's sessions; returns the new session version (0 when there is no such user)."""

    def user_by_token_hash(self, token_hash: str) -> User | None: ...

    # threads
    def create_thread(self, thread_id: str, title: str, at: str, owner: str = "") -> None: ...

    def thread(self, thread_id: str) -> tuple[str, str, str, str] | None:
        """(id, title, topic, created_at)."""

    def thread_owner(self, thread_id: str) -> str | None:
        """Who started the thread ('' for anyone holding its id); None when there is no such thread."""

    def thread_turns(self, thread_id: str) -> list[tuple[int, str, str | None, str, str]]:
        """(n, question, resolved_question, answer_json, created_at), oldest first."""

    def append_turn(self, thread_id: str, *, question: str, resolved_question: str | None, answer_json: str,
                    topic: str, at: str) -> int:
        """The thread's next turn, numbered under the thread's row lock; returns its number."""

    def prune_threads(self, before: str) -> int:
        """Delete threads whose last turn is older than `before` (ISO time); returns how many."""

    # audit log
    def record_audit(self, *, actor: str | None, action: str, subject: str,
                     details: dict[str, Any] | None = None) -> AuditEntry: ...

    def audit_entries(self, subject: str | None = None, limit: int = 1000, *, newest_first: bool = False,
                      before: int | None = None) -> list[AuditEntry]: ...

    def audit_recent(self, *, action: str, subject: str | None = None, since: str | None = None,
                     limit: int = 100, detail: tuple[str, str] | None = None) -> list[AuditEntry]:
        """Entries of one action (e.g. login_failed), optionally for one subject, one detail value (e.g. the
        client address) and since a time, newest first."""

    def audit_head(self) -> str: ...

    def audit_all(self) -> Iterator[AuditEntry]: ...

    # settings shared by every server (session key, knowledge-base fingerprint)
    def setting(self, key: str) -> str | None: ...

    def put_setting(self, key: str, value: str, *, replace: bool = True) -> str:
        """Store a value; with replace=False an existing value wins. Returns the value now stored."""

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """A cross-process lock that does not block other writes (e.g. one knowledge-base build)."""

    def close(self) -> None: ...


def _article(row: Row) -> Article:
    return Article(id=row[0], slug=row[1], question=row[2], status=ArticleStatus(row[3]), version=row[4],
                   author=row[5], answer=Answer.model_validate_json(row[6]), created_at=row[7], updated_at=row[8])


def _user(row: Row) -> User:
    return User(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], int(row[7] or 0))


def _audit(row: Row) -> AuditEntry:
    return AuditEntry(int(row[0]), row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])


def _find_article(tx: Tx, key: str | int, suffix: str = "") -> Article | None:
    # Ids are 64-bit integers: a longer run of digits (or '²', which str.isdigit accepts) can only be a slug.
    if isinstance(key, str) and re.fullmatch(r"[0-9]{1,18}", key):
        key = int(key)
    if isinstance(key, int):
        if not 0 < key < 2**63:
            return None
        rows = tx.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?{suffix}", (key,))
        if rows:
            return _article(rows[0])
        key = str(key)
    rows = tx.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE slug = ?{suffix}", (str(key),))
    return _article(rows[0]) if rows else None


class _Tx:
    """EditorialTx over one open database transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self._for_update = " FOR UPDATE" if tx.dialect == "postgres" else ""

    def article(self, key: str | int, *, for_update: bool = False) -> Article | None:
        return _find_article(self.tx, key, self._for_update if for_update else "")

    def slug_taken(self, slug: str) -> bool:
        self.tx.lock("slugs")  # two servers publishing the same question must not pick the same slug
        return bool(self.tx.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)))

    def insert_article(self, *, slug: str, question: str, status: str, author: str | None, answer_json: str,
                       search_text: str, at: str, answer_key: str | None = None, question_terms: str = "",
                       audience: str = "clinician") -> int:
        rows = self.tx.execute(
            "INSERT INTO articles (slug, question, status, version, author, answer_json, search_text, created_at,"
            " updated_at, answer_key, question_terms, audience) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (slug, question, status, author, answer_json, search_text, at, at, answer_key, question_terms, audience))
        return int(rows[0][0])

    def articles_with_terms(self, terms: Sequence[str], need: int, *, audience: str, statuses: Sequence[str],
                            limit: int = 50) -> list[tuple[int, str, str, str]]:
        self.tx.lock("slugs")  # checked and inserted under one lock: two servers never both miss each other
        if not terms or not statuses:
            return []
        # Terms are stems ([a-z0-9'’-]), so no LIKE wildcard can be in one; counted in SQL on both dialects.
        shared = " + ".join(["CASE WHEN question_terms LIKE ? THEN 1 ELSE 0 END"] * len(terms))
        marks = ",".join("?" * len(statuses))
        rows = self.tx.execute(
            f"SELECT id, slug, question, status FROM (SELECT id, slug, question, status, updated_at, ({shared})"
            f" AS shared FROM articles WHERE audience = ? AND status IN ({marks})) AS c WHERE shared >= ?"
            " ORDER BY shared DESC, updated_at DESC, id DESC LIMIT ?",
            (*(f"% {t} %" for t in terms), audience, *statuses, need, limit))
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def article_id_by_answer_key(self, answer_key: str) -> int | None:
        self.tx.lock("slugs")  # the same lock as publishing: two servers never both publish one answer
        rows = self.tx.execute("SELECT id FROM articles WHERE answer_key = ?", (answer_key,))
        return int(rows[0][0]) if rows else None

    def writers(self, article_id: int) -> list[str]:
        rows = self.tx.execute("SELECT DISTINCT actor FROM article_versions WHERE article_id = ? "
                               "AND actor IS NOT NULL", (article_id,))
        return sorted(str(r[0]) for r in rows)

    def update_article(self, article_id: int, **values: Any) -> None:
        allowed = {"status", "version", "answer_json", "search_text", "updated_at", "audience"}
        if not values or set(values) - allowed:
            raise ValueError(f"update_article sets {sorted(allowed)}, not {sorted(set(values) - allowed)}")
        cols = ", ".join(f"{k} = ?" for k in values)
        self.tx.execute(f"UPDATE articles SET {cols} WHERE id = ?", (*values.values(), article_id))

    def add_version(self, article_id: int, version: int, answer_json: str, text: str, actor: str | None,
                    note: str | None, at: str) -> None:
        self.tx.execute("INSERT INTO article_versions (article_id, version, answer_json, text, actor, note, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (article_id, version, answer_json, text, actor, note, at))

    def add_event(self, article_id: int, version: int, actor: str | None, action: str, comment: str | None,
                  section: str | None, at: str) -> None:
        self.tx.execute("INSERT INTO review_events (article_id, version, actor, action, comment, section, at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (article_id, version, actor or "anonymous", action, comment, section, at))

    def approvals(self, article_id: int, version: int, resets: Sequence[str]) -> list[str]:
        marks = ",".join("?" * len(resets))
        rows = self.tx.execute(
            "SELECT actor FROM review_events WHERE article_id = ? AND version = ? AND action = 'approve'"
            f" AND id > COALESCE((SELECT MAX(id) FROM review_events WHERE article_id = ? AND action IN ({marks})),"
            " 0) ORDER BY id", (article_id, version, article_id, *resets))
        return list(dict.fromkeys(r[0] for r in rows))

    def append_audit(self, *, actor: str | None, action: str, subject: str,
                     details: dict[str, Any] | None = None) -> AuditEntry:
        self.tx.lock("audit")  # one head at a time across every server: the chain never forks
        head = self.tx.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        new_id, prev = (int(head[0][0]) + 1, head[0][1]) if head else (1, GENESIS)
        at, facts = now(), details or {}
        body = {"id": new_id, "at": at, "actor": actor, "action": action, "subject": subject, "details": facts}
        digest = entry_hash(prev, body)
        self.tx.execute(f"INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (new_id, at, actor, action, subject, canonical_json(facts), prev, digest))
        return AuditEntry(new_id, at, actor, action, subject, facts, prev, digest)


class SQLRepository:
    """The editorial repository on one SQLite file or PostgreSQL database; migrated when opened."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect
        self.location = db.location
        migrate(db, *schema.ALL)

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        with self.db.transaction() as tx:
            yield _Tx(tx)

    def close(self) -> None:
        self.db.close()

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return self.db.exclusive(name)

    # -- articles ----------------------------------------------------------------------------------
    def article(self, key: str | int) -> Article | None:
        return _find_article(_ReadTx(self.db), key)

    def articles(self, *, statuses: Sequence[str] = (), words: Sequence[str] = (), limit: int = 50,
                 offset: int = 0, oldest_first: bool = False) -> list[Article]:
        where: list[str] = []
        args: list[Any] = []
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args += list(statuses)
        for word in words:
            where.append("search_text LIKE ? ESCAPE '\\'")
            args.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        statement = f"SELECT {ARTICLE_COLUMNS} FROM articles" + (" WHERE " + " AND ".join(where) if where else "")
        order = "updated_at, id" if oldest_first else "updated_at DESC, id DESC"
        statement += f" ORDER BY {order} LIMIT ? OFFSET ?"
        return [_article(r) for r in self.db.query(statement, (*args, limit, offset))]

    def review_events(self, article_id: int) -> list[ReviewEvent]:
        rows = self.db.query("SELECT article_id, version, actor, action, comment, section, at FROM review_events"
                             " WHERE article_id = ? ORDER BY id", (article_id,))
        return [ReviewEvent(article_id=r[0], version=r[1], actor=r[2], action=r[3], comment=r[4], section=r[5],
                            at=r[6]) for r in rows]

    def article_by_answer_key(self, answer_key: str) -> Article | None:
        rows = self.db.query(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE answer_key = ?", (answer_key,))
        return _article(rows[0]) if rows else None

    def versions(self, article_id: int) -> list[Version]:
        rows = self.db.query("SELECT version, answer_json, text, actor, note, created_at FROM article_versions"
                             " WHERE article_id = ? ORDER BY version", (article_id,))
        return [Version(r[0], Answer.model_validate_json(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # -- accounts ----------------------------------------------------------------------------------
    def insert_user(self, *, username: str, password_hash: str, role: str, display_name: str, credentials: str,
                    disclosures: str) -> None:
        try:
            with self.db.transaction() as tx:
                tx.execute("INSERT INTO users (username, password_hash, role, display_name, credentials, disclosures,"
                           " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (username, password_hash, role, display_name, credentials, disclosures, now()))
        except integrity_errors():
            raise BadInput(f"user {username!r} already exists") from None

    def user(self, username: str) -> User | None:
        rows = self.db.query(f"SELECT {USER_COLUMNS} FROM users WHERE username = ?", (username,))
        return _user(rows[0]) if rows else None

    def users(self) -> list[User]:
        return [_user(r) for r in self.db.query(f"SELECT {USER_COLUMNS} FROM users ORDER BY username")]

    def password_hash(self, username: str) -> str | None:
        rows = self.db.query("SELECT password_hash FROM users WHERE username = ?", (username,))
        return rows[0][0] if rows else None

    def update_user(self, username: str, **values: Any) -> bool:
        if not values or set(values) - _USER_FIELDS:
            raise ValueError(f"update_user sets {sorted(_USER_FIELDS)}, not {sorted(set(values) - _USER_FIELDS)}")
        cols = ", ".join(f"{k} = ?" for k in values)
        with self.db.transaction() as tx:
            rows = tx.execute(f"UPDATE users SET {cols} WHERE username = ? RETURNING username",
                              (*values.values(), username))
        return bool(rows)

    def bump_session_version(self, username: str) -> int:
        with self.db.transaction() as tx:
            rows = tx.execute("UPDATE users SET session_version = session_version + 1 WHERE username = ? "
                              "RETURNING session_version", (username,))
        return int(rows[0][0]) if rows else 0

    def user_by_token_hash(self, token_hash: str) -> User | None:
        rows = self.db.query(f"SELECT {USER_COLUMNS} FROM users WHERE token_hash = ?", (token_hash,))
        return _user(rows[0]) if rows else None

    # -- threads -----------------------------------------------------------------------------------
    def create_thread(self, thread_id: str, title: str, at: str, owner: str = "") -> None:
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO threads (id, title, topic, created_at, updated_at, owner) "
                       "VALUES (?, ?, '', ?, ?, ?)", (thread_id, title, at, at, owner))

    def thread_owner(self, thread_id: str) -> str | None:
        rows = self.db.query("SELECT owner FROM threads WHERE id = ?", (thread_id,))
        return str(rows[0][0]) if rows else None

    def thread(self, thread_id: str) -> tuple[str, str, str, str] | None:
        rows = self.db.query("SELECT id, title, topic, created_at FROM threads WHERE id = ?", (thread_id,))
        return (rows[0][0], rows[0][1], rows[0][2], rows[0][3]) if rows else None

    def thread_turns(self, thread_id: str) -> list[tuple[int, str, str | None, str, str]]:
        rows = self.db.query("SELECT n, question, resolved_question, answer_json, created_at FROM thread_turns "
                             "WHERE thread_id = ? ORDER BY n", (thread_id,))
        return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def append_turn(self, thread_id: str, *, question: str, resolved_question: str | None, answer_json: str,
                    topic: str, at: str) -> int:
        suffix = " FOR UPDATE" if self.dialect == "postgres" else ""
        with self.db.transaction() as tx:
            if not tx.execute(f"SELECT id FROM threads WHERE id = ?{suffix}", (thread_id,)):
                raise BadInput(f"no thread with id {thread_id!r}")
            n = int(tx.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM thread_turns WHERE thread_id = ?",
                               (thread_id,))[0][0])
            tx.execute("INSERT INTO thread_turns (thread_id, n, question, resolved_question, answer_json, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (thread_id, n, question, resolved_question, answer_json, at))
            tx.execute("UPDATE threads SET topic = ?, updated_at = ?, "
                       "title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                       (topic, at, question.strip()[:300], thread_id))
        return n

    def prune_threads(self, before: str) -> int:
        with self.db.transaction() as tx:
            old = [r[0] for r in tx.execute("SELECT id FROM threads WHERE updated_at < ?", (before,))]
            for i in range(0, len(old), 500):
                chunk = old[i:i + 500]
                marks = ",".join("?" * len(chunk))
                tx.execute(f"DELETE FROM thread_turns WHERE thread_id IN ({marks})", chunk)
                tx.execute(f"DELETE FROM threads WHERE id IN ({marks})", chunk)
        return len(old)

    # -- audit log ---------------------------------------------------------------------------------
    def record_audit(self, *, actor: str | None, action: str, subject: str,
                     details: dict[str, Any] | None = None) -> AuditEntry:
        with self.transaction() as tx:
            return tx.append_audit(actor=actor, action=action, subject=subject, details=details)

    def audit_entries(self, subject: str | None = None, limit: int = 1000, *, newest_first: bool = False,
                      before: int | None = None) -> list[AuditEntry]:
        where: list[str] = []
        args: list[Any] = []
        if subject is not None:
            where.append("subject = ?")
            args.append(subject)
        if before is not None:
            where.append("id < ?")
            args.append(before)
        clause = " WHERE " + " AND ".join(where) if where else ""
        order = "id DESC" if newest_first else "id"
        rows = self.db.query(f"SELECT {AUDIT_COLUMNS} FROM audit_log{clause} ORDER BY {order} LIMIT ?",
                             (*args, limit))
        return [_audit(r) for r in rows]

    def audit_recent(self, *, action: str, subject: str | None = None, since: str | None = None,
                     limit: int = 100, detail: tuple[str, str] | None = None) -> list[AuditEntry]:
        where, args = ["action = ?"], [action]
        if subject is not None:
            where.append("subject = ?")
            args.append(subject)
        if detail is not None:
            # matched in the canonical JSON, which both dialects store byte for byte the same
            where.append("details LIKE ? ESCAPE '\\'")
            pair = canonical_json({detail[0]: detail[1]})[1:-1]
            args.append("%" + pair.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if since is not None:
            where.append("at >= ?")
            args.append(since)
        rows = self.db.query(f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE {' AND '.join(where)} "
                             "ORDER BY id DESC LIMIT ?", (*args, limit))
        return [_audit(r) for r in rows]

    def audit_head(self) -> str:
        rows = self.db.query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
        return rows[0][0] if rows else GENESIS

    def audit_all(self) -> Iterator[AuditEntry]:
        last = 0
        while True:
            rows = self.db.query(f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id LIMIT 1000",
                                 (last,))
            if not rows:
                return
            for r in rows:
                try:
                    yield _audit(r)
                except ValueError:  # unreadable details: yield what is there so verification names the entry
                    yield AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], {"<unreadable>": r[5]}, r[6], r[7])
            last = int(rows[-1][0])

    # -- settings ----------------------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        rows = self.db.query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def put_setting(self, key: str, value: str, *, replace: bool = True) -> str:
        action = "UPDATE SET value = excluded.value, updated_at = excluded.updated_at" if replace else "NOTHING"
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
                       f"ON CONFLICT (key) DO {action}", (key, value, now()))
            return str(tx.execute("SELECT value FROM settings WHERE key = ?", (key,))[0][0])


class _ReadTx:
    """Reads outside a transaction, through the same helpers as inside one."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.db.query(statement, params)

    def lock(self, name: str) -> None:
        return None
