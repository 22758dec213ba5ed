"""Publishing and the editorial workflow: states, reviewers, versions and a hash-chained audit log.

An answer is published as an `Article` in state *submitted*. Reviewers take it under review and approve it,
request changes (with a comment on a section) or reject it; an editor can retract any article. An article
needs `settings.approvals_required` approvals from distinct reviewers, none of them its author, before it is
*approved*; editing an approved article makes a new version and sends it back to review.

Every allowed move is one row of `TRANSITIONS`, and every path (web, API, CLI) goes through `ArticleDesk`,
so the rules cannot differ between them. Every action is also written to an append-only audit log in which
each entry carries the SHA-256 of the previous entry's hash and its own canonical JSON.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from medoracle.errors import BadInput, PermissionDenied, WorkflowError
from medoracle.settings import Settings
from medoracle.store.migrations import Migrations
from medoracle.types import Answer, Article, ArticleStatus, ReviewEvent

S = ArticleStatus
REVIEWERS = frozenset({"reviewer", "editor", "admin"})
EDITORS = frozenset({"editor", "admin"})
AUTHOR = "author"  # pseudo-role: whoever submitted the article
GENESIS = "0" * 64
_ARTICLE_COLUMNS = ("id", "slug", "question", "status", "version", "author", "answer_json", "created_at",
                    "updated_at")
_COLS = ", ".join(_ARTICLE_COLUMNS)


@dataclass(frozen=True)
class Transition:
    action: str
    source: ArticleStatus
    target: ArticleStatus
    roles: frozenset[str]


# The whole workflow. `approve` reaches its target only once enough distinct reviewers have approved the
# current version; until then the article stays under review.
TRANSITIONS: tuple[Transition, ...] = (
    Transition("start_review", S.submitted, S.under_review, REVIEWERS),
    Transition("approve", S.under_review, S.approved, REVIEWERS),
    Transition("request_changes", S.under_review, S.changes_requested, REVIEWERS),
    Transition("reject", S.under_review, S.rejected, REVIEWERS),
    Transition("resubmit", S.changes_requested, S.submitted, EDITORS | {AUTHOR}),
    Transition("edit", S.submitted, S.submitted, EDITORS | {AUTHOR}),
    Transition("edit", S.under_review, S.under_review, EDITORS | {AUTHOR}),
    Transition("edit", S.changes_requested, S.submitted, EDITORS | {AUTHOR}),
    Transition("edit", S.approved, S.under_review, EDITORS | {AUTHOR}),
    *(Transition("retract", s, S.retracted, EDITORS) for s in S if s is not S.retracted),
)
_TABLE = {(t.action, t.source): t for t in TRANSITIONS}
REVIEW_ACTIONS = ("approve", "request_changes", "reject")
_RESETS_APPROVALS = ("request_changes", "reject", "resubmit", "edit", "retract")


class Actor(Protocol):
    """Who acts: a `medoracle.users.User` (anything with these attributes, read-only is enough)."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def disabled(self) -> bool: ...


class ArticleNotFound(BadInput, LookupError):
    """No article has that slug or id."""


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


migrations = Migrations("articles")


@migrations.register
def create_articles(conn: sqlite3.Connection) -> None:
    conn.executescript("""
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, question TEXT NOT NULL,
            status TEXT NOT NULL, version INTEGER NOT NULL, author TEXT, answer_json TEXT NOT NULL,
            search_text TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX articles_status ON articles(status, updated_at);
        CREATE TABLE article_versions (
            article_id INTEGER NOT NULL REFERENCES articles(id), version INTEGER NOT NULL,
            answer_json TEXT NOT NULL, text TEXT NOT NULL, actor TEXT, note TEXT, created_at TEXT NOT NULL,
            PRIMARY KEY (article_id, version));
        CREATE TABLE review_events (
            id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id), version INTEGER NOT NULL,
            actor TEXT NOT NULL, action TEXT NOT NULL, comment TEXT, section TEXT, at TEXT NOT NULL);
        CREATE INDEX review_events_article ON review_events(article_id, id);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL, subject TEXT NOT NULL,
            details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        -- Append-only at the SQL level; the hash chain catches anyone who drops these triggers.
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    """)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
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


