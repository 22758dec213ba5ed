"""Answer quality and speed on the real corpora: medoracle's composed answers vs a simple extractive baseline.

For MedQuAD, BioASQ and PubMedQA dev questions, in the same run:
- medoracle: `Clinic.answer(question)` (retrieve → compose → verify → tailor), the answer text being the bottom
  line followed by every statement;
- baseline: the three sentences most similar to the question (MiniLM cosine; content-word overlap with
  --no-embed) from the top three documents of reciprocal-rank fusion, k=60, of BM25 (SQLite FTS5) and dense
  search (the same MiniLM vectors), each over its top 100 passages, on the same database. It never abstains.
Reported: ROUGE-2 and ROUGE-L F1 against `ideal_answer` (best over the references) / `long_answer` / for MedQuAD the
answer text of the gold record (the page section the question was written from; best over the records sharing its
`qa_id`), an abstention scoring 0, citation validity (every citation resolves to a reference and every cited
passage was retrieved), the share of statements that pass the verifier, abstention rate, and end-to-end latency
p50/p95. Off-topic questions must abstain. For BioASQ, a second table splits ROUGE-2 by question type (yes/no,
factoid, list, summary) with how much medoracle says: the share of answers that are empty or share no bigram with
the experts' answer, statements per answer and words per answer, against the baseline's.

    python benchmarks/answers.py [--n 100] [--db PATH] [--no-embed] [--sets bioasq_dev ...] [--split tune]

`--split tune` draws the questions (seed 1515) from those that no evaluation sample (seed 7, n of 60, 100 or 200)
uses: composer rules are tuned there, never on the questions the table reports.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from _common import CACHE, DATA, machine, percentile, require_data, table  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402

from medoracle.retrieve import lexical_query  # noqa: E402
from medoracle.service import Clinic  # noqa: E402
from medoracle.settings import Settings  # noqa: E402
from medoracle.store import SQLiteStore  # noqa: E402
from medoracle.text import content_stems, split_sentences  # noqa: E402
from medoracle.understand.vocab import understand  # noqa: E402
from medoracle.verify import verify  # noqa: E402

OFF_TOPIC = ["What is the capital of France?", "Write me a poem about autumn.", "Who won the 2010 World Cup?",
             "How do I bake sourdough bread?"]


SETS = ("medquad_dev", "pubmedqa_dev", "bioasq_dev")
EVAL_SEED, TUNE_SEED, EVAL_SIZES = 7, 1515, (60, 100, 200)


def medquad_answers() -> dict[str, list[str]]:
    """MedQuAD's answer texts by `qa_id` (an id reused across conditions keeps every answer)."""
    out: dict[str, list[str]] = {}
    with gzip.open(DATA / "corpora" / "medquad.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.setdefault(str(r["qa_id"]), []).append(r["answer"])
    return out


def load(name: str, n: int, split: str = "eval") -> list[tuple[str, str, list[str], str]]:
    """(qid, question, reference answers, question type) for a sample of one dev set: the evaluation sample, or
    with split="tune" a sample of the questions no evaluation sample of any size uses."""
    rows = [json.loads(line) for line in (DATA / "questions" / f"{name}.jsonl").open()]
    if split == "tune":
        key = lambda r: str(r.get("qid") or r.get("id"))  # noqa: E731
        held = {key(r) for size in EVAL_SIZES for r in random.Random(EVAL_SEED).sample(rows, min(size, len(rows)))}
        rows = random.Random(TUNE_SEED).sample([r for r in rows if key(r) not in held],
                                               min(n, len(rows) - len(held)))
    else:
        rows = random.Random(EVAL_SEED).sample(rows, min(n, len(rows)))
    gold = medquad_answers() if name == "medquad_dev" else {}
    out = []
    for r in rows:
        refs = r["ideal_answer"] if "ideal_answer" in r else [r["long_answer"]] if "long_answer" in r else \
            gold.get(str(r["gold_doc"]), [])
        out.append((str(r.get("qid") or r.get("id")), r["question"], [x for x in refs if x], r.get("type", "")))
    return out


def answer_text(answer) -> str:
    return " ".join([answer.summary] + [st.text for st in answer.statements()]).strip()


RRF_K = 60
RRF_DEPTH = 100
MAX_SENTENCES = 400  # per question, in document order: bounds the embedding cost of a long guideline


def rrf_documents(question: str, store: SQLiteStore, embedder, n: int = 3) -> list[str]:
    """The top `n` documents of RRF(BM25, dense), k=60 over each top 100 passages, by their best passage."""
    runs = [store.lexical(lexical_query(understand(question)), RRF_DEPTH)]
    if embedder is not None:
        runs.append(store.dense(np.asarray(embedder.embed([question])[0]), RRF_DEPTH))
    fused: dict[str, float] = {}
    for run in runs:
        for rank, (pid, _) in enumerate(run, 1):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank)
    docs: list[str] = []
    for pid in sorted(fused, key=lambda p: -fused[p]):
        doc = pid.split("#")[0]
        if doc not in docs:
            docs.append(doc)
        if len(docs) == n:
            break
    return docs


