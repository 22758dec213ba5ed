"""The issue's findings tried again as a security tester would, on a site with the default settings: accounts to
publish, drafts for staff only, revocable sessions, throttled logins, one article per answer, routes that never
crash, and the same security headers on every response. Real SQLite, real answering, in-process HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sites import DOCS, PASSWORD, QUESTION, csrf, site_store
from sites import client as site_client
from sites import login as logged_in

from medoracle.editorial import repository_beside
from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.users import Accounts
from medoracle.settings import Settings
from medoracle.types import ArticleStatus
from medoracle.web.app import create_app

S = ArticleStatus


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    settings, store = site_store(tmp_path_factory.mktemp("editorial"), DOCS[:1],
                                 secret_key="editorial-test-key-0123456789", base_url="https://answers.example.org")
    accounts = Accounts(repository_beside(store))
    accounts.add("rita", PASSWORD, "reviewer", display_name="Rita Reviewer", credentials="MD",
                 disclosures="None.")
    accounts.add("rob", PASSWORD, "reviewer", display_name="Rob Second")
    accounts.add("ed", PASSWORD, "editor", display_name="Ed Itor")
    accounts.add("victim", PASSWORD, "reviewer", display_name="Vic Tim")
    app = create_app(settings, store)
    yield {"app": app, "settings": settings, "store": store, "accounts": accounts,
           "desk": ArticleDesk(repository_beside(store), settings, passages=store)}
    store.close()


def client(site: dict) -> TestClient:
    # https: the site's base_url is https, so its session cookie is Secure and is sent over https only
    return site_client(site, base_url="https://testserver")


def login(site: dict, username: str) -> TestClient:
    return logged_in(client(site), username)


def publish(site: dict, c: TestClient, question: str = QUESTION) -> str:
    token = csrf(c)
    key = c.post("/api/ask", json={"question": question}, headers={"X-CSRF-Token": token}).json()["answer_key"]
    # a new article each time: these tests review one article each (pointing out similar ones is tested below)
    r = c.post("/articles", data={"answer_key": key, "csrf_token": token, "create_anyway": "1"})
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


# -- publishing --------------------------------------------------------------------------------------------
def test_publishing_needs_an_account_and_one_answer_makes_one_article(site: dict) -> None:
    anonymous = client(site)
    key = anonymous.post("/api/ask", json={"question": QUESTION}).json()["answer_key"]
    r = anonymous.post("/articles", data={"answer_key": key, "csrf_token": csrf(anonymous)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = anonymous.post("/api/articles", json={"answer_key": key})
    assert r.status_code == 401 and "accountable author" in r.json()["error"]
    ed = login(site, "ed")
    token = {"Authorization": f"Bearer {site['accounts'].issue_token('ed')}"}
    first = client(site).post("/api/articles", json={"answer_key": key}, headers=token)
    assert first.status_code == 201
    again = [client(site).post("/api/articles", json={"answer_key": key}, headers=token) for _ in range(5)]
    assert {r.status_code for r in again} == {200} and {r.json()["slug"] for r in again} == {first.json()["slug"]}
    r = ed.post("/articles", data={"answer_key": key, "csrf_token": csrf(ed)})
    assert r.headers["location"] == f"/articles/{first.json()['slug']}"


def _form_fields(page_html: str, marker: str) -> dict[str, str]:
    """The hidden fields of the form on the page that carries `marker` (e.g. name="create_anyway")."""
    import html

    form = next(f for f in re.findall(r"<form.*?</form>", page_html, re.S) if marker in f)
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}


def test_a_similar_open_article_is_pointed_out_before_another_is_made(site: dict) -> None:
    ed, rita = login(site, "ed"), login(site, "rita")
    first = "Which drug should be started for stage 1 hypertension?"
    reworded = "stage 1 hypertension: which drug to start"

    def ask(c: TestClient, question: str) -> str:
        return c.post("/api/ask", json={"question": question}, headers={"X-CSRF-Token": csrf(c)}).json()["answer_key"]

    r = ed.post("/articles", data={"answer_key": ask(ed, first), "csrf_token": csrf(ed)})
    assert r.status_code == 303
    original = r.headers["location"].rsplit("/", 1)[1]
    # A reviewer publishing the same question, worded otherwise: the page names the article, nothing is made.
    r = rita.post("/articles", data={"answer_key": ask(rita, reworded), "csrf_token": csrf(rita)})
    assert r.status_code == 409 and f'href="/articles/{original}"' in r.text and "Submitted" in r.text
    assert "Publish as a new article anyway" in r.text
    assert "as a new version" not in r.text  # a reviewer may not edit someone else's article
    assert len(site["desk"].similar(reworded)) == 1
    # An editor may add the answer to the existing article instead: a new version, no new article ...
    r = ed.post("/articles", data={"answer_key": ask(ed, reworded), "csrf_token": csrf(ed)})
    assert r.status_code == 409
    add = _form_fields(r.text, 'name="into"')
    assert add["into"] == original
    r = ed.post("/articles", data=add)  # ... though not when it reads exactly as the article already does
    assert r.status_code == 409 and "there is nothing to add" in r.text
    assert site["desk"].get(original).version == 1
    edited = site["desk"].get(original).answer.model_copy(update={"summary": "An editor's shorter bottom line."})
    site["desk"].edit(original, edited, site["accounts"].get("ed"))
    r = ed.post("/articles", data=add)
    assert r.status_code == 303 and r.headers["location"] == f"/articles/{original}/history"
    article = site["desk"].get(original)
    assert article.version == 3 and article.answer.summary != edited.summary
    assert article.question == first and len(site["desk"].similar(reworded)) == 1
    # Confirmed as a different article: made once, however often the form is sent again.
    r = rita.post("/articles", data={"answer_key": ask(rita, reworded), "csrf_token": csrf(rita)})
    anyway = _form_fields(r.text, 'name="create_anyway"')
    made = rita.post("/articles", data=anyway)
    assert made.status_code == 303 and not made.headers["location"].endswith(original)
    again = [rita.post("/articles", data=anyway).headers["location"] for _ in range(3)]
    assert set(again) == {made.headers["location"]}
    assert len(site["desk"].similar(reworded)) == 2
    # The API: 409 naming the articles, unless the client says to create anyway; one article per answer_key.
    api = client(site)
    token = {"Authorization": f"Bearer {site['accounts'].issue_token('rob')}"}
    key = api.post("/api/ask", json={"question": "Stage 1 hypertension - which drug do I start?"},
                   headers=token).json()["answer_key"]
    r = api.post("/api/articles", json={"answer_key": key}, headers=token)
    assert r.status_code == 409 and original in r.json()["error"]
    assert [a["slug"] for a in r.json()["similar"]][0] == original
    assert r.json()["similar"][0]["url"] == f"https://answers.example.org/articles/{original}"
    created = api.post("/api/articles", json={"answer_key": key, "create_anyway": True}, headers=token)
    assert created.status_code == 201
    repeats = [api.post("/api/articles", json={"answer_key": key, "create_anyway": True}, headers=token)
               for _ in range(3)] + [api.post("/api/articles", json={"answer_key": key}, headers=token)]
    assert {x.status_code for x in repeats} == {200} and {x.json()["slug"] for x in repeats} == {created.json()["slug"]}
    assert len(site["desk"].similar(reworded)) == 3
    # A thread's keys are made by the server from the asker's own thread: posted by a client they could claim
    # another's conversation before its owner publishes it.
    forged = "thread:00000000-0000-0000-0000-000000000000:1"
    assert api.post("/api/articles", json={"answer_key": forged, "question": first}, headers=token).status_code == 400
    assert rita.post("/articles", data={"answer_key": forged, "q": first, "csrf_token": csrf(rita)}).status_code == 400


# -- visibility --------------------------------------------------------------------------------------------
def test_drafts_and_history_are_for_staff_and_public_json_names_no_logins(site: dict) -> None:
    ed = login(site, "ed")
    slug = publish(site, ed)
    anonymous = client(site)
    for path in (f"/articles/{slug}", f"/articles/{slug}.json", f"/api/articles/{slug}"):
        assert anonymous.get(path).status_code == 404, path
    assert anonymous.get(f"/articles/{slug}/history").status_code == 303  # to the login form
    assert anonymous.get(f"/api/articles/{slug}/history").status_code == 404
    assert slug not in anonymous.get("/articles").text
    assert slug not in json.dumps(anonymous.get("/api/articles").json())
    assert anonymous.get("/api/articles", params={"status": "submitted"}).json() == {"articles": []}
    assert ed.get(f"/articles/{slug}").status_code == 200  # staff see it
    rita = login(site, "rita")
    rita.post(f"/articles/{slug}/review",
              data={"action": "approve", "csrf_token": csrf(rita, f"/articles/{slug}/review")})
    body = anonymous.get(f"/api/articles/{slug}").json()
    text = json.dumps(body)
    assert body["status"] == "approved" and body["author"] == "Ed Itor"
    assert body["reviewers"][0]["name"] == "Rita Reviewer"
    assert '"rita"' not in text and '"ed"' not in text and "thread_id" not in text
    assert body["url"] == f"https://answers.example.org/articles/{slug}"  # from base_url, not the Host header
    page = anonymous.get(f"/articles/{slug}", headers={"Host": "evil.example"}).text
    assert "evil.example" not in page and f"https://answers.example.org/articles/{slug}" in page
    assert "Reviewed by Rita Reviewer" in page and "Not yet reviewed" not in page


def test_an_approved_article_under_revision_shows_readers_the_approved_text(site: dict) -> None:
    ed = login(site, "ed")
    slug = publish(site, ed, "What is first-line treatment for stage 1 hypertension?")
    site["desk"].approve(slug, site["accounts"].get("rita"))
    approved_summary = site["desk"].get(slug).answer.summary
    changed = site["desk"].get(slug).answer.model_copy(update={"summary": "A draft bottom line not yet reviewed."})
    site["desk"].edit(slug, changed, site["accounts"].get("ed"))
    body = client(site).get(f"/api/articles/{slug}").json()
    assert body["status"] == "approved" and body["version"] == 1 and body["answer"]["summary"] == approved_summary
    assert "draft bottom line" not in client(site).get(f"/articles/{slug}").text
    assert "draft bottom line" in ed.get(f"/articles/{slug}").text


# -- sessions ----------------------------------------------------------------------------------------------
def test_requested_changes_are_acted_on_by_editing_not_by_an_identical_re_answer(site: dict) -> None:
    import html

    ed, rita = login(site, "ed"), login(site, "rita")
    slug = publish(site, ed)
    section = site["desk"].get(slug).answer.sections[0]
    r = rita.post(f"/articles/{slug}/review", data={"action": "request_changes", "section": section.key,
                                                    "comment": "Name the blood pressure target.",
                                                    "csrf_token": csrf(rita, f"/articles/{slug}/review")})
    assert r.status_code == 303 and site["desk"].get(slug).status is S.changes_requested
    # Re-answering from the same evidence gives the same text: nothing saved, the request still open.
    r = ed.post(f"/articles/{slug}/regenerate", data={"csrf_token": csrf(ed, f"/articles/{slug}/review")})
    assert r.status_code == 409 and "nothing was saved" in r.text
    assert (site["desk"].get(slug).status, site["desk"].get(slug).version) == (S.changes_requested, 1)
    # The editor edits the section and answers the request in the browser; the reviewer reads both.
    page = ed.get(f"/articles/{slug}/edit")
    assert page.status_code == 200 and "Name the blood pressure target." in page.text
    fields = dict(re.findall(r'name="([^"]+)"(?: [^>]*)? value="([^"]*)"', page.text))
    fields.update({k: html.unescape(v) for k, v in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>',
                                                              page.text)})
    fields = {k: v for k, v in fields.items() if not k.endswith("-remove")}
    fields["s0-0-text"] = fields["s0-0-text"] + " Aim for a clinic reading below 140/90 mmHg."
    fields["respond-0"] = "Added the target to the first statement."
    r = ed.post(f"/articles/{slug}/edit", data=fields)
    assert r.status_code == 303, r.text[:500]
    article = site["desk"].get(slug)
    assert (article.status, article.version) == (S.submitted, 2)
    review = rita.get(f"/articles/{slug}/review").text
    assert "Added the target to the first statement." in review and "140/90" in review
    assert "own words" in review  # the target is in no cited passage: marked, for the reviewer to judge


def test_logout_disable_password_and_role_changes_end_saved_sessions(site: dict) -> None:
    accounts = site["accounts"]
    for end in ("logout", "disable", "password", "role"):
        c = login(site, "victim")
        saved = dict(c.cookies)
        assert c.get("/review").status_code == 200
        if end == "logout":
            assert c.post("/logout", data={"csrf_token": csrf(c)}).status_code == 303
        elif end == "disable":
            accounts.disable("victim")
            accounts.enable("victim")  # re-enabling must not revive old cookies
        elif end == "password":
            accounts.set_password("victim", PASSWORD)
        else:
            accounts.update_profile("victim", role="editor")
            accounts.update_profile("victim", role="reviewer")
        replay = client(site)
        replay.cookies.update(saved)
        r = replay.get("/review")
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), end


def test_cookie_is_secure_off_loopback_and_sessions_expire_when_idle(site: dict, tmp_path) -> None:
    settings = Settings(data_dir=str(tmp_path), db=str(tmp_path / "s.db"), embedder="none",
                        secret_key="another-test-key-0123456789")
    public = TestClient(create_app(settings, host="0.0.0.0", port=8000))
    assert "secure" in public.get("/").headers["set-cookie"].lower()
    local = TestClient(create_app(settings, host="127.0.0.1", port=8000))
    assert "secure" not in local.get("/").headers["set-cookie"].lower()
    forced = Settings(data_dir=str(tmp_path), db=str(tmp_path / "s.db"), embedder="none", secure_cookies="on",
                      secret_key="another-test-key-0123456789")
    assert "secure" in TestClient(create_app(forced)).get("/").headers["set-cookie"].lower()
    # Behind a TLS proxy on the same host: served on loopback, but the public address is https.
    proxied = Settings(data_dir=str(tmp_path), db=str(tmp_path / "s.db"), embedder="none",
                       base_url="https://answers.example.org", secret_key="another-test-key-0123456789")
    assert "secure" in TestClient(create_app(proxied, host="127.0.0.1", port=8000)).get("/").headers[
        "set-cookie"].lower()
    # `serve --workers N`: each worker builds its app without the address, so the parent decides as one would
    from medoracle.ops_cli import worker_environment
    assert worker_environment(settings, "0.0.0.0", 8000)["MEDORACLE_SECURE_COOKIES"] == "on"
    assert worker_environment(settings, "127.0.0.1", 8000)["MEDORACLE_SECURE_COOKIES"] == "off"
    assert worker_environment(proxied, "127.0.0.1", 8000)["MEDORACLE_SECURE_COOKIES"] == "on"
    assert Settings().session_idle_minutes <= 60  # was 14 days


# -- login throttling --------------------------------------------------------------------------------------
def test_failed_logins_are_throttled_and_audited(site: dict) -> None:
    c = client(site)
    token = csrf(c, "/login")
    codes = [c.post("/login", data={"username": "rob", "password": "wrong guess", "csrf_token": token}).status_code
             for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    r = c.post("/login", data={"username": "rob", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # even the right password waits
    assert "Too many failed logins" in r.text
    failures = [e for e in site["desk"].audit.entries(subject="user:rob") if e.action == "login_failed"]
    assert len(failures) == 5 and failures[0].details["client"]  # throttled attempts cost no hashing, no entry
    assert site["desk"].audit.verify_chain() == (True, None)
    other = login(site, "rita")  # another account from the same address is not locked out
    assert other.get("/review").status_code == 200


# -- robust routes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/articles/%C2%B2", "/articles/%C2%B2.json", "/articles/%C2%B2/history",
                                  "/api/articles/%C2%B2", "/api/articles/%C2%B2/history",
                                  "/articles/99999999999999999999", "/api/articles/99999999999999999999",
                                  "/articles/-1", "/articles/0",
                                  "/api/articles?offset=99999999999999999999", "/api/articles?limit=0",
                                  "/articles/x/history?a=99999999999999999999&b=1", "/nope", "/articles/%00",
                                  "/audit?before=99999999999999999999999", "/audit?before=%C2%B2", "/threads/%C2%B2",
                                  "/articles/%C2%B2/review", "/articles/%C2%B2/edit", "/api/articles?status=nonsense",
                                  "/api/articles?q=" + "x" * 600])
def test_no_path_or_query_value_is_a_server_error(site: dict, path: str) -> None:
    for c in (client(site), login(site, "ed")):
        r = c.get(path)
        assert 400 <= r.status_code < 500 or r.status_code in (200, 303), (path, r.status_code)
        assert r.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in r.headers


def test_a_crash_still_carries_the_security_headers(site: dict) -> None:
    from fastapi import APIRouter

    app = create_app(site["settings"], site["store"])
    boom = APIRouter()

    @boom.get("/api/boom")
    def explode() -> None:
        raise RuntimeError("a bug")

    app.include_router(boom)
    r = TestClient(app, raise_server_exceptions=False).get("/api/boom")
    assert r.status_code == 500 and r.json() == {"error": "An internal error occurred; it has been logged."}
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors" in r.headers["content-security-policy"]


def test_api_bodies_are_capped(site: dict) -> None:
    token = {"Authorization": f"Bearer {site['accounts'].issue_token('ed')}"}
    ed = login(site, "ed")
    slug = publish(site, ed, "What is the first-line treatment of hypertension in adults?")
    answer = site["desk"].get(slug).answer.model_dump(mode="json")
    answer["sections"][0]["statements"][0]["text"] = "x" * 5_000_000
    r = client(site).put(f"/api/articles/{slug}", json={"answer": answer}, headers=token)
    assert r.status_code == 413 and "too large" in r.json()["error"]
    answer["sections"][0]["statements"][0]["text"] = "word " * 1000  # under the body cap, over a sentence's
    r = client(site).put(f"/api/articles/{slug}", json={"answer": answer}, headers=token)
    assert r.status_code == 400 and "2,000" in r.json()["error"]
    assert site["desk"].get(slug).version == 1


# -- board and audit ---------------------------------------------------------------------------------------
def test_board_lists_real_reviewers_and_staff_read_the_audit_log(site: dict) -> None:
    html = client(site).get("/board").text
    assert "Rita Reviewer" in html and "MD" in html and "Declared interests" in html
    assert client(site).get("/audit").status_code == 303
    page = login(site, "rita").get("/audit").text
    assert "Chain intact" in page and "login" in page


def test_openapi_tells_the_truth(site: dict) -> None:
    schema = client(site).get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "session", "csrf"}
    ask = schema["paths"]["/api/ask"]["post"]
    assert {"400", "401", "403", "413", "422"} <= set(ask["responses"])
    assert ask["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    body = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert body["maxLength"] == 2000
    review = schema["paths"]["/api/articles/{slug}/reviews"]["post"]
    assert {"401", "403", "404", "409"} <= set(review["responses"])
    assert {"bearer": []} in review["security"]
    publish = schema["paths"]["/api/articles"]["post"]
    assert publish["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/SimilarBody")
    assert "create_anyway" in schema["components"]["schemas"]["PublishRequest"]["properties"]


def test_an_idle_or_old_session_is_refused_even_with_a_valid_signature(site: dict) -> None:
    import base64
    import time

    import itsdangerous

    signer = itsdangerous.TimestampSigner(site["settings"].secret_key)
    now = int(time.time())
    user = site["accounts"].get("rita")

    def cookie(**session: object) -> str:
        payload = {"user": "rita", "sv": user.session_version, "csrf": "x", **session}
        return signer.sign(base64.b64encode(json.dumps(payload).encode())).decode()

    fresh, idle, old = (cookie(since=now, seen=now), cookie(since=now, seen=now - 2 * 3600),
                        cookie(since=now - 13 * 3600, seen=now))
    for value, ok in ((fresh, True), (idle, False), (old, False)):
        c = client(site)
        c.cookies.set("medoracle_session", value)
        assert (c.get("/review").status_code == 200) is ok


def test_cli_logout_ends_every_session(site: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from medoracle.cli import main

    c = login(site, "victim")
    assert c.get("/review").status_code == 200
    monkeypatch.setenv("MEDORACLE_DATA_DIR", site["settings"].data_dir)
    assert main(["users", "logout", "victim", "--db", site["settings"].db]) == 0
    assert c.get("/review").status_code == 303


def test_a_reader_never_continues_the_askers_thread(site: dict) -> None:
    from medoracle.editorial import repository_beside
    from medoracle.editorial.threads import ThreadStore

    threads = ThreadStore(repository_beside(site["store"]))
    ed = login(site, "ed")
    token = csrf(ed)
    asked = ed.post("/api/ask", json={"question": QUESTION}, headers={"X-CSRF-Token": token}).json()
    private = asked["thread_id"]
    # An article as older versions stored it: with the asker's thread id inside its answer.
    answer = site["app"].state.web.asker.answers.get(asked["answer_key"])
    slug = site["desk"].publish(answer, site["accounts"].get("ed"), create_anyway=True).slug
    site["desk"].approve(slug, site["accounts"].get("rita"))
    assert site["desk"].get(slug).answer.thread_id == private
    r = client(site).get("/ask/stream", params={"q": "and the dose?", "article": slug})
    assert private not in r.text
    assert [t.question for t in threads.turns(private)] == [QUESTION]  # nobody else's turn was added
