"""The web app through an in-process HTTP client, against a real SQLite file and the real answering service.

A tiny corpus is written and ingested per module: one sound guideline and one hostile document whose title,
source, URL and text carry `<script>` and `onerror=` payloads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sites import PASSWORD, QUESTION, client, csrf, login, site_store

from medoracle.editorial import open_repository
from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.users import Accounts
from medoracle.settings import Settings
from medoracle.types import ArticleStatus
from medoracle.web.app import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    # This module tries the pages as an open site: anyone may publish and read drafts. The editorial rules
    # with the defaults (accounts to publish, drafts for staff only) are tried in test_editorial_web.py.
    settings, store = site_store(tmp_path_factory.mktemp("site"), approvals_required=1,
                                 secret_key="test-secret-key-0123456789", anonymous_submissions=True,
                                 public_drafts=True)
    repository = open_repository(settings)
    accounts = Accounts(repository)
    accounts.add("rita", PASSWORD, "reviewer", display_name="Rita Reviewer", credentials="MD, Radiation Oncology",
                 disclosures="Consulting fees from a radiotherapy device maker (2023).")
    accounts.add("ed", PASSWORD, "editor", display_name="Ed Itor")
    app = create_app(settings, store)
    yield {"app": app, "settings": settings, "store": store, "accounts": accounts,
           "desk": ArticleDesk(repository, settings), "repository": repository}
    store.close()


def sse(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def stream(c: TestClient, **params: str) -> list[tuple[str, dict]]:
    r = c.get("/ask/stream", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    return sse(r.text)


def publish(site: dict, c: TestClient | None = None, question: str = QUESTION) -> str:
    c = c or client(site)
    events = stream(c, q=question, audience="clinician")
    key = next(data["key"] for kind, data in events if kind == "answer")
    # a new article each time, even for a question published before (tests/test_editorial_web.py checks that
    # a similar open article is pointed out)
    r = c.post("/articles", data={"answer_key": key, "q": question, "csrf_token": csrf(c), "create_anyway": "1"})
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_pages_render_and_the_session_cookie_is_locked_down(site: dict) -> None:
    c = client(site)
    r = c.get("/")
    assert "Which best describes you?" in r.text
    cookie = r.headers["set-cookie"].lower()
    assert "medoracle_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "/api/ask" in c.get("/openapi.json").json()["paths"]
    for path in ("/articles", "/policy", "/about", "/login"):
        assert c.get(path).status_code == 200, path


def test_every_post_form_carries_a_csrf_token(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "rita")
    for path in ("/", f"/articles/{slug}", f"/articles/{slug}/review", "/login"):
        html = c.get(path).text
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S)
        assert forms, path
        assert all('name="csrf_token"' in f for f in forms), path


def test_a_form_without_a_valid_csrf_token_is_refused(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "rita")
    for data in ({"action": "approve"}, {"action": "approve", "csrf_token": "forged"}):
        r = c.post(f"/articles/{slug}/review", data=data)
        assert r.status_code == 403
    assert site["desk"].get(slug).status is ArticleStatus.submitted
    anonymous = client(site)
    assert anonymous.post("/articles", data={"q": QUESTION}).status_code == 403
    assert anonymous.post("/login", data={"username": "rita", "password": PASSWORD}).status_code == 403


def test_streamed_answer_has_sections_citations_and_a_publish_form(site: dict) -> None:
    events = stream(client(site), q=QUESTION, audience="clinician")
    kinds = [k for k, _ in events if k != "status"]
    # Reading order: the bottom line first, then every section, then the whole answer.
    assert kinds[0] == "summary" and set(kinds[1:-2]) == {"section"} and kinds[-2:] == ["answer", "done"]
    assert "Bottom line" in events[[k for k, _ in events].index("summary")][1]["html"]
    answer = dict(events)["answer"]
    assert answer["thread_id"] and not answer["abstained"] and answer["turn"] == 1
    assert 'href="#t1-ref-1"' in answer["html"] and 'id="t1-ref-1"' in answer["html"]
    assert 'id="t1-asked"' in answer["html"] and answer["heading"] == "t1-asked"
    assert "Publish as article" in answer["html"] and answer["key"] in answer["html"]


def test_stream_reports_a_bad_question_in_band(site: dict) -> None:
    events = stream(client(site), q="   ")
    assert events[0][0] == "problem" and events[0][1]["error"]
    assert events[-1][0] == "done"


def test_article_page_has_every_part_of_the_example(site: dict) -> None:
    slug = publish(site)
    html = client(site).get(f"/articles/{slug}").text
    assert f"<h1>{QUESTION}</h1>" in html
    assert "Educational purpose only • content pending human review" in html
    assert re.search(r'<li class="step current" aria-current="step">Submitted</li>', html)
    assert "Last updated:" in html and 'href="/policy"' in html
    assert "Bottom line" in html and 'href="#ref-1"' in html and 'id="ref-1"' in html
    assert "<details class=\"quote\">" in html and "Test Society of Medicine" in html and "2019" in html
    assert 'class="grade' in html and "Grade 1A" in html
    assert "Professional medical disclaimer" in html
    assert "Have a follow-up question?" in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "MedicalWebPage" and ld["name"] == QUESTION and ld["citation"]
    assert "reviewedBy" not in ld


class _Tags(HTMLParser):
    """Every element a browser would build from the page, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def injected(html: str) -> list[tuple[str, dict]]:
    """Elements that could run code: scripts other than ours and the JSON-LD block, event-handler attributes,
    javascript: links, and any <img> (our templates have none)."""
    parser = _Tags()
    parser.feed(html)
    bad = []
    for tag, attrs in parser.tags:
        if tag == "script" and attrs not in ({"src": "/static/app.js", "defer": None},
                                             {"type": "application/ld+json"}):
            bad.append((tag, attrs))
        elif tag == "img" or any(k.startswith("on") for k in attrs):
            bad.append((tag, attrs))
        elif any((v or "").strip().lower().startswith("javascript:") for v in attrs.values()):
            bad.append((tag, attrs))
    return bad


