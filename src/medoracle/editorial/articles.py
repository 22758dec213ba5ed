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
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from medoracle.editorial.audit import AuditLog
from medoracle.editorial.records import GENESIS, AuditEntry, Version, canonical_json, entry_hash
from medoracle.editorial.repository import EditorialRepository, now
from medoracle.errors import BadInput, PermissionDenied, WorkflowError
from medoracle.settings import Settings
from medoracle.types import Answer, Article, ArticleStatus, ReviewEvent

S = ArticleStatus
REVIEWERS = frozenset({"reviewer", "editor", "admin"})
EDITORS = frozenset({"editor", "admin"})
AUTHOR = "author"  # pseudo-role: whoever submitted the article
__all__ = ["GENESIS", "TRANSITIONS", "Actor", "ArticleDesk", "ArticleNotFound", "AuditEntry", "AuditLog",
           "Transition", "Version", "answer_text", "canonical_json", "entry_hash", "slugify"]


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
    """Who acts: a `medoracle.editorial.users.User` (anything with these attributes, read-only is enough)."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def disabled(self) -> bool: ...


class ArticleNotFound(BadInput, LookupError):
    """No article has that slug or id."""


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

    def __init__(self, repository: EditorialRepository, settings: Settings | None = None) -> None:
        self.repository = repository
        self.settings = settings or Settings.load()
        self.audit = AuditLog(repository)

    @property
    def approvals_required(self) -> int:
        return int(self.settings.approvals_required)

    # -- reading ----------------------------------------------------------------------------------
    def get(self, key: str | int) -> Article:
        """An article by slug or id; raises ArticleNotFound."""
        article = self.repository.article(key)
        if article is None:
            raise ArticleNotFound(f"no article {key!r}")
        return article

    def find(self, key: str | int) -> Article | None:
        return self.repository.article(key)

    def list(self, *, status: ArticleStatus | str | Iterable[ArticleStatus | str] | None = None,
             query: str | None = None, limit: int = 50, offset: int = 0) -> builtins.list[Article]:
        """Newest first; `query` matches every word anywhere in the question, summary or statements."""
        states: builtins.list[str] = []
        if status:
            wanted = [status] if isinstance(status, (str, ArticleStatus)) else list(status)
            states = [S(s).value for s in wanted]
        words = re.findall(r"\w+", (query or "").lower())[:12]
        return self.repository.articles(statuses=states, words=words, limit=max(1, min(limit, 500)),
                                        offset=max(0, offset))

    def queue(self) -> builtins.list[Article]:
        """What reviewers have to look at, oldest first."""
        return self.repository.articles(statuses=("submitted", "under_review", "changes_requested"),
                                        limit=10_000, oldest_first=True)

    def history(self, key: str | int) -> builtins.list[ReviewEvent]:
        art = self.get(key)
        assert art.id is not None
        return self.repository.review_events(art.id)

    def versions(self, key: str | int) -> builtins.list[Version]:
        art = self.get(key)
        assert art.id is not None
        return self.repository.versions(art.id)

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
        assert art.id is not None
        with self.repository.transaction() as tx:
            return tx.approvals(art.id, art.version, _RESETS_APPROVALS)

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
        at = now()
        with self.repository.transaction() as tx:
            base, slug, n = slugify(question), slugify(question), 1
            while tx.slug_taken(slug):
                n += 1
                slug = f"{base}-{n}"
            payload = answer.model_dump_json()
            article_id = tx.insert_article(slug=slug, question=question, status=S.submitted.value, author=author,
                                           answer_json=payload, search_text=_search_text(answer), at=at)
            tx.add_version(article_id, 1, payload, answer_text(answer), author, "first version", at)
            tx.add_event(article_id, 1, author, "submit", None, None, at)
            tx.append_audit(actor=author, action="submit", subject=f"article:{slug}",
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
        with self.repository.transaction() as tx:
            # the row is locked (SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) before its state
            # is checked, so two reviewers acting at once are served one after the other
            found = tx.article(key, for_update=True)
            if found is None:
                raise ArticleNotFound(f"no article {key!r}")
            article = found
            assert article.id is not None
            steps = self._check(article, action, actor, auto_start=auto_start)
            assert actor is not None
            if section is not None:
                keys = {s.key for s in article.answer.sections} | {"summary", "references"}
                if section not in keys:
                    raise BadInput(f"article has no section {section!r}; choose one of {', '.join(sorted(keys))}")
            at, version, status = now(), article.version, article.status
            details: dict[str, Any] = {}
            for step in steps:
                target = step.target
                if step.action == "edit":
                    assert new_answer is not None
                    version += 1
                    payload = new_answer.model_dump_json()
                    tx.add_version(article.id, version, payload, answer_text(new_answer), actor.username, comment, at)
                    tx.update_article(article.id, answer_json=payload, search_text=_search_text(new_answer),
                                      version=version)
                    details["sha256"] = hashlib.sha256(payload.encode()).hexdigest()
                if step.action == "approve":
                    done = tx.approvals(article.id, version, _RESETS_APPROVALS)
                    if actor.username in done:
                        raise WorkflowError(f"{actor.username} has already approved version {version}")
                    done.append(actor.username)
                    details["approvals"] = f"{len(done)}/{self.approvals_required}"
                    if len(done) < self.approvals_required:
                        target = status  # still under review: more reviewers must approve
                tx.add_event(article.id, version, actor.username, step.action,
                             comment if step is steps[-1] else None, section if step is steps[-1] else None, at)
                tx.update_article(article.id, status=target.value, updated_at=at)
                tx.append_audit(actor=actor.username, action=step.action, subject=f"article:{article.slug}",
                                details={**details, "version": version, "from": status.value, "to": target.value,
                                         **({"comment": comment} if comment and step is steps[-1] else {}),
                                         **({"section": section} if section and step is steps[-1] else {})})
                status = target
        assert article.id is not None  # a stored article has its id
        return self.get(article.id)
