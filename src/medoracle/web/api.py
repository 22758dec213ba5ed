"""The JSON API under /api/ (schema at /openapi.json). Errors are `{"error": message}` with a 4xx status.

Authentication: `Authorization: Bearer <token>` (`medoracle users token NAME`), or the session cookie with
an `X-CSRF-Token` header carrying the session's token.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from medoracle.render import to_json
from medoracle.types import Answer, ArticleStatus
from medoracle.web.deps import current_user, require_asker, require_reader, require_user, web_of
from medoracle.web.pages import article_context
from medoracle.web.view import article_json, article_summary_json, parse_audience

router = APIRouter(prefix="/api", tags=["api"])


class AskRequest(BaseModel):
    question: str = Field(description="The clinical question.", max_length=4000)
    audience: Literal["clinician", "student", "patient"] = Field("clinician", description="Who is asking.")
    thread_id: str | None = Field(None, description="Continue this thread (from a previous answer's thread_id).")


class PublishRequest(BaseModel):
    question: str | None = Field(None, description="Question to answer and publish (if no answer_key).")
    answer_key: str | None = Field(None, description="Key of an answer just given by the web page's stream.")
    audience: Literal["clinician", "student", "patient"] = "clinician"
    thread_id: str | None = None


class ReviewRequest(BaseModel):
    action: Literal["approve", "request_changes", "reject", "start_review", "resubmit", "retract"]
    comment: str | None = Field(None, description="Required for request_changes, reject and retract.")
    section: str | None = Field(None, description="Section key a requested change refers to.")


class EditRequest(BaseModel):
    answer: Answer = Field(description="The new answer; saved as a new version.")
    note: str | None = None


def _article_out(request: Request, slug: str) -> dict[str, Any]:
    web = web_of(request)
    article = web.desk.get(slug)
    ctx = article_context(request, article)
    return article_json(article, approvals=ctx["approvals"], approvals_required=web.desk.approvals_required,
                        reviewers=ctx["reviewers"], url=ctx["url"])


@router.post("/ask", summary="Answer a question")
async def api_ask(request: Request, body: AskRequest) -> dict[str, Any]:
    """The answer in the `ask --json` shape (plus `thread_id` to ask a follow-up)."""
    require_asker(request)
    web = web_of(request)
    answer = await run_in_threadpool(web.asker.answer, body.question, audience=parse_audience(body.audience),
                                     thread_id=(body.thread_id or "").strip() or None)
    out = to_json(answer)  # carries thread_id, for a follow-up
    out["answer_key"] = web.asker.answers.put(answer)
    return out


@router.get("/articles", summary="List and search articles")
def api_articles(request: Request, q: str = "", status: ArticleStatus | None = None,
                 limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    require_reader(request)
    articles = web_of(request).desk.list(status=status, query=q, limit=limit, offset=offset)
    return {"articles": [article_summary_json(a, str(request.url_for("article_page", slug=a.slug)))
                         for a in articles]}


@router.get("/articles/{slug}", summary="One article")
def api_article(request: Request, slug: str) -> dict[str, Any]:
    require_reader(request)
    return _article_out(request, slug)


@router.post("/articles", status_code=201, summary="Publish an answer as an article (enters review)")
async def api_publish(request: Request, body: PublishRequest) -> dict[str, Any]:
    require_asker(request)
    web = web_of(request)
    answer = web.asker.answers.get(body.answer_key)
    if answer is None:
        if not (body.question or "").strip():
            from medoracle.errors import BadInput
            raise BadInput("give a question, or the answer_key of an answer just given")
        answer = await run_in_threadpool(web.asker.answer, body.question or "",
                                         audience=parse_audience(body.audience),
                                         thread_id=(body.thread_id or "").strip() or None)
    article = await run_in_threadpool(web.desk.publish, answer, current_user(request))
    return _article_out(request, article.slug)


@router.put("/articles/{slug}", summary="Replace an article's answer (new version; approved ones go back to review)")
async def api_edit(request: Request, slug: str, body: EditRequest) -> dict[str, Any]:
    user = require_user(request)
    await run_in_threadpool(web_of(request).desk.edit, slug, body.answer, user, body.note)
    return _article_out(request, slug)


@router.post("/articles/{slug}/reviews", summary="Approve, request changes, reject (and other workflow actions)")
async def api_review(request: Request, slug: str, body: ReviewRequest) -> dict[str, Any]:
    user = require_user(request)
    await run_in_threadpool(web_of(request).desk.act, slug, body.action, user, comment=body.comment,
                            section=body.section)
    return _article_out(request, slug)


@router.get("/articles/{slug}/history", summary="Review events and versions")
def api_history(request: Request, slug: str) -> dict[str, Any]:
    require_reader(request)
    desk = web_of(request).desk
    # Reviewers' comments are for the editorial team; readers see the versions.
    events = [e.model_dump() for e in desk.history(slug)] if current_user(request) else []
    return {"events": events,
            "versions": [{"version": v.version, "actor": v.actor, "note": v.note, "created_at": v.created_at}
                         for v in desk.versions(slug)]}