def test_hostile_document_text_is_escaped_everywhere(site: dict) -> None:
    slug = publish(site)
    c = client(site)
    page = c.get(f"/articles/{slug}").text
    assert "hostile" in json.dumps(c.get(f"/articles/{slug}.json").json())  # the hostile source was cited
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=" in page  # shown as text, not markup
    assert injected(page) == []
    ld_block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in ld_block and "javascript:" not in ld_block  # `</script>` in a title cannot end the block
    events = stream(c, q=QUESTION)
    assert all(injected(data.get("html", "")) == [] for _, data in events)
    assert "&lt;script&gt;" in dict(events)["answer"]["html"]


def test_reviewer_approves_and_the_banner_goes(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "rita")
    queue = c.get("/review").text
    assert f"/articles/{slug}/review" in queue
    r = c.post(f"/articles/{slug}/review", data={"action": "approve", "comment": "Checked",
                                                 "csrf_token": csrf(c, f"/articles/{slug}/review")})
    assert r.status_code == 303
    html = client(site).get(f"/articles/{slug}").text
    assert "content pending human review" not in html
    assert "Rita Reviewer" in html and "MD, Radiation Oncology" in html and "Consulting fees" in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["reviewedBy"][0]["name"] == "Rita Reviewer" and ld["lastReviewed"]
    assert site["desk"].audit.verify_chain() == (True, None)


