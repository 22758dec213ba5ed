"""The stores' caches of passages, documents and term counts are never stale, whichever process writes.

Each store keeps what it read by id for one content version (`medoracle.store.rows`); a second store object on the
same database stands in for another server process writing (SQLite file, PostgreSQL schema).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testdata import CLINICAL_DOCS, pg_url

from medoracle.ingest.pipeline import ingest
from medoracle.store import SQLiteStore, Store, open_store

Opener = Callable[[], Store]


@pytest.fixture(params=["sqlite", "postgresql"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    if request.param == "sqlite":
        yield lambda: SQLiteStore(tmp_path / "cache.db")
    else:
        schema = request.getfixturevalue("pg_schema")
        yield lambda: open_store(pg_url(schema))


def _write(path: Path, docs: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    return path


def test_a_write_by_another_process_is_seen_at_once(make: Opener, tmp_path: Path) -> None:
    reader, writer = make(), make()
    try:
        ingest([_write(tmp_path / "first.jsonl", CLINICAL_DOCS)], writer)
        before = reader.content_version()
        pid = reader.document_passages("g1")[0].id
        assert "24 hours" in reader.passages([pid])[0].text
        assert reader.documents(["g1"])["g1"].title == "Management of metastatic spinal cord compression"
        assert reader.document_frequency("dexamethasone") == 1
        # read twice: the second read comes from the cache, and is the same
        assert reader.passages([pid, pid]) == reader.passages([pid]) * 2

        changed = {**CLINICAL_DOCS[0], "title": "Spinal cord compression (revised)",
                   "text": "Patients with suspected spinal cord compression should have an MRI within a week."}
        ingest([_write(tmp_path / "second.jsonl", [changed])], writer)  # same id, new content
        assert reader.content_version() != before
        pid = reader.document_passages("g1")[0].id
        assert reader.passages([pid])[0].text.endswith("within a week.")
        assert reader.documents(["g1"])["g1"].title == "Spinal cord compression (revised)"
        assert reader.document_frequency("dexamethasone") == 0

        version = reader.content_version()
        assert writer.remove(["g2"]) == 1
        assert reader.content_version() != version
        assert reader.documents(["g2"]) == {}
        assert reader.passages([p for p in (pid, "g2#0") if p]) == reader.passages([pid])
    finally:
        reader.close()
        writer.close()


def test_an_unchanged_rerun_keeps_the_version(make: Opener, tmp_path: Path) -> None:
    store = make()
    try:
        path = _write(tmp_path / "docs.jsonl", CLINICAL_DOCS)
        ingest([path], store)
        version = store.content_version()
        ingest([path], store)  # every document already stored: nothing written, nothing to forget
        assert store.content_version() == version
    finally:
        store.close()


def test_a_reading_block_reads_the_state_once_and_sees_writes_after_it(make: Opener, tmp_path: Path) -> None:
    reader, writer = make(), make()
    try:
        ingest([_write(tmp_path / "first.jsonl", CLINICAL_DOCS[:1])], writer)
        with reader.reading():
            version, count = reader.content_version(), reader.passage_count()
            ingest([_write(tmp_path / "second.jsonl", CLINICAL_DOCS[1:])], writer)  # another process writes
            # one answer reads one version of the library: the state read at the block's first call holds
            assert reader.content_version() == version
            assert reader.passage_count() == count
            with reader.reading():  # nested: the outer block's state
                assert reader.content_version() == version
            # rows are still read afresh: nothing served is older than the version held
            assert set(reader.documents([d["id"] for d in CLINICAL_DOCS])) == {d["id"] for d in CLINICAL_DOCS}
        # after the block every call reads afresh
        assert reader.content_version() != version
        assert reader.passage_count() > count
        with reader.reading():
            assert reader.content_version() == writer.content_version()
    finally:
        reader.close()
        writer.close()


def test_a_reading_block_ends_with_a_write_of_its_own_and_holds_per_thread(make: Opener, tmp_path: Path) -> None:
    store = make()
    try:
        ingest([_write(tmp_path / "first.jsonl", CLINICAL_DOCS[:1])], store)
        with store.reading():
            version = store.content_version()
            assert store.embedder_name() is None
            ingest([_write(tmp_path / "second.jsonl", CLINICAL_DOCS[1:])], store)  # this thread writes
            assert store.content_version() != version  # its own write is seen at once
            seen: list[str] = []
            with store.reading():
                held = store.content_version()
                remover = threading.Thread(target=lambda: (store.remove([CLINICAL_DOCS[-1]["id"]]),
                                                           seen.append(store.content_version())))
                remover.start()
                remover.join()
                assert store.content_version() == held  # another thread's write waits for this block's end
            assert seen and seen[0] != held  # the other thread, outside any block, read afresh
            assert store.content_version() == seen[0]
    finally:
        store.close()
