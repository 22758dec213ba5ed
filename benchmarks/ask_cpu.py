"""CPU per ask in a warm process, this tree against a base commit, and whether the two give the same answers.

    python benchmarks/ask_cpu.py [--base REV] [--head REV] [--rounds 5] [--data-dir DIR]

Each tree runs in its own worker process (`PYTHONPATH=<tree>/src`; the base is `git archive`d into a temporary
folder) over the bundled knowledge base, on a copy of one database (`--data-dir`: a data directory whose
`medoracle.db` holds the built knowledge base; without it the base tree builds one first, as on first use). The
questions: the ten `serve_load.py` questions (asked first, to warm the process up), then every knowledge-base
question of `audience.py` and of `answer_safety_cases.yaml` (about 170, asked once each for "first time", then
`--rounds` more times each).

Printed, base and this tree side by side: CPU time (`time.process_time`, every thread of the process) per ask,
median over the asks, for `Clinic.answer` asked the first time and again (caches keyed by the question's text,
such as the embedder's, hit only again) and for `POST /api/ask` through the app in-process (FastAPI, middleware,
thread storage, JSON; Starlette's test client, whose own cost is in it too); then the mean CPU per ask of each
stage (in the first pass, the repeats, and the API's repeats): the CPU time of the thread each stage ran in (the
worker wraps the stage functions with a `time.thread_time` clock; the lexical search runs in a thread of its
own, the API's answer in the thread pool).
Last, whether every answer is identical: `to_json(explain=True)` of the in-process answer, and the API's JSON
with the keys that differ on every call (`thread_id`, `answer_key`, `timings`) left out, compared as text, so key
order counts too.

The workers alternate (base, this tree, base, this tree) so that a noisy neighbour hurts both alike; the table
gives the mean of the two runs' medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, table  # noqa: E402

# The stages timed: (label, where, attribute). `where` is a module, or "store", "embedder", "composer" for the
# clinic's own components. Each is wrapped, in the worker only, to add up the CPU time of the thread it runs in
# (`time.thread_time`): the lexical search runs in a worker thread while the question is embedded, and the API
# answers in a thread pool. A stage that a tree does not have is left out.
STAGES = [
    ("understand: read_query", "medoracle.understand", "read_query"),
    ("retrieve (all of it, less the lexical search's thread)", "medoracle.retrieve", "retrieve"),
    ("  lexical search (its own thread)", "store", "lexical"),
    ("  embed the question", "embedder", "embed_query"),
    ("  dense search", "store", "dense"),
    ("  fusion", "medoracle.retrieve", "_fuse"),
    ("focus gate", "medoracle.understand.focus", "focus_gate"),
    ("population gate", "medoracle.understand.focus", "population_gate"),
    ("compose", "composer", "compose"),
    ("verify", "medoracle.verify", "verify"),
    ("plain texts", "medoracle.plain", "attach_plain"),
    ("tailor (clinician)", "medoracle.audience", "tailor"),
    ("gap (what is missing)", "medoracle.compose.gaps", "explain"),
    ("API: thread create", "medoracle.editorial.threads.ThreadStore", "create"),
    ("API: thread start (create + first turn)", "medoracle.editorial.threads.ThreadStore", "start"),
    ("API: thread read", "medoracle.editorial.threads.ThreadStore", "get"),
    ("API: thread append", "medoracle.editorial.threads.ThreadStore", "append"),
    ("API: renumber for the thread", "medoracle.editorial.threads", "renumber_with_thread"),
    ("API: answer (whole, in the thread pool)", "medoracle.web.answering.Asker", "answer_both"),
    ("API: to_json", "medoracle.web.api", "to_json"),
    ("API: FastAPI response model", "fastapi.routing", "serialize_response"),
]
VOLATILE = ("thread_id", "answer_key", "timings")


def questions() -> tuple[list[str], list[str]]:
    """(warm-up questions, measured questions): the load test's ten, then the knowledge-base questions."""
    from answer_safety import load_cases
    from audience import KB_QUESTIONS
    from serve_load import QUESTIONS

    measured = list(dict.fromkeys([q for _, q in KB_QUESTIONS] + [c["q"] for c in load_cases() if c["db"] == "kb"]))
    return list(QUESTIONS), [q for q in measured if q not in QUESTIONS]