class AuditLog:
    """The append-only, hash-chained log of everything the editorial side does."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect

    def append(self, conn: sqlite3.Connection, *, actor: str | None, action: str, subject: str,
               details: dict[str, Any] | None = None) -> AuditEntry:
        """Add an entry inside the caller's transaction (which must hold the write lock)."""
        head = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        new_id, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
        at, details = _now(), details or {}
        body = {"id": new_id, "at": at, "actor": actor, "action": action, "subject": subject, "details": details}
        digest = entry_hash(prev, body)
        conn.execute("INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, hash)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (new_id, at, actor, action, subject, canonical_json(details), prev, digest))
        return AuditEntry(new_id, at, actor, action, subject, details, prev, digest)

    def record(self, *, actor: str | None, action: str, subject: str,
               details: dict[str, Any] | None = None) -> AuditEntry:
        """Add an entry in a transaction of its own (e.g. account changes)."""
        with _transaction(self._connect()) as conn:
            return self.append(conn, actor=actor, action=action, subject=subject, details=details)

    def entries(self, subject: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        sql = "SELECT id, at, actor, action, subject, details, prev_hash, hash FROM audit_log"
        args: tuple = ()
        if subject is not None:
            sql, args = sql + " WHERE subject = ?", (subject,)
        rows = self._connect().execute(sql + " ORDER BY id LIMIT ?", (*args, limit)).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows]

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


def slugify(text: str, max_len: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "article"


def answer_text(answer: Answer) -> str:
    """The answer as readable text, for version diffs (Markdown from medoracle.render when present)."""
    try:
        from medoracle.render import to_markdown
    except ImportError:  # render is optional for the editorial side
        pass
    else:
        return to_markdown(answer)
    lines = [answer.question, "", answer.summary, ""]
    for sec in answer.sections:
        lines += [sec.title] + [f"- {st.text} {st.citations}" for st in sec.statements] + [""]
    lines += [f"{r.n}. {r.title} ({r.source or ''})" for r in answer.references]
    return "\n".join(lines)


def _search_text(answer: Answer) -> str:
    parts = [answer.question, answer.summary] + [s.title for s in answer.sections]
    parts += [st.text for st in answer.statements()]
    return " ".join(parts).lower()


def _roles_of(actor: Actor | None, author: str | None) -> set[str]:
    if actor is None:
        return set()
    roles = {actor.role}
    if author and actor.username == author:
        roles.add(AUTHOR)
    return roles


class ArticleDesk:
    """The editorial desk: every publish, review and edit goes through here."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], settings: Settings | None = None) -> None:
        self._conn = migrations.connector(connect)
        self.settings = settings or Settings.load()
        self.audit = AuditLog(self._conn)

    @property
    def approvals_required(self) -> int:
        return int(self.settings.approvals_required)

    # -- reading ----------------------------------------------------------------------------------
    def get(self, key: str | int) -> Article:
        """An article by slug or id; raises ArticleNotFound."""
        row = self._row(self._conn(), key)
        if row is None:
            raise ArticleNotFound(f"no article {key!r}")
        return self._article(row)

    def find(self, key: str | int) -> Article | None:
        row = self._row(self._conn(), key)
        return self._article(row) if row else None

    def list(self, *, status: ArticleStatus | str | Iterable[ArticleStatus | str] | None = None,
             query: str | None = None, limit: int = 50, offset: int = 0) -> builtins.list[Article]:
        """Newest first; `query` matches every word anywhere in the question, summary or statements."""
        where, args = [], []
        if status:
            wanted = [status] if isinstance(status, (str, ArticleStatus)) else list(status)
            states = [S(s).value for s in wanted]
            where.append(f"status IN ({','.join('?' * len(states))})")
            args += states
        for word in re.findall(r"\w+", (query or "").lower())[:12]:
            where.append("search_text LIKE ? ESCAPE '\\'")
            args.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql = f"SELECT {_COLS} FROM articles" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?"
        return [self._article(r) for r in self._conn().execute(sql, (*args, max(1, min(limit, 500)), offset))]

    def queue(self) -> builtins.list[Article]:
        """What reviewers have to look at, oldest first."""
        rows = self._conn().execute(
            f"SELECT {_COLS} FROM articles WHERE status IN ('submitted', 'under_review', 'changes_requested')"
            " ORDER BY updated_at, id").fetchall()
        return [self._article(r) for r in rows]

    def history(self, key: str | int) -> builtins.list[ReviewEvent]:
        art = self.get(key)
        rows = self._conn().execute(
            "SELECT article_id, version, actor, action, comment, section, at FROM review_events"
            " WHERE article_id = ? ORDER BY id", (art.id,)).fetchall()
        return [ReviewEvent(article_id=r[0], version=r[1], actor=r[2], action=r[3], comment=r[4], section=r[5],
                            at=r[6]) for r in rows]

    def versions(self, key: str | int) -> builtins.list[Version]:
        art = self.get(key)
        rows = self._conn().execute(
            "SELECT version, answer_json, text, actor, note, created_at FROM article_versions"
            " WHERE article_id = ? ORDER BY version", (art.id,)).fetchall()
        return [Version(r[0], Answer.model_validate_json(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def diff(self, key: str | int, old: int, new: int) -> builtins.list[str]:
        """A unified diff (lines) between two versions' rendered text."""
        by_number = {v.version: v for v in self.versions(key)}
        for n in (old, new):
            if n not in by_number:
                raise BadInput(f"article {key!r} has no version {n}")
        return list(difflib.unified_diff(by_number[old].text.splitlines(), by_number[new].text.splitlines(),
                                         f"version {old}", f"version {new}", lineterm=""))

    def approvals(self, key: str | int) -> builtins.list[str]:
        """Usernames who approved the current version in the current review round, in order."""
        art = self.get(key)
        return self._approvals(self._conn(), art.id, art.version)

    def allowed_actions(self, article: Article, actor: Actor | None) -> builtins.list[str]:
        """The actions this actor may take on this article now (for buttons; the desk re-checks)."""
        out = []
        for action in ("start_review", *REVIEW_ACTIONS, "resubmit", "edit", "retract"):
            try:
                self._check(article, action, actor, auto_start=action in REVIEW_ACTIONS)
            except WorkflowError:
                continue
            out.append(action)
        return out

    # -- acting -----------------------------------------------------------------------------------
    def publish(self, answer: Answer, actor: Actor | None = None, *, question: str | None = None) -> Article:
        """Submit an answer as a new article (anonymous when actor is None)."""
        if actor is not None and actor.disabled:
            raise PermissionDenied(f"account {actor.username!r} is disabled")
        question = (question or answer.question or "").strip()
        if not question:
            raise BadInput("an article needs a question")
        if answer.abstained:
            raise BadInput("an abstention cannot be published: there is no sourced answer to review")
        author = actor.username if actor else None
        now = _now()
        with _transaction(self._conn()) as conn:
            base, slug, n = slugify(question), slugify(question), 1
            while conn.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)).fetchone():
                n += 1
                slug = f"{base}-{n}"
            payload = answer.model_dump_json()
            cur = conn.execute(
                "INSERT INTO articles (slug, question, status, version, author, answer_json, search_text,"
                " created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
                (slug, question, S.submitted.value, author, payload, _search_text(answer), now, now))
            assert cur.lastrowid is not None
            article_id = int(cur.lastrowid)
            conn.execute("INSERT INTO article_versions VALUES (?, 1, ?, ?, ?, ?, ?)",
                         (article_id, payload, answer_text(answer), author, "first version", now))
            self._event(conn, article_id, 1, author, "submit", None, None, now)
            self.audit.append(conn, actor=author, action="submit", subject=f"article:{slug}",
                              details={"version": 1, "status": S.submitted.value,
                                       "sha256": hashlib.sha256(payload.encode()).hexdigest()})
        return self.get(slug)

    def start_review(self, key: str | int, actor: Actor) -> Article:
        return self._move(key, "start_review", actor)

    def approve(self, key: str | int, actor: Actor, comment: str | None = None) -> Article:
        return self.review(key, "approve", actor, comment=comment)

    def request_changes(self, key: str | int, actor: Actor, comment: str, section: str | None = None) -> Article:
        return self.review(key, "request_changes", actor, comment=comment, section=section)

    def reject(self, key: str | int, actor: Actor, comment: str) -> Article:
        return self.review(key, "reject", actor, comment=comment)

    def review(self, key: str | int, action: str, actor: Actor, *, comment: str | None = None,
               section: str | None = None) -> Article:
        """approve / request_changes / reject; a submitted article is first taken under review."""
        if action not in REVIEW_ACTIONS:
            raise BadInput(f"review action must be one of {', '.join(REVIEW_ACTIONS)}, not {action!r}")
        return self._move(key, action, actor, comment=comment, section=section, auto_start=True)

    def resubmit(self, key: str | int, actor: Actor, comment: str | None = None) -> Article:
        return self._move(key, "resubmit", actor, comment=comment)

    def retract(self, key: str | int, actor: Actor, reason: str) -> Article:
        return self._move(key, "retract", actor, comment=reason)

    def edit(self, key: str | int, answer: Answer, actor: Actor, note: str | None = None) -> Article:
        """Save a new version; an approved article goes back under review, approvals start again."""
        if answer.abstained:
            raise BadInput("an abstention cannot replace an article's answer")
        return self._move(key, "edit", actor, comment=note, new_answer=answer)

    def act(self, key: str | int, action: str, actor: Actor | None, *, comment: str | None = None,
            section: str | None = None) -> Article:
        """Dispatch by action name (web forms, API, CLI)."""
        if actor is None:
            raise PermissionDenied("log in to act on articles")
        if action in REVIEW_ACTIONS:
            return self.review(key, action, actor, comment=comment, section=section)
        if action in ("start_review", "resubmit", "retract"):
            return self._move(key, action, actor, comment=comment)
        raise BadInput(f"unknown action {action!r}")

    # -- internals --------------------------------------------------------------------------------
    def _check(self, article: Article, action: str, actor: Actor | None,
               auto_start: bool = False) -> builtins.list[Transition]:
        """The transitions this action takes from the article's state, or WorkflowError/PermissionDenied."""
        if actor is None:
            raise PermissionDenied("log in to act on articles")
        if actor.disabled:
            raise PermissionDenied(f"account {actor.username!r} is disabled")
        steps: builtins.list[Transition] = []
        state = article.status
        if auto_start and state is S.submitted and (action, state) not in _TABLE:
            steps.append(_TABLE[("start_review", state)])
            state = S.under_review
        step = _TABLE.get((action, state))
        if step is None:
            raise WorkflowError(f"cannot {action.replace('_', ' ')} an article that is "
                                f"{article.status.value.replace('_', ' ')}")
        steps.append(step)
        roles = _roles_of(actor, article.author)
        for s in steps:
            if not roles & s.roles:
                raise PermissionDenied(f"{actor.username} ({actor.role}) may not {s.action.replace('_', ' ')}"
                                       " this article")
        if action == "approve":
            if article.author and actor.username == article.author:
                raise PermissionDenied("a reviewer cannot approve their own article")
        return steps

    def _move(self, key: str | int, action: str, actor: Actor | None, *, comment: str | None = None,
              section: str | None = None, new_answer: Answer | None = None, auto_start: bool = False) -> Article:
        comment = (comment or "").strip() or None
        section = (section or "").strip() or None
        if action in ("request_changes", "reject", "retract") and not comment:
            raise BadInput(f"{action.replace('_', ' ')} needs a comment saying why")
        with _transaction(self._conn()) as conn:
            row = self._row(conn, key)
            if row is None:
                raise ArticleNotFound(f"no article {key!r}")
            article = self._article(row)
            steps = self._check(article, action, actor, auto_start=auto_start)
            assert actor is not None
            if section is not None:
                keys = {s.key for s in article.answer.sections} | {"summary", "references"}
                if section not in keys:
                    raise BadInput(f"article has no section {section!r}; choose one of {', '.join(sorted(keys))}")
            now, version, status = _now(), article.version, article.status
            details: dict[str, Any] = {}
            for step in steps:
                target = step.target
                if step.action == "edit":
                    assert new_answer is not None
                    version += 1
                    payload = new_answer.model_dump_json()
                    conn.execute("INSERT INTO article_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (article.id, version, payload, answer_text(new_answer), actor.username, comment,
                                  now))
                    conn.execute("UPDATE articles SET answer_json = ?, search_text = ?, version = ? WHERE id = ?",
                                 (payload, _search_text(new_answer), version, article.id))
                    details["sha256"] = hashlib.sha256(payload.encode()).hexdigest()
                if step.action == "approve":
                    done = self._approvals(conn, article.id, version)
                    if actor.username in done:
                        raise WorkflowError(f"{actor.username} has already approved version {version}")
                    done.append(actor.username)
                    details["approvals"] = f"{len(done)}/{self.approvals_required}"
                    if len(done) < self.approvals_required:
                        target = status  # still under review: more reviewers must approve
                assert article.id is not None  # a stored article has its id
                self._event(conn, article.id, version, actor.username, step.action,
                            comment if step is steps[-1] else None, section if step is steps[-1] else None, now)
                conn.execute("UPDATE articles SET status = ?, updated_at = ? WHERE id = ?",
                             (target.value, now, article.id))
                self.audit.append(conn, actor=actor.username, action=step.action, subject=f"article:{article.slug}",
                                  details={**details, "version": version, "from": status.value, "to": target.value,
                                           **({"comment": comment} if comment and step is steps[-1] else {}),
                                           **({"section": section} if section and step is steps[-1] else {})})
                status = target
        return self.get(article.id)  # type: ignore[arg-type]

    @staticmethod
    def _approvals(conn: sqlite3.Connection, article_id: int | None, version: int) -> builtins.list[str]:
        rows = conn.execute(
            "SELECT actor FROM review_events WHERE article_id = ? AND version = ? AND action = 'approve'"
            f" AND id > COALESCE((SELECT MAX(id) FROM review_events WHERE article_id = ? AND action IN"
            f" ({','.join('?' * len(_RESETS_APPROVALS))})), 0) ORDER BY id",
            (article_id, version, article_id, *_RESETS_APPROVALS)).fetchall()
        seen: builtins.list[str] = []
        for r in rows:
            if r[0] not in seen:
                seen.append(r[0])
        return seen

    @staticmethod
    def _event(conn: sqlite3.Connection, article_id: int, version: int, actor: str | None, action: str,
               comment: str | None, section: str | None, at: str) -> None:
        conn.execute("INSERT INTO review_events (article_id, version, actor, action, comment, section, at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (article_id, version, actor or "anonymous", action, comment,
                                                       section, at))

    @staticmethod
    def _row(conn: sqlite3.Connection, key: str | int) -> Any:
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            row = conn.execute(f"SELECT {_COLS} FROM articles WHERE id = ?", (int(key),)).fetchone()
            if row is not None or isinstance(key, int):
                return row
        return conn.execute(f"SELECT {_COLS} FROM articles WHERE slug = ?", (str(key),)).fetchone()

    @staticmethod
    def _article(row: Any) -> Article:
        d = dict(zip(_ARTICLE_COLUMNS, tuple(row)))
        return Article(id=d["id"], slug=d["slug"], question=d["question"], status=S(d["status"]),
                       version=d["version"], author=d["author"], created_at=d["created_at"],
                       updated_at=d["updated_at"], answer=Answer.model_validate_json(d["answer_json"]))
