"""`medoracle threads prune` and `medoracle check` from the command line, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from medoracle.cli import main
from medoracle.editorial import open_repository
from medoracle.editorial.threads import ThreadStore
from medoracle.types import Answer


def test_threads_prune_deletes_only_unused_threads(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = tmp_path / "threads.db"
    repo = open_repository(db)
    threads = ThreadStore(repo)
    old, fresh = threads.create("old"), threads.create("fresh")
    threads.append(fresh, Answer(question="What is the treatment of gout?", summary="x"))
    with repo.db.transaction() as tx:  # the old one was last used 40 days ago
        tx.execute("UPDATE threads SET updated_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (old,))
    assert main(["threads", "prune", "--days", "30", "--db", str(db)]) == 0
    assert "1 thread(s)" in capsys.readouterr().out
    assert threads.get(fresh).turns and repo.thread(old) is None
    assert main(["threads", "prune", "--db", str(db)]) == 2  # no --days and no retention setting
    assert "--days" in capsys.readouterr().err


def test_check_reports_ok(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = tmp_path / "sound.db"
    assert main(["check", "--db", str(db)]) == 0
    assert "ok" in capsys.readouterr().out
