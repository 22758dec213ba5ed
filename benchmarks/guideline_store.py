"""The benchmark database for the audience and follow-up benchmarks: the bundled knowledge base plus the NGC
guideline summaries from ../shared/data, ingested and embedded once into .bench/guidelines.db (resumable)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, DATA, require_data  # noqa: E402

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
    ensure_knowledge_base(store, settings)
    conn = store.connect()
    if conn.execute("SELECT COUNT(*) FROM documents WHERE id LIKE 'ngc%'").fetchone()[0] == 0:
        print("ingesting NGC guidelines …", file=sys.stderr)
        ingest([NGC], store)
    stats = store.stats()
    if dense and stats.embedded < stats.passages:
        print(f"embedding {stats.passages - stats.embedded:,} passages (resumable) …", file=sys.stderr)
        embed_pending(store, get_embedder("minilm-int8"), batch=128)
    return store


if __name__ == "__main__":
    s = guideline_store(dense="--dense" in sys.argv)
    print(s.stats())