# --- worker: runs inside the tree under test ----------------------------------------------------------------

class StageClock:
    """CPU time of the thread each wrapped stage runs in, added up per stage (thread-safe)."""

    def __init__(self) -> None:
        import threading
        self.ms: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        import asyncio
        import functools

        inner = getattr(owner, attribute, None)
        if inner is None:
            return
        self.ms.setdefault(label, 0.0)
        if asyncio.iscoroutinefunction(inner):
            @functools.wraps(inner)
            async def timed_async(*args, **kwargs):
                started = time.thread_time()  # the event loop's thread: awaits of other requests count too
                try:
                    return await inner(*args, **kwargs)
                finally:
                    self._add(label, time.thread_time() - started)
            setattr(owner, attribute, timed_async)
            return

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            started = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self._add(label, time.thread_time() - started)
        setattr(owner, attribute, timed)

    def _add(self, label: str, seconds: float) -> None:
        with self._lock:
            self.ms[label] += seconds * 1000

    def take(self, asks: int) -> dict[str, float]:
        with self._lock:
            out = {label: ms / asks for label, ms in self.ms.items()}
            self.ms = dict.fromkeys(self.ms, 0.0)
        return out


def _owner(clinic: Any, where: str) -> Any:
    import importlib

    if where in ("store", "embedder", "composer"):
        return getattr(clinic, where)
    module, _, cls = where.rpartition(".")
    try:
        return importlib.import_module(where)
    except ImportError:
        return getattr(importlib.import_module(module), cls, None)


