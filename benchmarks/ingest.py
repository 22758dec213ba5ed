"""Ingestion throughput on all of ../shared/data/corpora, without embeddings, plus embedding throughput.

Rows: reading only (the readers' floor), reading + chunking + grading, and the full ingest into SQLite.
Target: full ingest ≥ 2,000 passages/s on a 2-core machine.

    python benchmarks/ingest.py [--embed-sample 2000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, machine, require_data, table  # noqa: E402

from medoracle.embed import get_embedder  # noqa: E402
from medoracle.ingest.chunking import chunk  # noqa: E402
from medoracle.ingest.pipeline import embed_pending, grade_passage, ingest  # noqa: E402
from medoracle.ingest.readers import read_path  # noqa: E402
from medoracle.store import SQLiteStore  # noqa: E402
from medoracle.types import Document  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embed-sample", type=int, default=2000, help="passages to embed for the embedding rate")
    args = ap.parse_args()
    require_data()
    rows = []

    t = time.perf_counter()
    docs = sum(1 for f in CORPORA for d in read_path(f) if isinstance(d, Document))
    read_s = time.perf_counter() - t
    rows.append(["read only", docs, "", read_s, ""])

    t = time.perf_counter()
    passages = sum(len(chunk(d, grader=grade_passage)) for f in CORPORA for d in read_path(f)
                   if isinstance(d, Document))
    chunk_s = time.perf_counter() - t
    rows.append(["read + chunk + grade", docs, passages, chunk_s, passages / chunk_s])

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = SQLiteStore(db)
        t = time.perf_counter()
        summary = ingest(CORPORA, store)
        full_s = time.perf_counter() - t
        rows.append(["full ingest (SQLite + FTS5)", summary.added, summary.passages, full_s,
                     summary.passages / full_s])
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) / 1e6
        embedder = get_embedder("minilm-int8")
        conn = sqlite3.connect(store.path, isolation_level=None)  # behind the seam: a benchmark-only shortcut
        conn.execute(f"DELETE FROM passages WHERE rowid NOT IN (SELECT rowid FROM passages ORDER BY random() "
                     f"LIMIT {args.embed_sample})")  # embed a random sample only: the rate is what we measure
        t = time.perf_counter()
        n = embed_pending(store, embedder)
        emb_s = time.perf_counter() - t
        rows.append([f"embedding sample ({embedder.name})", "", n, emb_s, n / emb_s])

    print(f"Ingestion of {len(CORPORA)} corpora — {machine()}\n")
    print(table(["stage", "documents", "passages", "seconds", "passages/s"], rows))
    print(f"\nDatabase size without embeddings: {size_mb:,.0f} MB; skipped records: {summary.skipped}")


if __name__ == "__main__":
    main()
