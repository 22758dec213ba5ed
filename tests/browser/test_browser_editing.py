"""Editing and the four-eyes rule in real headless Chromium, on a site with the default settings.

An editor publishes an answer and edits a statement in the browser; he is then offered no review action on it.
A reviewer sees the word diff (readable on a phone) and the "editor's own words" mark, and approves; the
article then names her. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live import CHROMIUM, DESKTOP, PHONE, ask, publish, serving, shot
from live import login as log_in
from sites import DOCS, PASSWORD, QUESTION, site_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
INVENTED = "Give 10 g of intravenous calcium to every patient."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from medoracle.editorial import repository_beside
    from medoracle.editorial.users import Accounts
    from medoracle.web.app import create_app

    settings, store = site_store(tmp_path_factory.mktemp("browser-editing"), DOCS[:1])
    accounts = Accounts(repository_beside(store))
    accounts.add("ed", PASSWORD, "editor", display_name="Ed Itor")
    accounts.add("rita", PASSWORD, "reviewer", display_name="Rita Reviewer", credentials="MD")
    with serving(create_app(settings, store)) as url:
        yield url


def test_editor_edits_reviewer_sees_the_diff_and_another_person_approves(server: str, browser) -> None:
    editor = browser.new_context(**DESKTOP)
    page = editor.new_page()
    page.set_default_timeout(60_000)
    log_in(page, server, "ed", PASSWORD)
    ask(page, server, QUESTION, done="#turns .references li#t1-ref-1")
    slug = publish(page).rsplit("/", 1)[1]

    # The editor changes a statement and adds one no source carries.
    page.goto(f"{server}/articles/{slug}/edit")
    first = page.locator("textarea[name='s0-0-text']")
    first.fill(first.input_value() + " Recheck within a month.")
    page.fill("textarea[name='s0-new-text']", INVENTED)
    page.fill("input[name='s0-new-cites']", "1")
    page.fill("#note", "tightened the first-line advice")
    shot(page, "9-editor-edits")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_url(f"**/articles/{slug}/review")
    assert page.locator("form.action.approve").count() == 0  # he wrote it: he may not approve it
    assert "You wrote or edited this article" in page.inner_text(".actions")
    editor.close()

    # A reviewer on a phone sees exactly what changed, and the mark, before approving.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(60_000)
    log_in(page, server, "rita", PASSWORD, f"/articles/{slug}/review")
    page.wait_for_selector("section.changes")
    inserted = " ".join(page.locator("section.changes ins").all_inner_texts())
    assert "Recheck within a month." in inserted and "calcium" in inserted
    assert page.locator("section.changes .own-words").count() >= 1
    assert page.locator(".answer .own-words").count() >= 1
    assert "editor's own words" in page.inner_text(".own-words-note")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the diff wraps on a phone
    shot(page, "10-reviewer-sees-word-diff-phone")
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
