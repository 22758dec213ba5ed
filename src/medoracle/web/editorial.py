"""Editorial pages: the review queue, an article's review page (with what changed, word by word), editing in the
browser with responses to requested changes, re-answering, and version history."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from medoracle.editorial.articles import ArticleNotFound, NothingChanged
from medoracle.editorial.revision import MAX_SENTENCE, changes
from medoracle.editorial.workflow import identities
from medoracle.errors import BadInput, PermissionDenied, WorkflowError
from medoracle.types import Answer, Article, ReviewEvent, Section, Statement
from medoracle.web.deps import LoginRequired, page, require_user, web_of
from medoracle.web.published import article_context, display_name, sees_drafts
from medoracle.web.view import STATUS_LABELS, answer_view, status_steps

router = APIRouter(include_in_schema=False)

ACTION_LABELS = {"approve": "Approve", "request_changes": "Request changes", "reject": "Reject",
                 "start_review": "Start review", "resubmit": "Resubmit", "retract": "Retract", "edit": "Edit",
                 "submit": "Submitted", "respond": "Response"}


@router.get("/review")
def review_queue(request: Request) -> Response:
    require_user(request, review=True)
    web = web_of(request)
    rows = [(a, len(web.desk.approvals(a.slug)), display_name(web, a.author)) for a in web.desk.queue()]
    return page(request, "review_queue.html", rows=rows, labels=STATUS_LABELS,
                approvals_required=web.desk.approvals_required)


def _baseline(request: Request, article: Article) -> tuple[int, Answer] | None:
    """The version reviewers compare with: the last approved one before this, else the one before."""
    desk = web_of(request).desk
    if article.version <= 1:
        return None
    versions = {v.version: v for v in desk.versions(article.slug)}
    earlier = [v for v in desk.approved_versions(article.slug) if v < article.version]
    number = earlier[-1] if earlier else article.version - 1
    return number, versions[number].answer


def open_requests(history: list[ReviewEvent], version: int) -> list[ReviewEvent]:
    """The changes reviewers asked for since the article last changed hands (the latest request round)."""
    start = max((i for i, e in enumerate(history) if e.action in ("edit", "resubmit", "submit")), default=0)
    return [e for e in history[start:] if e.action == "request_changes"]


def exchanges(history: list[ReviewEvent]) -> tuple[list[ReviewEvent], list[ReviewEvent]]:
    """The latest round of requested changes, and the editors' responses given since."""
    asked = [i for i, e in enumerate(history) if e.action == "request_changes"]
    if not asked:
        return [], []
    last = asked[-1]
    start = max((i for i, e in enumerate(history[:last]) if e.action in ("edit", "resubmit", "submit")), default=0)
    return ([e for e in history[start:last + 1] if e.action == "request_changes"],
            [e for e in history[last + 1:] if e.action == "respond"])


def _review_page(request: Request, slug: str, *, error: str | None = None, status: int = 200) -> Response:
    user = require_user(request, review=True)
    web = web_of(request)
    article = web.desk.get(slug)
    history = web.desk.history(slug)
    base = _baseline(request, article)
    names = {e.actor: display_name(web, e.actor) for e in history}
    requests, responses = exchanges(history)
    own_words = [st.text for st in article.answer.statements() if st.unsupported]
    if article.answer.summary_unsupported:
        own_words.insert(0, article.answer.summary)
    return page(request, "review.html", http_status=status, article=article, a=answer_view(article.answer),
                steps=status_steps(article.status), labels=STATUS_LABELS, error=error,
                allowed=web.desk.allowed_actions(article, user), history=history, names=names,
                action_labels=ACTION_LABELS, approvals_required=web.desk.approvals_required,
                changed=changes(base[1], article.answer) if base else [], baseline=base[0] if base else None,
                own_words=own_words, section_titles=_section_titles(article), requests=requests,
                responses=responses, i_wrote=bool(identities(user) & {article.author, *web.desk.writers(slug)}),
                **article_context(request, article))


def _section_titles(article: Article) -> dict[str, str]:
    return {"summary": "Bottom line", "references": "References",
            **{s.key: s.title for s in article.answer.sections}}


@router.get("/articles/{slug}/review")
def review_page(request: Request, slug: str) -> Response:
    return _review_page(request, slug)


@router.post("/articles/{slug}/review")
async def review_action(request: Request, slug: str, action: str = Form(...), comment: str = Form(""),
                        section: str = Form("")) -> Response:
    user = require_user(request, review=action != "resubmit")
    web = web_of(request)
    try:
        article = await run_in_threadpool(web.desk.act, slug, action, user, comment=comment[:5000], section=section)
    except WorkflowError as exc:  # includes PermissionDenied: show the page again with the reason
        return _review_page(request, slug, error=str(exc), status=403 if isinstance(exc, PermissionDenied) else 409)
    except ArticleNotFound:
        raise
    except BadInput as exc:
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
    try:
        await run_in_threadpool(lambda: web.desk.edit(slug, fresh.model_copy(update={"thread_id": None}), user,
                                                      note.strip()[:500] or "re-answered from current evidence",
                                                      composed=True))
    except ArticleNotFound:
        raise
    except (BadInput, WorkflowError) as exc:  # e.g. the same text again: the article stays as it was
        message = ("Re-answering from the current evidence gave exactly the current text, so nothing was saved "
                   "and the article stays as it is. To act on requested changes, edit the article."
                   if isinstance(exc, NothingChanged) else str(exc))
        return _review_page(request, slug, error=message,
                            status=403 if isinstance(exc, PermissionDenied) else 409)
    return RedirectResponse(f"/articles/{slug}/history", status_code=303)


