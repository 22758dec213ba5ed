"""Two `medoracle serve` processes (separate data directories) sharing one PostgreSQL database.

Published on one, reviewed on the other; logged in on one, out on the other; a thread continued across
them; twenty reviewers at once through both; the audit chain verifies; nothing editorial on local disk.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testdata import CLINICAL_DOCS, pg_url

httpx = pytest.importorskip("httpx")

PASSWORD = "long enough pw"
QUESTION = "How is metastatic spinal cord compression managed?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, data_dir: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "MEDORACLE_DATA_DIR": str(data_dir), "MEDORACLE_EMBEDDER": "none",
           "MEDORACLE_APPROVALS_REQUIRED": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "medoracle.cli", "serve", "--db", url, "--port", str(port),
                             *(extra or [])], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start in 90 s")


@pytest.fixture
def deployment(pg_schema: str, tmp_path: Path) -> Iterator[dict]:
    from medoracle.editorial import open_repository
    from medoracle.editorial.users import Accounts
    from medoracle.ingest.pipeline import ingest
    from medoracle.store import open_store

    url = pg_url(pg_schema)
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in CLINICAL_DOCS) + "\n")
    store = open_store(url)
    ingest([corpus], store)
    store.close()
    accounts = Accounts(open_repository(url))
    tokens = {}
    for name, role in [("ed", "editor"), *[(f"rev{i}", "reviewer") for i in range(20)]]:
        accounts.add(name, PASSWORD, role)
        tokens[name] = accounts.issue_token(name)
    dirs = [tmp_path / "host-a", tmp_path / "host-b"]
    servers = [_start(url, d) for d in dirs]
    yield {"url": url, "tokens": tokens, "a": servers[0][1], "b": servers[1][1], "dirs": dirs}
    for proc, _ in servers:
        proc.terminate()
        proc.wait(timeout=30)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _publish(base: str, token: str, question: str) -> str:
    asked = httpx.post(f"{base}/api/ask", json={"question": question}, timeout=60)
    assert asked.status_code == 200, asked.text
    made = httpx.post(f"{base}/api/articles", json={"answer_key": asked.json()["answer_key"]},
                      headers=_auth(token), timeout=60)
    assert made.status_code == 201, made.text
    return str(made.json()["slug"])


def test_two_servers_share_every_piece_of_state(deployment: dict) -> None:
    a, b, tokens = deployment["a"], deployment["b"], deployment["tokens"]

    # publish on A, review and approve on B (and A): one article, one review history
    slug = _publish(a, tokens["ed"], QUESTION)
    # drafts are visible to the editorial team only (public_drafts is off)
    assert httpx.get(f"{b}/api/articles/{slug}", headers=_auth(tokens["rev0"])).json()["status"] == "submitted"
    first = httpx.post(f"{b}/api/articles/{slug}/reviews", json={"action": "approve"}, headers=_auth(tokens["rev0"]))
    assert first.status_code == 200 and first.json()["status"] == "under_review"
    second = httpx.post(f"{a}/api/articles/{slug}/reviews", json={"action": "approve"},
                        headers=_auth(tokens["rev1"]))
    assert second.json()["status"] == "approved"

    # a thread started on A continues on B
    asked = httpx.post(f"{a}/api/ask", json={"question": QUESTION}, timeout=60).json()
    follow = httpx.post(f"{b}/api/ask", json={"question": "and the dose of dexamethasone?",
                                                "thread_id": asked["thread_id"]}, timeout=60)
    assert follow.status_code == 200, follow.text
    assert follow.json()["thread_id"] == asked["thread_id"]

    # log in on A, act as that user on B, log out on B: A no longer knows the browser either
    with httpx.Client(follow_redirects=False) as browser:
        form = browser.get(f"{a}/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        done = browser.post(f"{a}/login", data={"username": "rev2", "password": PASSWORD, "next": "/review",
                                                "csrf_token": csrf})
        assert done.status_code == 303
        assert browser.get(f"{b}/review").status_code == 200  # B accepts A's session cookie
        page = browser.get(f"{b}/review").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert browser.post(f"{b}/logout", data={"csrf_token": csrf}).status_code == 303
        assert browser.get(f"{a}/review").status_code == 303  # back to the login page

    # nothing editorial was written to either host's data directory
    for d in deployment["dirs"]:
        local = [p.name for p in d.rglob("*") if p.is_file()] if d.exists() else []
        assert not [n for n in local if n.endswith((".db", "-wal")) or n == "secret_key"], local


def test_twenty_reviewers_through_both_servers(deployment: dict) -> None:
    a, b, tokens = deployment["a"], deployment["b"], deployment["tokens"]
    slugs = [_publish(a if i % 2 else b, tokens["ed"], f"{QUESTION} (case {i})") for i in range(3)]
    results: list[int] = []

    def review(i: int) -> None:
        base = a if i % 2 else b
        for slug in slugs:
            r = httpx.post(f"{base}/api/articles/{slug}/reviews", json={"action": "approve"},
                           headers=_auth(tokens[f"rev{i}"]), timeout=60)
            results.append(r.status_code)

    workers = [threading.Thread(target=review, args=(i,)) for i in range(20)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert 500 not in results and 503 not in results
    assert results.count(200) >= 2 * len(slugs)  # after approval, further approvals are refused (409)
    for slug in slugs:
        history = httpx.get(f"{a}/api/articles/{slug}/history", headers=_auth(tokens["ed"])).json()["events"]
        approvals = [e for e in history if e["action"] == "approve"]
        assert len(approvals) == 2, approvals  # never a lost update, never a third approval
        assert httpx.get(f"{b}/api/articles/{slug}").json()["status"] == "approved"  # public once approved
    verify = subprocess.run([sys.executable, "-m", "medoracle.cli", "audit", "verify", "--db", deployment["url"]],
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
