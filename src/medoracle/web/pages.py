"""Reader-facing pages: ask (with the streamed answer), publish, articles, static pages, login."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Form, Query
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from medoracle.editorial.articles import NothingChanged, SimilarArticles
from medoracle.editorial.threads import UnknownThread, earlier_numbers, thread_as_answer
from medoracle.errors import BadInput, BadQuestion, MedoracleError
from medoracle.retrieve import MAX_QUESTION_CHARS
from medoracle.types import Answer, ArticleStatus, Audience, Section
from medoracle.web.answering import THREAD_KEY, standalone
from medoracle.web.deps import (
    LoginRequired,
    audience_of,
    current_user,
    page,
    require_asker,
    require_reader,
    require_user,
    thread_owners,
    web_of,
)
from medoracle.web.published import article_context, readable, readable_among, sees_drafts, visible_states
from medoracle.web.security import csrf_token, submitter_id
from medoracle.web.view import (
    DISCLAIMERS,
    STATUS_LABELS,
    answer_view,
    article_json,
    medical_webpage_jsonld,
    parse_audience,
    sentence,
    status_steps,
)

router = APIRouter(include_in_schema=False)
AUDIENCE_COOKIE_AGE = 365 * 24 * 3600


def _remember_audience(response: Response, audience: str) -> None:
    # Not HttpOnly: the chooser's script sets the same cookie; it holds nothing secret.
    response.set_cookie("audience", audience, max_age=AUDIENCE_COOKIE_AGE, samesite="lax", path="/")


# -- ask ------------------------------------------------------------------------------------------
@router.get("/")
def ask_page(request: Request, q: str = "", thread: str = "", audience: str | None = None) -> Response:
    require_asker(request)
    desk = web_of(request).desk
    recent = desk.list(status=ArticleStatus.approved, limit=8) if web_of(request).settings.public_read else []
    response = page(request, "ask.html", question=q[:MAX_QUESTION_CHARS], thread="", recent=recent,
                    chosen=audience_of(request, audience))
    if audience:
        _remember_audience(response, parse_audience(audience).value)
    return response


@router.post("/ask")
async def ask_form(request: Request, q: str = Form(""), audience: str = Form("clinician"),
                   thread: str = Form("")) -> Response:
    """Without JavaScript: answer in one go, then show the conversation's own page at the new turn."""
    require_asker(request)
    web = web_of(request)
    chosen = parse_audience(audience).value
    thread_id = thread.strip() or None
    owners = thread_owners(request)
    if thread_id:
        web.asker.own_thread(thread_id, owners)  # 403 before any work when it is someone else's
    try:
        answer = await web.asker.in_turn(web.asker.answer, q, audience=Audience(chosen), thread_id=thread_id,
                                         owners=owners)
    except BadQuestion as exc:  # back to the form, with the question kept, rather than a bare error page
        if thread_id:
            return _thread_response(request, thread_id, http_status=422, followup_q=q,
                                    followup_error=sentence(str(exc)))
        return page(request, "ask.html", http_status=422, question=q, thread="", recent=[], chosen=chosen,
                    error=sentence(str(exc)))
    response = RedirectResponse(_turn_url(web, answer.thread_id or ""), status_code=303)
    _remember_audience(response, chosen)
    return response


def _turn_url(web: Any, thread_id: str) -> str:
    n = len(web.asker.threads.turns(thread_id))
    return f"/threads/{thread_id}#t{n}-turn"


# -- threads --------------------------------------------------------------------------------------
@router.get("/threads/{thread_id}", name="thread_page")
def thread_page(request: Request, thread_id: str, q: str = "") -> Response:
    """A conversation: every turn's question and answer in order, each answer numbered from [1].

    Read and continued by its owner only (this browser or account), whatever `public_read` says: a
    conversation may carry details of a patient; sharing is what publishing an article is for.
    """
    require_asker(request)
    return _thread_response(request, thread_id, followup_q=q[:MAX_QUESTION_CHARS])


