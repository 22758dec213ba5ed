"""The whole editorial flow in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

A real uvicorn server runs in a thread against a temporary SQLite database holding a tiny corpus: one sound
guideline and one hostile document full of `<script>` and `onerror=` payloads. Screenshots go to
`test-artifacts/`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live import CHROMIUM, DESKTOP, PHONE, ask, serving
from live import login as log_in
from live import shot as _shot
from sites import DOCS, PASSWORD, QUESTION, site_store

__all__ = ["DOCS", "PASSWORD", "QUESTION", "_shot", "log_in", "server"]  # shared with the other browser tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                      "(apt-get install chromium chromium-driver)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from medoracle.editorial import open_repository
    from medoracle.editorial.users import Accounts
    from medoracle.web.app import create_app

    # An open site: anyone may publish and read drafts (test_browser_editing.py runs with the defaults).
    settings, store = site_store(tmp_path_factory.mktemp("browser"), anonymous_submissions=True, public_drafts=True)
    Accounts(open_repository(settings)).add("rita", PASSWORD, "reviewer", display_name="Rita Reviewer",
                                            credentials="MD, Radiation Oncology",
                                            disclosures="No relevant interests.")
    with serving(create_app(settings, store)) as url:
        yield url


def test_ask_publish_review_approve(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(60_000)

    # Ask: the answer streams in with numbered citations.
    page.goto(server + "/")
    page.check("input[name=audience][value=clinician]")
    page.fill("#q", QUESTION)
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#turns .references li#t1-ref-1")
    assert page.locator("#turns .answer-section").count() >= 1
    assert page.locator("#turns sup.cite a").count() >= 1
    assert "/threads/" in page.url  # the conversation has its own address
    assert "audience=clinician" in page.evaluate("document.cookie")
    _shot(page, "1-streamed-answer")

    # The hostile document is cited, shown as text, and ran nothing.
    answer_text = page.inner_text("#turns")
    assert "<script>" in answer_text
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#turns img, #turns script, #turns [onerror]").count() == 0

    # Publish: the article page carries the pending-review banner and the status steps.
    page.click("text=Publish as article")
    page.wait_for_url("**/articles/*")
    article_url = page.url
    assert page.locator("#pending-banner").is_visible()
    assert page.locator("ol.steps li.current").inner_text() == "Submitted"
    page.locator("details.quote summary").first.click()
    assert page.locator("details.quote[open] blockquote").first.is_visible()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("main img, main [onerror]").count() == 0
    _shot(page, "2-article-pending-review")

    # A reviewer logs in and approves; the banner goes, the reviewer and disclosures appear. In her own browser:
    # from the one the article was submitted in she could not review it (the four-eyes rule).
    submitter = context
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(60_000)
    log_in(page, server, "rita", PASSWORD, article_url.replace(server, "") + "/review")
    page.wait_for_selector("form.action.approve")
    _shot(page, "3-review-page")
    page.click("form.action.approve button[type=submit]")
    page.wait_for_url(article_url)
    assert page.locator("#pending-banner").count() == 0
    assert page.locator("ol.steps li.current").count() == 0
    assert "Rita Reviewer" in page.inner_text("section.reviewers")
    assert "No relevant interests." in page.inner_text("section.reviewers")
    _shot(page, "4-article-approved")

    # The follow-up box continues the article's thread, streamed below it.
    page.fill("form.followup input[name=q]", "and the dose?")
    page.click("form.followup button[type=submit]")
    page.wait_for_selector("#followup-answer .answer")
    _shot(page, "5-follow-up")
    assert dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    context.close()
    submitter.close()


def test_review_pages_need_a_reviewer(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/?audience=patient")
    page.goto(server + "/review")
    assert "/login" in page.url
    context.close()


def test_blank_and_overlong_questions_are_explained_beside_the_box(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.goto(server + "/")
    page.fill("#q", "   ")
    page.click("#ask-form button[type=submit]")
    assert page.locator("#ask-form .form-error").inner_text() == "Please type a question first."
    assert page.url == server + "/" and page.evaluate("document.activeElement.id") == "q"
    # maxlength stops typing, not a paste or a script: the limit is still explained, not sent.
    page.evaluate("document.getElementById('q').value = 'What is the dose? '.repeat(280)")
    page.click("#ask-form button[type=submit]")
    assert "the limit is 2,000" in page.locator("#ask-form .form-error").inner_text()
    _shot(page, "6-blank-question")
    context.close()


def test_article_prints_its_quotes_and_fits_a_phone(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    ask(page, server, QUESTION)
    page.click("text=Publish as article")
    # Published before in this module: the page names that article and asks before making another.
    page.wait_for_selector("text=An article on this question exists")
    assert page.locator("ul.similar-articles a").count() >= 1
    page.click("text=Publish as a new article anyway")
    page.wait_for_url("**/articles/*")
    article_url = page.url
    assert not page.locator("details.quote blockquote").first.is_visible()
    page.emulate_media(media="print")
    assert page.locator("details.quote blockquote").first.is_visible()
    assert not page.locator("form.personalize").is_visible() and not page.locator("form.followup").is_visible()
    _shot(page, "7-article-print")
    page.emulate_media(media="screen")
    # Arrow keys move through the readers without reloading; "Show" shows the article for the one chosen,
    # with the keyboard back on the chooser.
    page.focus("input[name=audience][value=clinician]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.url == article_url and page.is_checked("input[name=audience][value=patient]")
    page.click("form.personalize button[type=submit]")
    page.wait_for_url("**audience=patient#personalize")
    page.wait_for_load_state("load")
    page.wait_for_function("document.activeElement && document.activeElement.value === 'patient'")
    context.close()

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(article_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "8-article-phone")
    phone.close()
