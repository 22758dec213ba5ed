"""The editorial side: articles and their review workflow, accounts, threads, the hash-chained audit log.

Everything here is stored through one `EditorialRepository`, chosen by the database URL's scheme from
`BACKENDS`: the SQLite file that holds the evidence, or the PostgreSQL database every server shares (then
nothing but caches stays on local disk).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medoracle.editorial.repository import (
    EditorialRepository,
    EditorialTx,
    SQLRepository,
)
from medoracle.settings import Settings
from medoracle.store.base import Store
from medoracle.store.db import PostgresDatabase, SQLiteDatabase

__all__ = ["BACKENDS", "EditorialRepository", "EditorialTx", "SQLRepository", "open_repository", "repository_beside"]


def _sqlite(location: str) -> EditorialRepository:
    # FULL: with WAL, NORMAL may lose the last acknowledged transactions on power loss; a lost approval or
    # audit entry is not something an ingest rerun can restore
    return SQLRepository(SQLiteDatabase(location, synchronous="FULL"))


def _postgres(location: str) -> EditorialRepository:
    return SQLRepository(PostgresDatabase(location))


BACKENDS: dict[str, Callable[[str], EditorialRepository]] = {
    "sqlite": _sqlite, "postgresql": _postgres, "postgres": _postgres}


def open_repository(target: Settings | str | Path | None = None) -> EditorialRepository:
    """The editorial repository in the database a settings object (or a path, or a postgresql:// URL) names."""
    from medoracle.store import backend_for, database_location

    location = database_location(target)
    return BACKENDS[backend_for(location)](location)


def repository_beside(store: Store) -> EditorialRepository:
    """The editorial repository in the same database as an evidence store (same file, or same schema)."""
    from medoracle.store.postgres import PostgresStore

    if isinstance(store, PostgresStore):
        return SQLRepository(PostgresDatabase(store.url, schema=store.schema))
    return _sqlite(store.path)
