"""Answer safety: does the bottom line fit the patient in the question, say the asked-for thing, or honestly abstain?

The cases (`answer_safety_cases.yaml`, written from clinical knowledge, not from the dev question sets) say what
the bottom line must contain, must not contain (the answer for another patient), or that it must abstain, in
categories: population conflict, intent, shorthand, typos, noise, comparison, multi-part, safety statements.

In the same run, each case is answered by this tree's code and by the commit before issue 15's work (d1d0780,
checked out with `git worktree add` into a temporary folder), each in its own worker process
(`PYTHONPATH=<tree>/src`), over
- kb: the bundled knowledge base, built by each tree from its own cards into a fresh data directory, exactly as
  on first use;
- corpora: the four shared corpora in the benchmark database (`$MEDORACLE_BENCH_CACHE/all.db`), skipped with a
  note when it is absent or still being built.
Printed: the pass rate per category and database for both, the failing cases, and the latency p50 / p95 of
`ask` in a warm process (one warm-up question first).

    python benchmarks/answer_safety.py [--db-corpora PATH] [--no-embed] [--base REV] [--only kb|corpora]

(--no-embed: lexical search over the corpora, for a database whose embeddings are not built yet; the knowledge
base is always built and searched as on first use, with the default embedder.)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, ROOT, machine, percentile, table

CASES = Path(__file__).resolve().parent / "answer_safety_cases.yaml"
BASE_REV = "d1d0780"
WARM_UP = "What is the first-line treatment for hypertension?"


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    ids = [c["id"] for c in cases]
    if len(ids) != len(set(ids)):
        raise SystemExit(f"{path}: duplicate case ids")
    return cases


def judge(case: dict[str, Any], result: dict[str, Any]) -> tuple[bool, str]:
    """(passed, why) for one answered case."""
    if case.get("abstain"):
        return (True, "abstained") if result["abstained"] else (False, "answered: " + result["summary"][:90])
    if result["abstained"]:
        return (True, "abstained (allowed)") if case.get("abstain_ok") else (False, "abstained: " + result["why"][:90])
    text = (result["text"] if case.get("where") == "answer" else result["summary"]).lower()
    groups = ([case["any"]] if case.get("any") else []) + list(case.get("all") or [])
    for group in groups:
        if not any(str(term).lower() in text for term in group):
            return False, f"lacks any of {group}: " + result["summary"][:90]
    for term in case.get("not") or []:
        if str(term).lower() in text:
            return False, f"says {term!r}: " + result["summary"][:90]
    return True, "ok"


# --- worker: runs inside the tree under test (its own PYTHONPATH), prints one JSON line per case -------------

def _worker(db: str, data_dir: str, no_embed: bool, questions: list[tuple[str, str]]) -> None:
    from medoracle.errors import BadInput
    from medoracle.service import Clinic
    from medoracle.settings import Settings

    if db == "kb":  # the default database, built with the default embedder as on first use
        clinic = Clinic.build(Settings(data_dir=data_dir))
    else:
        from medoracle.store import SQLiteStore
        store = SQLiteStore(db)
        settings = Settings(db=db, embedder="none" if no_embed else "minilm-int8")
        clinic = Clinic.build(settings, store=store, **({"embedder": None} if no_embed else {}))
    clinic.answer(WARM_UP)
    for cid, question in questions:
        started = time.perf_counter()
        try:
            answer = clinic.answer(question)
        except BadInput as exc:  # a question refused with a clear message counts as an abstention
            out = {"id": cid, "abstained": True, "summary": "", "text": "", "why": str(exc), "refused": True}
        else:
            statements = [st.text for st in answer.statements()]
            out = {"id": cid, "abstained": bool(answer.abstained), "summary": answer.summary or "",
                   "text": " ".join([answer.summary or "", *statements]),
                   "why": answer.abstain_reason or answer.summary or ""}
        out["ms"] = (time.perf_counter() - started) * 1000
        print(json.dumps(out), flush=True)


def run_tree(src: Path, db: str, cases: list[dict[str, Any]], *, no_embed: bool) -> dict[str, dict[str, Any]]:
    """Answers of the tree whose package lives in `src`, from a fresh worker process."""
    with tempfile.TemporaryDirectory(prefix="medoracle-safety-") as data_dir:
        env = {**os.environ, "PYTHONPATH": str(src), "MEDORACLE_DATA_DIR": data_dir}
        payload = json.dumps({"db": db, "data_dir": data_dir, "no_embed": no_embed,
                              "questions": [(c["id"], c["q"]) for c in cases]})
        proc = subprocess.run([sys.executable, __file__, "--worker"], input=payload, env=env, text=True, check=False,
                              capture_output=True, cwd=data_dir)
        if proc.returncode != 0:
            raise SystemExit(f"worker for {src} on {db} failed:\n{proc.stderr[-3000:]}")
        results = {}
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                results[row["id"]] = row
        return results


def base_tree(rev: str, into: Path) -> Path:
    """A checkout of `rev` (the composer before this work) in `into`; its `src` folder."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(into), rev],
                   check=True, capture_output=True)
    return into / "src"


