"""Accounts: argon2 hashes, roles, disabling, API tokens — against a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from medoracle.editorial import open_repository
from medoracle.editorial.users import Accounts
from medoracle.errors import BadInput


@pytest.fixture()
def accounts(tmp_path: Path) -> Accounts:
    return Accounts(open_repository(tmp_path / "users.db"))


def test_password_is_hashed_with_argon2_and_checked(accounts: Accounts, tmp_path: Path) -> None:
    user = accounts.add("Ada", "correct horse battery", "reviewer", display_name="Ada Byron",
                        credentials="MD, Radiation Oncology", disclosures="Speaker fees: none")
    assert user.username == "ada" and user.name == "Ada Byron, MD, Radiation Oncology"
    stored = sqlite3.connect(tmp_path / "users.db").execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert accounts.authenticate("ada", "correct horse battery") == user
    assert accounts.authenticate("ADA", "correct horse battery") == user
    assert accounts.authenticate("ada", "wrong password!") is None
    assert accounts.authenticate("nobody", "correct horse battery") is None


@pytest.mark.parametrize("name, password, role, message", [
    ("x", "long enough pw", "reviewer", "username"),
    ("bob", "short", "reviewer", "at least 8"),
    ("bob", "long enough pw", "patient", "role must be one of"),
    ("bad name", "long enough pw", "editor", "username"),
])
def test_bad_accounts_are_refused_with_a_reason(accounts: Accounts, name: str, password: str, role: str,
                                                message: str) -> None:
    with pytest.raises(BadInput, match=message):
        accounts.add(name, password, role)


def test_duplicate_username_is_refused(accounts: Accounts) -> None:
    accounts.add("eve", "long enough pw", "editor")
    with pytest.raises(BadInput, match="already exists"):
        accounts.add("Eve", "another long pw", "reviewer")


def test_disabled_account_cannot_log_in_or_use_its_token(accounts: Accounts) -> None:
    accounts.add("rev", "long enough pw", "reviewer")
    token = accounts.issue_token("rev")
    assert accounts.by_token(token).username == "rev"
    assert accounts.by_token("mo_not-a-token") is None
    disabled = accounts.disable("rev")
    assert disabled.disabled and not disabled.can_review
    assert accounts.authenticate("rev", "long enough pw") is None
    assert accounts.by_token(token) is None
    accounts.enable("rev")
    assert accounts.authenticate("rev", "long enough pw") is not None


def test_new_token_replaces_the_old_one(accounts: Accounts) -> None:
    accounts.add("ed", "long enough pw", "editor")
    first, second = accounts.issue_token("ed"), accounts.issue_token("ed")
    assert accounts.by_token(first) is None and accounts.by_token(second).username == "ed"


def test_profile_and_listing(accounts: Accounts) -> None:
    accounts.add("zed", "long enough pw", "reviewer")
    accounts.add("amy", "long enough pw", "admin")
    updated = accounts.update_profile("zed", disclosures="Research grant from a device maker", role="editor")
    assert updated.disclosures.startswith("Research grant") and updated.is_editor
    assert [u.username for u in accounts.list()] == ["amy", "zed"]
    with pytest.raises(BadInput, match="no such user"):
        accounts.disable("ghost")
    accounts.set_password("amy", "a new long password")
    assert accounts.authenticate("amy", "a new long password") is not None


def test_users_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import io

    from medoracle.cli import main

    db = str(tmp_path / "cli.db")
    monkeypatch.setenv("MEDORACLE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough pw\n"))
    assert main(["users", "add", "Rita", "--role", "reviewer", "--credentials", "MD, Radiation Oncology",
                 "--disclosures", "None", "--password-stdin", "--db", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "bob", "--role", "editor", "--password-stdin", "--db", db]) == 2
    assert main(["users", "disable", "rita", "--db", db]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["username"], u["credentials"], u["disabled"]) for u in listed] == [
        ("rita", "MD, Radiation Oncology", True)]
    assert main(["users", "token", "rita", "--db", db]) == 2  # disabled accounts get no token
    assert main(["audit", "verify", "--db", db]) == 0
    assert "2 entries" in capsys.readouterr().out
