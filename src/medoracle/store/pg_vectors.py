"""Passage vectors in PostgreSQL: pgvector HNSW where the server has the extension, else numpy search.

Without the `vector` extension (Debian bookworm ships no pgvector package for its server) vectors are
float16 BYTEA rows loaded once into a numpy matrix and searched as in SQLite (`VectorIndex`: exact for small
stores, a coarse PCA scan re-scored exactly for large ones). `reset` rebuilds the table, which is how a store
moves to pgvector once a DBA has installed it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from medoracle.errors import StoreError
from medoracle.store.base import VectorIndex, embedding_text
from medoracle.store.query import SearchFilters
from medoracle.store.rows import ReadState

try:
    import psycopg
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    psycopg = None  # type: ignore[assignment]


def run_query(connection: Callable[[], AbstractContextManager[Any]], query: Any, params: Sequence[Any] = (),
              what: str = "query") -> list[dict]:
    """One statement on a pooled connection; its rows (none for a statement that returns none). A driver error
    becomes a StoreError that says which kind of query failed."""
    try:
        with connection() as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []
    except psycopg.Error as exc:
        raise StoreError(f"PostgreSQL {what} failed: {str(exc).strip()}") from exc


class PgVectors:
    """The `embeddings` table of one PostgreSQL store; `connection` checks out a dict-row connection."""

    def __init__(self, connection: Callable[[], AbstractContextManager[Any]], location: str,
                 use_pgvector: bool = True, held: Callable[[], ReadState | None] = lambda: None) -> None:
        """`held`: the store's state held for this thread (`medoracle.store.rows.Pin.get`), if any."""
        self._connection = connection
        self._held = held
        self.path = location
        self.use_pgvector = use_pgvector
        self._vs = "public"  # the schema holding pgvector's type and operators
        self._matrix_lock = threading.Lock()
        self._matrix: tuple[tuple[int, int], np.ndarray, VectorIndex] | None = None
        with self._connection() as conn:
            self.pgvector = self._enable_pgvector(conn)
            with conn.transaction():  # under the migration lock: CREATEs from workers starting together collide
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('medoracle.migrations.' || current_schema()))")
                self._ensure_table(conn)
            self.uses_pgvector = self._column_type(conn) == "vector"

    def _run(self, query: Any, params: Sequence[Any] = (), what: str = "query") -> list[dict]:
        return run_query(self._connection, query, params, what)

    # -- schema ------------------------------------------------------------------------------------
    def _ensure_table(self, conn: Any) -> None:
        # Derived data, not a migration: its column type depends on what the server offers today.
        column = f"embedding {self._vs}.vector" if self.pgvector else "embedding BYTEA"
        conn.execute(f"CREATE TABLE IF NOT EXISTS embeddings (passage_rowid BIGINT PRIMARY KEY "
                     f"REFERENCES passages(rowid) ON DELETE CASCADE, {column} NOT NULL)")

    def _enable_pgvector(self, conn: Any) -> bool:
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

    def _column_type(self, conn: Any) -> str:
        row = conn.execute("SELECT format_type(a.atttypid, NULL) AS kind FROM pg_attribute a "
                           "WHERE a.attrelid = 'embeddings'::regclass AND a.attname = 'embedding'").fetchone()
        return (row["kind"] if row else "").split(".")[-1]

    # -- vectors -----------------------------------------------------------------------------------
    def unembedded(self, limit: int) -> list[tuple[int, str]]:
        rows = self._run(
            "SELECT p.rowid, p.title, p.section, p.text FROM passages p WHERE NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.passage_rowid = p.rowid) ORDER BY p.rowid LIMIT %s", (limit,))
        return [(r["rowid"], embedding_text(r["title"], r["section"], r["text"])) for r in rows]

    def put(self, rowids: Sequence[int], vectors: np.ndarray, embedder: str) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(rowids) != len(vectors):
            raise StoreError(f"{len(rowids)} passages but {len(vectors)} vectors")
        if not len(rowids):
            return
        dims = int(vectors.shape[1])
        try:
            with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
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
                    rows = [(int(r), _vector_literal(v)) for r, v in zip(rowids, vectors, strict=True)]
                    cur.executemany(f"INSERT INTO embeddings VALUES (%s, %s::{self._vs}.vector) ON CONFLICT "
                                    "(passage_rowid) DO UPDATE SET embedding = excluded.embedding", rows)
                else:
                    rows = [(int(r), v.astype(np.float16).tobytes()) for r, v in zip(rowids, vectors, strict=True)]
                    cur.executemany("INSERT INTO embeddings VALUES (%s, %s) ON CONFLICT "
                                    "(passage_rowid) DO UPDATE SET embedding = excluded.embedding", rows)
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL could not store embeddings: {str(exc).strip()}") from exc

    def reset(self) -> None:
        """Forget every vector; the table is rebuilt with pgvector if the server has it now."""
        with self._connection() as conn:
            with conn.transaction():
                conn.execute("DROP TABLE IF EXISTS embeddings")
                conn.execute("DELETE FROM meta WHERE key IN ('embedder', 'dimensions')")
                self.pgvector = self._enable_pgvector(conn)
                self._ensure_table(conn)
            self.uses_pgvector = self._column_type(conn) == "vector"
        self._matrix = None

    def _dimensions(self) -> int | None:
        if (state := self._held()) is not None:
            return state.dimensions
        rows = self._run("SELECT value FROM meta WHERE key = 'dimensions'")
        return int(rows[0]["value"]) if rows else None

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
        where, params = filter_sql(filters)
        vtype = f"{self._vs}.vector({dims})"
        distance = f"(e.embedding::{vtype}) OPERATOR({self._vs}.<=>) %s::{vtype}"
        query = (f"SELECT p.id, 1 - ({distance}) AS score FROM embeddings e "
                 f"JOIN passages p ON p.rowid = e.passage_rowid WHERE true {where} "
                 f"ORDER BY {distance} LIMIT %s")
        literal = _vector_literal(vector)
        try:
            with self._connection() as conn, conn.transaction():
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
        rowids, index = self._load_matrix()
        top = index.top(vector, k, filters)
        if not top:
            return []
        wanted = [int(rowids[i]) for i, _ in top]
        ids = {r["rowid"]: r["id"] for r in self._run("SELECT rowid, id FROM passages WHERE rowid = ANY(%s)",
                                                       (wanted,))}
        return [(ids[int(rowids[i])], score) for i, score in top if int(rowids[i]) in ids]

    def _load_matrix(self) -> tuple[np.ndarray, VectorIndex]:
        state, kept = self._held(), self._matrix
        if state is not None and kept is not None and kept[0] == state.vectors:
            return kept[1], kept[2]  # the matrix of the vectors this answer read
        # (a held key that is not the kept one is read again: two answers at different keys must not take turns
        # reloading the matrix)
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
                self._matrix = (key, rowids, VectorIndex(matrix, kinds, years))
            _, rowids, index = self._matrix
        return rowids, index


def _version(conn: Any) -> tuple[int, ...]:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return tuple(int(x) for x in re.findall(r"\d+", row["extversion"])[:3]) if row else (0,)


def _vector_literal(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(v, dtype=np.float32).tolist()) + "]"


def filter_sql(filters: SearchFilters | None) -> tuple[str, list[list[str] | int]]:
    """SQL (`AND …`, on passages aliased `p`) and parameters for search filters."""
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
