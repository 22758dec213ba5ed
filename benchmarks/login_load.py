"""Do failed logins slow readers? Reader latency on `/articles` alone and while 8 clients fail to log in.

A real uvicorn server (its own process, as `medoracle serve`) runs on a temporary SQLite database with
20 approved articles. A reader thread fetches `/articles` back to back; meanwhile 8 attacker threads post
wrong passwords:

- *one address*: all from 127.0.0.1 (the case the issue measured: 0.3 s → 6.3 s); throttling turns them into
  cheap 429s after 20 failures;
- *distributed*: every attempt from a new `X-Forwarded-For` address and a new username (uvicorn trusts the
  header from loopback), so nothing is throttled and every attempt runs argon2 — what is left is the cost of
  hashing itself, which runs on its own two threads, off the event loop and off the readers' thread pool.

    python benchmarks/login_load.py [--seconds 8]

Prints one table: the baseline (readers alone) beside both attacks, measured in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import machine, median, percentile, table  # noqa: E402
from test_articles import sample_answer  # noqa: E402

from medoracle.editorial import repository_beside  # noqa: E402
from medoracle.editorial.articles import ArticleDesk  # noqa: E402
from medoracle.editorial.users import Accounts  # noqa: E402
from medoracle.settings import Settings  # noqa: E402
from medoracle.store import open_store  # noqa: E402
from medoracle.web.app import create_app  # noqa: E402

ATTACKERS = 8
PASSWORD = "a long benchmark password"


def _settings(root: Path) -> Settings:
    return Settings(data_dir=str(root), db=str(root / "bench.db"), embedder="none",
                    secret_key="login-benchmark-key-0123456789")


def prepare(root: Path) -> None:
    settings = _settings(root)
    store = open_store(settings)
    repository = repository_beside(store)
    accounts = Accounts(repository)
    accounts.add("editor", PASSWORD, "editor")
    accounts.add("reviewer", PASSWORD, "reviewer")
    desk = ArticleDesk(repository, settings)
    for i in range(20):
        slug = desk.publish(sample_answer(f"Benchmark question {i} about hypertension?"), accounts.get("editor")).slug
        desk.approve(slug, accounts.get("reviewer"))
    store.close()


def run_server(root: Path, port: int) -> None:
    """The server, in its own process (as `medoracle serve`), so the load generator does not share its GIL."""
    import uvicorn

    settings = _settings(root)
    uvicorn.run(create_app(settings, open_store(settings)), host="127.0.0.1", port=port, log_level="warning")


def serve(root: Path) -> tuple[str, subprocess.Popen]:
    import socket

    prepare(root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(root), str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return base, proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def attack(base: str, stop: threading.Event, distributed: bool, counter: itertools.count, codes: dict) -> None:
    with httpx.Client(base_url=base, timeout=60) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        while not stop.is_set():
            n = next(counter)
            headers = {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"} if distributed else {}
            user = f"nobody{n}" if distributed else "editor"
            r = c.post("/login", data={"username": user, "password": "wrong password", "csrf_token": token},
                       headers=headers)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1


def phase(base: str, seconds: float, attackers: int, distributed: bool) -> dict:
    stop, codes, counter = threading.Event(), {}, itertools.count()
    threads = [threading.Thread(target=attack, args=(base, stop, distributed, counter, codes))
               for _ in range(attackers)]
    for t in threads:
        t.start()
    time.sleep(0.5 if attackers else 0)  # let the attack reach full speed
    latencies = []
    with httpx.Client(base_url=base, timeout=60) as reader:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            assert reader.get("/articles").status_code == 200
            latencies.append((time.perf_counter() - t0) * 1000)
    stop.set()
    for t in threads:
        t.join()
    return {"p50": median(latencies), "p95": percentile(latencies, 95), "n": len(latencies),
            "attempts": sum(codes.values()), "codes": codes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--serve", nargs=2, metavar=("ROOT", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(Path(args.serve[0]), int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        base, server = serve(Path(tmp))
        phase(base, 1.0, 0, False)  # warm-up: templates compiled, connections made
        alone = phase(base, args.seconds, 0, False)
        one = phase(base, args.seconds, ATTACKERS, False)
        spread = phase(base, args.seconds, ATTACKERS, True)
        server.terminate()
        server.wait(timeout=30)
    rows = []
    for name, r in (("readers alone (baseline)", alone), (f"{ATTACKERS} clients failing, one address", one),
                    (f"{ATTACKERS} clients failing, distributed", spread)):
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(r["codes"].items())) or "—"
        rows.append([name, round(r["p50"], 1), round(r["p95"], 1), f"{r['p95'] / alone['p95']:.1f}×", r["n"],
                     round(r["attempts"] / args.seconds, 1), codes])
    print(f"Login load · {machine()} · {args.seconds:.0f} s per phase")
    print(table(["phase", "reader p50 ms", "reader p95 ms", "p95 vs alone", "reads", "logins/s", "login answers"],
                rows))


if __name__ == "__main__":
    main()
