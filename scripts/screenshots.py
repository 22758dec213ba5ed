"""Refresh the web screenshots in docs/ from the bundled knowledge base, in real headless Chromium.

    .venv/bin/python scripts/screenshots.py        # writes docs/article.png, docs/thread.png, …

A fresh data directory, the default embedder, one reviewer who approves the article; nothing is downloaded.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
QUESTION = "What is the management of metastatic spinal cord compression?"
FOLLOW_UP = "what about radiotherapy?"
PASSWORD = "a long screenshot password"


def main() -> int:
    import uvicorn
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
    accounts = Accounts(repository)
    accounts.add("amira", PASSWORD, "reviewer", display_name="Dr Amira Haddad", credentials="MD, Radiation Oncology",
                 disclosures="No relevant interests.")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=8765,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = "http://127.0.0.1:8765"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        asker = browser.new_context(viewport={"width": 1100, "height": 900})
        page = asker.new_page()
        page.set_default_timeout(120_000)
        page.goto(base + "/")
        page.fill("#q", QUESTION)
        page.click("#ask-form button[type=submit]")
        page.wait_for_selector("#t1-turn .references")
        page.fill("#followup input[name=q]", FOLLOW_UP)
        page.click("#followup button[type=submit]")
        page.wait_for_selector("#t2-turn")
        page.reload()
        # Where the first answer ends and the follow-up begins, both on the one page.
        page.evaluate("window.scrollTo(0, document.getElementById('t2-turn').offsetTop - 420)")
        page.screenshot(path=str(DOCS / "thread.png"))
        page.locator("#t1-turn .answer-section a.cite-link").first.click()
        page.locator("#t1-turn .answer-section a.cite-link").first.scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS / "citation.png"))
        page.click("#t1-turn form.publish button[type=submit]")
        page.wait_for_url("**/articles/*")
        article = page.url
        for name in ("amira",):  # the default site asks for one approval
            reviewer = browser.new_context(viewport={"width": 1100, "height": 900})
            rp = reviewer.new_page()
            rp.goto(base + "/login?next=" + article.replace(base, "") + "/review")
            rp.fill("#username", name)
            rp.fill("#password", PASSWORD)
            rp.click("form.login button[type=submit]")
            rp.wait_for_load_state("load")
            if name == "amira":
                rp.set_viewport_size({"width": 390, "height": 844})
                rp.goto(base + "/review")
                rp.screenshot(path=str(DOCS / "review-queue-phone.png"), full_page=True)
                rp.goto(article + "/review")
            rp.click("form.action.approve button[type=submit]")
            rp.wait_for_url(article)
            reviewer.close()
        page.goto(article)
        page.screenshot(path=str(DOCS / "article.png"), full_page=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        pp = phone.new_page()
        pp.goto(article + "?audience=patient")
        pp.locator("#summary").scroll_into_view_if_needed()  # the re-worded bottom line and what follows
        pp.screenshot(path=str(DOCS / "article-phone-patient.png"))
        browser.close()
    server.should_exit = True
    print("wrote", ", ".join(sorted(p.name for p in DOCS.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
