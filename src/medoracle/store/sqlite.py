"""The embedded default store: one SQLite file with FTS5 and float16 embedding BLOBs.

Vectors are searched with numpy (`medoracle.store.vectors.VectorIndex`): exactly for small stores, and from
EXACT_BELOW rows on by a coarse PCA scan whose candidate pool is re-scored exactly (the full scan of 10^5 × 384
floats per query was the largest single cost of a search over the four shared corpora).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from medoracle.errors import StoreError
from medoracle.store.base import DocumentMeta, StoreStats, embedding_text, grade_of
from medoracle.store.db import SQLiteDatabase, Tx
from medoracle.store.faults import sqlite_fault
from medoracle.store.migrations import Migrations, migrate
from medoracle.store.query import LexicalQuery, SearchFilters
from medoracle.store.rows import (
    DOCUMENT_COLUMNS,
    PASSAGE_COLUMNS,
    Pin,
    ReadState,
    RowCache,
    cached_passage,
    document_meta,
)
from medoracle.store.vectors import VectorIndex
from medoracle.types import DocType, Document, Passage, year_of

migrations = Migrations("store")


@migrations.register
def create_documents_and_passages(tx: Tx) -> None:
    for statement in (
        """CREATE TABLE documents (
            id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', url TEXT, source TEXT,
            doc_type TEXT NOT NULL, published TEXT, year INTEGER, grade TEXT,
            metadata TEXT NOT NULL DEFAULT '{}', content_hash TEXT NOT NULL, ingested_at TEXT NOT NULL)""",
        "CREATE UNIQUE INDEX documents_hash ON documents(content_hash)",
        """CREATE TABLE passages (
            rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, section TEXT NOT NULL DEFAULT '', page INTEGER,
            title TEXT NOT NULL DEFAULT '', text TEXT NOT NULL, doc_type TEXT NOT NULL,
            published TEXT, year INTEGER, grade TEXT, facet TEXT)""",
        "CREATE INDEX passages_doc ON passages(doc_id)",
        """CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, section, text, content='passages', content_rowid='rowid',
            tokenize='porter unicode61 remove_diacritics 2')""",
        "CREATE TABLE embeddings (passage_rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    ):
        tx.execute(statement)


class SQLiteStore:
    """Documents, passages, the FTS5 index and embeddings in one WAL-mode SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = SQLiteDatabase(self.path)
        self._matrix_lock = threading.Lock()
        self._matrix: tuple[Hashable, list[str], VectorIndex] | None = None
        self._df_cache: dict[tuple[str, tuple[str, ...]], int] = {}  # (term, fields) → passages
        self._rows = RowCache()  # passages and documents by id, for one content version (`medoracle.store.rows`)
        self._pin = Pin()  # the state one answer reads the store at (`reading`)
        migrate(self.db, migrations)

    # -- connections -------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        # WAL + synchronous=NORMAL: consistent always, durable at checkpoint; evidence can be re-ingested
        conn = self.db.connect()
        if conn.row_factory is not sqlite3.Row:
            conn.row_factory = sqlite3.Row
        return conn

    def _read(self, statement: str, params: Sequence = ()) -> list[sqlite3.Row]:
        try:
            return self._conn().execute(statement, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise sqlite_fault(self.path, exc) from exc

    def close(self) -> None:
        self.db.close()

    def reading(self) -> AbstractContextManager[None]:
        """Within the block, this thread reads the content version, passage count, embedder and vectors' version
        once (`medoracle.store.rows.Pin`)."""
        return self._pin.holding(self._read_state)

    def _read_state(self) -> ReadState:
        row = self._read(
            "SELECT (SELECT value FROM meta WHERE key = 'passages_version'), "
            "(SELECT value FROM meta WHERE key = 'embedder'), (SELECT value FROM meta WHERE key = 'vectors_version'), "
            "(SELECT max(rowid) FROM passages)")[0]
        return ReadState(version=str(row[0]) if row[0] is not None else "0", passages=row[3] or 0, embedder=row[1],
                         vectors=int(row[2]) if row[2] is not None else 0)

    def check(self) -> list[str]:
        """PRAGMA integrity_check (every page and index) and the FTS5 index's own check."""
        problems = [r[0] for r in self._read("PRAGMA integrity_check") if r[0] != "ok"]
        try:
            self._conn().execute("INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index: {exc}")
        return problems

    # -- writing -----------------------------------------------------------------------------------
    def has_hash(self, content_hash: str) -> bool:
        return bool(self._read("SELECT 1 FROM documents WHERE content_hash = ?", (content_hash,)))

    def stored_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        ids = list(dict.fromkeys(doc_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            out.update((r[0], r[1]) for r in self._read(
                f"SELECT id, content_hash FROM documents WHERE id IN ({marks})", chunk))
        return out

    def add(self, document: Document, passages: Sequence[Passage], content_hash: str) -> bool:
        added, _ = self.add_many([(document, passages, content_hash)])
        return added == 1

    def add_many(self, items: Iterable[tuple[Document, Sequence[Passage], str]]) -> tuple[int, int]:
        self._df_cache.clear()
        self._pin.drop()
        added = unchanged = 0
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        # one BEGIN IMMEDIATE transaction: a killed ingest leaves the batch absent or complete, and a second
        # ingest waits here rather than racing past the content-hash check
        with self.db.transaction():
            conn = self._conn()
            for doc, passages, content_hash in items:
                if conn.execute("SELECT 1 FROM documents WHERE content_hash = ?", (content_hash,)).fetchone():
                    unchanged += 1
                    continue
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc.id,)).fetchone():
                    self._delete_document(conn, doc.id)  # same id, new content: the new version replaces it
                year = year_of(doc.published)
                conn.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (doc.id, doc.title, doc.url, doc.source, doc.doc_type.value, doc.published, year, doc.grade,
                     json.dumps(doc.metadata, default=str), content_hash, now))
                for p in passages:
                    cur = conn.execute(
                        "INSERT INTO passages (id, doc_id, position, section, page, title, text, doc_type, "
                        "published, year, grade, facet) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (p.id, doc.id, p.position, p.section, p.page, doc.title, p.text, p.doc_type.value,
                         p.published, year, p.grade.model_dump_json() if p.grade else None, p.facet))
                    conn.execute("INSERT INTO passages_fts(rowid, title, section, text) VALUES (?,?,?,?)",
                                 (cur.lastrowid, doc.title, p.section, p.text))
                added += 1
            if added:
                _bump_version(conn, "passages_version")
        return added, unchanged

    def remove(self, doc_ids: Sequence[str]) -> int:
        self._df_cache.clear()
        self._pin.drop()
        removed = 0
        with self.db.transaction():
            conn = self._conn()
            for doc_id in doc_ids:
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
                    self._delete_document(conn, doc_id)
                    removed += 1
        return removed

    def _delete_document(self, conn: sqlite3.Connection, doc_id: str) -> None:
        rows = conn.execute("SELECT rowid, title, section, text FROM passages WHERE doc_id = ?", (doc_id,)).fetchall()
        for r in rows:
            conn.execute("INSERT INTO passages_fts(passages_fts, rowid, title, section, text) "
                         "VALUES ('delete', ?, ?, ?, ?)", (r["rowid"], r["title"], r["section"], r["text"]))
            conn.execute("DELETE FROM embeddings WHERE passage_rowid = ?", (r["rowid"],))
        conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        _bump_version(conn, "passages_version")
        if rows:
            _bump_version(conn, "vectors_version")

    # -- embeddings --------------------------------------------------------------------------------
    def unembedded(self, limit: int) -> list[tuple[int, str]]:
        rows = self._read(
            "SELECT p.rowid, p.title, p.section, p.text FROM passages p "
            "LEFT JOIN embeddings e ON e.passage_rowid = p.rowid WHERE e.passage_rowid IS NULL "
            "ORDER BY p.rowid LIMIT ?", (limit,))
        return [(r["rowid"], embedding_text(r["title"], r["section"], r["text"])) for r in rows]

    def put_embeddings(self, rowids: Sequence[int], vectors: np.ndarray, embedder: str) -> None:
        self._pin.drop()
        with self.db.transaction():
            conn = self._conn()
            current = conn.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
            if current and current[0] != embedder:
                raise StoreError(f"{self.path} holds embeddings from {current[0]!r}, not {embedder!r}; "
                                 "re-embed with `medoracle embed --reset`")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('embedder', ?)", (embedder,))
            _bump_version(conn, "vectors_version")
            conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                             [(int(r), v.astype(np.float16).tobytes()) for r, v in zip(rowids, vectors, strict=True)])

    def reset_embeddings(self) -> None:
        self._pin.drop()
        with self.db.transaction():
            conn = self._conn()
            conn.execute("DELETE FROM embeddings")
            conn.execute("DELETE FROM meta WHERE key = 'embedder'")
            _bump_version(conn, "vectors_version")
        self._matrix = None

    def embedder_name(self) -> str | None:
        if (state := self._pin.get()) is not None:
            return state.embedder
        rows = self._read("SELECT value FROM meta WHERE key = 'embedder'")
        return rows[0][0] if rows else None

    def _load_matrix(self) -> tuple[list[str], VectorIndex]:
        """(passage id of each row, the index). A version number in `meta`, bumped by every write to the
        vectors (and by every deletion of passages, so a row's id never changes under it), tells whether the
        in-memory matrix is stale without counting the table on every query."""
        state, kept = self._pin.get(), self._matrix
        if state is not None and kept is not None and kept[0] == state.vectors:
            return kept[1], kept[2]  # the matrix of the version this answer read
        # (a held version that is not the kept one is read again: two answers at different versions must not
        # take turns reloading the matrix)
        found = self._read("SELECT value FROM meta WHERE key = 'vectors_version'")
        count = int(found[0][0]) if found else 0
        with self._matrix_lock:
            if self._matrix is None or self._matrix[0] != count:
                rows = self._read(
                    "SELECT p.id, p.doc_type, coalesce(p.year, 0), e.vector FROM embeddings e "
                    "JOIN passages p ON p.rowid = e.passage_rowid ORDER BY p.rowid")
                ids = [r[0] for r in rows]
                kinds = np.array([r[1] for r in rows], dtype=object)
                years = np.fromiter((r[2] for r in rows), dtype=np.int32, count=len(rows))
                if rows:
                    matrix = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float16).reshape(len(rows), -1)
                    matrix = matrix.astype(np.float32)
                else:
                    matrix = np.zeros((0, 0), dtype=np.float32)
                self._matrix = (count, ids, VectorIndex(matrix, kinds, years))
            _, ids, index = self._matrix
        return ids, index

    # -- searching ---------------------------------------------------------------------------------
    def lexical(self, query: LexicalQuery, k: int) -> list[tuple[str, float]]:
        """FTS5 bm25 (title 3 : section 2 : text 1). Clauses of equal weight share one MATCH; with several
        weights, each weight's MATCH is ranked on its own and the scores add up, weighted."""
        groups: dict[float, list[str]] = {}
        for clause in query.unique_clauses():
            groups.setdefault(clause.weight, []).append(fts5_clause(clause.words, clause.fields))
        if not groups:
            return []
        if len(groups) == 1:
            return self._match(" OR ".join(next(iter(groups.values()))), k, query.filters)
        scores: dict[str, float] = {}
        for weight, clauses in groups.items():
            for pid, score in self._match(" OR ".join(clauses), k * 2, query.filters):
                scores[pid] = scores.get(pid, 0.0) + weight * score
        return sorted(scores.items(), key=lambda h: -h[1])[:k]

    def _match(self, expression: str, k: int, filters: SearchFilters) -> list[tuple[str, float]]:
        where, params = _filter_sql(filters, alias="p")
        # rank inside FTS5 first and join only the winners: joining every matching row (tens of thousands
        # for a common word) before sorting costs more than the full-text search itself
        inner = ("SELECT rowid, bm25(passages_fts, 3.0, 2.0, 1.0) AS rank_ FROM passages_fts "
                 "WHERE passages_fts MATCH ? ORDER BY rank_ LIMIT ?")
        sql = (f"SELECT p.id, -hits.rank_ FROM ({inner}) AS hits JOIN passages p ON p.rowid = hits.rowid "
               f"WHERE 1 {where} ORDER BY hits.rank_ LIMIT ?")
        limit = k if not where else k * 20  # filtered: rank deeper, since many winners will be filtered out
        rows = self._read(sql, (expression, limit, *params, k))
        return [(r[0], float(r[1])) for r in rows]

    def dense(self, vector: np.ndarray, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        ids, index = self._load_matrix()
        return [(ids[i], score) for i, score in index.top(np.asarray(vector), k, filters)]

    def document_frequency(self, term: str) -> int:
        """How many passages contain `term` (as FTS5 tokenises it), cached: the retriever drops terms so common
        that they cost most of a query's time and add almost nothing to its ranking."""
        return self._frequency(term, ())

    def heading_frequency(self, term: str) -> int:
        """How many passages hold `term` in their title or section heading, cached: a common term searched in
        headings only still costs a query as many rows as hold it there ("disease", "syndrome", "treatment")."""
        return self._frequency(term, ("title", "section"))

    def _frequency(self, term: str, fields: tuple[str, ...]) -> int:
        cache = self._df_cache
        key = (term, fields)
        if key not in cache:
            if len(cache) > 50_000:
                cache.clear()
            phrase = '"' + term.replace('"', '""') + '"'
            expression = f"{{{' '.join(fields)}}} : {phrase}" if fields else phrase
            cache[key] = self._read("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?",
                                    (expression,))[0][0]
        return cache[key]

    def count_passages(self, doc_ids: Sequence[str]) -> int:
        """Passages stored for these documents (what a batch really added)."""
        marks = ",".join("?" * len(doc_ids))
        return self._read(f"SELECT count(*) FROM passages WHERE doc_id IN ({marks})", list(doc_ids))[0][0]

    def passage_count(self) -> int:
        if (state := self._pin.get()) is not None:
            return state.passages
        return self._read("SELECT max(rowid) FROM passages")[0][0] or 0

    # -- reading -----------------------------------------------------------------------------------
    def content_version(self) -> str:
        """`passages_version` in `meta`, bumped in the transaction of every write to documents or passages."""
        if (state := self._pin.get()) is not None:
            return state.version
        return self._stored_version()

    def _stored_version(self) -> str:
        found = self._read("SELECT value FROM meta WHERE key = 'passages_version'")
        return str(found[0][0]) if found else "0"

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
        marks = ",".join("?" * len(ids))
        rows = self._read(f"SELECT {PASSAGE_COLUMNS} FROM passages WHERE id IN ({marks})", ids)
        return {r[0]: cached_passage(tuple(r)) for r in rows}

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentMeta]:
        if not ids:
            return {}
        return self._rows.documents(self._version(), ids, self._fetch_documents)

    def _fetch_documents(self, ids: list[str]) -> dict[str, DocumentMeta]:
        marks = ",".join("?" * len(ids))
        rows = self._read(f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id IN ({marks})", ids)
        return {r[0]: document_meta(tuple(r)) for r in rows}

    def document_passages(self, doc_id: str) -> list[Passage]:
        rows = self._read("SELECT * FROM passages WHERE doc_id = ? ORDER BY position", (doc_id,))
        return [_passage(r) for r in rows]

    def iter_passages(self, batch: int = 1000) -> Iterator[Passage]:
        last = 0
        while True:
            rows = self._read("SELECT * FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch))
            if not rows:
                return
            yield from (_passage(r) for r in rows)
            last = rows[-1]["rowid"]

    def stats(self) -> StoreStats:
        by_type = {r[0]: r[1] for r in self._read("SELECT doc_type, count(*) FROM documents GROUP BY doc_type")}
        return StoreStats(
            documents=sum(by_type.values()),
            passages=self._read("SELECT count(*) FROM passages")[0][0],
            embedded=self._read("SELECT count(*) FROM embeddings")[0][0],
            embedder=self.embedder_name(), by_doc_type=by_type)


def _bump_version(conn: sqlite3.Connection, key: str) -> None:
    """Count a write to what `key` versions (`vectors_version`, `passages_version`), in the writer's transaction."""
    conn.execute("INSERT INTO meta VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                 (key,))


def fts5_clause(words: tuple[str, ...], fields: tuple[str, ...] = ()) -> str:
    """One clause as FTS5 text: a quoted phrase (so no word is read as an operator), column-filtered."""
    phrase = '"' + " ".join(words).replace('"', '""') + '"'
    return f"{{{' '.join(fields)}}} : {phrase}" if fields else phrase


def _filter_sql(filters: SearchFilters | None, alias: str) -> tuple[str, list[str | int]]:
    if not filters or filters.empty:
        return "", []
    parts: list[str] = []
    params: list[str | int] = []
    if filters.doc_types:
        parts.append(f"{alias}.doc_type IN ({','.join('?' * len(filters.doc_types))})")
        params.extend(filters.doc_types)
    if filters.since_year is not None:
        parts.append(f"{alias}.year >= ?")
        params.append(filters.since_year)
    return " AND " + " AND ".join(parts), params


def _passage(r: sqlite3.Row) -> Passage:
    return Passage(id=r["id"], doc_id=r["doc_id"], text=r["text"], section=r["section"], position=r["position"],
                   page=r["page"], doc_type=DocType(r["doc_type"]), published=r["published"],
                   grade=grade_of(r["grade"]), facet=r["facet"])
