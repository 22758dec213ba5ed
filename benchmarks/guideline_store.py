"""The benchmark database for the audience and follow-up benchmarks: the bundled knowledge base plus the NGC
guideline summaries from ../shared/data, ingested and embedded once into .bench/guidelines.db (resumable)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, DATA, require_data  # noqa: E402

from medoracle.editorial import repository_beside  # noqa: E402
from medoracle.embed import get_embedder  # noqa: E402
from medoracle.ingest.pipeline import embed_pending, ingest  # noqa: E402
from medoracle.kb.build import ensure_knowledge_base  # noqa: E402
from medoracle.settings import Settings  # noqa: E402
from medoracle.store import SQLiteStore  # noqa: E402

NGC = DATA / "corpora" / "ngc_guidelines.jsonl.gz"


def guideline_store(*, dense: bool = False) -> SQLiteStore:
    """The store; with `dense`, every passage is embedded first (NGC is ~49k passages: over an hour on 2 cores,
    so by default the benchmarks retrieve lexically and say so)."""
    require_data()
    CACHE.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(CACHE / "guidelines.db")
    settings = Settings(db=str(CACHE / "guidelines.db"), embedder="minilm-int8" if dense else "none")
    conn = sqlite3.connect(store.path)  # behind the seam: benchmark set-up on a SQLite file
    if conn.execute("SELECT COUNT(*) FROM documents WHERE id LIKE 'ngc%'").fetchone()[0] == 0:
        print("ingesting NGC guidelines …", file=sys.stderr)
        ingest([NGC], store)
    if dense:
        # Before the knowledge base is (re)built: its build embeds every passage still without a vector.
        _borrow_vectors(store, CACHE / "all.db")
    ensure_knowledge_base(store, settings, repository_beside(store))
    stats = store.stats()
    if dense and stats.embedded < stats.passages:
        print(f"embedding {stats.passages - stats.embedded:,} passages (resumable) …", file=sys.stderr)
        embed_pending(store, get_embedder("minilm-int8"), batch=128)
    return store


def _borrow_vectors(store: SQLiteStore, donor: Path) -> None:
    """Copy vectors of identical passages (same id, same text, same model) from the retrieval benchmark's
    database, so the NGC passages are not embedded twice."""
    if not donor.exists():
        return
    conn = sqlite3.connect(store.path)
    conn.execute("ATTACH DATABASE ? AS donor", (str(donor),))
    try:
        row = conn.execute("SELECT value FROM donor.meta WHERE key = 'embedder'").fetchone()
        if not row or row[0] != "minilm-int8":
            return
        with conn:
            conn.execute("INSERT OR IGNORE INTO embeddings SELECT p.rowid, e.vector FROM passages p "
                         "JOIN donor.passages d ON d.id = p.id AND d.text = p.text "
                         "JOIN donor.embeddings e ON e.passage_rowid = d.rowid")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('embedder', 'minilm-int8')")
            conn.execute("INSERT INTO meta VALUES ('vectors_version', '1') ON CONFLICT(key) DO UPDATE SET "
                         "value = CAST(value AS INTEGER) + 1")
    finally:
        conn.execute("DETACH DATABASE donor")


if __name__ == "__main__":
    s = guideline_store(dense="--dense" in sys.argv)
    print(s.stats())
