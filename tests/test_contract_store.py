"""The evidence-store contract: one suite, run by every backend (a real SQLite file, a real PostgreSQL schema).

A backend joins by subclassing `StoreContract` with a `make` fixture that opens a fresh, empty store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from testdata import pg_url

from medoracle.errors import StoreError
from medoracle.ingest.pipeline import embed_pending, ingest
from medoracle.store import (
    Clause,
    LexicalQuery,
    SearchFilters,
    SQLiteStore,
    Store,
    open_store,
)
from medoracle.store.faults import NewerDatabase

Opener = Callable[[], Store]


def _docs(hits: list[tuple[str, float]]) -> list[str]:
    return [pid.split("#")[0] for pid, _ in hits]


class StoreContract:
    """What retrieval and ingestion rely on, whichever database is behind the store."""

    @pytest.fixture
    def make(self) -> Opener:  # overridden by each backend
        raise NotImplementedError

    @pytest.fixture
    def store(self, make: Opener) -> Iterator[Store]:
        s = make()
        yield s
        s.close()

    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)
        assert not hasattr(store, "connect"), "no connection crosses the seam"

    def test_write_count_read(self, store: Store, clinical_jsonl: Path) -> None:
        summary = ingest([clinical_jsonl], store)
        assert (summary.added, summary.unchanged) == (5, 0)
        stats = store.stats()
        assert (stats.documents, stats.passages) == (5, 5)
        assert stats.by_doc_type["guideline"] == 2
        passages = store.document_passages("g1")
        assert store.passages([passages[0].id, "missing"]) == [passages[0]]
        assert store.documents(["g1"])["g1"].source == "Example Oncology Society"
        assert store.count_passages(["g1", "g2"]) == 2
        assert [p.doc_id for p in store.iter_passages(batch=2)] == ["g1", "g2", "c1", "t1", "o1"]
        assert store.check() == []

    def test_rerunning_a_complete_ingest_adds_nothing(self, store: Store, clinical_jsonl: Path) -> None:
        ingest([clinical_jsonl], store)
        again = ingest([clinical_jsonl], store)
        assert (again.added, again.unchanged, again.collisions) == (0, 5, [])

    def test_structured_search_with_fields_weights_and_filters(self, store: Store, clinical_jsonl: Path) -> None:
        ingest([clinical_jsonl], store)
        assert _docs(store.lexical(LexicalQuery.of("neutropenia"), 10)) == ["g2"]
        both = store.lexical(LexicalQuery.of("spinal", "spine"), 10)
        assert set(_docs(both)) >= {"g1", "c1", "t1"} and both == sorted(both, key=lambda h: -h[1])
        guidelines = LexicalQuery.of("spinal", "spine", filters=SearchFilters(doc_types=("guideline",)))
        assert _docs(store.lexical(guidelines, 10)) == ["g1"]
        recent = LexicalQuery.of("spinal", "spine", filters=SearchFilters(since_year=2020))
        assert set(_docs(store.lexical(recent, 10))) == {"g1", "t1"}
        # a phrase is a phrase: only t1 has "spinal metastases" side by side
        assert _docs(store.lexical(LexicalQuery.of("spinal metastases"), 10)) == ["t1"]
        # fields: "spine" is in no title or heading
        assert store.lexical(LexicalQuery((Clause(("spine",), fields=("title", "section")),)), 10) == []
        # weights: the heavier clause decides the order
        heavy_pain = LexicalQuery((Clause(("numbness",), weight=0.1), Clause(("neutropenia",), weight=10.0)))
        assert _docs(store.lexical(heavy_pain, 10))[0] == "g2"
        heavy_numb = LexicalQuery((Clause(("numbness",), weight=10.0), Clause(("neutropenia",), weight=0.1)))
        assert _docs(store.lexical(heavy_numb, 10))[0] == "c1"

    def test_term_counts_in_passages_and_in_headings(self, store: Store, clinical_jsonl: Path) -> None:
        ingest([clinical_jsonl], store)
        # the retriever leaves out terms common in passages, and in headings (large stores): both stores count
        # alike, by the words as each full-text index stems them
        assert store.document_frequency("patients") == 4 and store.heading_frequency("patients") == 0
        assert store.document_frequency("spine") == 2 and store.heading_frequency("spine") == 0
        assert store.heading_frequency("management") == 2 and store.heading_frequency("spinal cord") == 1
        assert store.heading_frequency("zzz") == 0 and store.heading_frequency("") == 0

    @pytest.mark.parametrize("typed", ['"it\'s" OR "a & b | !c"', "spine:* (x", "'; DROP TABLE passages; --",
                                       "NEAR(AND OR", '"\\" OR "_"', "{title} : x"])
    def test_query_syntax_typed_by_a_user_is_plain_text(self, store: Store, clinical_jsonl: Path,
                                                        typed: str) -> None:
        ingest([clinical_jsonl], store)
        store.lexical(LexicalQuery.of(typed, "spine"), 10)
        store.lexical(LexicalQuery((Clause((typed,), fields=("title",)),)), 10)
        assert store.stats().passages == 5

    def test_dense_search_and_embedder_guard(self, store: Store, clinical_jsonl: Path, hashing_embedder) -> None:
        from medoracle.embed import HashingEmbedder

        ingest([clinical_jsonl], store)
        embed_pending(store, hashing_embedder)
        assert store.embedder_name() == hashing_embedder.name
        q = hashing_embedder.embed(["empirical antibiotics for febrile neutropenia"])[0]
        assert store.dense(q, 3)[0][0].startswith("g2#")
        assert all(h[0].startswith("c1#") for h in store.dense(q, 3, SearchFilters(doc_types=("consumer",))))
        changed = clinical_jsonl.parent / "g2.jsonl"
        changed.write_text(json.dumps({"id": "g2", "title": "Febrile neutropenia (updated)", "doc_type": "guideline",
                                       "text": "Cefepime is an option."}) + "\n")
        summary = ingest([changed], store)
        assert summary.replaced == ["g2"]
        with pytest.raises(StoreError, match="embedded with"):
            embed_pending(store, HashingEmbedder(dim=64))
        store.reset_embeddings()
        assert store.embedder_name() is None and store.stats().embedded == 0

    def test_two_stage_dense_search_returns_the_exact_hits(self, store: Store, clinical_jsonl: Path,
                                                           hashing_embedder, monkeypatch) -> None:
        """With the size threshold lowered, the store searches through the coarse PCA stage (a pool of 2 of its
        passages per result) and still returns exact cosines, mapped to the right passage ids and filtered."""
        from medoracle.store import vectors

        ingest([clinical_jsonl], store)
        embed_pending(store, hashing_embedder)
        questions = ["empirical antibiotics for febrile neutropenia", "statins for primary prevention",
                     "what is high blood pressure"]
        exact = {q: store.dense(hashing_embedder.embed([q])[0], 2) for q in questions}
        monkeypatch.setattr(vectors, "EXACT_BELOW", 0)
        monkeypatch.setattr(vectors, "COARSE_DIMS", 4)
        monkeypatch.setattr(vectors, "MIN_POOL", 0)
        monkeypatch.setattr(vectors, "POOL_FACTOR", 2)
        embed_pending(store, hashing_embedder)  # nothing new: the matrix is cached with its exact index
        store.reset_embeddings()
        embed_pending(store, hashing_embedder)  # reloaded: now with a projection
        for q in questions:
            hits = store.dense(hashing_embedder.embed([q])[0], 2)
            assert [pid for pid, _ in hits][:1] == [pid for pid, _ in exact[q]][:1]
            assert [s for _, s in hits][:1] == pytest.approx([s for _, s in exact[q]][:1], abs=1e-5)
        only = store.dense(hashing_embedder.embed([questions[0]])[0], 3, SearchFilters(doc_types=("consumer",)))
        assert only and all(pid.startswith("c1#") for pid, _ in only)

    def test_id_collisions_in_one_ingest_are_reported(self, store: Store, tmp_path: Path) -> None:
        first, second = tmp_path / "corpus_a.jsonl", tmp_path / "corpus_b.jsonl"
        first.write_text(json.dumps({"id": "doc-1", "title": "A", "text": "Asthma inhalers."}) + "\n")
        second.write_text(json.dumps({"id": "doc-1", "title": "B", "text": "Gout flares."}) + "\n")
        summary = ingest([first, second], store)
        assert summary.added == 1 and len(summary.collisions) == 1
        assert "doc-1" in summary.collisions[0] and "corpus_a.jsonl" in summary.collisions[0]
        again = ingest([first, second], store)
        assert (again.added, again.unchanged, len(again.collisions)) == (0, 1, 1)
        assert store.documents(["doc-1"])["doc-1"].title == "A"


    def test_removed_documents_leave_no_passage_vector_or_search_hit(self, store: Store, clinical_jsonl: Path,
                                                                      hashing_embedder) -> None:
        ingest([clinical_jsonl], store)
        embed_pending(store, hashing_embedder)
        hit = store.document_passages("g1")[0]
        assert store.remove(["g1", "never-there"]) == 1
        assert store.documents(["g1"]) == {} and store.document_passages("g1") == []
        assert store.stats().documents == 4 and store.stats().embedded == store.stats().passages == 4
        words = tuple(w for w in hit.text.lower().split() if w.isalpha())[:1]
        assert all(pid.split("#")[0] != "g1"
                   for pid, _ in store.lexical(LexicalQuery((Clause(words),), SearchFilters()), 10))
        vector = np.asarray(hashing_embedder.embed_query(hit.text))
        assert all(not pid.startswith("g1") for pid, _ in store.dense(vector, 10))
        assert store.remove([]) == 0


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def make(self, tmp_path: Path) -> Opener:
        return lambda: SQLiteStore(tmp_path / "contract.db")

    def test_newer_database_is_refused_before_writing(self, tmp_path: Path) -> None:
        import sqlite3

        path = tmp_path / "newer.db"
        SQLiteStore(path).close()
        with sqlite3.connect(path) as raw:
            raw.execute("INSERT INTO _migrations VALUES ('store', 'from_the_future', '2099-01-01')")
        before = path.read_bytes()
        with pytest.raises(NewerDatabase, match="newer medoracle.*from_the_future"):
            SQLiteStore(path)
        assert path.read_bytes() == before


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def make(self, pg_schema: str) -> Opener:
        return lambda: open_store(pg_url(pg_schema))

    def test_newer_database_is_refused(self, pg_schema: str) -> None:
        store = open_store(pg_url(pg_schema))
        store.close()
        import psycopg

        with psycopg.connect(pg_url(pg_schema), autocommit=True) as conn:
            conn.execute("INSERT INTO _migrations VALUES ('store', 'from_the_future', '2099-01-01')")
        with pytest.raises(NewerDatabase, match="from_the_future"):
            open_store(pg_url(pg_schema))
