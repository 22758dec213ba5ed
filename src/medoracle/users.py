"""Editorial accounts: admins, editors and reviewers, with argon2-hashed passwords.

Readers and askers need no account (settings.public_read / public_ask); accounts exist for the people who
publish, review and approve. A reviewer's credentials and conflict-of-interest disclosures are stored here
and shown on every article they approved.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from medoracle.errors import BadInput
from medoracle.store.migrations import Migrations

ROLES = ("admin", "editor", "reviewer")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")

migrations = Migrations("users")


@migrations.register
def create_users(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE users (
            username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '', credentials TEXT NOT NULL DEFAULT '',
            disclosures TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0,
            token_hash TEXT UNIQUE, created_at TEXT NOT NULL)""")


@migrations.register
def add_session_version(conn: sqlite3.Connection) -> None:
    """Signed session cookies carry this number; bumping it ends every session of the account at once."""
    conn.execute("ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")


@dataclass(frozen=True)
class User:
    """An editorial account as the rest of the system sees it (never carries the password hash)."""

    username: str
    role: str
    display_name: str = ""
    credentials: str = ""
    disclosures: str = ""
    disabled: bool = False
    created_at: str = ""
    session_version: int = 0
    # Anonymous-submitter ids of the browser session this person acts from (set by the web layer), so the
    # four-eyes rule also knows the articles they submitted before logging in.
    sessions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """How the person is shown on a page: display name and credentials when known."""
        base = self.display_name or self.username
        return f"{base}, {self.credentials}" if self.credentials else base

    @property
    def can_review(self) -> bool:
        return not self.disabled and self.role in ("reviewer", "editor", "admin")

    @property
    def is_editor(self) -> bool:
        return not self.disabled and self.role in ("editor", "admin")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _token_hash(token: str) -> str:
    # API tokens are random 256-bit strings, so a fast hash is enough (no dictionary attack to slow down).
    return hashlib.sha256(token.encode()).hexdigest()


def _row_user(r: sqlite3.Row | tuple) -> User:
    username, role, display, creds, disclosures, disabled, created, session_version = tuple(r)
    return User(username, role, display, creds, disclosures, bool(disabled), created, int(session_version))


_COLUMNS = "username, role, display_name, credentials, disclosures, disabled, created_at, session_version"
_ENDS_SESSIONS = "session_version = session_version + 1"


class Accounts:
    """The users table. `connect` returns a connection for the current thread (pass `store.connect`)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._conn = migrations.connector(connect)
        # OWASP's Argon2id minimum (Password Storage Cheat Sheet: 19 MiB, 2 iterations, 1 lane). argon2-cffi's
        # default (64 MiB, 3 iterations, 4 lanes) spawns four threads per check: 840 ms and both cores of this
        # 2-core machine under load, against 83 ms and one core. Older hashes are upgraded at the next login.
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

    # -- accounts ---------------------------------------------------------------------------------
    def add(self, username: str, password: str, role: str, *, display_name: str = "", credentials: str = "",
            disclosures: str = "") -> User:
        """Create an account. Raises BadInput for a bad name, weak password, unknown role or duplicate."""
        username = (username or "").strip().lower()
        if not _USERNAME.match(username):
            raise BadInput(f"username {username!r} must be 2-40 characters: letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise BadInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if len(password or "") < MIN_PASSWORD:
            raise BadInput(f"password must be at least {MIN_PASSWORD} characters")
        conn = self._conn()
        try:
            with conn:
                conn.execute(
                    "INSERT INTO users (username, password_hash, role, display_name, credentials, disclosures,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (username, self._hasher.hash(password), role, display_name.strip(), credentials.strip(),
                     disclosures.strip(), _now()))
        except sqlite3.IntegrityError:
            raise BadInput(f"user {username!r} already exists") from None
        user = self.get(username)
        assert user is not None
        return user

    def get(self, username: str) -> User | None:
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM users WHERE username = ?",
                                   ((username or "").strip().lower(),)).fetchone()
        return _row_user(row) if row else None

    def require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise BadInput(f"no such user: {username!r}")
        return user

    def list(self) -> list[User]:
        return [_row_user(r) for r in self._conn().execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")]

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right and the account is active; None otherwise (never says which)."""
        conn = self._conn()
        row = conn.execute("SELECT password_hash FROM users WHERE username = ?",
                           ((username or "").strip().lower(),)).fetchone()
        if row is None:
            # Hash anyway so a missing account takes as long as a wrong password.
            self._hasher.hash(password or "x")
            return None
        try:
            self._hasher.verify(row[0], password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        user = self.get(username)
        if user is None or user.disabled:
            return None
        if self._hasher.check_needs_rehash(row[0]):
            with conn:
                conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                             (self._hasher.hash(password), user.username))
        return user

    def set_password(self, username: str, password: str) -> None:
        if len(password or "") < MIN_PASSWORD:
            raise BadInput(f"password must be at least {MIN_PASSWORD} characters")
        self._update(username, password_hash=self._hasher.hash(password), end_sessions=True)

    def disable(self, username: str) -> User:
        """Disable an account: it can no longer log in, use its token, or act on articles; its sessions end."""
        self._update(username, disabled=1, token_hash=None, end_sessions=True)
        return self.require(username)

    def enable(self, username: str) -> User:
        """Enable an account again; sessions from before it was disabled stay ended."""
        self._update(username, disabled=0, end_sessions=True)
        return self.require(username)

    def end_sessions(self, username: str) -> None:
        """Log the account out everywhere: every signed cookie issued before now stops working."""
        self._update(username, end_sessions=True)

    def update_profile(self, username: str, *, display_name: str | None = None, credentials: str | None = None,
                       disclosures: str | None = None, role: str | None = None) -> User:
        changes: dict[str, object] = {}
        if display_name is not None:
            changes["display_name"] = display_name.strip()
        if credentials is not None:
            changes["credentials"] = credentials.strip()
        if disclosures is not None:
            changes["disclosures"] = disclosures.strip()
        if role is not None:
            if role not in ROLES:
                raise BadInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
            changes["role"] = role
        if changes:
            current = self.require(username)
            # A new role must not ride on sessions opened under the old one.
            self._update(username, end_sessions=role is not None and role != current.role, **changes)
        return self.require(username)

    # -- API tokens -------------------------------------------------------------------------------
    def issue_token(self, username: str) -> str:
        """A new API token for `Authorization: Bearer …`; replaces the previous one. Shown once, stored hashed."""
        user = self.require(username)
        if user.disabled:
            raise BadInput(f"user {username!r} is disabled")
        token = "mo_" + secrets.token_urlsafe(32)
        self._update(user.username, token_hash=_token_hash(token))
        return token

    def by_token(self, token: str) -> User | None:
        if not token:
            return None
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM users WHERE token_hash = ?",
                                   (_token_hash(token),)).fetchone()
        user = _row_user(row) if row else None
        return user if user and not user.disabled else None

    def _update(self, username: str, *, end_sessions: bool = False, **values: object) -> None:
        name = (username or "").strip().lower()
        conn = self._conn()
        cols = ", ".join([f"{k} = ?" for k in values] + ([_ENDS_SESSIONS] if end_sessions else []))
        with conn:
            cur = conn.execute(f"UPDATE users SET {cols} WHERE username = ?", (*values.values(), name))
        if cur.rowcount == 0:
            raise BadInput(f"no such user: {username!r}")
