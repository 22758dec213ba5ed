"""Reading answers in real headless Chromium: the thread page, streaming order, citations by keyboard, phone
widths and an axe-core accessibility scan of every page.

axe-core comes from the npm registry (`make browser` puts it in .cache/axe, ignored by git) and is injected
into each page; a page passes with 0 violations.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from live import DESKTOP, PHONE, ask, follow_up, publish
from live import login as log_in
from live import shot as _shot
from playwright.sync_api import Error as PlaywrightError
from test_browser import PASSWORD, QUESTION, server

__all__ = ["server"]  # the fixture, shared with test_browser.py (one server per module)

AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""
    def luminance(css: str) -> float:
        channels = [int(x) / 255 for x in re.findall(r"\d+", css)[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _fits(page) -> bool:  # noqa: ANN001
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_thread_keeps_its_conversation_on_reload_and_back(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    ask(page, server, QUESTION)
    assert re.search(r"/threads/[0-9a-f-]+$", page.url)
    thread_url = page.url
    follow_up(page, "what about monitoring?", 2)
    assert page.url == thread_url
    assert page.locator("#turns .turn").count() == 2  # the first answer stays above the follow-up
    # Each answer numbers its own references from [1].
    assert page.locator("#t1-ref-1").count() == 1 and page.locator("#t2-ref-1").count() == 1
    page.reload()
    assert page.locator("#turns .turn").count() == 2
    assert QUESTION in page.inner_text("#t1-asked") and "monitoring" in page.inner_text("#t2-asked")
    _shot(page, "9-thread-page")
    # Back and Forward are same-document steps here (the page was pushState-d); app.js loads the page the
    # address names, so Playwright's own wait for "load" may see its navigation superseded.
    for step, path in ((page.go_back, "/"), (page.go_forward, thread_url.replace(server, ""))):
        try:
            step(wait_until="commit")
        except PlaywrightError:
            pass
        page.wait_for_function(f"location.pathname === {json.dumps(path)} && document.readyState === 'complete'")
    page.wait_for_selector("#t2-turn")
    assert page.locator("#turns .turn").count() == 2
    # Another browser cannot read or continue it.
    stranger = browser.new_context()
    other = stranger.new_page()
    response = other.goto(thread_url)
    assert response is not None and response.status == 403
    assert "another browser or account" in other.inner_text("main")
    stranger.close()
    context.close()


def test_the_bottom_line_streams_first_and_focus_lands_on_the_answer(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server + "/")
    # Record what arrives, in order, while the answer streams.
    page.evaluate("""() => {
      window.__arrived = [];
      new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
        if (n.nodeType === 1 && n.closest('.turn-live'))
          window.__arrived.push(n.classList.contains('bottom-line') ? 'bottom-line' :
                                n.classList.contains('answer-section') ? 'section' : n.className);
      }))).observe(document.getElementById('turns'), {childList: true, subtree: true});
    }""")
    page.fill("#q", QUESTION)
    page.focus("#ask-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#t1-turn")
    arrived = [a for a in page.evaluate("window.__arrived") if a in ("bottom-line", "section")]
    assert arrived and arrived[0] == "bottom-line" and set(arrived[1:]) == {"section"}, arrived
    # Keyboard and screen-reader users continue from the new answer; the live region keeps its words.
    page.wait_for_function("document.activeElement && document.activeElement.id === 't1-asked'")
    assert "Answer ready" in page.inner_text("#status")
    context.close()


def test_a_citation_opens_its_passage_by_keyboard_and_links_back(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    ask(page, server, QUESTION)
    cite = page.locator("#t1-turn .answer-section a.cite-link").first
    assert cite.get_attribute("role") == "button" and cite.get_attribute("aria-expanded") == "false"
    cite.focus()
    page.keyboard.press("Enter")
    assert cite.get_attribute("aria-expanded") == "true"
    panel = page.locator("#" + (cite.get_attribute("aria-controls") or "none"))
    assert panel.is_visible() and panel.locator(".cite-quote").first.inner_text().strip()
    assert page.url.endswith(page.url.split("#")[0].rsplit("/", 1)[1])  # Enter did not jump away
    _shot(page, "10-citation-open")
    cite.focus()
    page.keyboard.press(" ")
    assert cite.get_attribute("aria-expanded") == "false" and panel.count() == 0
    # Touch opens it too.
    phone = browser.new_context(**PHONE)
    tap = phone.new_page()
    tap.set_default_timeout(60_000)
    ask(tap, server, QUESTION)  # in its own browser: a conversation is its owner's only
    first = tap.locator("#t1-turn .answer-section a.cite-link").first
    first.tap()
    assert first.get_attribute("aria-expanded") == "true"
    phone.close()
    # The reference list says which statements cite each source, and links back to them.
    back = page.locator("#t1-ref-1 .cited-by a").first
    target = (back.get_attribute("href") or "#").lstrip("#")
    back.click()
    assert page.locator(f"[id='{target}']").count() == 1 and page.url.endswith("#" + target)
    context.close()


def test_pages_fit_a_390_px_phone(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server + "/")
    assert _fits(page), "home"
    # WCAG 1.4.11: a text field's border is at least 3:1 against the page.
    border = page.evaluate("getComputedStyle(document.getElementById('q')).borderTopColor")
    assert _contrast(border, "rgb(255, 255, 255)") >= 3, border
    ask(page, server, QUESTION)
    assert _fits(page), "answer"
    article_url = publish(page)
    assert _fits(page), "article"
    assert page.locator("nav.toc a").count() >= 3  # a table of contents on a long page
    _shot(page, "11-article-phone")
    reviewer = browser.new_context(**PHONE)
    page = reviewer.new_page()
    log_in(page, server, "rita", PASSWORD, "/review")
    page.wait_for_url("**/review")
    assert _fits(page), "review queue"
    _shot(page, "12-review-queue-phone")
    page.goto(article_url + "/review")
    assert _fits(page), "review page"
    page.goto(article_url + "/history")
    assert _fits(page), "version history"
    reviewer.close()
    context.close()


def _axe(page) -> list[dict]:  # noqa: ANN001 - in a context with bypass_csp: the site's CSP forbids injected scripts
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]


@pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: make browser (npm install into .cache/axe)")
def test_every_page_passes_an_axe_accessibility_scan(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    found: dict[str, list[dict]] = {}
    page.goto(server + "/")
    found["home"] = _axe(page)
    ask(page, server, QUESTION)
    found["answer"] = _axe(page)
    abstention = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    other = abstention.new_page()
    ask(other, server, NOT_COVERED, done="#t1-turn .gap")
    found["abstention"] = _axe(other)
    abstention.close()
    follow_up(page, "what about monitoring?", 2)
    page.reload()
    found["thread"] = _axe(page)
    article_url = publish(page, on_similar=lambda similar: found.update({"similar article": _axe(similar)}))
    found["article"] = _axe(page)
    page.locator("a.cite-link").first.click()
    found["article, citation open"] = _axe(page)
    for name, path in (("articles list", "/articles"), ("board", "/board"), ("policy", "/policy"),
                       ("about", "/about"), ("login", "/login")):
        page.goto(server + path)
        found[name] = _axe(page)
    staff = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = staff.new_page()
    log_in(page, server, "rita", PASSWORD, "/review")
    page.wait_for_url("**/review")
    found["review queue"] = _axe(page)
    page.goto(article_url + "/review")
    found["review page"] = _axe(page)
    page.goto(article_url + "/history")
    found["history"] = _axe(page)
    staff.close()
    context.close()
    problems = {name: v for name, v in found.items() if v}
    assert not problems, json.dumps(problems, indent=1)


NOT_COVERED = "What is the treatment for lupus nephritis?"


def test_an_abstention_says_what_to_ask_instead_and_one_click_asks_it(server: str, browser) -> None:  # noqa: ANN001
    for kind in (DESKTOP, PHONE):
        context = browser.new_context(**kind)
        page = context.new_page()
        page.set_default_timeout(60_000)
        ask(page, server, NOT_COVERED, done="#t1-turn .gap")
        gap = page.locator("#t1-turn .gap")
        assert "Looked for: The management of lupus nephritis." in gap.inner_text()
        tries = gap.locator("form.rephrase button")
        assert tries.count() == 2
        first = tries.first.inner_text()
        assert first.endswith("?") and first != NOT_COVERED
        assert _fits(page)
        _shot(page, f"13-abstention-{kind['viewport']['width']}")
        tries.first.click()  # streamed as the conversation's next question
        page.wait_for_selector("#t2-turn")
        assert first in page.inner_text("#t2-asked") and page.locator("#turns .turn").count() == 2
        context.close()
    # Without JavaScript the same button is a form that asks.
    context = browser.new_context(**DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server + "/")
    page.fill("#q", NOT_COVERED)
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#t1-turn .gap")
    first = page.locator("#t1-turn form.rephrase button").first.inner_text()
    page.locator("#t1-turn form.rephrase button").first.click()
    page.wait_for_selector("#t2-turn")
    assert first in page.inner_text("#t2-asked") and "/threads/" in page.url
    context.close()