def _thread_response(request: Request, thread_id: str, *, http_status: int = 200, followup_q: str = "",
                     followup_error: str | None = None) -> Response:
    web = web_of(request)
    try:
        thread = web.asker.own_thread(thread_id, thread_owners(request))
    except UnknownThread:
        raise StarletteHTTPException(404, "There is no conversation at this address: it may have been deleted "
                                          "after a long time without use. Ask a new question.") from None
    from medoracle.audience import tailor
    chosen = Audience(audience_of(request))

    def shown(answer: Answer) -> Answer:
        # the thread keeps the clinician text; each reader gets it worded for them (older turns as stored)
        return tailor(answer, chosen) if answer.audience is Audience.clinician else answer

    turns = [{"n": t.n, "a": answer_view(shown(t.answer)), "pfx": f"t{t.n}-", "earlier": earlier_numbers(thread, t)}
             for t in thread.turns]
    return page(request, "thread.html", http_status=http_status, thread=thread, turns=turns, chosen=chosen.value,
                followup_q=followup_q, followup_error=followup_error)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


# No max_length here: an overlong question must get the same clear message in the stream as anywhere else,
# not a 422 that EventSource can only report as a lost connection.
@router.get("/ask/stream")
def ask_stream(request: Request, q: str = Query(""),
               audience: str | None = None, thread: str = "", article: str = "") -> Response:
    """The answer as Server-Sent Events in reading order: status lines, the bottom line, each section as the
    page shows it, then the whole answer (which replaces what was streamed)."""
    require_asker(request)
    web = web_of(request)
    chosen = Audience(audience_of(request, audience))
    owners = thread_owners(request)
    # Rendered here, while the request (and its session) is at hand; the generator runs in a worker thread.
    base = {"csrf": csrf_token(request), "user": current_user(request), "pfx": "live-", "hl": 3}

    def events() -> Iterator[str]:
        try:
            thread_id = thread.strip() or None
            clinician: Answer | None = None
            if article and not thread_id:  # the follow-up box of an article starts the reader's own thread
                thread_id = web.asker.thread_for_article(readable(request, article).answer, owners[0])
            for kind, value in web.asker.stream(q, audience=chosen, thread_id=thread_id, owners=owners):
                if kind == "status":
                    yield _sse("status", {"text": str(value)})
                elif kind == "summary" and isinstance(value, Answer):
                    html = _fragment(web, "_bottom_line.html", a=answer_view(value), **base)
                    yield _sse("summary", {"html": html})
                elif kind == "section" and isinstance(value, Section):
                    html = _fragment(web, "_section.html", sec=answer_view(Answer(question=q, sections=[value]))
                                     ["sections"][0], **base)
                    yield _sse("section", {"html": html})
                elif kind == "clinician" and isinstance(value, Answer):
                    clinician = value
                elif kind == "answer" and isinstance(value, Answer):
                    key = web.asker.answers.put(value, clinician)
                    tid = value.thread_id or ""
                    n = len(web.asker.threads.turns(tid)) if tid else 1
                    html = _fragment(web, "_answer_block.html", a=answer_view(value), answer_key=key, thread=tid,
                                     turn=n, **{**base, "pfx": f"t{n}-"})
                    yield _sse("answer", {"html": html, "key": key, "thread_id": value.thread_id, "turn": n,
                                          "heading": f"t{n}-asked", "abstained": value.abstained})
        except MedoracleError as exc:
            yield _sse("problem", {"error": sentence(str(exc))})
        except Exception:  # noqa: BLE001 - the stream has started: report in-band, never hang the page
            import logging
            logging.getLogger("medoracle.web").exception("error while streaming an answer")
            yield _sse("problem", {"error": "An internal error occurred while answering; it has been logged."})
        yield _sse("done", {})

    response = StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    if audience:
        _remember_audience(response, chosen.value)
    return response


def _fragment(web: Any, name: str, **context: Any) -> str:
    return web.templates.env.get_template(name).render(**context)


