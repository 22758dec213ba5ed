"""Bounded load on `medoracle serve` over 127.0.0.1: concurrent askers on the JSON API, 1 vs N workers,
SQLite vs PostgreSQL, on the bundled knowledge base (and the four shared corpora with --corpora).

    python benchmarks/serve_load.py [--seconds 60] [--askers 10 50] [--workers 1 2] [--pg URL] [--corpora]

Each asker sends one `POST /api/ask` after another (closed loop) for the duration; the table gives
throughput, latency percentiles, errors (any non-200 or transport failure; their kinds are in the JSON lines on
stderr), the server's CPU time per answer (the uvicorn process and its workers, from /proc: what an ask costs,
whatever share of a shared machine the server got), the CPU the local PostgreSQL server processes spent per
answer (they share the cores too; nothing on SQLite rows, but any other client of that server counts), the load
generator's own CPU per answer (it runs on the same cores), how the askers' connections were spread over the
workers half-way through the row (from `ss`), the servers' resident memory and the load average at the end of
the row. The baseline is the single-worker SQLite row of the same run.

Each question is picked at random from the ten QUESTIONS, so after the warm-up every cache keyed by a question's
text (the encoder's vector of the question, the verifier's checks) hits: the rates are those of questions asked
again. `ask_cpu.py` gives what a question never asked before costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, machine, median, percentile, table  # noqa: E402

QUESTIONS = [
    "What is the first-line treatment for stage 1 hypertension?",
    "How is metastatic spinal cord compression managed?",
    "Which antibiotics for febrile neutropenia?",
    "What is the management of acute gout?",
    "How should community-acquired pneumonia be treated in adults?",
    "When should statins be offered for primary prevention?",
    "What is the treatment of type 2 diabetes after metformin?",
    "How is atrial fibrillation anticoagulated?",
    "What are the treatment options for major depression in adults?",
    "How is asthma managed in adults?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (uvicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process and its descendants: what the server spent, whatever
    share of the machine it got (on shared cores the rate says more about the neighbours than about us)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _database_cpu_seconds() -> float:
    """User + system CPU time used so far by every PostgreSQL server process on this machine (`postgres`, as
    /proc names them): what the database spent on the answers when it runs on the same cores. Zero without a
    local server; other clients of the same server count too."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split("(", 1)[1].rsplit(")", 1)
        except (OSError, IndexError, ValueError):
            continue
        if name == "postgres":
            parts = fields.split()
            total += int(parts[11]) + int(parts[12])  # utime, stime
    return total / ticks


def connections_per_worker(pid: int, port: int) -> str:
    """How the established connections to `port` are spread over the server's processes, most first ("33/17"),
    from `ss` ("" without it). uvicorn's workers share one listening socket and each accepts every connection
    waiting when it wakes, and a keep-alive asker stays where it landed: the most crowded worker's askers wait
    longest, so this is the first thing to read when p95 is far above p50."""
    try:
        out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"], capture_output=True,
                             text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    ours = set(_tree(pid))
    counts: dict[int, int] = {}
    for owner in re.findall(r"pid=(\d+)", out):
        if int(owner) in ours:
            counts[int(owner)] = counts.get(int(owner), 0) + 1
    return "/".join(str(n) for n in sorted(counts.values(), reverse=True))


def _sample_spread(into: list[str], pid: int, port: int) -> None:
    into.append(connections_per_worker(pid, port))


def scratch_copy(db: str, scratch: Path) -> str:
    """A copy of a benchmark database to serve: every ask starts a thread, which must not be written into the
    shared benchmark database (it is only ever read). SQLite's backup API reads the original read-only."""
    import sqlite3

    copy = scratch / Path(db).name
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return str(copy)


def start(db: str | None, data_dir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "MEDORACLE_DATA_DIR": str(data_dir)}
    args = [sys.executable, "-m", "medoracle.cli", "serve", "--port", str(port), "--workers", str(workers)]
    if db:
        args += ["--db", db]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 1800  # a first start builds and embeds the knowledge base
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    # Warm every worker: its first question loads the embedder and the vector matrix (seconds). One keep-alive
    # client would only ever reach one worker, so several askers on connections of their own ask for a while.
    asyncio.run(load(base, 4 * workers, 10))
    return proc, base