# -- editing in the browser ---------------------------------------------------------------------------
def _edit_page(request: Request, article: Article, *, error: str | None = None, status: int = 200,
               form: dict[str, str] | None = None) -> Response:
    history = web_of(request).desk.history(article.slug)
    return page(request, "edit.html", http_status=status, article=article, answer=article.answer, error=error,
                form=form or {}, requests=open_requests(history, article.version),
                section_titles=_section_titles(article), names={e.actor: display_name(web_of(request), e.actor)
                                                                for e in history})


@router.get("/articles/{slug}/edit")
def edit_page(request: Request, slug: str) -> Response:
    user = require_user(request)
    web = web_of(request)
    article = web.desk.get(slug)
    if "edit" not in web.desk.allowed_actions(article, user):
        raise PermissionDenied(f"{user.username} ({user.role}) may not edit this article now")
    return _edit_page(request, article)


def _citations(raw: str, where: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,;]+", raw.strip().strip("[]")) if p]
    if not all(re.fullmatch(r"[0-9]{1,4}", p) for p in parts):
        raise BadInput(f"{where}: citations are reference numbers separated by commas, e.g. 1, 3")
    return list(dict.fromkeys(int(p) for p in parts))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if len(text) > MAX_SENTENCE:
        raise BadInput(f"a statement may be at most {MAX_SENTENCE:,} characters")
    return text


def _revised(article: Article, form: FormData) -> Answer:
    """The answer as the edit form describes it: unchanged sentences keep everything they had."""
    old = article.answer

    def statement(prev: Statement | None, text: str, cites: list[int]) -> Statement:
        if prev is not None and prev.text == text and prev.citations == cites:
            return prev
        same_sources = prev is not None and prev.citations == cites
        refs = {r.n: r for r in old.references}
        ids = [p for n in cites if n in refs for p in refs[n].passage_ids]
        return Statement(text=text, citations=cites, grade=prev.grade if same_sources and prev else None,
                         grade_norm=prev.grade_norm if same_sources and prev else None,
                         passage_ids=[p for p in (prev.passage_ids if prev else []) if p in ids] or ids,
                         facet=prev.facet if prev else None)

    sections = []
    for i, sec in enumerate(old.sections):
        statements = []
        for j, st in enumerate(sec.statements):
            if form.get(f"s{i}-{j}-remove"):
                continue
            text = _text(form, f"s{i}-{j}-text")
            if text:
                statements.append(statement(st, text, _citations(str(form.get(f"s{i}-{j}-cites") or ""),
                                                                 f"{sec.title}, statement {j + 1}")))
        added = _text(form, f"s{i}-new-text")
        if added:
            statements.append(statement(None, added, _citations(str(form.get(f"s{i}-new-cites") or ""),
                                                                f"{sec.title}, new statement")))
        if statements:
            sections.append(Section(key=sec.key, title=sec.title, statements=statements))
    summary = _text(form, "summary")
    summary_cites = _citations(str(form.get("summary-cites") or ""), "Bottom line")
    changed_summary = summary != old.summary or summary_cites != old.summary_citations
    return old.model_copy(update={"summary": summary, "summary_citations": summary_cites, "sections": sections,
                                  "summary_grade": None if changed_summary else old.summary_grade})


@router.post("/articles/{slug}/edit")
async def edit_save(request: Request, slug: str) -> Response:
    user = require_user(request)
    web = web_of(request)
    article = web.desk.get(slug)
    form = await request.form()
    fields: dict[str, str] = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        if str(form.get("version") or "") != str(article.version):
            raise WorkflowError(f"version {article.version} was saved meanwhile: your edit was not saved; "
                                "make it again on this version")
        revised = _revised(article, form)
        responses = [(e, _text(form, f"respond-{n}")) for n, e in enumerate(open_requests(
            web.desk.history(slug), article.version))]
        changed = revised.model_dump() != article.answer.model_dump()
        if not changed and not any(text for _, text in responses):
            raise BadInput("nothing changed: edit a statement, or answer a requested change")
        if changed:
            note = _text(form, "note")[:500] or None
            article = await run_in_threadpool(web.desk.edit, slug, revised, user, note)
        for event, text in responses:
            if text:
                await run_in_threadpool(web.desk.respond, slug, user, text, section=event.section)
    except ArticleNotFound:
        raise
    except (BadInput, WorkflowError) as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 409 if isinstance(exc, WorkflowError) else 400
        return _edit_page(request, web.desk.get(slug), error=str(exc), status=status, form=fields)
    return RedirectResponse(f"/articles/{article.slug}/review", status_code=303)


# -- history ------------------------------------------------------------------------------------------
@router.get("/articles/{slug}/history")
def history(request: Request, slug: str, a: int | None = None, b: int | None = None) -> Response:
    if not sees_drafts(request):
        raise LoginRequired("log in to read an article's review history")
    web = web_of(request)
    desk = web.desk
    article = desk.get(slug)
    versions = desk.versions(slug)
    new = b if b is not None else article.version
    old = a if a is not None else max(1, new - 1)
    diff = desk.diff(slug, old, new) if old != new else []
    events = desk.history(slug)
    names: dict[str, Any] = {name: display_name(web, name) for name in
                             {e.actor for e in events} | {v.actor or "" for v in versions}}
    return page(request, "history.html", article=article, versions=versions, events=events, names=names,
                old=old, new=new, diff=diff, action_labels=ACTION_LABELS, labels=STATUS_LABELS,
                section_titles=_section_titles(article))
