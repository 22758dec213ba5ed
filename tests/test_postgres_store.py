"""The PostgreSQL store against the local server: the same behaviours as the SQLite store, each test in its own
schema (dropped afterwards). Skips with the reason when the server is not reachable.

MEDORACLE_TEST_PG_URL overrides the server (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import pytest

from medoracle.errors import StoreError
from medoracle.ingest.pipeline import embed_pending, ingest
from medoracle.retrieve import lexical_query, retrieve
from medoracle.store import Clause, LexicalQuery, SearchFilters, open_store
from medoracle.understand.vocab import understand

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'medoracle[pg]')")

from medoracle.store.postgres import PostgresStore  # noqa: E402

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("MEDORACLE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _server_or_skip() -> None:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {str(exc).strip()[:200]}")


@pytest.fixture
def schema():
    _server_or_skip()
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def pg_store(schema, tmp_path):
    s = PostgresStore(PG_URL, schema=schema)
    yield s
    s.close()


@pytest.fixture(params=["pgvector", "exact"])
def vec_store(request, schema, tmp_path):
    """The store once with pgvector (HNSW) where the server has it, once with exact numpy search."""
    s = PostgresStore(PG_URL, schema=schema,
                      use_pgvector=request.param == "pgvector")
    if request.param == "pgvector" and not s.uses_pgvector:
        s.close()
        pytest.skip("the server has no pgvector extension (scripts/install-pgvector.sh); the exact variant runs")
    yield s
    s.close()


def _docs(hits):
    return [h[0].split("#")[0] for h in hits]


def test_migrations_are_recorded_once(schema, tmp_path):
    first = PostgresStore(PG_URL, schema=schema)
    rows = first._run("SELECT name FROM _migrations WHERE namespace = 'store'")
    assert [r["name"] for r in rows] == ["create_documents_and_passages"]
    first.close()
    again = PostgresStore(PG_URL, schema=schema)
    assert again._run("SELECT count(*) AS n FROM _migrations")[0]["n"] == 1
    again.close()


def test_workers_starting_together_migrate_once(schema):
    import threading

    opened, failed = [], []

    def start() -> None:
        try:
            opened.append(PostgresStore(PG_URL, schema=schema))
        except StoreError as exc:
            failed.append(exc)

    workers = [threading.Thread(target=start) for _ in range(5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failed == [] and len(opened) == 5
    assert opened[0]._run("SELECT count(*) AS n FROM _migrations")[0]["n"] == 1
    for s in opened:
        s.close()


def test_lexical_search_and_filters(pg_store, clinical_jsonl):
    ingest([clinical_jsonl], pg_store)
    assert _docs(pg_store.lexical(LexicalQuery.of("neutropenia"), 10)) == ["g2"]
    both = pg_store.lexical(LexicalQuery.of("spinal", "spine"), 10)
    assert set(_docs(both)) >= {"g1", "c1", "t1"}
    assert both == sorted(both, key=lambda h: -h[1])
    only_guidelines = pg_store.lexical(
        LexicalQuery.of("spinal", "spine", filters=SearchFilters(doc_types=("guideline",))), 10)
    assert set(_docs(only_guidelines)) == {"g1"}
    recent = pg_store.lexical(LexicalQuery.of("spinal", "spine", filters=SearchFilters(since_year=2020)), 10)
    assert set(_docs(recent)) == {"g1", "t1"}
    assert len(pg_store.lexical(LexicalQuery.of("spinal", "spine"), 1)) == 1


def test_phrases_are_phrases_and_title_outranks_text(pg_store, clinical_jsonl):
    ingest([clinical_jsonl], pg_store)
    # g1 has "metastatic spinal" and c1 "spread to the spine": only t1 has the two words side by side
    assert set(_docs(pg_store.lexical(LexicalQuery.of("spinal metastases"), 10))) == {"t1"}
    # "anticoagulation" is in o1's title; "anticoagulants" only in its text: stemming joins them
    assert _docs(pg_store.lexical(LexicalQuery.of("anticoagulant"), 10)) == ["o1"]
    # t1 has "radiotherapy" in its title and text; g1 only in its text
    ranked = _docs(pg_store.lexical(LexicalQuery.of("radiotherapy"), 10))
    assert ranked == ["t1", "g1"]


def test_the_query_retrieve_builds_is_understood(pg_store, clinical_jsonl):
    ingest([clinical_jsonl], pg_store)
    query = lexical_query(understand("MRI for suspected metastatic spinal cord compression"))
    assert len(query.clauses) > 1
    assert _docs(pg_store.lexical(query, 10))[0] == "g1"


@pytest.mark.parametrize("hostile", ["\"it's\" OR \"a & b | !c\"", "\"spine:*\" OR \"(x\"",
                                     "'; DROP TABLE passages; --",
                                     '"the" OR "of"', '""', "NEAR(AND OR", "\"\\\" OR \"_\""])
def test_query_syntax_typed_by_a_user_is_plain_text(pg_store, clinical_jsonl, hostile):
    ingest([clinical_jsonl], pg_store)
    pg_store.lexical(LexicalQuery.of(hostile, "spine"), 10)  # no error: nothing is parsed as tsquery syntax
    pg_store.lexical(LexicalQuery((Clause((hostile,), fields=("title",)),)), 10)
    assert pg_store.stats().passages == 5


def test_clauses_keep_plain_words_only():
    assert Clause(("a&b", "c:*")).words == ("a", "b", "c")
    assert LexicalQuery.of("", "  ").empty
    with pytest.raises(ValueError, match="unknown field"):
        Clause(("x",), fields=("body",))


def test_column_filters_keep_to_their_columns(pg_store, clinical_jsonl):
    ingest([clinical_jsonl], pg_store)
    # "spine" is in the text of g1 and c1 and in no title or section heading
    assert set(_docs(pg_store.lexical(LexicalQuery.of("spine"), 10))) == {"g1", "c1"}
    assert pg_store.lexical(LexicalQuery((Clause(("spine",), fields=("title", "section")),)), 10) == []
    # "radiotherapy" is in t1's title and g1's text: restricted to titles only t1 is left
    headings = LexicalQuery((Clause(("radiotherapy",), fields=("title", "section")),))
    assert _docs(pg_store.lexical(headings, 10)) == ["t1"]
    body = LexicalQuery((Clause(("radiotherapy",), fields=("text",)),))
    assert set(_docs(pg_store.lexical(body, 10))) == {"t1", "g1"}
    mixed = LexicalQuery((Clause(("neutropenia",)), Clause(("back", "pain"), fields=("title",))))
    assert set(_docs(pg_store.lexical(mixed, 10))) == {"c1", "g2"}


def test_a_rare_word_outweighs_a_common_one(pg_store, clinical_jsonl):
    ingest([clinical_jsonl], pg_store)
    # "patients" is in four of the five passages (twice in g2), "numbness" only in c1
    assert _docs(pg_store.lexical(LexicalQuery.of("patients", "numbness"), 10))[0] == "c1"


def test_common_terms_are_counted(pg_store, clinical_jsonl):
    ingest([clinical_jsonl], pg_store)
    assert pg_store.passage_count() == 5
    assert pg_store.document_frequency("patients") == 4  # g1, g2, t1, o1 ("patients" stems with "patient")
    assert pg_store.document_frequency("spinal cord") == 1
    assert pg_store.document_frequency("zzz") == 0


def test_dense_search_matches_exact_order_and_filters(vec_store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], vec_store)
    assert embed_pending(vec_store, hashing_embedder) == 5
    q = hashing_embedder.embed(["empirical antibiotics for febrile neutropenia"])[0]
    hits = vec_store.dense(q, 3)
    assert hits[0][0].startswith("g2#")
    assert hits == sorted(hits, key=lambda h: -h[1])
    filtered = vec_store.dense(q, 3, SearchFilters(doc_types=("consumer",)))
    assert [h[0] for h in filtered] == ["c1#0"]
    recent = vec_store.dense(q, 5, SearchFilters(since_year=2021))
    assert set(_docs(recent)) == {"g1", "t1"}
    with pytest.raises(StoreError, match="dimensions"):
        vec_store.dense(np.zeros(7, dtype=np.float32), 3)


def test_dense_scores_are_cosines(vec_store, tmp_path, hashing_embedder):
    docs = [{"id": f"d{i}", "title": "", "doc_type": "other", "text": text} for i, text in enumerate(
        ["heart failure with reduced ejection fraction", "acute kidney injury after contrast",
         "heart failure treatment with diuretics", "asthma inhaler technique"])]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    ingest([path], vec_store)
    embed_pending(vec_store, hashing_embedder)
    q = hashing_embedder.embed(["heart failure"])[0]
    stored = hashing_embedder.embed([t for _, t in _embedded_texts(vec_store)])
    expected = sorted(zip([i for i, _ in _embedded_texts(vec_store)], stored @ q), key=lambda x: -x[1])
    got = vec_store.dense(q, 4)
    assert [pid for pid, _ in got][:2] == [pid for pid, _ in expected][:2]
    # float16 storage (exact path) or float32 (pgvector) agree with numpy to a few thousandths
    assert np.allclose([s for _, s in got], [s for _, s in expected], atol=5e-3)


def _embedded_texts(store) -> list[tuple[str, str]]:
    from medoracle.store.base import embedding_text

    rows = store._run("SELECT id, title, section, text FROM passages ORDER BY rowid")
    return [(r["id"], embedding_text(r["title"], r["section"], r["text"])) for r in rows]


def test_hnsw_index_is_used_when_pgvector_is_installed(pg_store, clinical_jsonl, hashing_embedder):
    if not pg_store.uses_pgvector:
        pytest.skip("the server has no pgvector extension (scripts/install-pgvector.sh); exact search is used")
    ingest([clinical_jsonl], pg_store)
    embed_pending(pg_store, hashing_embedder)
    index = pg_store._run("SELECT indexdef FROM pg_indexes WHERE indexname = 'embeddings_hnsw' "
                          "AND schemaname = current_schema()")
    assert "hnsw" in index[0]["indexdef"] and "vector(256)" in index[0]["indexdef"]
    q = hashing_embedder.embed(["empirical antibiotics for febrile neutropenia"])[0]
    assert pg_store.dense(q, 1)[0][0] == "g2#0"
    conn = pg_store._pg()
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")  # five rows: only this makes the planner pick the index
        plan = conn.execute("EXPLAIN SELECT passage_rowid FROM embeddings ORDER BY embedding::vector(256) "
                            "<=> %s::vector(256) LIMIT 3", (str(q.tolist()),)).fetchall()
    assert "embeddings_hnsw" in " ".join(r["QUERY PLAN"] for r in plan)


def test_embeddings_from_another_model_are_refused(vec_store, clinical_jsonl, hashing_embedder):
    from medoracle.embed import HashingEmbedder

    ingest([clinical_jsonl], vec_store)
    embed_pending(vec_store, hashing_embedder)
    vec_store._run("DELETE FROM embeddings WHERE passage_rowid = (SELECT min(passage_rowid) FROM embeddings)")
    with pytest.raises(StoreError, match="embedded with 'hashing'.*--reembed"):
        embed_pending(vec_store, HashingEmbedder(dim=64))
    vec_store.reset_embeddings()
    assert vec_store.embedder_name() is None and vec_store.stats().embedded == 0
    assert embed_pending(vec_store, HashingEmbedder(dim=64)) == 5
    assert vec_store.embedder_name() == "hashing-64"


def test_reingest_adds_nothing_and_a_changed_document_replaces_the_old(vec_store, clinical_jsonl, tmp_path,
                                                                        hashing_embedder):
    first = ingest([clinical_jsonl], vec_store)
    assert (first.added, first.unchanged) == (5, 0)
    embed_pending(vec_store, hashing_embedder)
    again = ingest([clinical_jsonl], vec_store)
    assert (again.added, again.unchanged) == (0, 5)
    assert vec_store.stats().passages == 5

    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps({"id": "g2", "doc_type": "guideline", "published": "2024",
                                   "title": "Febrile neutropenia: initial management (updated)",
                                   "text": "Give empirical antibiotics within one hour. Cefepime is an option."})
                       + "\n", encoding="utf-8")
    summary = ingest([changed], vec_store)
    assert summary.added == 1
    stats = vec_store.stats()
    assert (stats.documents, stats.passages, stats.embedded) == (5, 5, 4)  # the old g2 vector went with it
    assert _docs(vec_store.lexical(LexicalQuery.of("piperacillin"), 10)) == []
    assert _docs(vec_store.lexical(LexicalQuery.of("cefepime"), 10)) == ["g2"]
    meta = vec_store.documents(["g2"])["g2"]
    assert meta.title.endswith("(updated)") and meta.published == "2024"
    assert len(vec_store.unembedded(10)) == 1


def test_one_batch_with_repeats_and_new_versions(pg_store):
    from medoracle.ingest.chunking import chunk
    from medoracle.ingest.pipeline import content_hash
    from medoracle.types import Document

    def item(text: str):
        doc = Document(id="v1", title="Versions", text=text, doc_type="guideline")
        return doc, chunk(doc), content_hash(doc)

    old, new = item("Aspirin is given after an ischaemic stroke."), item("Clopidogrel is an alternative to aspirin.")
    assert pg_store.add_many([old, old]) == (1, 1)
    assert pg_store.add_many([old, new, new]) == (1, 2)  # old is stored already; new replaces it, once
    assert [p.text for p in pg_store.document_passages("v1")] == ["Clopidogrel is an alternative to aspirin."]
    assert pg_store.add_many([]) == (0, 0)
    assert pg_store.count_passages(["v1", "nothing"]) == 1


def test_reading_passages_and_documents(pg_store, tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_text(json.dumps({"id": "m1", "doc_type": "guideline", "title": "Sepsis", "url": "https://example.org/s",
                                "source": "Example Society", "published": "2021-05-01", "grade": "Grade 1A",
                                "text": "Give antibiotics within one hour of recognising sepsis.\x00",
                                "country": "UK"}) + "\n", encoding="utf-8")
    ingest([path], pg_store)
    meta = pg_store.documents(["m1", "m1", "missing"])
    assert set(meta) == {"m1"}
    assert (meta["m1"].url, meta["m1"].source, meta["m1"].grade) == ("https://example.org/s", "Example Society",
                                                                      "Grade 1A")
    assert meta["m1"].metadata.get("country") == "UK"
    passages = pg_store.document_passages("m1")
    assert passages and "\x00" not in passages[0].text
    assert pg_store.passages([passages[0].id, "nope"]) == [passages[0]]
    assert pg_store.passages([]) == [] and pg_store.documents([]) == {}


def test_retrieve_end_to_end(vec_store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], vec_store)
    lexical_only = retrieve("antibiotics for febrile neutropenia", vec_store)
    assert lexical_only.mode == "lexical" and lexical_only.evidence[0].doc_id == "g2"
    embed_pending(vec_store, hashing_embedder)
    found = retrieve("antibiotics for febrile neutropenia", vec_store, embedder=hashing_embedder)
    assert found.mode == "hybrid"
    assert found.evidence[0].doc_id == "g2"
    assert found.evidence[0].title == "Febrile neutropenia: initial management"
    assert "lexical_rank" in found.evidence[0].explain and "dense_rank" in found.evidence[0].explain
    guidelines = retrieve("spinal cord compression", vec_store, embedder=hashing_embedder,
                          filters=SearchFilters(doc_types=("guideline",)))
    assert {e.doc_id for e in guidelines.evidence} <= {"g1", "g2"} and guidelines.evidence[0].doc_id == "g1"


def test_open_store_chooses_postgres_for_a_url(schema, tmp_path):
    from medoracle.settings import Settings

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # libpq's own options choose the schema, so a deployment needs nothing beyond its URL
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}%2Cpublic"
    s = open_store(Settings(data_dir=str(tmp_path), db=url))
    try:
        assert isinstance(s, PostgresStore)
        assert s._run("SELECT current_schema() AS s")[0]["s"] == schema
        assert s.stats().documents == 0
    finally:
        s.close()


def test_unreachable_server_is_a_clear_error():
    # port 1 on loopback: nothing listens there, so the connection is refused at once
    with pytest.raises(StoreError, match="cannot reach PostgreSQL"):
        PostgresStore("postgresql://postgres:secret@127.0.0.1:1/test")
    with pytest.raises(StoreError, match="schema name"):
        PostgresStore(PG_URL, schema="x; DROP TABLE documents")


def test_password_is_not_shown_in_path(schema):
    s = PostgresStore(PG_URL.replace("postgres@", "postgres:hunter2@"), schema=schema)
    assert "hunter2" not in s.path and "***" in s.path
    s.close()
