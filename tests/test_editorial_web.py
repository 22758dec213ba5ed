"""The issue's findings tried again as a security tester would, on a site with the default settings: accounts to
publish, drafts for staff only, revocable sessions, throttled logins, one article per answer, routes that never
crash, and the same security headers on every response. Real SQLite, real answering, in-process HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sites import DOCS, PASSWORD, QUESTION, client, csrf, site_store
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


def login(site: dict, username: str) -> TestClient:
    return logged_in(client(site), username)


def publish(site: dict, c: TestClient, question: str = QUESTION) -> str:
    token = csrf(c)
    key = c.post("/api/ask", json={"question": question}, headers={"X-CSRF-Token": token}).json()["answer_key"]
    r = c.post("/articles", data={"answer_key": key, "csrf_token": token})
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
                                  "/audit?before=99999999999999999999999", "/api/articles?q=" + "x" * 600])
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
    slug = site["desk"].publish(answer, site["accounts"].get("ed")).slug
    site["desk"].approve(slug, site["accounts"].get("rita"))
    assert site["desk"].get(slug).answer.thread_id == private
    r = client(site).get("/ask/stream", params={"q": "and the dose?", "article": slug})
    assert private not in r.text
    assert [t.question for t in threads.turns(private)] == [QUESTION]  # nobody else's turn was added
