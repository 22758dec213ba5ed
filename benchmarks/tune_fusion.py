"""How the fusion parameters of `retrieve.py` are chosen: a grid search on a tuning split of the dev sets.

The procedure, so that nobody sets the weights by hand:
1. For each dev set, questions are drawn with a seed of their own (31) from those that the retrieval benchmark's
   evaluation sample (seed 13) does not use, so tuning never sees an evaluation question.
2. The lexical and dense candidate lists (top 100 each) are computed once per question, exactly as `retrieve`
   computes them.
3. Every triple (lexical weight, prior weight, coverage weight) of the grid is scored by the macro mean over the
   three sets of each set's primary metric (MRR@10 for MedQuAD and PubMedQA, MAP@10 for BioASQ). Reciprocal rank
   fusion of the same lists is printed beside the grid for reference.
4. The best triple is printed; `LEXICAL_WEIGHT`, `PRIOR_WEIGHT` and `COVERAGE_WEIGHT` in retrieve.py are set to
   it, and the retrieval benchmark (on the evaluation sample) reports the result.

    python benchmarks/tune_fusion.py [--n 150] [--db PATH] [--sets bioasq_dev ...]

`--db` reads another copy of the benchmark database as it is (nothing is ingested or embedded); `--sets` tunes on
some sets only (say so wherever the result is used).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine, require_data, table  # noqa: E402
from retrieval import RRF_POOL, bench_store, docs_in_order, metrics, rrf  # noqa: E402

from medoracle import retrieve as R  # noqa: E402
from medoracle.embed import get_embedder  # noqa: E402
from medoracle.store import SQLiteStore  # noqa: E402
from medoracle.understand import read_query  # noqa: E402
from medoracle.understand.vocab import understand  # noqa: E402

PRIMARY = {"medquad_dev": "MRR@10", "pubmedqa_dev": "MRR@10", "bioasq_dev": "MAP@10"}
LEXICAL_WEIGHTS = (0.4, 0.5, 0.6)
PRIOR_WEIGHTS = (0.04, 0.08, 0.12)
COVERAGE_WEIGHTS = (0.0, 0.2, 0.4, 0.6)


def tuning_questions(name: str, n: int, eval_n: int = 300) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "questions" / f"{name}.jsonl").open()]
    for r in rows:
        r["gold"] = set(r["gold_pmids"]) if "gold_pmids" in r else {r["gold_doc"]}
        r["qid"] = r.get("qid") or r.get("id")
    evaluation = {r["qid"] for r in random.Random(13).sample(rows, min(eval_n, len(rows)))}
    rest = [r for r in rows if r["qid"] not in evaluation]
    return random.Random(31).sample(rest, min(n, len(rest)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=150, help="tuning questions per set")
    ap.add_argument("--db", help="a copy of the benchmark database, read as it is")
    ap.add_argument("--sets", nargs="+", choices=list(PRIMARY), default=list(PRIMARY))
    args = ap.parse_args()
    require_data()
    store = SQLiteStore(args.db) if args.db else bench_store()
    embedder = get_embedder("minilm-int8")
    assert embedder is not None
    candidates: dict[str, list[tuple[dict, list, list, R.Coverage]]] = {}
    for name in args.sets:
        cached = []
        for q in tuning_questions(name, args.n):
            try:
                text = R.check_question(q["question"])
            except Exception:
                continue
            query = understand(read_query(text, known=R.known_words(store)).search_text)
            query.text = text
            lexical = store.lexical(R.lexical_query(query, store, None), R.POOL)
            dense = store.dense(np.asarray(embedder.embed_query(R._dense_text(query))), R.POOL, None)
            cached.append((q, lexical, dense, R.Coverage(query, store)))
        candidates[name] = cached
    rows = []
    for lw, pw, cw in itertools.product(LEXICAL_WEIGHTS, PRIOR_WEIGHTS, COVERAGE_WEIGHTS):
        scores = []
        for name, cached in candidates.items():
            total = 0.0
            for q, lexical, dense, coverage in cached:
                found = R._fuse(lexical, dense, store, 10, 1, lexical_weight=lw, prior_weight=pw,
                                coverage=coverage, coverage_weight=cw)
                total += metrics(docs_in_order([e.passage.id for e in found]), q["gold"])[PRIMARY[name]]
            scores.append(total / max(len(cached), 1))
        rows.append([lw, pw, cw, *scores, sum(scores) / len(scores)])
    reference = []
    for name, cached in candidates.items():
        total = sum(metrics(docs_in_order(rrf([p for p, _ in lex[:RRF_POOL]], [p for p, _ in den[:RRF_POOL]])),
                            q["gold"])[PRIMARY[name]] for q, lex, den, _ in cached)
        reference.append(total / max(len(cached), 1))
    rows.sort(key=lambda r: -r[-1])
    print(f"Fusion tuning — {machine()}; {', '.join(f'{n}: {len(c)}' for n, c in candidates.items())} questions\n")
    header = ["lexical weight", "prior weight", "coverage weight", *[f"{n} {PRIMARY[n]}" for n in candidates],
              "macro mean"]
    print(table(header, rows[:10] + [["RRF k=60", "-", "-", *reference, sum(reference) / len(reference)]]))
    print(f"\nbest: LEXICAL_WEIGHT = {rows[0][0]}, PRIOR_WEIGHT = {rows[0][1]}, COVERAGE_WEIGHT = {rows[0][2]} "
          f"(now {R.LEXICAL_WEIGHT}, {R.PRIOR_WEIGHT}, {R.COVERAGE_WEIGHT})")


if __name__ == "__main__":
    main()
