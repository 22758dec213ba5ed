"""`medoracle serve --workers N` as real processes, and the knowledge base built once by racing starters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_two_servers import _free_port
from testdata import CLINICAL_DOCS

httpx = pytest.importorskip("httpx")


def test_two_workers_answer_side_by_side(tmp_path: Path) -> None:
    from medoracle.ingest.pipeline import ingest
    from medoracle.store import SQLiteStore

    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in CLINICAL_DOCS) + "\n")
    db = tmp_path / "served.db"
    store = SQLiteStore(db)
    ingest([corpus], store)
    store.close()
    port = _free_port()
    env = {**os.environ, "MEDORACLE_DATA_DIR": str(tmp_path / "data"), "MEDORACLE_EMBEDDER": "none"}
    proc = subprocess.Popen([sys.executable, "-m", "medoracle.cli", "serve", "--db", str(db), "--port", str(port),
                             "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        codes: list[int] = []
        threads_seen: list[str] = []

        def ask(i: int) -> None:
            r = httpx.post(f"{base}/api/ask", json={"question": f"antibiotics for febrile neutropenia {i}"},
                           timeout=120)
            codes.append(r.status_code)
            if r.status_code == 200:
                threads_seen.append(r.json()["thread_id"])

        askers = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
        for a in askers:
            a.start()
        for a in askers:
            a.join()
        assert codes == [200] * 8
        # a thread made by whichever worker answered is found by every worker
        for tid in threads_seen:
            r = httpx.post(f"{base}/api/ask", json={"question": "and in children?", "thread_id": tid}, timeout=120)
            assert r.status_code == 200, r.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


RACE = """
import sys
from medoracle.editorial import open_repository
from medoracle.kb.build import ensure_knowledge_base
from medoracle.settings import Settings
from medoracle.store import open_store
settings = Settings.load()
print(ensure_knowledge_base(open_store(settings), settings, open_repository(settings)))
"""


def test_knowledge_base_is_built_once_by_processes_starting_together(tmp_path: Path) -> None:
    env = {**os.environ, "MEDORACLE_DATA_DIR": str(tmp_path), "MEDORACLE_EMBEDDER": "none"}
    procs = [subprocess.Popen([sys.executable, "-c", RACE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    assert sorted(o.strip() for o, _ in outs) == ["False", "False", "True"]


def test_a_card_gone_from_the_bundle_stops_answering_after_the_upgrade(tmp_path: Path) -> None:
    # a card removed because it was wrong must leave the database that was built with it
    import json as _json

    from medoracle.editorial import open_repository
    from medoracle.ingest.pipeline import ingest
    from medoracle.kb.build import KEY, ensure_knowledge_base
    from medoracle.settings import Settings
    from medoracle.store import open_store

    settings = Settings(data_dir=str(tmp_path), embedder="none")
    store, repository = open_store(settings), open_repository(settings)
    assert ensure_knowledge_base(store, settings, repository)
    old = tmp_path / "old_card.jsonl"
    old.write_text(_json.dumps({"id": "kb:retired-card", "title": "A card of an earlier release",
                                "text": "Dexamethasone 99 mg for everyone."}) + "\n")
    ingest([old], store)
    kept = store.stats().documents
    repository.put_setting(KEY, "an earlier release")
    assert ensure_knowledge_base(store, settings, repository)
    assert store.documents(["kb:retired-card"]) == {}
    assert store.stats().documents == kept - 1
    assert store.documents(["kb:topic:sepsis"])  # the bundle's own cards stay
