"""Editorial pages: the review queue, an article's review page, version history with diffs, re-answering."""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from medoracle.errors import BadInput, WorkflowError
from medoracle.web.deps import page, require_reader, require_user, web_of
from medoracle.web.pages import article_context
from medoracle.web.view import STATUS_LABELS, answer_view, status_steps

router = APIRouter(include_in_schema=False)

ACTION_LABELS = {"approve": "Approve", "request_changes": "Request changes", "reject": "Reject",
                 "start_review": "Start review", "resubmit": "Resubmit", "retract": "Retract", "edit": "Edit",
                 "submit": "Submitted"}


@router.get("/review")
def review_queue(request: Request) -> Response:
    require_user(request, review=True)
    desk = web_of(request).desk
    rows = [(a, len(desk.approvals(a.slug))) for a in desk.queue()]
    return page(request, "review_queue.html", rows=rows, labels=STATUS_LABELS,
                approvals_required=desk.approvals_required)


def _review_page(request: Request, slug: str, *, error: str | None = None, status: int = 200) -> Response:
    user = require_user(request, review=True)
    web = web_of(request)
    article = web.desk.get(slug)
    return page(request, "review.html", http_status=status, article=article, a=answer_view(article.answer),
                steps=status_steps(article.status), labels=STATUS_LABELS, error=error,
                allowed=web.desk.allowed_actions(article, user), history=web.desk.history(slug),
                action_labels=ACTION_LABELS, approvals_required=web.desk.approvals_required,
                section_titles={"summary": "Bottom line", "references": "References",
                                **{s.key: s.title for s in article.answer.sections}},
                **article_context(request, article))


@router.get("/articles/{slug}/review")
def review_page(request: Request, slug: str) -> Response:
    return _review_page(request, slug)


@router.post("/articles/{slug}/review")
async def review_action(request: Request, slug: str, action: str = Form(...), comment: str = Form(""),
                        section: str = Form("")) -> Response:
    user = require_user(request, review=action != "resubmit")
    web = web_of(request)
    try:
        article = await run_in_threadpool(web.desk.act, slug, action, user, comment=comment, section=section)
    except WorkflowError as exc:  # includes PermissionDenied: show the page again with the reason
        return _review_page(request, slug, error=str(exc), status=403 if type(exc).__name__ == "PermissionDenied"
                            else 409)
    except BadInput as exc:
        if type(exc).__name__ == "ArticleNotFound":
            raise
        return _review_page(request, slug, error=str(exc), status=400)
    return RedirectResponse(f"/articles/{article.slug}" if action == "approve" else f"/articles/{slug}/review",
                            status_code=303)


@router.post("/articles/{slug}/regenerate")
async def regenerate(request: Request, slug: str, note: str = Form("")) -> Response:
    """Answer the article's question again from the current evidence and save it as a new version."""
    user = require_user(request)
    web = web_of(request)
    article = web.desk.get(slug)
    fresh = await run_in_threadpool(web.asker.answer, article.question, audience=article.answer.audience,
                                    thread_id=None)
    await run_in_threadpool(web.desk.edit, slug, fresh, user, note.strip() or "re-answered from current evidence")
    return RedirectResponse(f"/articles/{slug}/history", status_code=303)


@router.get("/articles/{slug}/history")
def history(request: Request, slug: str, a: int | None = None, b: int | None = None) -> Response:
    require_reader(request)
    desk = web_of(request).desk
    article = desk.get(slug)
    versions = desk.versions(slug)
    new = b if b is not None else article.version
    old = a if a is not None else max(1, new - 1)
    diff = desk.diff(slug, old, new) if old != new else []
    return page(request, "history.html", article=article, versions=versions, events=desk.history(slug),
                old=old, new=new, diff=diff, action_labels=ACTION_LABELS, labels=STATUS_LABELS)
