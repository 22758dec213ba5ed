"""Login throttling per account and per client address, counted from the audit log.

Every failed login is an audit entry (`login_failed`, subject `user:NAME`, the client address in its
details), so the count is shared by every server on one database and survives restarts. After a few free
failures each further one doubles the wait before the next attempt is even checked; a throttled attempt
costs one indexed count and no password hashing, and answers 429 with `Retry-After`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from medoracle.editorial.audit import AuditLog

WINDOW = timedelta(minutes=15)
MAX_WAIT = 15 * 60


@dataclass(frozen=True)
class Limit:
    free: int  # failures in the window before any wait
    base: int  # seconds to wait after the first failure past `free`, doubling with each further one


ACCOUNT = Limit(free=5, base=15)
CLIENT = Limit(free=20, base=15)


def account_subject(username: str) -> str:
    return "user:" + (username or "").strip().lower()[:64]


def _wait(count: int, latest: str | None, limit: Limit, now: datetime) -> int:
    if count < limit.free or latest is None:
        return 0
    wait = min(MAX_WAIT, limit.base * 2 ** min(count - limit.free, 16))
    last = datetime.fromisoformat(latest)
    return max(0, int((last + timedelta(seconds=wait) - now).total_seconds()) + 1)


class LoginThrottle:
    """Decides whether a login attempt may be checked now, and records failures."""

    def __init__(self, audit: AuditLog, account: Limit = ACCOUNT, client: Limit = CLIENT) -> None:
        self.audit = audit
        self.account = account
        self.client = client

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until this account may try again from this client; 0 when it may try now."""
        now = datetime.now(timezone.utc)
        since = (now - WINDOW).isoformat(timespec="seconds")
        subject = account_subject(username)
        # A successful login starts the account's count again (the address keeps its own). Past `free`, the
        # wait doubles per failure and reaches MAX_WAIT within 16 more: no need to count further than that.
        logins = self.audit.recent("login", subject=subject, since=since, limit=1)
        start = max(since, logins[0].at) if logins else since
        cap = max(self.account.free, self.client.free) + 17
        by_account = self.audit.recent("login_failed", subject=subject, since=start, limit=cap)
        by_client = self.audit.recent("login_failed", since=since, limit=cap, detail=("client", client))
        return max(_wait(len(by_account), by_account[0].at if by_account else None, self.account, now),
                   _wait(len(by_client), by_client[0].at if by_client else None, self.client, now))

    def failed(self, username: str, client: str) -> None:
        self.audit.record(actor=None, action="login_failed", subject=account_subject(username),
                          details={"client": client})
