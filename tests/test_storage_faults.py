"""Storage faults on real files give one clear line (CLI exit code 3, HTTP 503) naming the file and what to do.

Garbage bytes, truncation, a corrupted page in the middle, a read-only file (opened by an unprivileged
user: root ignores file modes), a size-limited file (RLIMIT_FSIZE stands in for a full disk), and a
database from a newer version.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from medoracle.ingest.pipeline import ingest
from medoracle.store import SQLiteStore


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medoracle.cli", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MEDORACLE_EMBEDDER": "none"}, **kw)


def _one_clear_line(proc: subprocess.CompletedProcess, path: Path, *words: str) -> None:
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    line = " ".join(proc.stderr.split())
    assert str(path) in line, line
    for w in words:
        assert w in line, line


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"d{i}", "title": f"Hypertension note {i}",
                                          "text": f"Record {i}: amlodipine lowers blood pressure. " * 30})
                              for i in range(400)) + "\n")
    return path


@pytest.fixture
def filled(tmp_path: Path, corpus: Path) -> Path:
    db = tmp_path / "filled.db"
    store = SQLiteStore(db)
    ingest([corpus], store)
    store.close()
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_garbage_or_truncated_file(filled: Path, damage: str) -> None:
    if damage == "garbage":
        filled.write_bytes(b"definitely not a database " * 4000)
    else:
        with filled.open("r+b") as fh:
            fh.truncate(filled.stat().st_size // 3)
    proc = _cli("search", "amlodipine", "--db", str(filled))
    _one_clear_line(proc, filled, "damaged")


def _corrupt_middle(db: Path) -> None:
    size = db.stat().st_size
    with db.open("r+b") as fh:
        for offset in range(size // 10 // 4096 * 4096, 9 * size // 10, 4096 * 2):
            fh.seek(offset)
            fh.write(os.urandom(4096))


def test_corrupted_pages_in_the_middle_are_found_by_check(filled: Path) -> None:
    _corrupt_middle(filled)
    proc = _cli("check", "--db", str(filled))
    assert proc.returncode == 3, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr and str(filled) in proc.stderr and "damaged" in proc.stderr


def test_check_passes_on_a_sound_database(filled: Path) -> None:
    proc = _cli("check", "--db", str(filled))
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


def test_corrupted_database_is_http_503_not_500(filled: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from medoracle.settings import Settings
    from medoracle.web.app import create_app

    settings = Settings(data_dir=str(tmp_path), db=str(filled), embedder="none",
                        secret_key="test-secret-key-0123456789")
    app = create_app(settings)
    _corrupt_middle(filled)
    c = TestClient(app)
    codes = set()
    for q in ("amlodipine blood pressure", "hypertension record 200", "record 350 amlodipine"):
        r = c.post("/api/ask", json={"question": q})
        codes.add(r.status_code)
        if r.status_code == 503:
            assert str(filled) in r.json()["error"] and "damaged" in r.json()["error"]
    assert 500 not in codes and 503 in codes


def test_read_only_or_immutable_file(filled: Path, corpus: Path) -> None:
    # root writes through any file mode, so as root the file is made immutable (chattr +i) instead
    immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(filled)]).returncode == 0
    if not immutable:
        os.chmod(filled, 0o444)
    fresh = corpus.parent / "fresh.jsonl"
    fresh.write_text(json.dumps({"id": "new", "title": "Gout", "text": "Colchicine for gout flares."}) + "\n")
    try:
        proc = _cli("ingest", str(fresh), "--db", str(filled), "--no-embed")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(filled)])
        os.chmod(filled, 0o644)
    _one_clear_line(proc, filled, "read-only", "write permission")


def test_size_limited_file_stands_in_for_a_full_disk(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "small.db"
    SQLiteStore(db).close()
    limit = db.stat().st_size + 64 * 1024

    def cap() -> None:
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = _cli("ingest", str(corpus), "--db", str(db), "--no-embed", preexec_fn=cap)
    _one_clear_line(proc, db, "full")
    store = SQLiteStore(db)  # nothing half-written: the database is still sound and usable
    assert store.check() == []


def test_newer_version_database_is_refused_by_the_cli(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "newer.db"
    SQLiteStore(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO _migrations VALUES ('store', 'added_in_2099', '2099-01-01')")
    proc = _cli("ingest", str(corpus), "--db", str(db), "--no-embed")
    _one_clear_line(proc, db, "newer medoracle", "added_in_2099", "upgrade")


def test_a_busy_answer_without_waiting_is_retried_until_the_other_writer_is_done(tmp_path: Path) -> None:
    """SQLite answers SQLITE_BUSY at once, without its busy handler, where waiting could deadlock (it did for
    one of two ingests started together on CI). A busy_timeout of 0 gives that answer on demand: the write
    must still go in once the other process's writer lets go, not fail with "database is locked"."""
    db_path = tmp_path / "busy.db"
    store = SQLiteStore(db_path)
    store.db.connect().execute("PRAGMA busy_timeout=0")  # this connection now never waits inside SQLite
    other = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); print('holding', flush=True); time.sleep(1.0); c.rollback()"),
        str(db_path)], stdout=subprocess.PIPE, text=True)
    assert other.stdout is not None and other.stdout.readline().strip() == "holding"
    with store.db.transaction() as tx:
        tx.execute("INSERT INTO meta VALUES ('busy-test', 'written')")
    other.wait(timeout=30)
    assert store.db.query("SELECT value FROM meta WHERE key = 'busy-test'") == [("written",)]
    store.close()
