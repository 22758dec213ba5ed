"""The SQLite store: FTS5, filters, exact dense search, migrations recorded."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from medoracle.errors import StoreError
from medoracle.ingest.pipeline import embed_pending, ingest
from medoracle.store import LexicalQuery, SearchFilters, SQLiteStore


def raw(store):
    """A plain sqlite3 connection to the store's file, for looking behind the seam."""
    return sqlite3.connect(store.path, isolation_level=None)


def test_migrations_are_recorded_once(tmp_path):
    s = SQLiteStore(tmp_path / "m.db")
    names = [r[0] for r in raw(s).execute("SELECT name FROM _migrations WHERE namespace = 'store'")]
    assert names == ["create_documents_and_passages"]
    s.close()
    again = SQLiteStore(tmp_path / "m.db")
    assert raw(again).execute("SELECT count(*) FROM _migrations").fetchone()[0] == 1


def test_wal_mode(store):
    assert raw(store).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_lexical_search_and_filters(store, clinical_jsonl):
    ingest([clinical_jsonl], store)
    hits = store.lexical(LexicalQuery.of("neutropenia"), 10)
    assert [h[0].split("#")[0] for h in hits] == ["g2"]
    both = store.lexical(LexicalQuery.of("spinal", "spine"), 10)
    assert {h[0].split("#")[0] for h in both} >= {"g1", "c1", "t1"}
    guidelines_only = SearchFilters(doc_types=("guideline",))
    only_guidelines = store.lexical(LexicalQuery.of("spinal", "spine", filters=guidelines_only), 10)
    assert {h[0].split("#")[0] for h in only_guidelines} == {"g1"}
    recent = store.lexical(LexicalQuery.of("spinal", "spine", filters=SearchFilters(since_year=2020)), 10)
    assert {h[0].split("#")[0] for h in recent} == {"g1", "t1"}


def test_dense_search_is_exact_and_filtered(store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], store)
    embed_pending(store, hashing_embedder)
    q = hashing_embedder.embed(["empirical antibiotics for febrile neutropenia"])[0]
    hits = store.dense(q, 3)
    assert hits[0][0].startswith("g2#")
    assert hits == sorted(hits, key=lambda h: -h[1])
    filtered = store.dense(q, 3, SearchFilters(doc_types=("consumer",)))
    assert all(h[0].startswith("c1#") for h in filtered)
    with pytest.raises(StoreError, match="dimensions"):
        store.dense(np.zeros(7, dtype=np.float32), 3)


def test_embeddings_from_another_model_are_refused(store, clinical_jsonl, hashing_embedder):
    from medoracle.embed import HashingEmbedder

    ingest([clinical_jsonl], store)
    embed_pending(store, hashing_embedder)
    ingest_more = HashingEmbedder(dim=64)
    raw(store).execute("DELETE FROM embeddings WHERE passage_rowid = 1")
    with pytest.raises(StoreError, match="embedded with .*--reembed"):
        embed_pending(store, ingest_more)


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="is damaged"):
        SQLiteStore(bad)


def test_dense_sees_vectors_added_after_the_first_search(store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], store)
    rows = store.unembedded(1)
    store.put_embeddings([r for r, _ in rows], hashing_embedder.embed([t for _, t in rows]), hashing_embedder.name)
    q = hashing_embedder.embed(["empirical antibiotics for febrile neutropenia"])[0]
    assert len(store.dense(q, 10)) == 1
    embed_pending(store, hashing_embedder)
    hits = store.dense(q, 10)
    assert len(hits) == store.stats().passages
    assert hits[0][0].startswith("g2#")


def test_passages_and_documents_read_again_after_another_process_changes_them(tmp_path):
    # The store keeps passages and document metadata in memory by id; a write by any process (here a second
    # store on the same file, as a second server or an ingest would be) must be seen at the next read.
    from medoracle.types import Document, Passage

    server, ingester = SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")

    def card(text: str, title: str) -> tuple[Document, list[Passage], str]:
        doc = Document(id="kb:x", text=text, title=title, metadata={"plain": text})
        return doc, [Passage(id="kb:x#0", doc_id="kb:x", text=text)], f"hash-{text}"

    ingester.add(*card("Offer a statin.", "Lipids"))
    assert server.passages(["kb:x#0"])[0].text == "Offer a statin."
    assert server.documents(["kb:x"])["kb:x"].title == "Lipids"
    assert server.document_frequency("statin") == 1
    ingester.add(*card("Offer an ACE inhibitor.", "Blood pressure"))  # the same ids, new content
    assert server.passages(["kb:x#0", "kb:x#0"])[0].text == "Offer an ACE inhibitor."
    assert server.documents(["kb:x"])["kb:x"].title == "Blood pressure"
    assert server.document_frequency("statin") == 0
    assert server.passages(["kb:nope#0"]) == [] and server.documents(["kb:nope"]) == {}
