"""Real headless Chromium for every browser test (one per session), skipped where it is not installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live import CHROMIUM, chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    with playwright_api.sync_playwright() as p:
        launched = chromium(p)
        yield launched
        launched.close()
