"""The migration runner under real crashes and real concurrency: SIGKILL inside each step, processes racing.

Each test runs real subprocesses against a real SQLite file (and PostgreSQL where noted).
"""

from __future__ import annotations

import ast
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from testdata import pg_url

from medoracle.editorial import open_repository
from medoracle.store import SQLiteStore, open_store

# A real migration list of three steps, each creating a table and pausing inside its transaction so the
# parent can kill the process there. `SLOW=0` runs the same steps without pausing.
CHILD = textwrap.dedent("""
    import os, sys, time
    from medoracle.store.db import open_database
    from medoracle.store.migrations import Migrations, migrate
    from medoracle.store.sqlite import migrations as store_steps
    from medoracle.editorial import schema

    steps = Migrations("crash_test")
    def make(i):
        def step(tx):
            tx.execute(f"CREATE TABLE crash_{i} (x INTEGER)")
            tx.execute(f"INSERT INTO crash_{i} VALUES ({i})")
            if os.environ.get("SLOW") == str(i):
                print(f"inside {i}", flush=True)
                time.sleep(60)
        step.__name__ = f"step_{i}"
        return step
    for i in (1, 2, 3):
        steps.register(make(i))
    db = open_database(sys.argv[1])
    print(migrate(db, store_steps, *schema.ALL, steps), flush=True)
""")


def _run_child(db: str, slow: int | None) -> subprocess.Popen:
    env = {**os.environ, "SLOW": str(slow or 0)}
    return subprocess.Popen([sys.executable, "-c", CHILD, db], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _kill_inside(db: str, step: int) -> None:
    proc = _run_child(db, step)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == f"inside {step}", proc.stderr.read() if proc.stderr else line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("step", [1, 2, 3])
def test_sigkill_inside_a_step_leaves_it_absent_and_reopening_completes(tmp_path: Path, step: int) -> None:
    db = str(tmp_path / "crash.db")
    _kill_inside(db, step)
    raw = sqlite3.connect(db)
    done = {r[0] for r in raw.execute("SELECT name FROM _migrations WHERE namespace = 'crash_test'")}
    assert done == {f"step_{i}" for i in range(1, step)}
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE name LIKE 'crash_%'")}
    assert tables == {f"crash_{i}" for i in range(1, step)}, "a killed step left a table behind"
    raw.close()
    finished = _run_child(db, None)
    out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err
    applied = [x for x in ast.literal_eval(out) if x.startswith("crash")]
    assert applied == [f"crash_test/step_{i}" for i in range(step, 4)]
    raw = sqlite3.connect(db)
    assert [raw.execute(f"SELECT x FROM crash_{i}").fetchall() for i in (1, 2, 3)] == [[(1,)], [(2,)], [(3,)]]
    # the real store and editorial tables opened fine after the crash
    SQLiteStore(db).close()
    open_repository(db).close()


def test_sigkill_during_the_first_store_migration(tmp_path: Path) -> None:
    """Killed while another process holds the first migration's lock: waiting processes then finish it."""
    db = str(tmp_path / "first.db")
    holder = _run_child(db, 1)  # store and editorial steps commit, then it pauses inside crash_test/step_1
    assert holder.stdout is not None and holder.stdout.readline().strip() == "inside 1"
    waiter = subprocess.Popen([sys.executable, "-c", "import sys; from medoracle.store import SQLiteStore; "
                               "SQLiteStore(sys.argv[1]); print('opened')", db],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0 and "opened" in out, err


def _ingest(db: Path, corpus: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "medoracle.cli", "ingest", str(corpus), "--db", str(db),
                             "--no-embed", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # the point is that both succeed, not how fast a shared CI disk commits
                            env={**os.environ, "MEDORACLE_LOCK_WAIT": "240"})


def test_two_ingests_at_once_into_one_fresh_file_both_succeed(tmp_path: Path) -> None:
    shared = [{"id": f"s{i}", "title": f"Shared {i}", "text": f"Hypertension record {i}. " * 20} for i in range(300)]
    corpora = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.jsonl"
        own = [{"id": f"{name}{i}", "title": f"{name} {i}", "text": f"Asthma note {name} {i}. " * 20}
               for i in range(900)]
        path.write_text("\n".join(json.dumps(d) for d in shared + own) + "\n")
        corpora.append(path)
    db = tmp_path / "fresh.db"
    procs = [_ingest(db, c) for c in corpora]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    summaries = [json.loads(out) for out, _ in results]
    assert sum(s["added"] for s in summaries) == 300 + 2 * 900  # the shared documents went in once
    store = SQLiteStore(db)
    assert store.stats().documents == 2100 and store.check() == []


WORKER = "import sys; from medoracle.store import open_store; from medoracle.editorial import open_repository; " \
         "open_store(sys.argv[1]).close(); open_repository(sys.argv[1]).close(); print('ok')"


def _start_together(location: str, n: int) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, location], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "ok", err


def test_workers_starting_together_on_sqlite(tmp_path: Path) -> None:
    db = str(tmp_path / "workers.db")
    _start_together(db, 4)
    raw = sqlite3.connect(db)
    names = [r[0] for r in raw.execute("SELECT namespace || '/' || name FROM _migrations")]
    assert len(names) == len(set(names)) and "store/create_documents_and_passages" in names


def test_workers_starting_together_on_postgres(pg_schema: str) -> None:
    url = pg_url(pg_schema)
    _start_together(url, 4)
    store = open_store(url)
    assert store.stats().documents == 0
    store.close()
