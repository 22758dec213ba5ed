"""The small site the web and browser tests run against, written once: its corpus (one sound hypertension guideline
and one hostile document whose title, source, URL and text carry `<script>` and `onerror=` payloads), a real
SQLite store holding it, and the in-process HTTP client helpers (CSRF field, login)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from medoracle.settings import Settings
from medoracle.store import Store, open_store

PASSWORD = "a long test password"
QUESTION = "What is first-line treatment for hypertension?"
DOCS = [
    {"id": "guide-htn", "title": "Managing high blood pressure in adults", "source": "Test Society of Medicine",
     "doc_type": "guideline", "published": "2019", "url": "https://example.org/htn",
     "text": "# Treatment\nFor adults with stage 1 hypertension, start a thiazide diuretic, an ACE inhibitor or a "
             "calcium-channel blocker as first-line treatment (Grade 1A). Lifestyle change, including less dietary "
             "salt and more physical activity, is recommended for every adult with hypertension.\n# Monitoring\n"
             "Confirm the diagnosis of hypertension with ambulatory blood pressure monitoring before starting "
             "treatment."},
    {"id": "hostile", "title": "Hypertension <script>window.__xss=1</script> notes",
     "source": "<img src=x onerror=\"window.__xss=2\">", "doc_type": "review", "published": "2020",
     "url": "javascript:window.__xss=3",
     "text": "# Treatment\nIn hypertension, a calcium-channel blocker is first-line treatment "
             "<script>alert('xss')</script> for many adults. <img src=x onerror=alert(2)> Thiazide diuretics "
             "lower blood pressure in hypertension."},
]


def site_store(root: Path, docs: list[dict[str, Any]] = DOCS, **settings: Any) -> tuple[Settings, Store]:
    """Settings for a site in `root` (lexical search only, `settings` on top) and its store with `docs` ingested."""
    from medoracle.ingest.pipeline import ingest

    corpus = root / "docs.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in docs), encoding="utf-8")
    config = Settings(**{"data_dir": str(root), "db": str(root / "site.db"), "embedder": "none", **settings})
    store = open_store(config)
    ingest([corpus], store)
    return config, store


def client(site: dict, base_url: str = "http://testserver") -> TestClient:
    return TestClient(site["app"], base_url=base_url, follow_redirects=False)


def csrf(c: TestClient, path: str = "/") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(c: TestClient, username: str, next_path: str = "/review") -> TestClient:
    """`c` logged in as `username` (the tests' one password), sent on to `next_path`."""
    r = c.post("/login", data={"username": username, "password": PASSWORD, "next": next_path,
                               "csrf_token": csrf(c, "/login")})
    assert r.status_code == 303 and r.headers["location"] == next_path, r.text
    return c