def corpora_db(path: Path, *, no_embed: bool) -> tuple[Path | None, str]:
    """The benchmark database when it is ready for this run (read-only look: the build may still be writing)."""
    if not path.exists():
        return None, f"{path} is absent"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        embedded = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error as exc:
        return None, f"{path} cannot be read ({exc})"
    finally:
        conn.close()
    if not passages:
        return None, f"{path} holds no passages yet"
    if embedded < passages and not no_embed:
        return None, f"{path} is still being embedded ({embedded:,} of {passages:,}); --no-embed runs it lexically"
    return path, ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db-corpora", default=str(CACHE / "all.db"), help="benchmark database of the shared corpora")
    ap.add_argument("--no-embed", action="store_true", help="lexical retrieval only on the corpora database")
    ap.add_argument("--base", default=BASE_REV, help="the commit whose composer is the baseline")
    ap.add_argument("--only", choices=("kb", "corpora"), help="run one database only")
    ap.add_argument("--head", help="measure this commit instead of the working tree (e.g. another branch)")
    args = ap.parse_args()
    if args.worker:
        job = json.loads(sys.stdin.read())
        _worker(job["db"], job["data_dir"], job["no_embed"], [tuple(q) for q in job["questions"]])
        return
    cases = load_cases()
    dbs: list[tuple[str, str]] = []
    notes = []
    if args.only != "corpora":
        dbs.append(("kb", "kb"))
    if args.only != "kb":
        path, why = corpora_db(Path(args.db_corpora), no_embed=args.no_embed)
        if path is None:
            notes.append(f"corpora cases skipped: {why}")
        else:
            dbs.append(("corpora", str(path)))
    results: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="medoracle-base-") as tmp:
        trees = [Path(tmp) / "base"] + ([Path(tmp) / "head"] if args.head else [])
        try:
            base_src = base_tree(args.base, trees[0])
            head_src = base_tree(args.head, trees[1]) if args.head else ROOT / "src"
            for name, db in dbs:
                subset = [c for c in cases if c["db"] == name]
                for system, src in (("medoracle", head_src), (f"baseline {args.base}", base_src)):
                    results[(name, system)] = run_tree(src, db, subset, no_embed=args.no_embed)
        finally:
            for tree in trees:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                               capture_output=True, check=False)
    print(machine())
    if args.head:
        print(f"medoracle = commit {args.head}")
    print(f"{len(cases)} cases ({sum(c['db'] == 'kb' for c in cases)} kb, {sum(c['db'] == 'corpora' for c in cases)} "
          f"corpora); retrieval: kb hybrid, corpora {'lexical only (--no-embed)' if args.no_embed else 'hybrid'}")
    systems = ["medoracle", f"baseline {args.base}"]
    rows = []
    failures: list[str] = []
    latency_rows = []
    for name, _ in dbs:
        subset = [c for c in cases if c["db"] == name]
        tally: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for system in systems:
            answered = results[(name, system)]
            for case in subset:
                ok, why = judge(case, answered[case["id"]])
                tally[(case["category"], system)].append(ok)
                tally[("all", system)].append(ok)
                if system == "medoracle" and not ok:
                    failures.append(f"- {name}/{case['category']}/{case['id']}: {case['q']!r} → {why}")
            ms = [r["ms"] for r in answered.values() if not r.get("refused")]
            latency_rows.append([name, system, percentile(ms, 50), percentile(ms, 95)])
        for category in sorted({c["category"] for c in subset}) + ["all"]:
            cells = [name, category, len(tally[(category, systems[0])])]
            for system in systems:
                got = tally[(category, system)]
                cells.append(f"{sum(got)}/{len(got)} ({sum(got) / len(got):.0%})")
            rows.append(cells)
    print(table(["db", "category", "cases", "medoracle pass", f"baseline {args.base} pass"], rows))
    print()
    print(table(["db", "system", "ask p50 ms (warm)", "ask p95 ms"], latency_rows))
    for note in notes:
        print(f"\n{note}")
    if failures:
        print(f"\nfailing cases (medoracle, {len(failures)}):")
        print("\n".join(failures))


if __name__ == "__main__":
    main()
