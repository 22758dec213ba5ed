"""Schema migrations as small named functions, recorded in a `_migrations` table.

Each part of medoracle that owns tables keeps its own `Migrations` list (the store, articles, threads);
`apply` runs the ones not yet recorded, in order, each in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone

Migration = Callable[[sqlite3.Connection], None]


class Migrations:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._steps: list[tuple[str, Migration]] = []

    def register(self, fn: Migration) -> Migration:
        """Decorator: the function's name is the migration's name; never rename a shipped one."""
        self._steps.append((fn.__name__, fn))
        return fn

    def connector(self, connect: Callable[[], sqlite3.Connection]) -> Callable[[], sqlite3.Connection]:
        """Wrap a connection factory so this namespace's tables are brought up to date on first use."""
        ready = False

        def conn() -> sqlite3.Connection:
            nonlocal ready
            c = connect()
            if not ready:
                self.apply(c)
                ready = True
            return c

        return conn

    def apply(self, conn: sqlite3.Connection) -> list[str]:
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (namespace TEXT NOT NULL, name TEXT NOT NULL, "
                     "applied_at TEXT NOT NULL, PRIMARY KEY (namespace, name))")
        done = {r[0] for r in conn.execute("SELECT name FROM _migrations WHERE namespace = ?", (self.namespace,))}
        applied = []
        for name, fn in self._steps:
            if name in done:
                continue
            with conn:  # one transaction per step: a crash leaves either none or all of it
                fn(conn)
                conn.execute("INSERT INTO _migrations VALUES (?, ?, ?)",
                             (self.namespace, name, datetime.now(timezone.utc).isoformat()))
            applied.append(name)
        return applied