def baseline(question: str, store: SQLiteStore, embedder) -> str:
    """The three sentences of the RRF top-3 documents most similar to the question."""
    docs = rrf_documents(question, store, embedder)
    sentences = [s for d in docs for p in store.document_passages(d) for s in split_sentences(p.text)][:MAX_SENTENCES]
    if not sentences:
        return ""
    if embedder is not None:
        vectors = np.asarray(embedder.embed([question, *sentences]), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
        similarity = vectors[1:] @ vectors[0]
        order = list(np.argsort(-similarity))
    else:
        q = set(content_stems(question))
        order = sorted(range(len(sentences)), key=lambda i: -len(q & set(content_stems(sentences[i])))
                       / (len(set(content_stems(sentences[i]))) or 1) ** 0.5)
    return " ".join(sentences[i] for i in order[:3])


def citations_valid(answer, evidence) -> bool:
    retrieved = {e.passage.id for e in evidence}
    refs = {r.n: r for r in answer.references}
    cited = list(answer.summary_citations) + [n for st in answer.statements() for n in st.citations]
    return all(n in refs and set(refs[n].passage_ids) <= retrieved for n in cited)


def rouge(scorer, text: str, refs: list[str]) -> tuple[float, float]:
    if not text:
        return 0.0, 0.0
    scores = [scorer.score(ref, text) for ref in refs]
    return max(s["rouge2"].fmeasure for s in scores), max(s["rougeL"].fmeasure for s in scores)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100, help="questions per set")
    ap.add_argument("--db", default=str(CACHE / "all.db"))
    ap.add_argument("--no-embed", action="store_true", help="lexical retrieval only")
    ap.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    ap.add_argument("--split", choices=("eval", "tune"), default="eval",
                    help="tune: questions disjoint from every evaluation sample")
    ap.add_argument("--dump", help="write each question's two answers and scores (not the references) as JSONL")
    args = ap.parse_args()
    require_data()
    store = SQLiteStore(args.db)
    settings = Settings(db=args.db, embedder="none" if args.no_embed else "minilm-int8")
    clinic = Clinic.build(settings, store=store, **({"embedder": None} if args.no_embed else {}))
    scorer = rouge_scorer.RougeScorer(["rouge2", "rougeL"], use_stemmer=True)
    rows = []
    base_name = "baseline: 3 best sentences of RRF(BM25, dense) top-3 docs" if clinic.embedder is not None else \
        "baseline: 3 best sentences of BM25 top-3 docs"
    by_type: dict[str, dict[str, list[float]]] = {}
    dump = open(args.dump, "w") if args.dump else None  # noqa: SIM115 - written question by question
    for name in args.sets:
        ours, base, latency = [], [], []
        valid = abstained = statements = passed = 0
        questions = load(name, args.n, args.split)
        for _, question, refs, qtype in questions:
            t0 = time.perf_counter()
            answer = clinic.answer(question)
            latency.append((time.perf_counter() - t0) * 1000)
            # Re-verify against what retrieval returned, to count what the verifier lets through.
            from medoracle.retrieve import retrieve
            k = max(settings.evidence_k, getattr(clinic.composer, "wants_passages", 0))  # as the service does
            evidence = retrieve(question, store, k=k, embedder=clinic.embedder).evidence
            draft = clinic.composer.compose(question, evidence)
            checked = verify(draft, evidence, clinic.embedder)
            statements += len(draft.statements())
            passed += len(draft.statements()) - sum(1 for d in checked.dropped if not d.reason.startswith("bottom"))
            valid += citations_valid(checked, evidence)
            abstained += answer.abstained
            text, base_text = answer_text(answer), baseline(question, store, clinic.embedder)
            ours.append(rouge(scorer, text, refs))
            base.append(rouge(scorer, base_text, refs))
            if dump is not None:
                dump.write(json.dumps({"set": name, "type": qtype, "question": question, "ours": text,
                                       "base": base_text, "rouge2": ours[-1][0], "base_rouge2": base[-1][0],
                                       "abstained": answer.abstained, "reason": answer.abstain_reason}) + "\n")
            if name == "bioasq_dev":
                t = by_type.setdefault(qtype or "other", {k: [] for k in ("ours", "base", "silent", "statements",
                                                                          "words", "base_words")})
                t["ours"].append(ours[-1][0])
                t["base"].append(base[-1][0])
                t["silent"].append(float(ours[-1][0] == 0.0))
                t["statements"].append(0.0 if answer.abstained else 1.0 + len(answer.statements()))
                t["words"].append(float(len(text.split())))
                t["base_words"].append(float(len(base_text.split())))
        n = len(questions)
        for system, scores in (("medoracle", ours), (base_name, base)):
            is_ours = system == "medoracle"
            rows.append([name, system, sum(s[0] for s in scores) / n, sum(s[1] for s in scores) / n,
                         f"{valid / n:.0%}" if is_ours else "-",
                         f"{passed / statements:.0%}" if is_ours and statements else "-",
                         f"{abstained / n:.0%}" if is_ours else "-",
                         percentile(latency, 50) if is_ours else "-", percentile(latency, 95) if is_ours else "-"])
    off = [clinic.answer(q).abstained for q in OFF_TOPIC]
    stats = store.stats()
    print(machine())
    print(f"database: {stats.documents:,} documents, {stats.passages:,} passages; retrieval: "
          + ("lexical only (--no-embed)" if args.no_embed else f"hybrid ({stats.embedded:,} passages embedded)"))
    print(table(["set", "system", "ROUGE-2 F1", "ROUGE-L F1", "citations valid", "statements verified",
                 "abstained", "p50 ms", "p95 ms"], rows))
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    if by_type:
        print("\nbioasq_dev by question type (statements counts the bottom line; an abstention says 0 words):")
        print(table(["type", "questions", "medoracle ROUGE-2", "baseline ROUGE-2",
                     "medoracle empty or no shared bigram", "medoracle statements", "medoracle words",
                     "baseline words"],
                    [[qtype, len(t["ours"]), mean(t["ours"]), mean(t["base"]), f"{mean(t['silent']):.0%}",
                      f"{mean(t['statements']):.1f}", f"{mean(t['words']):.0f}", f"{mean(t['base_words']):.0f}"]
                     for qtype, t in sorted(by_type.items())]))
    print(f"\noff-topic questions abstained: {sum(off)}/{len(off)}")


if __name__ == "__main__":
    main()
