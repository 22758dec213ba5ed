"""Editing and the four-eyes rule in real headless Chromium, on a site with the default settings.

An editor publishes an answer and edits a statement in the browser; he is then offered no review action on it.
A reviewer sees the word diff (readable on a phone) and the "editor's own words" mark, and approves; the
article then names her. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DOCS, PASSWORD, QUESTION, _free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
INVENTED = "Give 10 g of intravenous calcium to every patient."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from medoracle.editorial import repository_beside
    from medoracle.editorial.users import Accounts
    from medoracle.ingest.pipeline import ingest
    from medoracle.settings import Settings
    from medoracle.store import open_store
    from medoracle.web.app import create_app

    root = tmp_path_factory.mktemp("browser-editing")
    corpus = root / "docs.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in DOCS[:1]), encoding="utf-8")
    settings = Settings(data_dir=str(root), db=str(root / "site.db"), embedder="none")
    store = open_store(settings)
    ingest([corpus], store)
    accounts = Accounts(repository_beside(store))
    accounts.add("ed", PASSWORD, "editor", display_name="Ed Itor")
    accounts.add("rita", PASSWORD, "reviewer", display_name="Rita Reviewer", credentials="MD")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _login(page, server: str, username: str, next_path: str = "/") -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("load")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_editor_edits_reviewer_sees_the_diff_and_another_person_approves(server: str, browser) -> None:
    editor = browser.new_context(viewport={"width": 1100, "height": 900})
    page = editor.new_page()
    page.set_default_timeout(60_000)
    _login(page, server, "ed")
    page.fill("#q", QUESTION)
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#turns .references li#t1-ref-1")
    page.click("text=Publish as article")
    page.wait_for_url("**/articles/*")
    slug = page.url.rsplit("/", 1)[1]

    # The editor changes a statement and adds one no source carries.
    page.goto(f"{server}/articles/{slug}/edit")
    first = page.locator("textarea[name='s0-0-text']")
    first.fill(first.input_value() + " Recheck within a month.")
    page.fill("textarea[name='s0-new-text']", INVENTED)
    page.fill("input[name='s0-new-cites']", "1")
    page.fill("#note", "tightened the first-line advice")
    _shot(page, "9-editor-edits")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_url(f"**/articles/{slug}/review")
    assert page.locator("form.action.approve").count() == 0  # he wrote it: he may not approve it
    assert "You wrote or edited this article" in page.inner_text(".actions")
    editor.close()

    # A reviewer on a phone sees exactly what changed, and the mark, before approving.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(60_000)
    _login(page, server, "rita", f"/articles/{slug}/review")
    page.wait_for_selector("section.changes")
    inserted = " ".join(page.locator("section.changes ins").all_inner_texts())
    assert "Recheck within a month." in inserted and "calcium" in inserted
    assert page.locator("section.changes .own-words").count() >= 1
    assert page.locator(".answer .own-words").count() >= 1
    assert "editor's own words" in page.inner_text(".own-words-note")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the diff wraps on a phone
    _shot(page, "10-reviewer-sees-word-diff-phone")
    page.click("form.action.approve button[type=submit]")
    page.wait_for_url(f"**/articles/{slug}")
    assert page.locator("#pending-banner").count() == 0
    assert "Reviewed by Rita Reviewer" in page.inner_text("p.board")
    phone.close()

    reader = browser.new_context()
    page = reader.new_page()
    page.goto(f"{server}/articles/{slug}")
    assert page.locator(".own-words").count() >= 1 and "Rita Reviewer" in page.inner_text("main")
    reader.close()
