"""A real server and real Chromium for the browser tests and `scripts/screenshots.py`, written once.

`serving(app)` runs uvicorn in a thread on a free loopback port; `chromium(playwright)` launches Debian's
/usr/bin/chromium headless; `login`, `ask`, `follow_up` and `publish` do what a person does on the pages.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1100, "height": 900}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 in a daemon thread; yields its base URL, stops it afterwards."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port or free_port(), log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{srv.config.port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page: Any, server: str, username: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("load")


def ask(page: Any, server: str, question: str, *, done: str = "#turns .turn .references") -> None:
    """Ask on the home page and wait until the answer (`done`) is there."""
    page.goto(server + "/")
    page.fill("#q", question)
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector(done)


def follow_up(page: Any, question: str, n: int) -> None:
    page.fill("#followup input[name=q]", question)
    page.click("#followup button[type=submit]")
    page.wait_for_selector(f"#t{n}-turn")


def publish(page: Any, on_similar: Callable[[Any], None] | None = None) -> str:
    """Publish the conversation's first answer; the article's URL. When an article on the question exists
    already (tests ask the same question), a new one is confirmed on the page that names it, after
    `on_similar(page)` has looked at that page."""
    page.click("#t1-turn form.publish button[type=submit]")
    page.wait_for_load_state()
    if page.locator("text=Publish as a new article anyway").count():
        if on_similar is not None:
            on_similar(page)
        page.click("text=Publish as a new article anyway")
    page.wait_for_url("**/articles/*")
    return str(page.url)
