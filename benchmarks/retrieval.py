"""Retrieval quality and speed on the real corpora: plain BM25 (bm25s), dense-only and their reciprocal rank
fusion (RRF, k = 60 over each top 100: the simplest fusion anyone would try) vs medoracle.

All four corpora of ../shared/data/corpora are ingested and embedded once into a cached database
(.bench/all.db, resumable). For each dev question set, every system ranks documents and we report
recall@10, MRR@10, nDCG@10 (BioASQ: recall@10 and MAP@10 over gold_pmids) and query latency p50/p95,
side by side in the same run. Primary metric: MRR@10 (MedQuAD, PubMedQA), MAP@10 (BioASQ).

    python benchmarks/retrieval.py [--n 300] [--all] [--db PATH] [--sets bioasq_dev ...]

`--db` reads another copy of the benchmark database as it is (nothing is ingested or embedded: a passage without a
vector is then found by the lexical side only, for every system alike); `--sets` runs some sets only.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, CORPORA, DATA, machine, percentile, require_data, table  # noqa: E402

from medoracle.embed import get_embedder  # noqa: E402
from medoracle.ingest.pipeline import embed_pending, ingest  # noqa: E402
from medoracle.retrieve import retrieve  # noqa: E402
from medoracle.store import SQLiteStore  # noqa: E402

K = 10
RRF_K = 60      # the constant of the RRF paper, over each retriever's top RRF_POOL passages
RRF_POOL = 100


def bench_store() -> SQLiteStore:
    CACHE.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(CACHE / "all.db")
    if store.stats().documents == 0 or "--reingest" in sys.argv:
        print("ingesting corpora …", file=sys.stderr)
        ingest(CORPORA, store)
    stats = store.stats()
    if stats.embedded < stats.passages:
        print(f"embedding {stats.passages - stats.embedded:,} passages (resumable) …", file=sys.stderr)
        embed_pending(store, get_embedder("minilm-int8"), batch=128)
    return store


SETS = ("medquad_dev", "pubmedqa_dev", "bioasq_dev")


def load_questions(n: int | None, seed: int = 13, names: tuple[str, ...] = SETS) -> dict[str, list[dict]]:
    sets = {}
    for name in names:
        rows = [json.loads(line) for line in (DATA / "questions" / f"{name}.jsonl").open()]
        for r in rows:
            r["gold"] = set(r["gold_pmids"]) if "gold_pmids" in r else {r["gold_doc"]}
            r["qid"] = r.get("qid") or r.get("id")
        if n and len(rows) > n:
            rows = random.Random(seed).sample(rows, n)
        sets[name] = rows
    return sets


def docs_in_order(passage_ids: list[str], k: int = K) -> list[str]:
    out: list[str] = []
    for pid in passage_ids:
        # MedQuAD reuses a qa_id across conditions; the reader suffixes repeats with "~n"
        doc = pid.rsplit("#", 1)[0].split("~")[0]
        if doc not in out:
            out.append(doc)
        if len(out) == k:
            break
    return out


def metrics(ranked: list[str], gold: set[str]) -> dict[str, float]:
    hits = [d in gold for d in ranked[:K]]
    rr = next((1 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
    dcg = sum(1 / math.log2(i + 2) for i, h in enumerate(hits) if h)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold), K)))
    precisions, found = [], 0
    for i, h in enumerate(hits):
        if h:
            found += 1
            precisions.append(found / (i + 1))
    return {"recall@10": sum(hits) / len(gold), "MRR@10": rr, "nDCG@10": dcg / idcg if idcg else 0.0,
            "MAP@10": sum(precisions) / min(len(gold), K)}


class BM25Baseline:
    """Plain BM25 with the bm25s library over the same passages, English stop-words, no stemming."""

    def __init__(self, store: SQLiteStore) -> None:
        import bm25s

        titles = {}
        rows = []
        for p in store.iter_passages():
            if p.doc_id not in titles:
                titles[p.doc_id] = store.documents([p.doc_id])[p.doc_id].title
            rows.append((p.id, titles[p.doc_id], p.text))
        self.ids = [r[0] for r in rows]
        corpus = [f"{r[1]} {r[2]}" for r in rows]
        self.bm25s = bm25s
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)

    def passages(self, question: str, k: int = 60) -> list[str]:
        tokens = self.bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, _ = self.index.retrieve(tokens, k=k, show_progress=False)
        return [self.ids[i] for i in docs[0]]

    def search(self, question: str) -> list[str]:
        return docs_in_order(self.passages(question))


def rrf(*rankings: list[str], k: int = RRF_K) -> list[str]:
    """Reciprocal rank fusion (Cormack et al. 2009): score = Σ 1/(k + rank), the simplest fusion anyone tries."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking, 1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda pid: -scores[pid])


