"""Refresh the web screenshots in docs/ from the bundled knowledge base, in real headless Chromium.

    .venv/bin/python scripts/screenshots.py        # writes docs/article.png, docs/thread.png, …

A fresh data directory, the default embedder, one reviewer who approves the article; nothing is downloaded.
The server and Chromium are started, and people ask and log in, as in the browser tests (`tests/browser/live.py`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from live import DESKTOP, PHONE, ask, chromium, follow_up, login, publish, serving  # noqa: E402

QUESTION = "What is the management of metastatic spinal cord compression?"
FOLLOW_UP = "what about radiotherapy?"
ABSTAINED = "What is the treatment for lupus nephritis?"
PASSWORD = "a long screenshot password"


def main() -> int:
    from playwright.sync_api import sync_playwright

    from medoracle.editorial import open_repository
    from medoracle.editorial.users import Accounts
    from medoracle.kb.build import ensure_knowledge_base
    from medoracle.settings import Settings
    from medoracle.store import open_store
    from medoracle.web.app import create_app

    root = Path(tempfile.mkdtemp(prefix="medoracle-shots-"))
    settings = Settings(data_dir=str(root), db=str(root / "site.db"), anonymous_submissions=True)
    store = open_store(settings)
    repository = open_repository(settings)
    ensure_knowledge_base(store, settings, repository, on_progress=lambda m: print(m, file=sys.stderr))
    Accounts(repository).add("amira", PASSWORD, "reviewer", display_name="Dr Amira Haddad",
                             credentials="MD, Radiation Oncology", disclosures="No relevant interests.")
    with serving(create_app(settings, store), port=8765) as base, sync_playwright() as p:
        browser = chromium(p)
        shoot(browser, base)
        browser.close()
    print("wrote", ", ".join(sorted(p.name for p in DOCS.glob("*.png"))))
    return 0


def shoot(browser, base: str) -> None:  # noqa: ANN001 - playwright's Browser
    page = browser.new_context(**DESKTOP).new_page()
    page.set_default_timeout(120_000)
    ask(page, base, QUESTION, done="#t1-turn .references")
    follow_up(page, FOLLOW_UP, 2)
    page.reload()
    # Where the first answer ends and the follow-up begins, both on the one page.
    page.evaluate("window.scrollTo(0, document.getElementById('t2-turn').offsetTop - 420)")
    page.screenshot(path=str(DOCS / "thread.png"))
    page.locator("#t1-turn .answer-section a.cite-link").first.click()
    page.locator("#t1-turn .answer-section a.cite-link").first.scroll_into_view_if_needed()
    page.screenshot(path=str(DOCS / "citation.png"))
    article = publish(page)
    reviewer = browser.new_context(**PHONE)  # the default site asks for one approval
    rp = reviewer.new_page()
    login(rp, base, "amira", PASSWORD, "/review")
    rp.screenshot(path=str(DOCS / "review-queue-phone.png"), full_page=True)
    rp.goto(article + "/review")
    rp.click("form.action.approve button[type=submit]")
    rp.wait_for_url(article)
    reviewer.close()
    page.goto(article)
    page.screenshot(path=str(DOCS / "article.png"), full_page=True)
    phone = browser.new_context(**PHONE)
    pp = phone.new_page()
    pp.goto(article + "?audience=patient")
    pp.locator("#summary").scroll_into_view_if_needed()  # the re-worded bottom line and what follows
    pp.screenshot(path=str(DOCS / "article-phone-patient.png"))
    # An abstention says what was looked for, what the library covers and what to ask instead.
    ask(pp, base, ABSTAINED, done="#t1-turn .gap")
    pp.evaluate("window.scrollTo(0, document.querySelector('#t1-turn .gap').offsetTop - 160)")
    pp.screenshot(path=str(DOCS / "abstention-phone.png"))
    phone.close()


if __name__ == "__main__":
    raise SystemExit(main())
