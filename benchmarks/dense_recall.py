"""Two-stage dense search (`medoracle.store.vectors.VectorIndex`) against the exact scan, on real vectors: recall of
the exact top-100 and top-10, and the cost of one query each way, side by side in the same run.

    python benchmarks/dense_recall.py [--db PATH] [--n 100] [--dims 64 96 128] [--pool-factor 5 10 20]

Vectors come from the benchmark database (read only); the questions are the three dev sets' (first n each,
seeded sample), embedded with the store's own embedder.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, DATA, machine, percentile, table  # noqa: E402

from medoracle.embed import get_embedder  # noqa: E402
from medoracle.store import vectors  # noqa: E402
from medoracle.store.vectors import VectorIndex, exact_top  # noqa: E402

SETS = ("medquad_dev", "pubmedqa_dev", "bioasq_dev")


def load(db: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute("SELECT p.doc_type, coalesce(p.year, 0), e.vector FROM embeddings e "
                        "JOIN passages p ON p.rowid = e.passage_rowid ORDER BY p.rowid").fetchall()
    kinds = np.array([r[0] for r in rows], dtype=object)
    years = np.array([r[1] for r in rows], dtype=np.int32)
    matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float16).reshape(len(rows), -1)
    return matrix.astype(np.float32), kinds, years


def questions(n: int) -> list[str]:
    out: list[str] = []
    for name in SETS:
        rows = [json.loads(line) for line in (DATA / "questions" / f"{name}.jsonl").open()]
        out += [r["question"] for r in random.Random(13).sample(rows, min(n, len(rows)))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=str(CACHE / "all.db"))
    ap.add_argument("--n", type=int, default=100, help="questions per dev set")
    ap.add_argument("--k", type=int, default=100, help="results per query (retrieval asks for 100)")
    ap.add_argument("--dims", type=int, nargs="+", default=[vectors.COARSE_DIMS])
    ap.add_argument("--pool-factor", type=int, nargs="+", default=[vectors.POOL_FACTOR])
    args = ap.parse_args()
    matrix, kinds, years = load(Path(args.db))
    embedder = get_embedder("minilm-int8")
    queries = np.asarray([embedder.embed_query(q) for q in questions(args.n)], dtype=np.float32)
    print(f"{machine()}; {len(matrix):,} vectors × {matrix.shape[1]}, {len(queries)} questions, k = {args.k}")
    systems: list[tuple[str, int | str, VectorIndex | None]] = [("exact scan", "—", None)]
    for dims in args.dims:
        t = time.perf_counter()
        built_index = VectorIndex(matrix, kinds, years, dims=dims, exact_below=0)
        built = time.perf_counter() - t
        systems += [(f"PCA {dims} (built in {built:.1f} s)", factor, built_index) for factor in args.pool_factor]
    # interleaved: each question is searched by every system in turn, so machine load falls on all alike
    found: list[list] = [[] for _ in systems]
    ms: list[list[float]] = [[] for _ in systems]
    for q in queries:
        for n, (_, factor, index) in enumerate(systems):
            if index is not None:
                index.pool_factor = int(factor)
            t = time.perf_counter()
            hits = exact_top(matrix, kinds, years, q, args.k, None) if index is None else index.top(q, args.k, None)
            ms[n].append((time.perf_counter() - t) * 1000)
            found[n].append(hits)
    exact = found[0]
    rows = []
    for n, (label, factor, _) in enumerate(systems):
        r_all = np.mean([len({i for i, _ in f} & {i for i, _ in e}) / len(e) for f, e in zip(found[n], exact)])
        r_10 = np.mean([len({i for i, _ in f[:10]} & {i for i, _ in e[:10]}) / 10 for f, e in zip(found[n], exact)])
        same = np.mean([[i for i, _ in f[:10]] == [i for i, _ in e[:10]] for f, e in zip(found[n], exact)])
        rows.append([label, factor, round(float(same), 3), round(float(r_all), 4), round(float(r_10), 4),
                     round(percentile(ms[n], 50), 2), round(percentile(ms[n], 95), 2),
                     round(percentile(ms[0], 50) / percentile(ms[n], 50), 2)])
    print(table(["search", "pool ×k", "same top-10 order", f"recall@{args.k}", "recall@10", "p50 ms", "p95 ms",
                 "exact p50 / p50"],
                rows))


if __name__ == "__main__":
    main()