async def load(base: str, askers: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    stop = time.perf_counter() + seconds
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=askers, max_keepalive_connections=askers)

    async def asker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                r = await client.post(base + "/api/ask", json={"question": rng.choice(QUESTIONS)})
                kind = "" if r.status_code == 200 else f"HTTP {r.status_code}: {r.text[:120]}"
            except httpx.HTTPError as exc:
                kind = type(exc).__name__
            if not kind:
                latencies.append(time.perf_counter() - t)
            else:
                errors += 1
                kinds[kind] = kinds.get(kind, 0) + 1

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*(asker(client) for _ in range(askers)))
    elapsed = time.perf_counter() - started
    return {"done": len(latencies), "errors": errors, "error_kinds": kinds, "rate": len(latencies) / elapsed,
            "p50": median(latencies), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99)}


def prepare_postgres(url: str) -> str:
    """Load the knowledge base into the PostgreSQL database (once; the fingerprint skips it after)."""
    from medoracle.editorial import open_repository
    from medoracle.kb.build import ensure_knowledge_base
    from medoracle.settings import Settings
    from medoracle.store import open_store

    settings = Settings.load(db=url)
    store = open_store(url)
    ensure_knowledge_base(store, settings, open_repository(url), on_progress=lambda m: print(m, file=sys.stderr))
    store.close()
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--askers", type=int, nargs="+", default=[10, 50])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--pg", help="postgresql:// URL to also measure (its knowledge base is loaded first)")
    ap.add_argument("--corpora", action="store_true", help=f"also serve {CACHE / 'all.db'} (the four corpora)")
    args = ap.parse_args()

    kb_dir = CACHE / "serve-kb"  # the default database, built (and embedded) on the first run only
    kb_dir.mkdir(parents=True, exist_ok=True)
    targets: list[tuple[str, str | None]] = [("knowledge base, SQLite", None)]
    if args.pg:
        targets.append(("knowledge base, PostgreSQL", prepare_postgres(args.pg)))
    if args.corpora:
        targets.append(("four corpora, SQLite", str(CACHE / "all.db")))
    rows = []
    for name, db in targets:
        for workers in args.workers:
            with tempfile.TemporaryDirectory() as scratch:
                served = db if db is None or db.startswith("postgresql") else scratch_copy(db, Path(scratch))
                proc, base = start(served, kb_dir if db is None else Path(scratch), workers)
                try:
                    for askers in args.askers:
                        server_cpu, client_cpu = _cpu_seconds(proc.pid), time.process_time()
                        database_cpu = _database_cpu_seconds()
                        spread: list[str] = []  # sampled half-way through the row
                        sampler = threading.Timer(args.seconds / 2, _sample_spread,
                                                  (spread, proc.pid, int(base.rsplit(":", 1)[1])))
                        sampler.start()
                        r = asyncio.run(load(base, askers, args.seconds))
                        sampler.join()
                        r["connections"] = spread[0] if spread else ""
                        served = max(r["done"] + r["errors"], 1)
                        r["server_cpu_ms"] = (_cpu_seconds(proc.pid) - server_cpu) * 1000 / served
                        r["client_cpu_ms"] = (time.process_time() - client_cpu) * 1000 / served
                        r["database_cpu_ms"] = (_database_cpu_seconds() - database_cpu) * 1000 / served
                        r["load_average"] = os.getloadavg()[0]
                        rows.append([name, workers, askers, r["done"], r["rate"], r["p50"] * 1000, r["p95"] * 1000,
                                     r["p99"] * 1000, r["errors"], r["server_cpu_ms"], r["database_cpu_ms"],
                                     r["client_cpu_ms"], r["connections"], _rss_mb(proc.pid), r["load_average"]])
                        print(json.dumps({"target": name, "workers": workers, "askers": askers, **r}),
                              file=sys.stderr)
                finally:
                    proc.terminate()
                    proc.wait(timeout=60)
    print(f"serve load, {args.seconds:g} s per row · {machine()}\n")
    print(table(["database", "workers", "askers", "answers", "answers/s", "p50 ms", "p95 ms", "p99 ms", "errors",
                 "server CPU ms/answer", "PostgreSQL CPU ms/answer", "client CPU ms/answer", "connections per worker",
                 "RSS MB", "load avg"], rows))
    base_rows = [r for r in rows if r[0] == targets[0][0] and r[1] == args.workers[0]]
    if base_rows:
        print(f"\nbaseline: {targets[0][0]}, {args.workers[0]} worker(s): "
              + ", ".join(f"{r[4]:.1f} answers/s at {r[2]} askers" for r in base_rows))


if __name__ == "__main__":
    main()
