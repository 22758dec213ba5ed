"""Publishing and the editorial workflow: articles, their versions, reviews and the audit trail.

An answer is published as an `Article` in state *submitted*. Reviewers take it under review and approve it,
request changes (with a comment on a section) or reject it; an editor can retract any article. An article
needs `settings.approvals_required` approvals from distinct reviewers, none of whom wrote any of its text
(the four-eyes rule, `medoracle.workflow`), before it is *approved*; editing makes a new version, sends an
approved article back to review and starts the approvals again. Edited sentences are checked against their
cited passages (`medoracle.revision`).

Every path (web, API, CLI) goes through `ArticleDesk`, so the rules cannot differ between them. Every action
is also written to the hash-chained audit log (`medoracle.audit`).
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from medoracle.audit import GENESIS, AuditEntry, AuditLog, canonical_json, entry_hash
from medoracle.audit import now as _now
from medoracle.audit import transaction as _transaction
from medoracle.errors import BadInput, PermissionDenied, WorkflowError
from medoracle.revision import MAX_SENTENCE, PassageSource, mark_revision
from medoracle.settings import Settings
from medoracle.store.migrations import Migrations
from medoracle.types import Answer, Article, ArticleStatus, ReviewEvent
from medoracle.workflow import (AUTHOR, EDITORS, RESETS_APPROVALS, REVIEW_ACTIONS, REVIEWERS, TRANSITIONS, Actor,
                                Transition, allowed, anonymous_writer, check)

__all__ = ["ArticleDesk", "ArticleNotFound", "Version", "AuditLog", "AuditEntry", "TRANSITIONS", "Transition",
           "REVIEWERS", "EDITORS", "AUTHOR", "GENESIS", "canonical_json", "entry_hash", "slugify", "answer_text"]

S = ArticleStatus
_ARTICLE_COLUMNS = ("id", "slug", "question", "status", "version", "author", "answer_json", "created_at",
                    "updated_at")
_COLS = ", ".join(_ARTICLE_COLUMNS)


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


# -- storage for the workflow rules (kept small and separate so they port to the editorial repository) ----
@migrations.register
def add_answer_key(conn: sqlite3.Connection) -> None:
    """One article per answer: a second publish of the same answer key returns the first article."""
    conn.execute("ALTER TABLE articles ADD COLUMN answer_key TEXT")
    conn.execute("CREATE UNIQUE INDEX articles_answer_key ON articles(answer_key)")


@migrations.register
def index_audit_by_action(conn: sqlite3.Connection) -> None:
    """Login throttling counts recent `login_failed` entries: an index keeps that a range read."""
    conn.execute("CREATE INDEX audit_log_action_at ON audit_log(action, at)")


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


class ArticleDesk:
    """The editorial desk: every publish, review and edit goes through here.

    `passages` (the evidence store) is where edited sentences' cited passages are read from; without it they
    are checked against the quotes stored with each reference.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], settings: Settings | None = None,
                 passages: PassageSource | None = None) -> None:
        self._conn = migrations.connector(connect)
        self.settings = settings or Settings.load()
        self.audit = AuditLog(self._conn)
        self.passages = passages

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
        # SQLite integers are 64-bit: a larger offset is past every article anyway.
        offset = max(0, min(int(offset), 2**62))
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

    def writers(self, key: str | int) -> builtins.list[str]:
        """Everyone who saved a version of the article's text (usernames, or `anon:` session hashes)."""
        art = self.get(key)
        return self._writers(self._conn(), art.id)

    def approved_versions(self, key: str | int) -> builtins.list[int]:
        """Versions that reached *approved*, oldest first (from the audit trail, which records every move)."""
        art = self.get(key)
        return sorted({int(e.details.get("version", 0)) for e in self.audit.entries(subject=f"article:{art.slug}",
                                                                                     limit=10**6)
                       if e.action == "approve" and e.details.get("to") == S.approved.value})

    def allowed_actions(self, article: Article, actor: Actor | None) -> builtins.list[str]:
        """The actions this actor may take on this article now (for buttons; the desk re-checks)."""
        return allowed(article, actor, self._writers(self._conn(), article.id))

    # -- acting -----------------------------------------------------------------------------------
    def publish(self, answer: Answer, actor: Actor | None = None, *, question: str | None = None,
                submitter: str | None = None, answer_key: str | None = None) -> Article:
        """Submit an answer as a new article; the same `answer_key` twice gives back the first article.

        Without an account (`actor` None) only when `settings.anonymous_submissions` allows it, and then
        `submitter` names the browser session, so that no reviewer acting from it can review the article.
        """
        if actor is not None and actor.disabled:
            raise PermissionDenied(f"account {actor.username!r} is disabled")
        if actor is None:
            if not self.settings.anonymous_submissions:
                raise PermissionDenied("log in to publish: every article needs an accountable author")
            if not submitter:
                raise PermissionDenied("an anonymous submission must come from a browser session")
        question = (question or answer.question or "").strip()
        if not question:
            raise BadInput("an article needs a question")
        if answer.abstained:
            raise BadInput("an abstention cannot be published: there is no sourced answer to review")
        author = actor.username if actor else None
        writer = author or anonymous_writer(submitter or "")
        # Marks are the desk's to set: a published answer is as composed, whatever a client sent.
        answer = answer.model_copy(update={
            "summary_written_by": None, "summary_unsupported": None,
            "sections": [sec.model_copy(update={"statements": [
                st.model_copy(update={"written_by": None, "unsupported": None}) for st in sec.statements]})
                for sec in answer.sections]})
        now = _now()
        with _transaction(self._conn()) as conn:
            if answer_key:
                row = conn.execute("SELECT id FROM articles WHERE answer_key = ?", (answer_key,)).fetchone()
                if row is not None:
                    existing = self._row(conn, int(row[0]))
                    return self._article(existing)
            base, slug, n = slugify(question), slugify(question), 1
            while conn.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)).fetchone():
                n += 1
                slug = f"{base}-{n}"
            payload = answer.model_dump_json()
            cur = conn.execute(
                "INSERT INTO articles (slug, question, status, version, author, answer_json, search_text,"
                " created_at, updated_at, answer_key) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                (slug, question, S.submitted.value, author, payload, _search_text(answer), now, now,
                 answer_key or None))
            article_id = int(cur.lastrowid or 0)
            conn.execute("INSERT INTO article_versions VALUES (?, 1, ?, ?, ?, ?, ?)",
                         (article_id, payload, answer_text(answer), writer, "first version", now))
            self._event(conn, article_id, 1, author, "submit", None, None, now)
            self.audit.append(conn, actor=author, action="submit", subject=f"article:{slug}",
                              details={"version": 1, "status": S.submitted.value,
                                       "sha256": hashlib.sha256(payload.encode()).hexdigest(),
                                       **({} if author else {"writer": writer})})
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
        """Save a new version; an approved article goes back under review, approvals start again.

        New and changed sentences are checked against their cited passages and marked with who wrote them.
        """
        if answer.abstained:
            raise BadInput("an abstention cannot replace an article's answer")
        if not answer.summary.strip() and not answer.statements():
            raise BadInput("an article needs a bottom line or at least one statement")
        if any(len(t) > MAX_SENTENCE for t in [answer.summary, *(st.text for st in answer.statements())]):
            raise BadInput(f"a statement or bottom line may be at most {MAX_SENTENCE:,} characters")
        cited = set(answer.summary_citations).union(*(st.citations for st in answer.statements()))
        unknown = sorted(cited - {r.n for r in answer.references})
        if unknown:
            raise BadInput(f"citation(s) {', '.join(map(str, unknown))} name no reference of the article")
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

    def respond(self, key: str | int, actor: Actor, comment: str, *, section: str | None = None) -> None:
        """An editor's or author's answer to a reviewer's comment (on `section`), kept in the review history."""
        comment = (comment or "").strip()
        if not comment:
            raise BadInput("a response needs some text")
        with _transaction(self._conn()) as conn:
            row = self._row(conn, key)
            if row is None:
                raise ArticleNotFound(f"no article {key!r}")
            article = self._article(row)
            check(article, "edit", actor, ())  # whoever may revise the article may answer its reviewers
            self._event(conn, int(article.id or 0), article.version, actor.username, "respond", comment,
                        (section or "").strip() or None, _now())
            self.audit.append(conn, actor=actor.username, action="respond", subject=f"article:{article.slug}",
                              details={"version": article.version, "comment": comment,
                                       **({"section": section} if section else {})})

    def by_answer_key(self, answer_key: str | None) -> Article | None:
        """The article already published from this answer, if any."""
        if not answer_key:
            return None
        row = self._conn().execute(f"SELECT {_COLS} FROM articles WHERE answer_key = ?", (answer_key,)).fetchone()
        return self._article(row) if row else None

    # -- internals --------------------------------------------------------------------------------
    def _move(self, key: str | int, action: str, actor: Actor | None, *, comment: str | None = None,
              section: str | None = None, new_answer: Answer | None = None, auto_start: bool = False) -> Article:
        comment = (comment or "").strip() or None
        section = (section or "").strip() or None
        if action in ("request_changes", "reject", "retract") and not comment:
            raise BadInput(f"{action.replace('_', ' ')} needs a comment saying why")
        if actor is not None and action == "edit" and new_answer is not None:
            # Checked outside the write lock: reading passages and verifying take a while.
            current = self.get(key)
            new_answer = mark_revision(current.answer, new_answer, actor.username, self.passages)
            expected_version: int | None = current.version
        else:
            expected_version = None
        with _transaction(self._conn()) as conn:
            row = self._row(conn, key)
            if row is None:
                raise ArticleNotFound(f"no article {key!r}")
            article = self._article(row)
            if expected_version is not None and article.version != expected_version:
                raise WorkflowError(f"version {article.version} was saved meanwhile: reload and edit again")
            steps = check(article, action, actor, self._writers(conn, article.id), auto_start=auto_start)
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
                    own = [st.text for st in new_answer.statements() if st.unsupported]
                    if new_answer.summary_unsupported:
                        own.insert(0, new_answer.summary)
                    details["unsupported"] = len(own)
                if step.action == "approve":
                    done = self._approvals(conn, article.id, version)
                    if actor.username in done:
                        raise WorkflowError(f"{actor.username} has already approved version {version}")
                    done.append(actor.username)
                    details["approvals"] = f"{len(done)}/{self.approvals_required}"
                    if len(done) < self.approvals_required:
                        target = status  # still under review: more reviewers must approve
                self._event(conn, int(article.id or 0), version, actor.username, step.action,
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
    def _writers(conn: sqlite3.Connection, article_id: int | None) -> builtins.list[str]:
        rows = conn.execute("SELECT DISTINCT actor FROM article_versions WHERE article_id = ? AND actor IS NOT NULL",
                            (article_id,)).fetchall()
        return sorted(r[0] for r in rows)

    @staticmethod
    def _approvals(conn: sqlite3.Connection, article_id: int | None, version: int) -> builtins.list[str]:
        rows = conn.execute(
            "SELECT actor FROM review_events WHERE article_id = ? AND version = ? AND action = 'approve'"
            f" AND id > COALESCE((SELECT MAX(id) FROM review_events WHERE article_id = ? AND action IN"
            f" ({','.join('?' * len(RESETS_APPROVALS))})), 0) ORDER BY id",
            (article_id, version, article_id, *RESETS_APPROVALS)).fetchall()
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
        # Ids are SQLite's 64-bit integers: a longer run of digits (or '²', which str.isdigit accepts) can only
        # be a slug, never an id.
        if isinstance(key, str) and re.fullmatch(r"[0-9]{1,18}", key):
            key = int(key)
        if isinstance(key, int):
            if not 0 < key < 2**63:
                return None
            row = conn.execute(f"SELECT {_COLS} FROM articles WHERE id = ?", (key,)).fetchone()
            if row is not None:
                return row
            key = str(key)
        return conn.execute(f"SELECT {_COLS} FROM articles WHERE slug = ?", (str(key),)).fetchone()

    @staticmethod
    def _article(row: Any) -> Article:
        d = dict(zip(_ARTICLE_COLUMNS, tuple(row)))
        return Article(id=d["id"], slug=d["slug"], question=d["question"], status=S(d["status"]),
                       version=d["version"], author=d["author"], created_at=d["created_at"],
                       updated_at=d["updated_at"], answer=Answer.model_validate_json(d["answer_json"]))