def _worker(data_dir: str, warm_up: list[str], measured: list[str], rounds: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from medoracle.errors import BadInput
    from medoracle.render import to_json
    from medoracle.service import Clinic
    from medoracle.settings import Settings
    from medoracle.web.app import create_app

    settings = Settings(data_dir=data_dir)
    clinic = Clinic.build(settings)
    app = create_app(settings=settings, store=clinic.store, clinic=clinic)  # as `medoracle serve` builds it
    client = TestClient(app)

    def ask(question: str) -> str:
        try:
            return json.dumps(to_json(clinic.answer(question), explain=True) | {"timings": None})
        except BadInput as exc:
            return f"refused: {exc}"

    def post(question: str) -> str:
        r = client.post("/api/ask", json={"question": question})
        body = r.json()
        return f"{r.status_code} " + json.dumps({k: v for k, v in body.items() if k not in VOLATILE})

    def cpu(fn, question: str) -> tuple[float, str]:
        started = time.process_time()
        result = fn(question)
        return (time.process_time() - started) * 1000, result

    for q in warm_up * 2:
        ask(q)
        post(q)
    clock = StageClock()
    for label, where, attribute in STAGES:
        owner = _owner(clinic, where)
        if owner is not None:
            clock.wrap(owner, attribute, label)
    first, answers, api, again, api_cpu = [], {}, {}, [], []
    for q in measured:
        ms, answers[q] = cpu(ask, q)
        first.append(ms)
    first_stages = clock.take(len(measured))
    for q in measured:
        ms, api[q] = cpu(post, q)
        api_cpu.append(ms)
    clock.take(1)
    for _ in range(rounds):
        for q in measured:
            again.append(cpu(ask, q)[0])
    stages = clock.take(len(measured) * rounds)
    for _ in range(rounds):
        for q in measured:
            api_cpu.append(cpu(post, q)[0])
    api_stages = clock.take(len(measured) * rounds)
    return {"first": statistics.median(first), "again": statistics.median(again), "api": statistics.median(api_cpu),
            "first_stages": first_stages, "stages": stages, "api_stages": api_stages, "answers": answers,
            "api_answers": api}


def run_tree(src: Path, data_dir: Path, warm_up: list[str], measured: list[str], rounds: int) -> dict[str, Any]:
    """One worker of the tree whose package is in `src`, on its own copy of the database."""
    with tempfile.TemporaryDirectory(prefix="medoracle-askcpu-") as scratch:
        shutil.copy(data_dir / "medoracle.db", Path(scratch) / "medoracle.db")
        env = {**os.environ, "PYTHONPATH": str(src), "MEDORACLE_DATA_DIR": scratch}
        job = json.dumps({"data_dir": scratch, "warm_up": warm_up, "measured": measured, "rounds": rounds})
        proc = subprocess.run([sys.executable, __file__, "--worker"], input=job, env=env, text=True,
                              capture_output=True, cwd=scratch, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"worker for {src} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _build(src: Path, into: Path) -> None:
    """The knowledge base built by `src`'s code into `into/medoracle.db`, as on first use."""
    env = {**os.environ, "PYTHONPATH": str(src), "MEDORACLE_DATA_DIR": str(into)}
    code = ("from medoracle.service import Clinic; from medoracle.settings import Settings; "
            f"Clinic.build(Settings(data_dir={str(into)!r}))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=into)


def _checkout(rev: str, into: Path) -> Path:
    """The `src` folder of commit `rev`, unpacked into `into` (no worktree: nothing in the repository changes)."""
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def _mid(a: float, b: float) -> float:
    return (a + b) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--base", help="the commit to compare with (default: where this branch left main)")
    ap.add_argument("--head", help="measure this commit instead of the working tree")
    ap.add_argument("--rounds", type=int, default=5, help="repeat asks of each question (default 5)")
    ap.add_argument("--data-dir", help="a data directory whose medoracle.db holds the built knowledge base")
    args = ap.parse_args()
    if args.worker:
        job = json.loads(sys.stdin.read())
        print(json.dumps(_worker(job["data_dir"], job["warm_up"], job["measured"], job["rounds"])))
        return
    warm_up, measured = questions()
    if not args.base:
        args.base = subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                   capture_output=True, text=True).stdout.strip()[:7]
    with tempfile.TemporaryDirectory(prefix="medoracle-base-") as tmp:
        base_src = _checkout(args.base, Path(tmp) / "base")
        head_src = _checkout(args.head, Path(tmp) / "head") if args.head else ROOT / "src"
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        if not args.data_dir:
            data_dir.mkdir()
            _build(base_src, data_dir)
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
        load = [os.getloadavg()[0]]
        for _ in range(2):
            for name, src in (("base", base_src), ("head", head_src)):
                runs[name].append(run_tree(src, data_dir, warm_up, measured, args.rounds))
                load.append(os.getloadavg()[0])
    base, head = runs["base"], runs["head"]
    head_name = args.head or "this tree"
    print(f"CPU per ask, {len(measured)} knowledge-base questions · base {args.base} vs {head_name} · {machine()} · "
          f"{time.strftime('%H:%M UTC', time.gmtime())} · load average {min(load):.1f}–{max(load):.1f}\n")
    rows = []
    for key, label in (("first", "Clinic.answer, first time asked"), ("again", "Clinic.answer, asked again"),
                       ("api", "POST /api/ask in-process")):
        b, h = _mid(base[0][key], base[1][key]), _mid(head[0][key], head[1][key])
        rows.append([label, b, h, f"{(h - b) / b:+.0%}"])
    for label, *_ in STAGES:
        keys = ("api_stages",) if label.startswith("API") else ("first_stages", "stages")
        for key in keys:
            got = [r[key].get(label) for r in (*base, *head)]
            if all(g is None for g in got):
                continue
            b = _mid(*(r[key].get(label, 0.0) for r in base))
            h = _mid(*(r[key].get(label, 0.0) for r in head))
            when = {"first_stages": ", first time", "stages": ", again", "api_stages": ""}[key]
            rows.append([f"stage: {label}{when}", b, h, f"{(h - b) / b:+.0%}" if b else ""])
    print(table(["CPU ms per ask (median)", f"base {args.base}", head_name, "change"], rows))
    same = sum(base[0]["answers"][q] == head[0]["answers"][q] for q in measured)
    same_api = sum(base[0]["api_answers"][q] == head[0]["api_answers"][q] for q in measured)
    steady = sum(head[0]["answers"][q] == head[1]["answers"][q] for q in measured)
    print(f"\nidentical answers: in-process {same}/{len(measured)}, JSON API {same_api}/{len(measured)} "
          f"(this tree's two runs agree on {steady}/{len(measured)})")
    for q in measured:
        if base[0]["answers"][q] != head[0]["answers"][q] or base[0]["api_answers"][q] != head[0]["api_answers"][q]:
            print(f"- differs: {q!r}")


if __name__ == "__main__":
    main()