# -- publish --------------------------------------------------------------------------------------
@router.post("/articles")
async def publish(request: Request, answer_key: str = Form(""), q: str = Form(""), audience: str = Form("clinician"),
                  thread: str = Form(""), turn: str = Form(""), whole: str = Form(""), create_anyway: str = Form(""),
                  into: str = Form("")) -> Response:
    """Publish one answer (by its key, or a turn of one's own thread) or a whole conversation as one article.

    When an open or approved article asks the same question, the page names it and asks: add this answer to
    it as a new version (`into`), or publish a separate article anyway (`create_anyway`).
    """
    require_asker(request)
    web = web_of(request)
    user = current_user(request)
    if user is None and not web.settings.anonymous_submissions:
        raise LoginRequired("log in to publish an article for review")
    answer: Answer | None = None
    thread_id = thread.strip()
    answer_key = answer_key.strip()[:100]
    if answer_key.startswith(THREAD_KEY):  # made here from a thread of one's own, never taken from a form
        raise BadInput("that answer key was not given by this site: publish from the conversation's page")
    # What the confirmation page posts back: the form's own fields, never a thread key made below (a thread's
    # answer is found again from the thread and turn, which the server refuses to take as a key from a form).
    fields = {"csrf_token": csrf_token(request), "answer_key": answer_key, "q": q, "audience": audience,
              "thread": thread, "turn": turn, "whole": whole}
    if thread_id and (whole or turn.strip()):
        # From the thread's own store, never from the form: the owner's stored answer is what they read.
        owned = web.asker.own_thread(thread_id, thread_owners(request))
        if whole:
            answer_key, answer = f"{THREAD_KEY}{owned.id}", thread_as_answer(owned)
        else:
            chosen_turn = next((t for t in owned.turns if str(t.n) == turn.strip()), None)
            if chosen_turn is None:
                raise BadInput(f"this conversation has no question {turn.strip()!r}")
            answer_key, answer = f"{THREAD_KEY}{owned.id}:{chosen_turn.n}", chosen_turn.answer
    existing = web.desk.by_answer_key(answer_key)
    if existing is not None:  # published already (a second click, or someone re-posting the key)
        return RedirectResponse(f"/articles/{existing.slug}", status_code=303)
    if answer is None:  # the clinician text: the article page re-words it for each reader
        answer = web.asker.answers.clinician(answer_key)
    if answer is None:
        if not q.strip():
            raise BadInput("nothing to publish: ask a question first")
        answer = await run_in_threadpool(web.asker.answer, q, audience=Audience.clinician,
                                         thread_id=thread_id or None, owners=thread_owners(request))
        # kept, so that confirming below publishes this answer rather than asking again
        fields.update(answer_key=web.asker.answers.put(answer), thread="", turn="", whole="")
    # A follow-up is published under the question it was answered as ("Spinal metastasis: and the dose?"),
    # numbered from 1 like any article.
    # Published without its thread: a reader of the article must not be able to continue the asker's thread.
    ready = standalone(answer).model_copy(update={"thread_id": None})
    question = answer.resolved_question or answer.question
    if into.strip():
        target = web.desk.get(into.strip())
        editor = require_user(request)
        try:
            await run_in_threadpool(lambda: web.desk.edit(
                target.slug, ready.model_copy(update={"question": target.question}), editor,
                f"a new answer to the same question, as asked: {question[:300]}", composed=True))
        except NothingChanged:
            return page(request, "publish_similar.html", http_status=409, question=question, fields=fields,
                        similar=[(target, False)], hidden=0, labels=STATUS_LABELS,
                        error="That article already reads exactly as this answer: there is nothing to add.")
        return RedirectResponse(f"/articles/{target.slug}/history", status_code=303)
    try:
        article = await run_in_threadpool(web.desk.publish, ready, user, question=question,
                                          submitter=None if user else submitter_id(request),
                                          answer_key=answer_key or None, create_anyway=bool(create_anyway))
    except SimilarArticles as exc:
        shown, hidden = readable_among(request, exc.articles)
        similar = [(a, "edit" in web.desk.allowed_actions(a, user)) for a in shown]
        return page(request, "publish_similar.html", http_status=409, question=question, similar=similar,
                    hidden=hidden, fields=fields, labels=STATUS_LABELS, error=None)
    return RedirectResponse(f"/articles/{article.slug}", status_code=303)


