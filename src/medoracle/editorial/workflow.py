"""The editorial rules: which move each role may make from each state, and the four-eyes rule.

Pure functions over an `Article` and who acts, with no storage: `ArticleDesk` (web, API and CLI all go
through it) asks `check` before every move and `allowed` for the buttons, so there is one rule in one place.

The four-eyes rule: nobody who wrote any version of an article's text (its submitter, any editor who saved a
version, or the anonymous browser session that submitted it) may start review on, approve, request changes
to or reject it. Approvals count per version and start again after any edit, so "approved" always means that
`approvals_required` people other than its writers approved exactly the text readers see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from medoracle.errors import PermissionDenied, WorkflowError
from medoracle.types import Article, ArticleStatus

S = ArticleStatus
REVIEWERS = frozenset({"reviewer", "editor", "admin"})
EDITORS = frozenset({"editor", "admin"})
AUTHOR = "author"  # pseudo-role: whoever submitted the article
ANONYMOUS_PREFIX = "anon:"  # how an anonymous submitter's browser session is recorded as a version's writer


class Actor(Protocol):
    """Who acts: a `medoracle.editorial.records.User` (anything with these attributes)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def disabled(self) -> bool: ...

    @property
    def sessions(self) -> tuple[str, ...]:
        """Anonymous-submitter ids of the browser session the person acts from."""


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
TABLE = {(t.action, t.source): t for t in TRANSITIONS}
REVIEW_ACTIONS = ("approve", "request_changes", "reject")
FOUR_EYES = frozenset({"start_review", *REVIEW_ACTIONS})  # moves a writer of the text may never make
RESETS_APPROVALS = ("request_changes", "reject", "resubmit", "edit", "retract")
ACTIONS = ("start_review", *REVIEW_ACTIONS, "resubmit", "edit", "retract")


def anonymous_writer(session_id: str) -> str:
    """The writer recorded for an anonymous submission: a hash of the browser session's submitter id (the id
    itself stays in the cookie; the hash cannot be turned back into it)."""
    return ANONYMOUS_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()[:24]


def identities(actor: Actor) -> frozenset[str]:
    """Every name this person may have written an article under: the account and the browser's submissions."""
    return frozenset({actor.username, *(anonymous_writer(s) for s in actor.sessions)})


def _roles(actor: Actor, article: Article) -> set[str]:
    roles = {actor.role}
    if article.author and actor.username == article.author:
        roles.add(AUTHOR)
    return roles


_PHRASES = {"start_review": "start review of", "request_changes": "request changes to"}


def _words(action: str, *, on: bool = False) -> str:
    """The action in words; `on`: as a verb taking the article ("start review of", "request changes to")."""
    return _PHRASES.get(action, action.replace("_", " ")) if on else action.replace("_", " ")


def check(article: Article, action: str, actor: Actor | None, writers: Collection[str], *,
          auto_start: bool = False) -> list[Transition]:
    """The transitions `action` takes from the article's state, else WorkflowError / PermissionDenied.

    `writers` are everyone who saved a version of the article's text (usernames, or `anon:` session hashes).
    With `auto_start`, a review action on a submitted article first takes it under review.
    """
    if actor is None:
        raise PermissionDenied("log in to act on articles")
    if actor.disabled:
        raise PermissionDenied(f"account {actor.username!r} is disabled")
    steps: list[Transition] = []
    state = article.status
    if auto_start and state is S.submitted and (action, state) not in TABLE:
        steps.append(TABLE[("start_review", state)])
        state = S.under_review
    step = TABLE.get((action, state))
    if step is None:
        raise WorkflowError(f"cannot {_words(action)} an article that is {_words(article.status.value)}")
    steps.append(step)
    roles = _roles(actor, article)
    for s in steps:
        if not roles & s.roles:
            raise PermissionDenied(f"{actor.username} ({actor.role}) may not {_words(action, on=True)} this article")
        if s.action in FOUR_EYES and identities(actor) & ({article.author} | set(writers)):
            raise PermissionDenied(
                f"{actor.username} cannot {_words(action, on=True)} their own article: they wrote or edited its text,"
                " so another reviewer must review it")
    return steps


def allowed(article: Article, actor: Actor | None, writers: Collection[str]) -> list[str]:
    """The actions this actor may take on this article now (for buttons; every move is checked again)."""
    out = []
    for action in ACTIONS:
        try:
            check(article, action, actor, writers, auto_start=action in REVIEW_ACTIONS)
        except WorkflowError:
            continue
        out.append(action)
    return out
