"""What readers may see of an article: approved text to everyone, the rest to staff, and people by display name.

Drafts (submitted, under review, changes requested) and rejected articles are for the editorial team unless
`settings.public_drafts` opens them; an approved article that is being revised shows readers its last approved
version until the new one is approved. Public pages and JSON name people by display name, never by login
name, and never carry the thread an answer was asked in (anyone holding it could continue the thread).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from medoracle.editorial.articles import ArticleNotFound
from medoracle.editorial.users import User
from medoracle.editorial.workflow import anonymous_writer
from medoracle.types import Article, ArticleStatus
from medoracle.web.deps import Web, current_user, web_of
from medoracle.web.view import reviewer_view

S = ArticleStatus
PUBLIC_STATES = frozenset({S.approved, S.retracted})


def is_staff(user: User | None) -> bool:
    return bool(user and user.can_review)


def sees_drafts(request: Request) -> bool:
    return is_staff(current_user(request)) or bool(web_of(request).settings.public_drafts)


def readable(request: Request, key: str) -> Article:
    """The article as this reader may see it; ArticleNotFound (as for a missing one) when it is not theirs to see."""
    web = web_of(request)
    article = web.desk.get(key)
    if article.status in PUBLIC_STATES or sees_drafts(request):
        return article
    submitter = request.session.get("submitter") if "session" in request.scope else None
    if submitter and anonymous_writer(str(submitter)) in web.desk.writers(article.slug):
        return article  # the anonymous submitter follows their own submission
    approved = web.desk.approved_versions(article.slug)
    if approved:
        version = next(v for v in web.desk.versions(article.slug) if v.version == approved[-1])
        return article.model_copy(update={"answer": version.answer, "version": version.version,
                                          "status": S.approved})
    raise ArticleNotFound(f"no article {key!r}")


def readable_among(request: Request, articles: list[Article]) -> tuple[list[Article], int]:
    """Those of `articles` this reader may see (as they may see them), and how many others there are: a
    similar article pointed out to someone who may not read drafts is only counted, never shown."""
    shown: list[Article] = []
    for article in articles:
        try:
            shown.append(readable(request, article.slug))
        except ArticleNotFound:
            continue
    return shown, len(articles) - len(shown)


def visible_states(request: Request) -> list[ArticleStatus] | None:
    """States a reader may list (None: all)."""
    return None if sees_drafts(request) else sorted(PUBLIC_STATES, key=lambda s: s.value)


def display_name(web: Web, name: str | None) -> str:
    """How a login name is shown: the account's display name; anonymous submitters as 'anonymous'."""
    if not name or name.startswith("anon:") or name == "anonymous":
        return "anonymous"
    user = web.accounts.get(name)
    return (user.display_name or user.username) if user else name


def canonical_url(request: Request, path: str) -> str:
    """An absolute link from `settings.base_url` (or the address the server listens on), never the Host header."""
    base = web_of(request).settings.base_url or getattr(request.app.state, "listen_url", "") or "http://localhost"
    return base.rstrip("/") + path


def approvers(web: Web, article: Article) -> list[str]:
    """Who approved the version shown: the current round for the current version, else that version's round."""
    current = web.desk.get(article.slug)
    if current.version == article.version:
        return web.desk.approvals(article.slug)
    names: list[str] = []
    for e in web.desk.history(article.slug):
        if e.action == "approve" and e.version == article.version and e.actor not in names:
            names.append(e.actor)
    return names


def article_context(request: Request, article: Article) -> dict[str, Any]:
    web = web_of(request)
    approvals = approvers(web, article)
    reviewers = [reviewer_view(web.accounts.get(u), u) for u in approvals]
    url = canonical_url(request, f"/articles/{article.slug}")
    reviewed_at = next((e.at for e in reversed(web.desk.history(article.slug))
                        if e.action == "approve" and e.version == article.version), None)
    return {"approvals": approvals, "reviewers": reviewers, "url": url, "reviewed_at": reviewed_at,
            "author_name": display_name(web, article.author)}