def run_system(name: str, search, questions: list[dict]) -> dict:
    totals: dict[str, float] = {}
    latencies = []
    for q in questions:
        t = time.perf_counter()
        ranked = search(q["question"])
        latencies.append((time.perf_counter() - t) * 1000)
        for key, value in metrics(ranked, q["gold"]).items():
            totals[key] = totals.get(key, 0.0) + value
    n = len(questions)
    return {"system": name, **{k: v / n for k, v in totals.items()},
            "p50 ms": percentile(latencies, 50), "p95 ms": percentile(latencies, 95)}


def serving_rss(db: Path, questions: list[str]) -> float:
    """Peak RSS (MB) of a fresh process that opens the store and the embedder and answers searches."""
    code = (
        "import json,sys,resource\n"
        "from medoracle.store import SQLiteStore\nfrom medoracle.embed import get_embedder\n"
        "from medoracle.retrieve import retrieve\n"
        f"s=SQLiteStore({str(db)!r}); e=get_embedder('minilm-int8')\n"
        "for q in json.load(sys.stdin): retrieve(q, s, k=10, embedder=e)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)\n")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(questions), capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="questions sampled per set (seeded)")
    ap.add_argument("--all", action="store_true", help="use every question")
    ap.add_argument("--db", help="a copy of the benchmark database, read as it is")
    ap.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    args = ap.parse_args()
    require_data()
    store = SQLiteStore(args.db) if args.db else bench_store()
    stats = store.stats()
    embedder = get_embedder("minilm-int8")
    sets = load_questions(None if args.all else args.n, names=tuple(args.sets))
    t = time.perf_counter()
    bm25 = BM25Baseline(store)
    bm25_index_s = time.perf_counter() - t

    def dense(question: str) -> list[str]:
        return docs_in_order([pid for pid, _ in store.dense(embedder.embed_query(question), 60)])

    def rrf_baseline(question: str) -> list[str]:
        dense_ids = [pid for pid, _ in store.dense(embedder.embed_query(question), RRF_POOL)]
        return docs_in_order(rrf(bm25.passages(question, RRF_POOL), dense_ids))

    def medoracle(question: str) -> list[str]:
        try:
            found = retrieve(question, store, k=K, embedder=embedder, per_document=1)
        except Exception:  # a question the pipeline refuses counts as a miss, never a crash
            return []
        return docs_in_order([e.passage.id for e in found.evidence])

    medoracle("warm up")
    print(f"Retrieval — {machine()}")
    print(f"{stats.documents:,} documents, {stats.passages:,} passages ({stats.embedded:,} embedded); "
          f"bm25s index built in {bm25_index_s:.0f} s\n")
    primary = {"medquad_dev": "MRR@10", "pubmedqa_dev": "MRR@10", "bioasq_dev": "MAP@10"}
    for name, questions in sets.items():
        cols = ["recall@10", "MAP@10"] if name == "bioasq_dev" else ["recall@10", "MRR@10", "nDCG@10"]
        rows = []
        for label, fn in (("BM25 (bm25s)", bm25.search), ("dense only (MiniLM int8)", dense),
                          ("RRF(BM25, dense), k=60", rrf_baseline), ("medoracle hybrid", medoracle)):
            r = run_system(label, fn, questions)
            rows.append([label, *[r[c] for c in cols], r["p50 ms"], r["p95 ms"]])
        print(f"### {name} ({len(questions)} questions; primary metric {primary[name]})\n")
        print(table(["system", *cols, "p50 ms", "p95 ms"], rows))
        print()
    sample = [q["question"] for qs in sets.values() for q in qs[:40]]
    print(f"Serving RSS (fresh process: store + embedder + {len(sample)} searches): "
          f"{serving_rss(Path(store.path), sample):,.0f} MB; this benchmark process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
