"""Editorial accounts: admins, editors and reviewers, with argon2-hashed passwords.

Readers and askers need no account (settings.public_read / public_ask); accounts exist for the people who
publish, review and approve. A reviewer's credentials and conflict-of-interest disclosures are stored here
and shown on every article they approved.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from medoracle.editorial.records import User
from medoracle.editorial.repository import EditorialRepository
from medoracle.errors import BadInput

ROLES = ("admin", "editor", "reviewer")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")

__all__ = ["MIN_PASSWORD", "ROLES", "Accounts", "User"]


def _token_hash(token: str) -> str:
    # API tokens are random 256-bit strings, so a fast hash is enough (no dictionary attack to slow down).
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Editorial accounts, stored in the repository (shared by every server of a deployment)."""

    def __init__(self, repository: EditorialRepository) -> None:
        self.repository = repository
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
        self.repository.insert_user(username=username, password_hash=self._hasher.hash(password), role=role,
                                    display_name=display_name.strip(), credentials=credentials.strip(),
                                    disclosures=disclosures.strip())
        user = self.get(username)
        assert user is not None
        return user

    def get(self, username: str) -> User | None:
        return self.repository.user((username or "").strip().lower())

    def require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise BadInput(f"no such user: {username!r}")
        return user

    def list(self) -> list[User]:
        return self.repository.users()

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right and the account is active; None otherwise (never says which)."""
        stored = self.repository.password_hash((username or "").strip().lower())
        if stored is None:
            # Hash anyway so a missing account takes as long as a wrong password.
            self._hasher.hash(password or "x")
            return None
        try:
            self._hasher.verify(stored, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        user = self.get(username)
        if user is None or user.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            self.repository.update_user(user.username, password_hash=self._hasher.hash(password))
        return user

    def set_password(self, username: str, password: str) -> None:
        if len(password or "") < MIN_PASSWORD:
            raise BadInput(f"password must be at least {MIN_PASSWORD} characters")
        self._update(username, password_hash=self._hasher.hash(password))
        self.end_sessions(username)

    def disable(self, username: str) -> User:
        """Disable an account: it can no longer log in, use its token, or act on articles; its sessions end."""
        self._update(username, disabled=1, token_hash=None)
        self.end_sessions(username)
        return self.require(username)

    def enable(self, username: str) -> User:
        """Enable an account again; sessions from before it was disabled stay ended."""
        self._update(username, disabled=0)
        self.end_sessions(username)
        return self.require(username)

    def end_sessions(self, username: str) -> None:
        """Log the account out everywhere: every signed cookie issued before now stops working."""
        if not self.repository.bump_session_version((username or "").strip().lower()):
            raise BadInput(f"no such user: {username!r}")

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
            before = self.require(username)
            self._update(username, **changes)
            if role is not None and role != before.role:
                self.end_sessions(username)  # a new role must not ride on sessions opened under the old one
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
        user = self.repository.user_by_token_hash(_token_hash(token))
        return user if user and not user.disabled else None

    def _update(self, username: str, **values: object) -> None:
        name = (username or "").strip().lower()
        if not self.repository.update_user(name, **values):
            raise BadInput(f"no such user: {username!r}")