# -- articles -------------------------------------------------------------------------------------
@router.get("/articles")
def article_list(request: Request, q: str = "", status: str = "") -> Response:
    require_reader(request)
    allowed = visible_states(request)
    states = [ArticleStatus(status)] if status in ArticleStatus._value2member_map_ else allowed
    if allowed is not None and states is not None and not set(states) <= set(allowed):
        states = allowed
    articles = web_of(request).desk.list(status=states, query=q[:500], limit=100)
    return page(request, "articles.html", articles=articles, q=q, status=status, labels=STATUS_LABELS)


@router.get("/articles/{slug}.json", name="article_json")
def article_json_view(request: Request, slug: str) -> Response:
    require_reader(request)
    web = web_of(request)
    article = readable(request, slug)
    ctx = article_context(request, article)
    return JSONResponse(article_json(article, approvals=ctx["approvals"],
                                     approvals_required=web.desk.approvals_required, reviewers=ctx["reviewers"],
                                     url=ctx["url"], author=ctx["author_name"]))


@router.get("/articles/{slug}", name="article_page")
def article_page(request: Request, slug: str, audience: str | None = None) -> Response:
    require_reader(request)
    return _article_response(request, slug, audience)


def _article_response(request: Request, slug: str, audience: str | None, *, http_status: int = 200,
                      followup_q: str = "", followup_error: str | None = None) -> Response:
    web = web_of(request)
    article = readable(request, slug)
    ctx = article_context(request, article)
    shown, adapted, derived = article.answer, False, None
    chosen = audience_of(request, audience)
    if chosen != article.answer.audience.value:
        # The reviewed text is the clinician answer; other readers get the same evidence reworded. An article
        # published for a student or patient (before articles kept the clinician text) is read back to the
        # sentences of its cited passages first.
        from medoracle.audience import tailor
        from medoracle.clinician_text import clinician_text
        clinician = article.answer
        if clinician.audience is not Audience.clinician:
            derived = clinician_text(clinician)
            clinician = derived.answer
        shown, adapted = tailor(clinician, Audience(chosen)), chosen != "clinician"
    jsonld = medical_webpage_jsonld(article, url=ctx["url"], reviewers=ctx["reviewers"],
                                    reviewed_at=ctx["reviewed_at"])
    response = page(request, "article.html", article=article, a=answer_view(shown), adapted=adapted, derived=derived,
                    chosen=chosen, steps=status_steps(article.status), labels=STATUS_LABELS,
                    disclaimer=DISCLAIMERS[shown.audience.value], jsonld=jsonld,
                    can_review=bool(current_user(request) and current_user(request).can_review),  # type: ignore[union-attr]
                    approvals_required=web.desk.approvals_required, followup_q=followup_q,
                    followup_error=followup_error, http_status=http_status, show_history=sees_drafts(request),
                    **ctx)
    if audience:
        _remember_audience(response, chosen)
    return response


@router.post("/articles/{slug}/followup")
async def article_followup(request: Request, slug: str, q: str = Form(""), audience: str = Form("")) -> Response:
    """The follow-up box without JavaScript: continue the article's thread on the ask page."""
    require_asker(request)
    web = web_of(request)
    article = readable(request, slug)
    chosen = parse_audience(audience or audience_of(request)).value
    try:
        from medoracle.retrieve import check_question
        check_question(q)  # before a thread is made for the article
    except BadQuestion as exc:  # the article again, with the message by its follow-up box
        return _article_response(request, article.slug, chosen, http_status=422, followup_q=q,
                                 followup_error=sentence(str(exc)))
    owners = thread_owners(request)
    thread = await run_in_threadpool(web.asker.thread_for_article, article.answer, owners[0])
    answer = await web.asker.in_turn(web.asker.answer, q, audience=Audience(chosen), thread_id=thread,
                                     owners=owners)
    return RedirectResponse(_turn_url(web, answer.thread_id or thread), status_code=303)


# -- static pages ---------------------------------------------------------------------------------
@router.get("/policy")
def policy(request: Request) -> Response:
    return page(request, "policy.html", approvals_required=web_of(request).desk.approvals_required)


@router.get("/about")
def about(request: Request) -> Response:
    return page(request, "about.html", disclaimers=DISCLAIMERS)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
