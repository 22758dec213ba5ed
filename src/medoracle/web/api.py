"""The JSON API under /api/ (schema at /openapi.json). Errors are `{"error": message}` with a 4xx status.

Authentication: `Authorization: Bearer <token>` (`medoracle users token NAME`), or the session cookie with
an `X-CSRF-Token` header carrying the session's token. The schema lists every status each operation can
answer, the error body, both security schemes and the real limits.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from medoracle.editorial.articles import SimilarArticles
from medoracle.errors import BadInput
from medoracle.render import to_json
from medoracle.retrieve import MAX_QUESTION_CHARS
from medoracle.types import Answer, ArticleStatus, Audience, Gap
from medoracle.web.answering import THREAD_KEY
from medoracle.web.deps import (
    LoginRequired,
    current_user,
    require_asker,
    require_reader,
    require_user,
    thread_owners,
    web_of,
)
from medoracle.web.published import (
    article_context,
    canonical_url,
    display_name,
    readable,
    readable_among,
    sees_drafts,
    visible_states,
)
from medoracle.web.security import MAX_API_BYTES, submitter_id
from medoracle.web.view import article_json, article_summary_json, parse_audience

router = APIRouter(prefix="/api", tags=["api"])
MAX_COMMENT = 5000


class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, as a sentence.")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {400: "The request could not be used (the message says why).",
             401: "Log in or send a valid Bearer token (or reading/asking needs an account here).",
             403: "Not allowed: role, the four-eyes rule, or a missing X-CSRF-Token with a session cookie.",
             404: "No such article (or not one you may see).", 409: "Not possible in the article's state.",
             413: f"Request body over {MAX_API_BYTES:,} bytes.", 422: "The request does not match this schema.",
             429: "Too many requests."}
    return {c: {"model": ErrorBody, "description": words[c]} for c in codes}


_OPEN: list[dict[str, list[str]]] = [{}, {"bearer": []}, {"session": [], "csrf": []}]
_SIGNED_IN: list[dict[str, list[str]]] = [{"bearer": []}, {"session": [], "csrf": []}]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="The clinical question.", max_length=MAX_QUESTION_CHARS)
    audience: Literal["clinician", "student", "patient"] = Field("clinician", description="Who is asking.")
    thread_id: str | None = Field(None, max_length=100,
                                  description="Continue this thread (from a previous answer's thread_id).")


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str | None = Field(None, max_length=MAX_QUESTION_CHARS,
                                 description="Question to answer and publish (if no answer_key).")
    answer_key: str | None = Field(None, max_length=100,
                                   description="Key of an answer just given; the same key twice gives the same "
                                               "article.")
    audience: Literal["clinician", "student", "patient"] = "clinician"
    thread_id: str | None = Field(None, max_length=100)
    create_anyway: bool = Field(False, description="Publish even when an open or approved article asks the same "
                                                   "question (otherwise 409 names it).")


class SimilarOut(BaseModel):
    slug: str
    url: str
    question: str
    status: ArticleStatus


class SimilarBody(ErrorBody):
    similar: list[SimilarOut] = Field(description="Open or approved articles on the same question, most alike "
                                                  "first: PUT a new version to one, or publish with create_anyway.")


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "request_changes", "reject", "start_review", "resubmit", "retract"]
    comment: str | None = Field(None, max_length=MAX_COMMENT,
                                description="Required for request_changes, reject and retract.")
    section: str | None = Field(None, max_length=200, description="Section key a requested change refers to.")


class EditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Answer = Field(description="The new answer; saved as a new version. Each sentence at most 2,000 "
                                       "characters; new or changed ones are checked against their citations.")
    note: str | None = Field(None, max_length=500)


class StatementOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    text: str
    citations: list[int]
    grade: str | None = None


class SectionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str
    statements: list[StatementOut]


class AnswerOut(BaseModel):
    """The `ask --json` answer shape."""

    model_config = ConfigDict(extra="allow")
    question: str
    summary: str
    sections: list[SectionOut]
    references: list[dict[str, Any]]
    follow_ups: list[str]
    abstained: bool
    abstain_reason: str | None = Field(None, description="Why there is no answer, for an abstention.")
    gap: Gap | None = Field(None, description="For an abstention, or an answer that leaves part of the question "
                                              "out: what was looked for, what the library covers and two whole "
                                              "questions to ask instead (`rephrasings`).")


class AskResponse(AnswerOut):
    thread_id: str | None = Field(None, description="Ask a follow-up in the same thread with this.")
    answer_key: str = Field(description="Publish exactly this answer with POST /api/articles.")


class ReviewerOut(BaseModel):
    name: str
    credentials: str
    disclosures: str


class ArticleOut(BaseModel):
    slug: str
    url: str
    question: str
    status: ArticleStatus
    version: int
    author: str = Field(description="Display name of the submitter, or 'anonymous'.")
    created_at: str | None
    updated_at: str | None
    approvals: int = Field(description="Approvals of this version in the current review round.")
    approvals_required: int
    reviewers: list[ReviewerOut] = Field(description="Who approved this version (approved articles only).")
    answer: AnswerOut


class ArticleSummaryOut(BaseModel):
    slug: str
    url: str
    question: str
    status: ArticleStatus
    version: int
    updated_at: str | None
    summary: str


class ArticleList(BaseModel):
    articles: list[ArticleSummaryOut]


class EventOut(BaseModel):
    version: int
    actor: str = Field(description="Display name.")
    action: str
    comment: str | None
    section: str | None
    at: str | None


class VersionOut(BaseModel):
    version: int
    actor: str = Field(description="Display name.")
    note: str | None
    created_at: str


class HistoryOut(BaseModel):
    events: list[EventOut]
    versions: list[VersionOut]


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API token from `medoracle users token NAME`."},
    "session": {"type": "apiKey", "in": "cookie", "name": "medoracle_session",
                "description": "The web session cookie set by logging in at /login."},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
             "description": "With the session cookie, writes must carry the session's CSRF token."},
}


def _article_out(request: Request, slug: str) -> dict[str, Any]:
    web = web_of(request)
    article = readable(request, slug)
    ctx = article_context(request, article)
    return article_json(article, approvals=ctx["approvals"], approvals_required=web.desk.approvals_required,
                        reviewers=ctx["reviewers"], url=ctx["url"], author=ctx["author_name"])


@router.post("/ask", summary="Answer a question", response_model=AskResponse, openapi_extra={"security": _OPEN},
             responses=_errors(400, 401, 403, 413, 422))
async def api_ask(request: Request, body: AskRequest) -> dict[str, Any]:
    """The answer in the `ask --json` shape (plus `thread_id` to ask a follow-up, `answer_key` to publish it)."""
    require_asker(request)
    web = web_of(request)
    # A thread started here belongs to the account (or the browser session) asking; without either it is
    # open to whoever holds its id, as a cookie-less client could never continue it otherwise.
    answer, clinician = await web.asker.in_turn(web.asker.answer_both, body.question,
                                                audience=parse_audience(body.audience),
                                                thread_id=(body.thread_id or "").strip() or None,
                                                owners=thread_owners(request, browser=False))
    out = to_json(answer)  # carries thread_id, for a follow-up
    out["answer_key"] = web.asker.answers.put(answer, clinician)
    return out


@router.get("/articles", summary="List and search articles", response_model=ArticleList,
            openapi_extra={"security": _OPEN}, responses=_errors(401, 422))
def api_articles(request: Request, q: str = Query("", max_length=500), status: ArticleStatus | None = None,
                 limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9)) -> dict[str, Any]:
    """Approved (and retracted) articles; staff, or everyone when `public_drafts` is on, see every state."""
    require_reader(request)
    allowed = visible_states(request)
    if allowed is not None and status is not None and status not in allowed:
        return {"articles": []}
    articles = web_of(request).desk.list(status=status or allowed, query=q, limit=limit, offset=offset)
    return {"articles": [article_summary_json(a, canonical_url(request, f"/articles/{a.slug}")) for a in articles]}


@router.get("/articles/{slug}", summary="One article", response_model=ArticleOut, openapi_extra={"security": _OPEN},
            responses=_errors(401, 404, 422))
def api_article(request: Request, slug: str) -> dict[str, Any]:
    require_reader(request)
    return _article_out(request, slug)


@router.post("/articles", status_code=201, response_model=ArticleOut, openapi_extra={"security": _SIGNED_IN},
             summary="Publish an answer as an article (enters review)",
             responses={200: {"model": ArticleOut, "description": "This answer_key was published already: "
                                                                  "that article."},
                        **_errors(400, 401, 403, 404, 413, 422),
                        409: {"model": SimilarBody, "description": "An open or approved article asks the same "
                                                                   "question: `similar` names it (nothing was "
                                                                   "published)."}})
async def api_publish(request: Request, body: PublishRequest) -> Any:
    """Needs an account unless `anonymous_submissions` is on. One article per answer_key, whatever else is sent.
    An open or approved article on the same question is a 409 naming it, unless `create_anyway`."""
    require_asker(request)
    web = web_of(request)
    user = current_user(request)
    if user is None and not web.settings.anonymous_submissions:
        raise LoginRequired("log in or send a Bearer token to publish: every article needs an accountable author")
    if (body.answer_key or "").startswith(THREAD_KEY):  # the web's keys for a thread's turns, never a client's
        raise BadInput("that answer_key was not given by POST /api/ask")
    existing = web.desk.by_answer_key(body.answer_key)
    if existing is not None:
        return JSONResponse(_article_out(request, existing.slug), status_code=200)
    answer = web.asker.answers.clinician(body.answer_key)  # published as clinician text; readers re-word it
    if answer is None:
        if not (body.question or "").strip():
            raise BadInput("give a question, or the answer_key of an answer just given")
        answer = await run_in_threadpool(web.asker.answer, body.question or "",
                                         audience=Audience.clinician,
                                         thread_id=(body.thread_id or "").strip() or None,
                                         owners=thread_owners(request, browser=False))
    try:
        article = await run_in_threadpool(web.desk.publish, answer.model_copy(update={"thread_id": None}), user,
                                          submitter=None if user else submitter_id(request),
                                          answer_key=(body.answer_key or "").strip() or None,
                                          create_anyway=body.create_anyway)
    except SimilarArticles as exc:
        shown, hidden = readable_among(request, exc.articles)  # drafts only to those who may read them
        many = len(exc.articles) > 1
        error = str(exc) if not hidden else (
            f"{len(exc.articles)} article{'s' * many} on this question {'are' if many else 'is'} already in review"
            f" or approved ({hidden} only the editorial team can see): send create_anyway to publish a separate"
            " article")
        return JSONResponse({"error": error, "similar": [
            {"slug": a.slug, "url": canonical_url(request, f"/articles/{a.slug}"), "question": a.question,
             "status": a.status.value} for a in shown]}, status_code=409)
    return _article_out(request, article.slug)


@router.put("/articles/{slug}", summary="Replace an article's answer (new version; approved ones go back to review)",
            response_model=ArticleOut, openapi_extra={"security": _SIGNED_IN},
            responses=_errors(400, 401, 403, 404, 409, 413, 422))
async def api_edit(request: Request, slug: str, body: EditRequest) -> dict[str, Any]:
    user = require_user(request)
    await run_in_threadpool(web_of(request).desk.edit, slug, body.answer, user, body.note)
    return _article_out(request, slug)


@router.post("/articles/{slug}/reviews", summary="Approve, request changes, reject (and other workflow actions)",
             response_model=ArticleOut, openapi_extra={"security": _SIGNED_IN},
             responses=_errors(400, 401, 403, 404, 409, 413, 422))
async def api_review(request: Request, slug: str, body: ReviewRequest) -> dict[str, Any]:
    """Nobody who wrote or edited the article's text may start review on, approve, request changes to or reject it."""
    user = require_user(request)
    await run_in_threadpool(web_of(request).desk.act, slug, body.action, user, comment=body.comment,
                            section=body.section)
    return _article_out(request, slug)


@router.get("/articles/{slug}/history", summary="Review events and versions", response_model=HistoryOut,
            openapi_extra={"security": _OPEN}, responses=_errors(401, 404, 422))
def api_history(request: Request, slug: str) -> dict[str, Any]:
    """Staff (or everyone with `public_drafts`); people by display name."""
    require_reader(request)
    if not sees_drafts(request):
        readable(request, slug)  # 404 for what the reader may not see at all
        raise LoginRequired("log in to read an article's review history")
    web = web_of(request)
    desk = web.desk
    return {"events": [{"version": e.version, "actor": display_name(web, e.actor), "action": e.action,
                        "comment": e.comment, "section": e.section, "at": e.at} for e in desk.history(slug)],
            "versions": [{"version": v.version, "actor": display_name(web, v.actor), "note": v.note,
                          "created_at": v.created_at} for v in desk.versions(slug)]}
