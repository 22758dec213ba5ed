"""Schema migrations as small named functions, recorded in a `_migrations` table, for SQLite and PostgreSQL.

Each part of medoracle that owns tables keeps its own `Migrations` list (the store, the editorial
repository). `migrate` runs the ones not yet recorded, in order, each in a transaction of its own that also
writes its `_migrations` row, so a process killed half way leaves a step either absent or complete (never
`executescript`, which commits statement by statement). Every step runs under the database's write lock
(SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so processes that start together wait for one
another instead of racing. A database that records steps this version does not know was written by a newer
medoracle: it is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from medoracle.store.db import Database, Tx
from medoracle.store.faults import NewerDatabase

Migration = Callable[[Tx], None]

_TABLE = ("CREATE TABLE IF NOT EXISTS _migrations (namespace TEXT NOT NULL, name TEXT NOT NULL, "
          "applied_at TEXT NOT NULL, PRIMARY KEY (namespace, name))")


class Migrations:
    """The ordered steps of one namespace. Never rename or edit a shipped step; add a new one."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.steps: list[tuple[str, Migration]] = []

    def register(self, fn: Migration) -> Migration:
        """Decorator: the function's name is the migration's name."""
        self.steps.append((fn.__name__, fn))
        return fn

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.steps]


def _recorded(tx: Tx, namespace: str) -> set[str]:
    return {r[0] for r in tx.execute("SELECT name FROM _migrations WHERE namespace = ?", (namespace,))}


def _refuse_newer(db: Database, migrations: Migrations, done: set[str]) -> None:
    unknown = sorted(done - set(migrations.names))
    if unknown:
        raise NewerDatabase(
            f"{db.location} was written by a newer medoracle (its {migrations.namespace} tables have "
            f"migration{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} that this version does not know); "
            "upgrade medoracle, or open a database made by this version")


def pending(db: Database, *sets: Migrations) -> list[str]:
    """`namespace/name` of the steps not yet applied (NewerDatabase for a database from a newer version)."""
    out = []
    with db.transaction() as tx:
        tx.lock("migrations")
        tx.execute(_TABLE)
        for migrations in sets:
            done = _recorded(tx, migrations.namespace)
            _refuse_newer(db, migrations, done)
            out += [f"{migrations.namespace}/{n}" for n in migrations.names if n not in done]
    return out


def migrate(db: Database, *sets: Migrations) -> list[str]:
    """Apply what is missing; returns `namespace/name` of each step applied by this call."""
    applied: list[str] = []
    # first a read-only look under the lock: a newer database is refused before any step writes
    if not pending(db, *sets):
        return applied
    for migrations in sets:
        for name, step in migrations.steps:
            with db.transaction() as tx:
                tx.lock("migrations")
                done = _recorded(tx, migrations.namespace)
                if name in done:  # another process applied it while this one waited for the lock
                    continue
                step(tx)
                tx.execute("INSERT INTO _migrations (namespace, name, applied_at) VALUES (?, ?, ?)",
                           (migrations.namespace, name, datetime.now(timezone.utc).isoformat()))
            applied.append(f"{migrations.namespace}/{name}")
    return applied