def test_reviewer_cannot_approve_their_own_article(site: dict) -> None:
    c = login(client(site), "rita")
    slug = publish(site, c)
    assert site["desk"].get(slug).author == "rita"
    r = c.post(f"/articles/{slug}/review", data={"action": "approve", "csrf_token": csrf(c, f"/articles/{slug}")})
    assert r.status_code == 403 and "own article" in r.text
    token = site["accounts"].issue_token("rita")
    r = client(site).post(f"/api/articles/{slug}/reviews", json={"action": "approve"},
                          headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "own article" in r.json()["error"]
    assert site["desk"].get(slug).status is ArticleStatus.submitted


def test_patient_visitor_cannot_reach_review_pages(site: dict) -> None:
    slug = publish(site)
    c = client(site)
    c.get("/?audience=patient")
    assert c.cookies.get("audience") == "patient"
    for path in ("/review", f"/articles/{slug}/review"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    r = c.post(f"/articles/{slug}/review", data={"action": "approve", "csrf_token": csrf(c)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = c.post(f"/api/articles/{slug}/reviews", json={"action": "approve"})
    assert r.status_code == 401 and "error" in r.json()
    assert site["desk"].get(slug).status is ArticleStatus.submitted


def test_editor_role_checks_and_request_changes_on_a_section(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "rita")
    token = csrf(c, f"/articles/{slug}/review")
    r = c.post(f"/articles/{slug}/review", data={"action": "retract", "comment": "no", "csrf_token": token})
    assert r.status_code == 403  # reviewers cannot retract
    r = c.post(f"/articles/{slug}/review", data={"action": "request_changes", "section": "first_line",
                                                 "comment": "Name the drug classes' doses", "csrf_token": token})
    assert r.status_code == 303
    page = c.get(f"/articles/{slug}/review").text
    assert "Changes requested" in page and "first_line" in page and "Name the drug classes&#39; doses" in page
    r = c.post(f"/articles/{slug}/review", data={"action": "approve", "csrf_token": token})
    assert r.status_code == 409


def test_api_ask_publish_and_review_with_a_bearer_token(site: dict) -> None:
    c = client(site)
    r = c.post("/api/ask", json={"question": QUESTION, "audience": "clinician"})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == QUESTION and body["references"] and body["thread_id"]
    assert all(isinstance(n, int) for s in body["sections"] for st in s["statements"] for n in st["citations"])
    follow = c.post("/api/ask", json={"question": "and the dose?", "thread_id": body["thread_id"]}).json()
    assert follow["thread_id"] == body["thread_id"]
    r = c.post("/api/articles", json={"answer_key": body["answer_key"], "create_anyway": True})
    assert r.status_code == 201
    slug = r.json()["slug"]
    assert c.get("/api/articles", params={"q": "hypertension"}).json()["articles"][0]["slug"]
    token = site["accounts"].issue_token("ed")
    auth = {"Authorization": f"Bearer {token}"}
    r = c.post(f"/api/articles/{slug}/reviews", json={"action": "approve"}, headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["reviewers"][0]["name"] == "Ed Itor"
    r = c.post(f"/api/articles/{slug}/reviews", json={"action": "approve"}, headers=auth)
    assert r.status_code == 409 and "error" in r.json()
    r = c.post(f"/api/articles/{slug}/reviews", json={"action": "bless"}, headers=auth)
    assert r.status_code == 422 and "error" in r.json()
    r = c.post(f"/api/articles/{slug}/reviews", json={"action": "approve"},
               headers={"Authorization": "Bearer mo_wrong"})
    assert r.status_code == 401


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000, "?!?!"])
def test_api_bad_questions_get_a_4xx_with_a_message(site: dict, question: str) -> None:
    r = client(site).post("/api/ask", json={"question": question})
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]


def test_session_api_writes_need_the_csrf_header(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "ed")
    assert c.post(f"/api/articles/{slug}/reviews", json={"action": "approve"}).status_code == 403
    r = c.post(f"/api/articles/{slug}/reviews", json={"action": "approve"},
               headers={"X-CSRF-Token": csrf(c, "/articles")})
    assert r.status_code == 200 and r.json()["status"] == "approved"


def test_one_url_serves_html_and_json(site: dict) -> None:
    slug = publish(site)
    c = client(site)
    as_json = c.get(f"/articles/{slug}.json").json()
    assert as_json == c.get(f"/api/articles/{slug}").json()
    assert as_json["status"] == "submitted" and as_json["answer"]["references"][0]["n"] == 1
    assert c.get("/articles/no-such-thing.json").json() == {"error": "no article 'no-such-thing'"}
    assert c.get("/articles/no-such-thing").status_code == 404


def test_edit_makes_a_version_and_history_shows_the_diff(site: dict) -> None:
    slug = publish(site)
    desk, ed = site["desk"], site["accounts"].get("ed")
    desk.approve(slug, site["accounts"].get("rita"))
    changed = desk.get(slug).answer.model_copy(update={"summary": "A revised bottom line for review."})
    assert desk.edit(slug, changed, ed, note="tightened").status is ArticleStatus.under_review
    html = client(site).get(f"/articles/{slug}/history").text
    assert "Changes from version 1 to version 2" in html
    assert re.search(r'<span class="add">\+.*A revised bottom line for review', html)
    assert "content pending human review" in client(site).get(f"/articles/{slug}").text


def test_audience_choice_is_remembered_and_used(site: dict) -> None:
    c = client(site)
    c.get("/?audience=patient")
    answer = dict(stream(c, q=QUESTION))["answer"]
    assert 'name="audience" value="patient"' in answer["html"]
    slug = publish(site)
    html = c.get(f"/articles/{slug}").text
    assert "Reworded automatically for a patient or caregiver" in html and 'value="patient" checked' in html


def test_followup_from_an_article_continues_its_thread(site: dict) -> None:
    from medoracle.editorial.threads import ThreadStore

    slug = publish(site)
    answer = dict(stream(client(site), q="and the dose?", article=slug))["answer"]
    turns = ThreadStore(site["repository"]).turns(answer["thread_id"])
    assert [t.question for t in turns] == [QUESTION, "and the dose?"]


def test_login_failures_and_safe_redirects(site: dict) -> None:
    c = client(site)
    r = c.post("/login", data={"username": "rita", "password": "wrong password", "csrf_token": csrf(c, "/login")})
    assert r.status_code == 401 and "Wrong username or password" in r.text
    r = c.post("/login", data={"username": "rita", "password": PASSWORD, "next": "//evil.example/",
                               "csrf_token": csrf(c, "/login")})
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = c.post("/logout", data={"csrf_token": csrf(c)})
    assert r.status_code == 303 and c.get("/review").status_code == 303


def test_reading_can_require_an_account(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), db=str(tmp_path / "closed.db"), embedder="none",
                        public_read=False, public_ask=False)
    c = TestClient(create_app(settings), follow_redirects=False)
    assert c.get("/articles").status_code == 303
    assert c.get("/api/articles").status_code == 401
    assert c.post("/api/ask", json={"question": QUESTION}).status_code == 401
    # the session key lives in the database every server shares, not in a file beside it
    assert not (tmp_path / "secret_key").exists()
    assert len(open_repository(settings).setting("session_key") or "") >= 48


def test_pages_work_without_javascript(site: dict) -> None:
    c = client(site)
    r = c.post("/ask", data={"q": QUESTION, "audience": "student", "csrf_token": csrf(c)})
    # The answer is shown on the conversation's own page, at its turn: reload and Back keep it.
    assert r.status_code == 303 and re.fullmatch(r"/threads/[0-9a-f-]+#t1-turn", r.headers["location"])
    thread_url = r.headers["location"].split("#")[0]
    r = c.get(thread_url)
    assert r.status_code == 200 and 'id="t1-ref-1"' in r.text and "Publish as article" in r.text
    assert c.cookies.get("audience") == "student"
    thread = thread_url.rsplit("/", 1)[1]
    r = c.post("/articles", data={"thread": thread, "turn": "1", "csrf_token": csrf(c), "create_anyway": "1"})
    slug = r.headers["location"].rsplit("/", 1)[1]
    # Published as the clinician text the student's answer was worded from: every reader can have it re-worded.
    assert site["desk"].get(slug).answer.audience.value == "clinician"
    assert "Reworded automatically for a medical student" in c.get(f"/articles/{slug}").text
    again = c.post("/articles", data={"thread": thread, "turn": "1", "csrf_token": csrf(c)})
    assert again.headers["location"].endswith(slug)  # a second click publishes nothing new
    # A follow-up without JavaScript adds a turn under the first: both stay on the page, each from [1].
    r = c.post("/ask", data={"q": "what about monitoring?", "thread": thread, "csrf_token": csrf(c)})
    assert r.status_code == 303 and r.headers["location"].endswith("#t2-turn")
    page_html = c.get(thread_url).text
    assert 'id="t1-turn"' in page_html and 'id="t2-turn"' in page_html
    assert 'id="t1-ref-1"' in page_html and 'id="t2-ref-1"' in page_html
    r = c.post(f"/articles/{slug}/followup", data={"q": "and the dose?", "csrf_token": csrf(c)})
    assert r.status_code == 303 and r.headers["location"].startswith("/threads/")
    assert not r.headers["location"].startswith(thread_url)  # the reader's own thread, not the asker's
    # A refused question comes back on the ask form, kept, with the reason beside it.
    r = c.post("/ask", data={"q": "", "csrf_token": csrf(c)})
    assert r.status_code == 422 and 'id="ask-error"' in r.text and "The question is empty." in r.text
    assert 'id="ask-form"' in r.text


def test_editors_re_answer_and_edit_through_the_api(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "ed")
    composed = site["desk"].get(slug).answer.summary
    # Re-answering from the same evidence gives the same text: nothing is saved, and the page says so (a
    # request for changes must not look handled by a version with no differences).
    r = c.post(f"/articles/{slug}/regenerate", data={"note": "new evidence", "csrf_token": csrf(c)})
    assert r.status_code == 409 and "gave exactly the current text" in r.text
    assert site["desk"].get(slug).version == 1
    token = site["accounts"].issue_token("ed")
    answer = site["desk"].get(slug).answer.model_copy(update={"summary": "Edited bottom line."})
    r = client(site).put(f"/api/articles/{slug}", json={"answer": json.loads(answer.model_dump_json()),
                                                         "note": "api edit"},
                         headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert r.json()["answer"]["summary"] == "Edited bottom line."
    again = client(site).put(f"/api/articles/{slug}", json={"answer": json.loads(answer.model_dump_json())},
                             headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 400 and "nothing changed" in again.json()["error"]
    # Re-answered over an edited text: the composed answer again, as a new version.
    r = c.post(f"/articles/{slug}/regenerate", data={"note": "back to the sources", "csrf_token": csrf(c)})
    assert r.status_code == 303 and site["desk"].get(slug).version == 3
    assert site["desk"].get(slug).answer.summary == composed
    assert client(site).get(f"/api/articles/{slug}").json()["version"] == 3
    assert client(site).put(f"/api/articles/{slug}", json={"answer": {}}).status_code in (401, 422)
    public = client(site).get(f"/api/articles/{slug}/history").json()  # public_drafts opens the history
    assert [v["version"] for v in public["versions"]] == [1, 2, 3]
    assert [v["actor"] for v in public["versions"]] == ["anonymous", "Ed Itor", "Ed Itor"]  # never login names
    assert [e["action"] for e in public["events"]][:1] == ["submit"]


# -- found by walking through the README as a new user ------------------------------------------------


def test_an_overlong_question_is_explained_not_dropped(site: dict) -> None:
    c = client(site)
    long_question = "What is first-line treatment for hypertension? " * 110  # about 5,000 characters
    events = stream(c, q=long_question)  # was a bare 422, which EventSource shows as a lost connection
    assert events[0][0] == "problem" and "the limit is 2,000" in events[0][1]["error"]
    assert events[0][1]["error"][0].isupper() and events[-1][0] == "done"
    r = c.post("/ask", data={"q": long_question, "csrf_token": csrf(c)})
    assert r.status_code == 422 and "the limit is 2,000" in r.text
    assert long_question.strip()[:200] in r.text  # the reader's text is still in the box to shorten


def test_a_blank_follow_up_on_an_article_is_answered_on_the_article(site: dict) -> None:
    slug = publish(site)
    c = client(site)
    r = c.post(f"/articles/{slug}/followup", data={"q": "   ", "csrf_token": csrf(c, f"/articles/{slug}")})
    assert r.status_code == 422 and 'id="followup-error"' in r.text and "The question is empty." in r.text
    assert f"<h1>{QUESTION}</h1>" in r.text


def test_patient_page_calls_the_bottom_line_what_it_means_for_you(site: dict) -> None:
    slug = publish(site)
    html = client(site).get(f"/articles/{slug}?audience=patient").text
    assert '<h2 id="summary-h">What this means for you</h2>' in html and ">Bottom line</h2>" not in html
    assert f'href="/articles/{slug}?audience=clinician#personalize"' in html  # back to the reviewed text
    assert 'action="/articles/' + slug + '#personalize"' in html


def test_approved_article_names_its_reviewers_at_the_top(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "rita")
    c.post(f"/articles/{slug}/review", data={"action": "approve", "csrf_token": csrf(c, f"/articles/{slug}/review")})
    html = client(site).get(f"/articles/{slug}").text
    top = html[:html.index('class="personalize"')]
    assert 'class="approved-by"' in top and "Rita Reviewer" in top and 'href="#reviewers"' in top
    assert 'id="reviewers"' in html


def test_published_follow_up_is_titled_by_its_resolved_question_and_numbered_from_one(site: dict) -> None:
    c = client(site)
    first = dict(stream(c, q=QUESTION))["answer"]
    follow = dict(stream(c, q="what about monitoring?", thread=first["thread_id"]))["answer"]
    answer = site["app"].state.web.asker.answers.get(follow["key"])
    assert answer is not None and not answer.abstained and answer.resolved_question
    r = c.post("/articles", data={"answer_key": follow["key"], "csrf_token": csrf(c), "create_anyway": "1"})
    article = site["desk"].get(r.headers["location"].rsplit("/", 1)[1])
    assert article.question == answer.resolved_question
    assert [ref.n for ref in article.answer.references] == list(range(1, len(article.answer.references) + 1))


def test_standalone_renumbers_references_and_their_citations() -> None:
    from medoracle.types import Answer, Reference, Section, Statement
    from medoracle.web.answering import standalone

    answer = Answer(question="and the dose?", summary="Dose.", summary_citations=[15],
                    sections=[Section(key="dose", title="Dose", statements=[Statement(text="A.", citations=[16, 15])])],
                    references=[Reference(n=16, doc_id="b", title="B"), Reference(n=15, doc_id="a", title="A")])
    out = standalone(answer)
    assert [(r.n, r.doc_id) for r in out.references] == [(1, "a"), (2, "b")]
    assert out.summary_citations == [1] and out.sections[0].statements[0].citations == [2, 1]
    assert answer.summary_citations == [15]  # the cached answer is left as it was


def test_failed_login_keeps_the_username_and_every_error_reads_as_a_sentence(site: dict) -> None:
    c = client(site)
    r = c.post("/login", data={"username": "rita", "password": "nope", "csrf_token": csrf(c, "/login")})
    assert r.status_code == 401 and 'value="rita"' in r.text
    r = c.get("/articles/no-such-article")
    assert r.status_code == 404 and re.search(r'class="error-message">[A-Z][^<]*no-such-article[^<]*\.</p>', r.text)
    assert c.get("/static/favicon.svg").status_code == 200


def test_review_page_shows_the_requested_change_and_who_acts_next(site: dict) -> None:
    slug = publish(site)
    c = login(client(site), "rita")
    section = site["desk"].get(slug).answer.sections[0]
    r = c.post(f"/articles/{slug}/review", data={"action": "request_changes", "section": section.key,
                                                 "comment": "Add the blood pressure target.",
                                                 "csrf_token": csrf(c, f"/articles/{slug}/review")})
    assert r.status_code == 303
    html = c.get(f"/articles/{slug}/review").text
    banner = re.search(r'<div class="banner pending changes-asked".*?</div>', html, re.S).group(0)
    assert "Add the blood pressure target." in banner and f'href="#sec-{section.key}"' in banner
    assert section.title in banner and f'id="sec-{section.key}"' in html
    assert "Waiting for the author or an editor" in html  # a reviewer has nothing to do until it is resubmitted


def test_only_its_owner_reads_or_continues_a_thread(site: dict) -> None:
    owner, other = client(site), client(site)
    r = owner.post("/ask", data={"q": QUESTION, "csrf_token": csrf(owner)})
    url = r.headers["location"].split("#")[0]
    thread = url.rsplit("/", 1)[1]
    assert owner.get(url).status_code == 200
    r = other.get(url)
    assert r.status_code == 403 and "another browser or account" in r.text
    r = other.post("/ask", data={"q": "and the dose?", "thread": thread, "csrf_token": csrf(other)})
    assert r.status_code == 403
    events = stream(other, q="and the dose?", thread=thread)
    assert events[0][0] == "problem" and "another browser" in events[0][1]["error"]
    r = other.post("/articles", data={"thread": thread, "turn": "1", "csrf_token": csrf(other)})
    assert r.status_code == 403
    assert len(site["app"].state.web.asker.threads.turns(thread)) == 1  # nothing was added
    assert other.get("/threads/no-such-thread").status_code == 404


def test_a_whole_conversation_publishes_as_one_article_numbered_from_one(site: dict) -> None:
    c = client(site)
    url = c.post("/ask", data={"q": QUESTION, "csrf_token": csrf(c)}).headers["location"].split("#")[0]
    thread = url.rsplit("/", 1)[1]
    c.post("/ask", data={"q": "what about monitoring?", "thread": thread, "csrf_token": csrf(c)})
    assert "Publish the conversation as one article" in c.get(url).text
    r = c.post("/articles", data={"thread": thread, "whole": "1", "csrf_token": csrf(c), "create_anyway": "1"})
    article = site["desk"].get(r.headers["location"].rsplit("/", 1)[1])
    refs = [ref.n for ref in article.answer.references]
    assert refs == list(range(1, len(refs) + 1))
    cited = {n for st in article.answer.statements() for n in st.citations} | set(article.answer.summary_citations)
    assert cited <= set(refs)
    turns = site["app"].state.web.asker.threads.turns(thread)
    assert not turns[1].answer.abstained
    assert any(sec.title.startswith("Follow-up: ") for sec in article.answer.sections)



def test_suggestion_chips_are_links_that_fill_the_box_without_javascript(site: dict) -> None:
    c = client(site)
    url = c.post("/ask", data={"q": QUESTION, "csrf_token": csrf(c)}).headers["location"].split("#")[0]
    html = c.get(url).text
    chips = re.findall(r'<a class="chip" data-fill="[^"]*" href="([^"]+)"', html)
    assert chips and all(h.startswith(url.replace("http://testserver", "") + "?q=") for h in chips)
    target = chips[0].replace("&amp;", "&")
    question = target.split("?q=", 1)[1].split("#")[0]
    from urllib.parse import unquote_plus
    assert f'value="{unquote_plus(question)}"' in c.get(target.split("#")[0]).text  # the follow-up box, filled
    slug = publish(site)
    assert re.search(r'<a class="chip" data-fill="[^"]*" href="/\?q=', client(site).get(f"/articles/{slug}").text)


@pytest.mark.parametrize("published_for", ["student", "patient"])
def test_an_older_article_published_for_a_student_or_patient_is_reworded_from_its_sources(
        site: dict, published_for: str) -> None:
    import sqlite3

    from medoracle.audience import tailor
    from medoracle.types import Audience

    asker = site["app"].state.web.asker
    clinician = asker.answer(QUESTION, audience=Audience.clinician, thread_id=None)
    article = site["desk"].publish(tailor(clinician, published_for).model_copy(update={"thread_id": None}),
                                   site["accounts"].get("rita"), question=f"An older {published_for} article?")
    # The row as an older medoracle wrote it: without the keys added since (a gap, a card's plain text).
    with sqlite3.connect(site["settings"].db) as db:
        old = json.loads(db.execute("SELECT answer_json FROM articles WHERE slug = ?", (article.slug,)).fetchone()[0])
        old.pop("gap", None)
        for sec in old["sections"]:
            for st in sec["statements"]:
                st.pop("plain", None)
        db.execute("UPDATE articles SET answer_json = ? WHERE slug = ?", (json.dumps(old), article.slug))
    stored = site["desk"].get(article.slug).answer
    assert stored.audience.value == published_for
    quotes = html_text(" ".join(q for r in stored.references for q in r.quotes))
    c = client(site)
    for chosen in ("clinician", "student", "patient"):
        html = c.get(f"/articles/{article.slug}?audience={chosen}").text
        shown = [html_text(t) for t in re.findall(r'<li class="statement" id="[^"]+">([^<]*)', html)]
        if chosen == published_for:  # the reviewed text itself, as published
            assert 'id="derived-note"' not in html and shown == [st.text for st in stored.statements()]
            continue
        assert 'id="derived-note"' in html and "read back from the sources it cites" in html
        if chosen == "clinician":
            # Each statement is the sentence of a cited passage it was worded from: traceable word for word.
            assert shown and all(t in quotes for t in shown), shown
            if published_for == "student":  # nothing was left out of a student's page: all of it comes back
                assert shown == [st.text for st in clinician.statements()]
        else:
            assert shown != [st.text for st in stored.statements()]  # re-worded, not the published wording


def html_text(text: str) -> str:
    from html import unescape
    return " ".join(unescape(text).split())


def test_an_abstention_offers_two_rephrasings_that_ask_without_javascript(site: dict) -> None:
    c = client(site)
    question = "What is the treatment for lupus nephritis?"
    r = c.post("/ask", data={"q": question, "csrf_token": csrf(c)})
    thread_url = r.headers["location"].split("#")[0]
    html = c.get(thread_url).text
    assert "No answer" in html and "Looked for:</strong> The management of lupus nephritis." in html
    assert "The library holds 2 documents: 1 guideline and 1 review." in html
    forms = re.findall(r'<form method="post" action="/ask" class="rephrase">(.*?)</form>', html, re.S)
    assert len(forms) == 2
    asks = [re.search(r'name="q" value="([^"]+)"', f).group(1) for f in forms]
    assert question not in asks and all(a.endswith("?") and "_" not in a for a in asks)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', forms[0]))
    assert fields["thread"] == thread_url.rsplit("/", 1)[1] and fields["csrf_token"]
    # The first one, posted as the browser would without a script: a new turn of the same conversation.
    r = c.post("/ask", data=fields)
    assert r.status_code == 303 and r.headers["location"] == thread_url + "#t2-turn"
    assert f"<span>You asked</span> {asks[0]}" in c.get(thread_url).text
    # The JSON API carries the same, and its schema documents the field.
    body = c.post("/api/ask", json={"question": question}).json()
    assert body["abstained"] and body["gap"]["looked_for"] == "the management of lupus nephritis"
    assert body["gap"]["rephrasings"] == asks and body["gap"]["library"].startswith("The library holds 2")
    schema = c.get("/openapi.json").json()["components"]["schemas"]
    assert "rephrasings" in schema["Gap"]["properties"] and "gap" in schema["AnswerOut"]["properties"]
    assert "two whole questions" in str(schema["AnswerOut"]["properties"]["gap"])
    # An answer that covers the question has no gap.
    assert client(site).post("/api/ask", json={"question": QUESTION}).json()["gap"] is None
