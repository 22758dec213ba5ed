"""The scale-out store: PostgreSQL full-text search (tsvector + GIN) and pgvector HNSW when the server has it.

Same behaviour as `SQLiteStore`, so retrieval and ingestion never know which one they talk to:

- lexical: the FTS5-style query that `retrieve.fts_query` builds (`"a" OR "b c"`) is read back into its
  clauses, each clause becomes `phraseto_tsquery('english', …)` (a parameter, so nothing a user typed is
  ever parsed as tsquery syntax), the GIN index finds passages matching any clause, and they are ranked by
  Σ idf(clause) × ts_rank(clause), weighting title 3 : section 2 : text 1 as the SQLite store's bm25 does.
- dense: with the `vector` extension, cosine search through an HNSW index; without it (Debian bookworm
  ships no pgvector package), float16 BYTEA rows searched exactly with numpy, as in SQLite.
- `connect()`: articles, users and threads still live in SQLite (their modules are written for sqlite3), in
  a side file named by `editorial_db`; `open_store` puts it at `<data_dir>/editorial.db`.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medoracle.errors import StoreError
from medoracle.store.base import DocumentMeta, SearchFilters, StoreStats, exact_top
from medoracle.store.sqlite import embedding_text
from medoracle.types import DocType, Document, Grade, Passage, year_of

try:  # psycopg is the [pg] extra: importing this module must not fail without it
    import psycopg
    from psycopg import sql
    from psycopg.rows import dict_row
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    psycopg = None  # type: ignore[assignment]

NAMESPACE = "store"

# (name, SQL): never rename or edit a shipped step; add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    ("create_documents_and_passages", """
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
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """),
]

# ts_rank weights are {D, C, B, A}: A title, B section, C text in the ratio 3 : 2 : 1, like SQLite's bm25.
RANK_WEIGHTS = [0.1, 0.333, 0.667, 1.0]
# No length normalisation. Lexical retrieve() on 300 MedQuAD dev questions (MedQuAD + PubMedQA ingested),
# recall@10 / MRR: idf × ts_rank, normalisation 0: 0.730 / 0.614; normalisation 1 (÷ 1 + log length):
# 0.707 / 0.477; idf × ts_rank_cd: 0.677 / 0.398; one ts_rank_cd over the whole OR query: 0.657 / 0.455;
# SQLite FTS5 bm25 on the same data: 0.720 / 0.577.
RANK_NORMALISATION = 0

_CLAUSE = re.compile(r'(?:\{([^}]*)\}\s*:\s*)?"([^"]*)"')  # optional FTS5 column filter, then a phrase
_COLUMN_WEIGHT = {"title": "A", "section": "B", "text": "C"}
_WORD = re.compile(r"\w+", re.UNICODE)
_FTS_OPERATORS = {"OR", "AND", "NOT", "NEAR"}
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PASSWORD = re.compile(r"(://[^:/@]+):[^@]*@")


class PostgresStore:
    """Documents, passages, the full-text index and embeddings in one PostgreSQL database (or schema)."""

    def __init__(self, url: str, *, schema: str | None = None, editorial_db: str | Path | None = None,
                 use_pgvector: bool = True) -> None:
        """`use_pgvector=False` keeps vectors in BYTEA searched exactly even where pgvector is installed."""
        if psycopg is None:
            raise StoreError("the PostgreSQL store needs psycopg: pip install 'medoracle[pg]'")
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise StoreError(f"{schema!r} is not a plain schema name (letters, digits, underscore)")
        self.url = url
        self.schema = schema
        self.path = _PASSWORD.sub(r"\1:***@", url) + (f" (schema {schema})" if schema else "")
        self.editorial_db = str(editorial_db) if editorial_db is not None else None
        self.use_pgvector = use_pgvector
        self._vs = "public"  # the schema holding pgvector's type and operators
        self._local = threading.local()
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        self._matrix_lock = threading.Lock()
        self._matrix: tuple[tuple[int, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._df_cache: dict[str, int] = {}
        conn = self._pg()
        try:
            if schema:
                with conn.transaction():  # IF NOT EXISTS alone still collides when workers start together
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext('medoracle.schema'))")
                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            self.pgvector = self._enable_pgvector(conn)
            self._migrate(conn)
            self.uses_pgvector = self._embedding_column_type(conn) == "vector"
        except psycopg.Error as exc:
            raise StoreError(f"{self.path} is not a usable medoracle database: {exc}") from exc

    # -- connections -------------------------------------------------------------------------------
    def _pg(self):
        conn = getattr(self._local, "pg", None)
        if conn is None or conn.closed:
            try:
                conn = psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=10)
            except psycopg.Error as exc:
                raise StoreError(f"cannot reach PostgreSQL at {self.path}: {str(exc).strip()}") from exc
            if self.schema:
                # public stays on the path: where pgvector and other extensions usually live
                conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(self.schema)))
            self._local.pg = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def connect(self) -> sqlite3.Connection:
        """The SQLite connection (this thread's) for the editorial tables: articles, users, threads."""
        if self.editorial_db is None:
            raise StoreError("articles, users and threads are kept in SQLite beside a PostgreSQL store; "
                             "this store was opened without an editorial database path")
        conn = getattr(self._local, "sqlite", None)
        if conn is None:
            Path(self.editorial_db).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.editorial_db, timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.sqlite = conn
        return conn

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local.pg = None
        lite = getattr(self._local, "sqlite", None)
        if lite is not None:
            lite.close()
            self._local.sqlite = None

    def _run(self, query, params: Sequence[Any] = (), what: str = "query") -> list[dict]:
        try:
            cur = self._pg().execute(query, params)
            return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL {what} failed: {str(exc).strip()}") from exc

    # -- schema ------------------------------------------------------------------------------------
    def _migrate(self, conn) -> list[str]:
        applied = []
        with conn.transaction():
            # several web workers may start at once: one migrates, the others wait and find it done
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('medoracle.migrations.' || current_schema()))")
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (namespace TEXT NOT NULL, name TEXT NOT NULL, "
                         "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (namespace, name))")
            done = {r["name"] for r in conn.execute("SELECT name FROM _migrations WHERE namespace = %s",
                                                     (NAMESPACE,))}
            for name, statement in MIGRATIONS:
                if name not in done:
                    conn.execute(statement)
                    conn.execute("INSERT INTO _migrations (namespace, name) VALUES (%s, %s)", (NAMESPACE, name))
                    applied.append(name)
            self._ensure_embeddings_table(conn)  # under the same lock: concurrent CREATEs can collide
        return applied

    def _ensure_embeddings_table(self, conn) -> None:
        # Derived data, not a migration: its column type depends on what the server offers today.
        # `reset_embeddings` rebuilds it, which is how a store moves to pgvector once it is installed.
        column = f"embedding {self._vs}.vector" if self.pgvector else "embedding BYTEA"
        conn.execute(f"CREATE TABLE IF NOT EXISTS embeddings (passage_rowid BIGINT PRIMARY KEY "
                     f"REFERENCES passages(rowid) ON DELETE CASCADE, {column} NOT NULL)")

    def _enable_pgvector(self, conn) -> bool:
        """True when the `vector` extension is installed (installing it when the server offers it)."""
        if not self.use_pgvector:
            return False
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone():
            return False
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
        except psycopg.errors.InsufficientPrivilege:
            return False  # a DBA must run CREATE EXTENSION; meanwhile vectors are searched exactly
        except psycopg.errors.UniqueViolation:
            pass  # another worker created it at the same moment
        row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                           "WHERE e.extname = 'vector'").fetchone()
        if row is None:
            return False
        self._vs = '"' + row["nspname"].replace('"', '""') + '"'  # an existing install may live elsewhere
        return True

    def _embedding_column_type(self, conn) -> str:
        row = conn.execute("SELECT format_type(a.atttypid, NULL) AS kind FROM pg_attribute a "
                           "WHERE a.attrelid = 'embeddings'::regclass AND a.attname = 'embedding'").fetchone()
        return (row["kind"] if row else "").split(".")[-1]

    # -- writing -----------------------------------------------------------------------------------
    def has_hash(self, content_hash: str) -> bool:
        return bool(self._run("SELECT 1 FROM documents WHERE content_hash = %s", (content_hash,)))

    def add(self, document: Document, passages: Sequence[Passage], content_hash: str) -> bool:
        added, _ = self.add_many([(document, passages, content_hash)])
        return added == 1

    def add_many(self, items: Iterable[tuple[Document, Sequence[Passage], str]]) -> tuple[int, int]:
        items = list(items)
        self._df_cache.clear()
        # one round trip per step, not per document: on a laptop the round trips cost more than the writes
        fresh: dict[str, tuple[Document, Sequence[Passage], str]] = {}
        conn = self._pg()
        try:
            with conn.transaction(), conn.cursor() as cur:  # a killed ingest leaves the batch absent or complete
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

    def count_passages(self, doc_ids: Sequence[str]) -> int:
        """Passages stored for these documents (what a batch really added)."""
        rows = self._run("SELECT count(*) AS n FROM passages WHERE doc_id = ANY(%s)", (list(doc_ids),))
        return int(rows[0]["n"])

    # -- embeddings --------------------------------------------------------------------------------
    def unembedded(self, limit: int) -> list[tuple[int, str]]:
        rows = self._run(
            "SELECT p.rowid, p.title, p.section, p.text FROM passages p WHERE NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.passage_rowid = p.rowid) ORDER BY p.rowid LIMIT %s", (limit,))
        return [(r["rowid"], embedding_text(r["title"], r["section"], r["text"])) for r in rows]

    def put_embeddings(self, rowids: Sequence[int], vectors: np.ndarray, embedder: str) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(rowids) != len(vectors):
            raise StoreError(f"{len(rowids)} passages but {len(vectors)} vectors")
        if not len(rowids):
            return
        dims = int(vectors.shape[1])
        conn = self._pg()
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("INSERT INTO meta VALUES ('embedder', %s) ON CONFLICT (key) DO NOTHING", (embedder,))
                cur.execute("INSERT INTO meta VALUES ('dimensions', %s) ON CONFLICT (key) DO NOTHING", (str(dims),))
                stored = {r["key"]: r["value"] for r in cur.execute(
                    "SELECT key, value FROM meta WHERE key IN ('embedder', 'dimensions') FOR UPDATE")}
                if stored["embedder"] != embedder or stored["dimensions"] != str(dims):
                    raise StoreError(f"{self.path} holds embeddings from {stored['embedder']!r} "
                                     f"({stored['dimensions']} dimensions), not {embedder!r} ({dims}); "
                                     "re-embed with `medoracle embed --reset`")
                if self.uses_pgvector:
                    cur.execute(f"CREATE INDEX IF NOT EXISTS embeddings_hnsw ON embeddings USING hnsw "
                                f"((embedding::{self._vs}.vector({dims})) {self._vs}.vector_cosine_ops)")
                    rows = [(int(r), _vector_literal(v)) for r, v in zip(rowids, vectors)]
                    cur.executemany(f"INSERT INTO embeddings VALUES (%s, %s::{self._vs}.vector) ON CONFLICT "
                                    "(passage_rowid) DO UPDATE SET embedding = excluded.embedding", rows)
                else:
                    rows = [(int(r), v.astype(np.float16).tobytes()) for r, v in zip(rowids, vectors)]
                    cur.executemany("INSERT INTO embeddings VALUES (%s, %s) ON CONFLICT "
                                    "(passage_rowid) DO UPDATE SET embedding = excluded.embedding", rows)
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL could not store embeddings: {str(exc).strip()}") from exc

    def reset_embeddings(self) -> None:
        """Forget every vector; the table is rebuilt with pgvector if the server has it now."""
        conn = self._pg()
        with conn.transaction():
            conn.execute("DROP TABLE IF EXISTS embeddings")
            conn.execute("DELETE FROM meta WHERE key IN ('embedder', 'dimensions')")
            self.pgvector = self._enable_pgvector(conn)
            self._ensure_embeddings_table(conn)
        self.uses_pgvector = self._embedding_column_type(conn) == "vector"
        self._matrix = None

    def embedder_name(self) -> str | None:
        rows = self._run("SELECT value FROM meta WHERE key = 'embedder'")
        return rows[0]["value"] if rows else None

    def _dimensions(self) -> int | None:
        rows = self._run("SELECT value FROM meta WHERE key = 'dimensions'")
        return int(rows[0]["value"]) if rows else None

    # -- searching ---------------------------------------------------------------------------------
    def lexical(self, fts_query: str, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """(passage_id, score): Σ over the query's clauses of idf × ts_rank, title 3 : section 2 : text 1.

        PostgreSQL's own rankings know nothing of how rare a word is, so "first" would count as much as
        "hypertension"; weighting each clause by its BM25 idf (document_frequency, cached) puts that back.
        """
        clauses = fts_clauses(fts_query)
        if not clauses:
            return []
        total = max(self.passage_count(), 1)
        parts, values, scoring = [], [], []
        for i, (phrase, weights) in enumerate(clauses):
            if weights:  # `{title section} : "…"`: the words must be in those columns (tsquery 'word':AB)
                parts.append(sql.SQL("to_tsquery('english', %s) AS {}").format(sql.Identifier(f"q{i}")))
                # safe to splice: fts_clauses keeps only \w+ words, which hold no quote or operator
                values.append(" <-> ".join(f"'{w}':{weights}" for w in phrase.split()))
            else:
                parts.append(sql.SQL("phraseto_tsquery('english', %s) AS {}").format(sql.Identifier(f"q{i}")))
                values.append(phrase)
            df = self.document_frequency(phrase)
            scoring += [math.log(1 + (total - df + 0.5) / (df + 0.5)), RANK_WEIGHTS, RANK_NORMALISATION]
        names = [sql.Identifier("q", f"q{i}") for i in range(len(clauses))]
        score = sql.SQL(" + ").join(sql.SQL("%s * ts_rank(%s::float4[], p.tsv, {}, %s)").format(n) for n in names)
        where, params = _filter_sql(filters)
        query = sql.SQL(
            "SELECT p.id, {score} AS score FROM passages p, (SELECT {parts}) q "
            "WHERE p.tsv @@ ({any}) {where} ORDER BY score DESC, p.rowid LIMIT %s"
        ).format(score=score, parts=sql.SQL(", ").join(parts), any=sql.SQL(" || ").join(names), where=sql.SQL(where))
        rows = self._run(query, (*scoring, *values, *params, k), "full-text search")
        return [(r["id"], float(r["score"])) for r in rows]

    def document_frequency(self, term: str) -> int:
        """How many passages contain `term` (cached): the retriever leaves out terms too common to help."""
        if term not in self._df_cache:
            if len(self._df_cache) > 50_000:
                self._df_cache.clear()
            rows = self._run("SELECT count(*) AS n FROM passages WHERE tsv @@ phraseto_tsquery('english', %s)",
                             (term,), "full-text count")
            self._df_cache[term] = int(rows[0]["n"])
        return self._df_cache[term]

    def passage_count(self) -> int:
        # max(rowid) reads one index entry; count(*) would scan the table (deletions make it an overestimate)
        return int(self._run("SELECT coalesce(max(rowid), 0) AS n FROM passages")[0]["n"])

    def dense(self, vector: np.ndarray, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if self.uses_pgvector:
            return self._dense_hnsw(vector, k, filters)
        return self._dense_exact(vector, k, filters)

    def _dense_hnsw(self, vector: np.ndarray, k: int, filters: SearchFilters | None) -> list[tuple[str, float]]:
        dims = self._dimensions()
        if dims is None:
            return []
        if dims != vector.shape[0]:
            raise StoreError(f"stored embeddings have {dims} dimensions, the query has {vector.shape[0]}")
        where, params = _filter_sql(filters)
        vtype = f"{self._vs}.vector({dims})"
        distance = f"(e.embedding::{vtype}) OPERATOR({self._vs}.<=>) %s::{vtype}"
        query = (f"SELECT p.id, 1 - ({distance}) AS score FROM embeddings e "
                 f"JOIN passages p ON p.rowid = e.passage_rowid WHERE true {where} "
                 f"ORDER BY {distance} LIMIT %s")
        literal = _vector_literal(vector)
        conn = self._pg()
        try:
            with conn.transaction():
                # the index returns ef_search candidates before filters apply: ask for enough of them
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(min(max(40, 2 * k), 1000)),))
                if filters and not filters.empty and _version(conn) >= (0, 8):
                    conn.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
                rows = conn.execute(query, (literal, *params, literal, k)).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL vector search failed: {str(exc).strip()}") from exc
        hits = [(r["id"], float(r["score"])) for r in rows]
        return sorted(hits, key=lambda h: -h[1])  # relaxed_order may return near-ties out of order

    def _dense_exact(self, vector: np.ndarray, k: int, filters: SearchFilters | None) -> list[tuple[str, float]]:
        rowids, kinds, years, matrix = self._load_matrix()
        top = exact_top(matrix, kinds, years, vector, k, filters)
        if not top:
            return []
        wanted = [int(rowids[i]) for i, _ in top]
        ids = {r["rowid"]: r["id"] for r in self._run("SELECT rowid, id FROM passages WHERE rowid = ANY(%s)",
                                                       (wanted,))}
        return [(ids[int(rowids[i])], score) for i, score in top if int(rowids[i]) in ids]

    def _load_matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        row = self._run("SELECT count(*) AS n, coalesce(max(passage_rowid), 0) AS last FROM embeddings")[0]
        key = (int(row["n"]), int(row["last"]))
        with self._matrix_lock:
            if self._matrix is None or self._matrix[0] != key:
                rows = self._run("SELECT p.rowid, p.doc_type, coalesce(p.year, 0) AS year, e.embedding "
                                 "FROM embeddings e JOIN passages p ON p.rowid = e.passage_rowid ORDER BY p.rowid")
                rowids = np.fromiter((r["rowid"] for r in rows), dtype=np.int64, count=len(rows))
                kinds = np.array([r["doc_type"] for r in rows], dtype=object)
                years = np.fromiter((r["year"] for r in rows), dtype=np.int32, count=len(rows))
                if rows:
                    blob = b"".join(bytes(r["embedding"]) for r in rows)
                    matrix = np.frombuffer(blob, dtype=np.float16).reshape(len(rows), -1).astype(np.float32)
                else:
                    matrix = np.zeros((0, 0), dtype=np.float32)
                self._matrix = (key, rowids, kinds, years, matrix)
            _, rowids, kinds, years, matrix = self._matrix
        return rowids, kinds, years, matrix

    # -- reading -----------------------------------------------------------------------------------
    def passages(self, ids: Sequence[str]) -> list[Passage]:
        if not ids:
            return []
        rows = self._run(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id = ANY(%s)", (list(ids),))
        by_id = {r["id"]: _passage(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentMeta]:
        if not ids:
            return {}
        rows = self._run("SELECT id, title, url, source, doc_type, published, grade, metadata FROM documents "
                         "WHERE id = ANY(%s)", (list(dict.fromkeys(ids)),))
        return {r["id"]: DocumentMeta(r["id"], r["title"], r["url"], r["source"], r["doc_type"], r["published"],
                                      r["grade"], r["metadata"] or {}) for r in rows}

    def document_passages(self, doc_id: str) -> list[Passage]:
        rows = self._run(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE doc_id = %s ORDER BY position", (doc_id,))
        return [_passage(r) for r in rows]

    def stats(self) -> StoreStats:
        by_type = {r["doc_type"]: int(r["n"]) for r in
                   self._run("SELECT doc_type, count(*) AS n FROM documents GROUP BY doc_type")}
        return StoreStats(
            documents=sum(by_type.values()),
            passages=int(self._run("SELECT count(*) AS n FROM passages")[0]["n"]),
            embedded=int(self._run("SELECT count(*) AS n FROM embeddings")[0]["n"]),
            embedder=self.embedder_name(), by_doc_type=by_type)


_PASSAGE_COLUMNS = "id, doc_id, text, section, position, page, doc_type, published, grade, facet"


def fts_clauses(fts_query: str) -> list[tuple[str, str]]:
    """The clauses of an FTS5 query as `retrieve.fts_query` writes it, as (words, tsquery weights).

    `"a" OR "b c" OR {title section} : "d"` → [("a", ""), ("b c", ""), ("d", "AB")]: weights "" mean any
    column. Text not in that form is read as plain words, each its own clause, FTS5 operators dropped.
    """
    found = _CLAUSE.findall(fts_query or "")
    if found:
        clauses = [(" ".join(_WORD.findall(words)), _weights(columns)) for columns, words in found]
    else:
        clauses = [(w, "") for w in _WORD.findall(fts_query or "") if w not in _FTS_OPERATORS]
    return list(dict.fromkeys(c for c in clauses if c[0]))


def _weights(columns: str) -> str:
    letters = {_COLUMN_WEIGHT[c] for c in columns.split() if c in _COLUMN_WEIGHT}
    return "".join(sorted(letters)) if len(letters) < len(_COLUMN_WEIGHT) else ""


def _version(conn) -> tuple[int, ...]:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return tuple(int(x) for x in re.findall(r"\d+", row["extversion"])[:3]) if row else (0,)


def _vector_literal(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(v, dtype=np.float32).tolist()) + "]"


def _filter_sql(filters: SearchFilters | None) -> tuple[str, list[list[str] | int]]:
    if not filters or filters.empty:
        return "", []
    parts: list[str] = []
    params: list[list[str] | int] = []
    if filters.doc_types:
        parts.append("p.doc_type = ANY(%s)")
        params.append(list(filters.doc_types))
    if filters.since_year is not None:
        parts.append("p.year >= %s")
        params.append(filters.since_year)
    return " AND " + " AND ".join(parts), params


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
                   grade=Grade.model_validate_json(r["grade"]) if r["grade"] else None, facet=r["facet"])
