"""The scale-out store: PostgreSQL full-text search (tsvector + GIN) and pgvector HNSW when the server has it.

Same behaviour as `SQLiteStore`, so retrieval and ingestion never know which one they talk to:

- lexical: each clause of the `LexicalQuery` becomes `phraseto_tsquery('english', …)` (a parameter, so
  nothing a user typed is ever parsed as tsquery syntax), or a weighted `to_tsquery` of its plain words when
  it names fields; the GIN index finds passages matching any clause, ranked by Σ weight × idf(clause) ×
  ts_rank(clause), title 3 : section 2 : text 1 as the SQLite store's bm25 weights them.
- dense: `medoracle.store.pg_vectors` (pgvector HNSW, or exact search over float16 BYTEA without it).
- editorial state (articles, users, threads, audit log, settings) lives in the same database, behind
  `medoracle.editorial`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np

from medoracle.errors import StoreError
from medoracle.store.base import DocumentMeta, StoreStats, grade_of
from medoracle.store.db import PostgresDatabase, Tx
from medoracle.store.migrations import Migrations, migrate
from medoracle.store.pg_vectors import PgVectors, filter_sql, run_query
from medoracle.store.query import FIELDS, LexicalQuery, SearchFilters, words_of
from medoracle.store.rows import (
    DOCUMENT_COLUMNS,
    PASSAGE_COLUMNS,
    Pin,
    ReadState,
    RowCache,
    cached_passage,
    document_meta,
)
from medoracle.types import DocType, Document, Passage, year_of

try:  # psycopg is the [pg] extra: importing this module must not fail without it
    import psycopg
    from psycopg import sql
    from psycopg.rows import dict_row
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    psycopg = None  # type: ignore[assignment]

migrations = Migrations("store")


@migrations.register
def create_documents_and_passages(tx: Tx) -> None:
    for statement in """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', url TEXT, source TEXT,
            doc_type TEXT NOT NULL, published TEXT, year INTEGER, grade TEXT,
            metadata JSONB NOT NULL DEFAULT '{}', content_hash TEXT NOT NULL UNIQUE,
            ingested_at TIMESTAMPTZ NOT NULL DEFAULT now());
        CREATE TABLE passages (
            rowid BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, section TEXT NOT NULL DEFAULT '', page INTEGER,
            title TEXT NOT NULL DEFAULT '', text TEXT NOT NULL, doc_type TEXT NOT NULL,
            published TEXT, year INTEGER, grade TEXT, facet TEXT,
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', title), 'A') ||
                setweight(to_tsvector('english', section), 'B') ||
                setweight(to_tsvector('english', text), 'C')) STORED);
        CREATE INDEX passages_doc ON passages(doc_id);
        CREATE INDEX passages_tsv ON passages USING GIN (tsv);
        CREATE INDEX passages_kind_year ON passages(doc_type, year);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)
    """.split(";"):
        if statement.strip():
            tx.execute(statement)


# ts_rank weights are {D, C, B, A}: A title, B section, C text in the ratio 3 : 2 : 1, like SQLite's bm25.
RANK_WEIGHTS = [0.1, 0.333, 0.667, 1.0]
# No length normalisation. Lexical retrieve() on 300 MedQuAD dev questions (MedQuAD + PubMedQA ingested),
# recall@10 / MRR: idf × ts_rank, normalisation 0: 0.730 / 0.614; normalisation 1 (÷ 1 + log length):
# 0.707 / 0.477; idf × ts_rank_cd: 0.677 / 0.398; one ts_rank_cd over the whole OR query: 0.657 / 0.455;
# SQLite FTS5 bm25 on the same data: 0.720 / 0.577.
RANK_NORMALISATION = 0

_COLUMN_WEIGHT = {"title": "A", "section": "B", "text": "C"}


class PostgresStore:
    """Documents, passages, the full-text index and embeddings in one PostgreSQL database (or schema)."""

    def __init__(self, url: str, *, schema: str | None = None, use_pgvector: bool = True) -> None:
        """`use_pgvector=False` keeps vectors in BYTEA searched exactly even where pgvector is installed."""
        if psycopg is None:
            raise StoreError("the PostgreSQL store needs psycopg: pip install 'medoracle[pg]'")
        self.db = PostgresDatabase(url, schema=schema)
        self.url = url
        self.schema = schema
        self.path = self.db.location
        self._df_cache: dict[tuple[str, tuple[str, ...]], int] = {}  # (term, fields) → passages
        self._rows = RowCache()  # passages and documents by id, for one content version (`medoracle.store.rows`)
        self._pin = Pin()  # the state one answer reads the store at (`reading`)
        try:
            migrate(self.db, migrations)
            self.vectors = PgVectors(self._conn, self.path, use_pgvector, held=self._pin.get)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path} is not a usable medoracle database: {exc}") from exc

    # -- connections -------------------------------------------------------------------------------
    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """A pooled connection with dict rows, for this store's own queries."""
        with self.db.connection() as conn:
            if conn.row_factory is not dict_row:
                conn.row_factory = dict_row
            yield conn

    def close(self) -> None:
        self.db.close()

    def _run(self, query: Any, params: Sequence[Any] = (), what: str = "query") -> list[dict]:
        return run_query(self._conn, query, params, what)

    def reading(self) -> AbstractContextManager[None]:
        """Within the block, this thread reads the content version, passage count, embedder and vectors' key in
        one round trip, once (`medoracle.store.rows.Pin`): an ask read them 7 or 8 times, one round trip each."""
        return self._pin.holding(self._read_state)

    def _read_state(self) -> ReadState:
        # the vectors' key only where the numpy index needs it: counting a large table is not free
        vectors = ("(SELECT count(*) FROM embeddings) AS vectors, "
                   "(SELECT coalesce(max(passage_rowid), 0) FROM embeddings) AS last_vector"
                   if not self.vectors.uses_pgvector else "0 AS vectors, 0 AS last_vector")
        row = self._run(
            "SELECT (SELECT value FROM meta WHERE key = 'passages_version') AS version, "
            "(SELECT value FROM meta WHERE key = 'embedder') AS embedder, "
            "(SELECT value FROM meta WHERE key = 'dimensions') AS dimensions, "
            f"(SELECT coalesce(max(rowid), 0) FROM passages) AS passages, {vectors}")[0]
        return ReadState(version=str(row["version"]) if row["version"] is not None else "0",
                         passages=int(row["passages"]), embedder=row["embedder"],
                         vectors=(int(row["vectors"]), int(row["last_vector"])),
                         dimensions=int(row["dimensions"]) if row["dimensions"] is not None else None)

    def check(self) -> list[str]:
        """PostgreSQL checksums its own pages; here: the tables answer and the index is usable."""
        try:
            self._run("SELECT count(*) FROM passages WHERE tsv @@ plainto_tsquery('english', 'check')")
        except StoreError as exc:
            return [str(exc)]
        return []

    # -- embeddings (pg_vectors) ---------------------------------------------------------------------
    @property
    def uses_pgvector(self) -> bool:
        return self.vectors.uses_pgvector

    @property
    def pgvector(self) -> bool:
        return self.vectors.pgvector

    def unembedded(self, limit: int) -> list[tuple[int, str]]:
        return self.vectors.unembedded(limit)

    def put_embeddings(self, rowids: Sequence[int], vectors: np.ndarray, embedder: str) -> None:
        self._pin.drop()
        self.vectors.put(rowids, vectors, embedder)

    def reset_embeddings(self) -> None:
        self._pin.drop()
        self.vectors.reset()

    def embedder_name(self) -> str | None:
        if (state := self._pin.get()) is not None:
            return state.embedder
        rows = self._run("SELECT value FROM meta WHERE key = 'embedder'")
        return rows[0]["value"] if rows else None

    def dense(self, vector: np.ndarray, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        return self.vectors.dense(vector, k, filters)

    # -- writing -----------------------------------------------------------------------------------
    def has_hash(self, content_hash: str) -> bool:
        return bool(self._run("SELECT 1 FROM documents WHERE content_hash = %s", (content_hash,)))

    def stored_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        rows = self._run("SELECT id, content_hash FROM documents WHERE id = ANY(%s)",
                         ([_text(i) for i in doc_ids],))
        return {r["id"]: r["content_hash"] for r in rows}

    def add(self, document: Document, passages: Sequence[Passage], content_hash: str) -> bool:
        added, _ = self.add_many([(document, passages, content_hash)])
        return added == 1

    def add_many(self, items: Iterable[tuple[Document, Sequence[Passage], str]]) -> tuple[int, int]:
        items = list(items)
        self._df_cache.clear()
        self._pin.drop()
        # one round trip per step, not per document: on a laptop the round trips cost more than the writes
        fresh: dict[str, tuple[Document, Sequence[Passage], str]] = {}
        try:  # one transaction: a killed ingest leaves the batch absent or complete
            with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
                stored = {r["content_hash"] for r in cur.execute(
                    "SELECT content_hash FROM documents WHERE content_hash = ANY(%s)", ([h for *_, h in items],))}
                for doc, passages, content_hash in items:
                    if content_hash in stored:
                        continue
                    stored.add(content_hash)
                    key = doc.id.replace("\x00", "")  # as _text stores it
                    fresh.pop(key, None)  # a later version of the same id in the batch wins
                    fresh[key] = (doc, passages, content_hash)
                if not fresh:
                    return 0, len(items)
                # Before any row is written: every writer takes the version's row first, so two writers never
                # hold each other's rows (a document inserted by one, the version by the other).
                _bump_version(cur)
                # same id, new content: the new version replaces it (passages and vectors cascade)
                cur.execute("DELETE FROM documents WHERE id = ANY(%s)", (list(fresh),))
                cur.executemany(
                    "INSERT INTO documents (id, title, url, source, doc_type, published, year, grade, metadata, "
                    "content_hash) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s::jsonb,%s) "
                    "ON CONFLICT (content_hash) DO NOTHING RETURNING id",
                    [(doc_id, _text(doc.title), _text(doc.url), _text(doc.source), doc.doc_type.value,
                      _text(doc.published), year_of(doc.published), _text(doc.grade),
                      json.dumps(_scrub(doc.metadata), default=str), content_hash)
                     for doc_id, (doc, _, content_hash) in fresh.items()], returning=True)
                inserted: set[str] = set()
                while True:  # one result per row; empty where another writer stored that content first
                    inserted.update(r["id"] for r in cur.fetchall())
                    if not cur.nextset():
                        break
                with cur.copy("COPY passages (id, doc_id, position, section, page, title, text, doc_type, "
                              "published, year, grade, facet) FROM STDIN") as copy:
                    for doc_id, (doc, passages, _) in fresh.items():
                        if doc_id not in inserted:
                            continue
                        year = year_of(doc.published)
                        for p in passages:
                            copy.write_row((_text(p.id), doc_id, p.position, _text(p.section), p.page,
                                            _text(doc.title), _text(p.text), p.doc_type.value, _text(p.published),
                                            year, p.grade.model_dump_json() if p.grade else None, p.facet))
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL could not store the batch (nothing of it was written): "
                             f"{str(exc).strip()}") from exc
        return len(inserted), len(items) - len(inserted)

    def remove(self, doc_ids: Sequence[str]) -> int:
        self._df_cache.clear()
        self._pin.drop()
        try:  # passages and vectors cascade with their document
            with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
                _bump_version(cur)  # first, as add_many does (the same lock order for every writer)
                cur.execute("DELETE FROM documents WHERE id = ANY(%s)", (list(doc_ids),))
                return cur.rowcount
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL could not remove the documents (nothing was removed): "
                             f"{str(exc).strip()}") from exc

    def count_passages(self, doc_ids: Sequence[str]) -> int:
        """Passages stored for these documents (what a batch really added)."""
        rows = self._run("SELECT count(*) AS n FROM passages WHERE doc_id = ANY(%s)", (list(doc_ids),))
        return int(rows[0]["n"])

    # -- searching ---------------------------------------------------------------------------------
    def lexical(self, query: LexicalQuery, k: int) -> list[tuple[str, float]]:
        """(passage_id, score): Σ over the query's clauses of weight × idf × ts_rank, title 3 : section 2 : text 1.

        PostgreSQL's own rankings know nothing of how rare a word is, so "first" would count as much as
        "hypertension"; weighting each clause by its BM25 idf (document_frequency, cached) puts that back.
        """
        clauses = query.unique_clauses()
        if not clauses:
            return []
        total = max(self.passage_count(), 1)
        parts, values, scoring = [], [], []
        for i, clause in enumerate(clauses):
            weights = _weights(clause.fields)
            if weights:  # the words must be in those columns (tsquery 'word':AB)
                parts.append(sql.SQL("to_tsquery('english', %s) AS {}").format(sql.Identifier(f"q{i}")))
                # safe to splice: Clause keeps only \w+ words, which hold no quote or operator
                values.append(" <-> ".join(f"'{w}':{weights}" for w in clause.words))
            else:
                parts.append(sql.SQL("phraseto_tsquery('english', %s) AS {}").format(sql.Identifier(f"q{i}")))
                values.append(clause.phrase)
            df = self.document_frequency(clause.phrase)
            idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
            scoring += [clause.weight * idf, RANK_WEIGHTS, RANK_NORMALISATION]
        names = [sql.Identifier("q", f"q{i}") for i in range(len(clauses))]
        score = sql.SQL(" + ").join(sql.SQL("%s * ts_rank(%s::float4[], p.tsv, {}, %s)").format(n) for n in names)
        where, params = filter_sql(query.filters)
        statement = sql.SQL(
            "SELECT p.id, {score} AS score FROM passages p, (SELECT {parts}) q "
            "WHERE p.tsv @@ ({any}) {where} ORDER BY score DESC, p.rowid LIMIT %s"
        ).format(score=score, parts=sql.SQL(", ").join(parts), any=sql.SQL(" || ").join(names), where=sql.SQL(where))
        rows = self._run(statement, (*scoring, *values, *params, k), "full-text search")
        return [(r["id"], float(r["score"])) for r in rows]

    def document_frequency(self, term: str) -> int:
        """How many passages contain `term` (cached): the retriever leaves out terms too common to help."""
        return self._frequency(term, ())

    def heading_frequency(self, term: str) -> int:
        """How many passages hold `term` in their title or section heading (cached), as the SQLite store counts."""
        return self._frequency(term, ("title", "section"))

    def _frequency(self, term: str, fields: tuple[str, ...]) -> int:
        key = (term, fields)
        if key not in self._df_cache:
            if len(self._df_cache) > 50_000:
                self._df_cache.clear()
            weights = _weights(fields)
            if weights:
                words = words_of(term)
                if not words:
                    return 0
                # safe to splice: words_of keeps only \w+ words, which hold no quote or operator
                rows = self._run("SELECT count(*) AS n FROM passages WHERE tsv @@ to_tsquery('english', %s)",
                                 (" <-> ".join(f"'{w}':{weights}" for w in words),), "full-text count")
            else:
                rows = self._run("SELECT count(*) AS n FROM passages WHERE tsv @@ phraseto_tsquery('english', %s)",
                                 (term,), "full-text count")
            self._df_cache[key] = int(rows[0]["n"])
        return self._df_cache[key]

    def passage_count(self) -> int:
        # max(rowid) reads one index entry; count(*) would scan the table (deletions make it an overestimate)
        if (state := self._pin.get()) is not None:
            return state.passages
        return int(self._run("SELECT coalesce(max(rowid), 0) AS n FROM passages")[0]["n"])

    # -- reading -----------------------------------------------------------------------------------
    def content_version(self) -> str:
        """`passages_version` in `meta`, bumped in the transaction of every write to documents or passages."""
        if (state := self._pin.get()) is not None:
            return state.version
        return self._stored_version()

    def _stored_version(self) -> str:
        rows = self._run("SELECT value FROM meta WHERE key = 'passages_version'")
        return str(rows[0]["value"]) if rows else "0"

    def _version(self) -> str:
        """The content version, with what was kept for an older one (rows, term counts) forgotten. A held version
        that is not the one the rows are kept for is read again (it may be older: answers at two versions must
        not take turns emptying the cache)."""
        state = self._pin.get()
        version = state.version if state is not None and self._rows.serves(state.version) else self._stored_version()
        if self._rows.at(version):
            self._df_cache.clear()
        return version

    def passages(self, ids: Sequence[str]) -> list[Passage]:
        if not ids:
            return []
        return self._rows.passages(self._version(), ids, self._fetch_passages)

    def _fetch_passages(self, ids: list[str]) -> dict[str, Passage]:
        rows = self._run(f"SELECT {PASSAGE_COLUMNS} FROM passages WHERE id = ANY(%s)", (ids,))
        return {r["id"]: cached_passage(tuple(r[c] for c in _PASSAGE_FIELDS)) for r in rows}

    def iter_passages(self, batch: int = 1000) -> Iterator[Passage]:
        last = 0
        while True:
            rows = self._run(f"SELECT rowid, {PASSAGE_COLUMNS} FROM passages WHERE rowid > %s ORDER BY rowid "
                             "LIMIT %s", (last, batch))
            if not rows:
                return
            yield from (_passage(r) for r in rows)
            last = rows[-1]["rowid"]

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentMeta]:
        if not ids:
            return {}
        return self._rows.documents(self._version(), ids, self._fetch_documents)

    def _fetch_documents(self, ids: list[str]) -> dict[str, DocumentMeta]:
        # the metadata as JSONB's own text (keys in a canonical order), the key `document_meta` parses it once by
        columns = DOCUMENT_COLUMNS.replace("metadata", "metadata::text AS metadata")
        rows = self._run(f"SELECT {columns} FROM documents WHERE id = ANY(%s)", (ids,))
        return {r["id"]: document_meta(tuple(r[c] for c in _DOCUMENT_FIELDS)) for r in rows}

    def document_passages(self, doc_id: str) -> list[Passage]:
        rows = self._run(f"SELECT {PASSAGE_COLUMNS} FROM passages WHERE doc_id = %s ORDER BY position", (doc_id,))
        return [_passage(r) for r in rows]

    def stats(self) -> StoreStats:
        by_type = {r["doc_type"]: int(r["n"]) for r in
                   self._run("SELECT doc_type, count(*) AS n FROM documents GROUP BY doc_type")}
        return StoreStats(
            documents=sum(by_type.values()),
            passages=int(self._run("SELECT count(*) AS n FROM passages")[0]["n"]),
            embedded=int(self._run("SELECT count(*) AS n FROM embeddings")[0]["n"]),
            embedder=self.embedder_name(), by_doc_type=by_type)


_PASSAGE_FIELDS = tuple(PASSAGE_COLUMNS.split(", "))
_DOCUMENT_FIELDS = tuple(DOCUMENT_COLUMNS.split(", "))


def _bump_version(cur: Any) -> None:
    """Count a write to documents or passages (`content_version`), in the writer's transaction."""
    cur.execute("INSERT INTO meta (key, value) VALUES ('passages_version', '1') ON CONFLICT (key) "
                "DO UPDATE SET value = (meta.value::bigint + 1)::text")


def _weights(fields: tuple[str, ...]) -> str:
    letters = {_COLUMN_WEIGHT[c] for c in fields if c in _COLUMN_WEIGHT}
    return "".join(sorted(letters)) if len(letters) < len(FIELDS) else ""


def _text(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; SQLite can, and scraped pages sometimes carry one
    return value.replace("\x00", "") if isinstance(value, str) else value


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def _passage(r: dict) -> Passage:
    return Passage(id=r["id"], doc_id=r["doc_id"], text=r["text"], section=r["section"], position=r["position"],
                   page=r["page"], doc_type=DocType(r["doc_type"]), published=r["published"],
                   grade=grade_of(r["grade"]), facet=r["facet"])
