"""Evidence stores by URL scheme: a SQLite file path (embedded default) or postgresql:// (needs medoracle[pg])."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medoracle.settings import Settings
from medoracle.store.base import (
    DocumentMeta,
    LexicalQuery,
    SearchFilters,
    Store,
    StoreStats,
)
from medoracle.store.query import Clause
from medoracle.store.sqlite import SQLiteStore

__all__ = ["BACKENDS", "Clause", "DocumentMeta", "LexicalQuery", "SQLiteStore", "SearchFilters", "Store",
           "StoreStats", "backend_for", "database_location", "open_store"]


def _postgres(location: str) -> Store:
    from medoracle.store.postgres import PostgresStore

    return PostgresStore(location)


def _sqlite(location: str) -> Store:
    return SQLiteStore(location)


# URL scheme → opener; a location without a scheme is a SQLite file path
BACKENDS: dict[str, Callable[[str], Store]] = {"postgresql": _postgres, "postgres": _postgres, "sqlite": _sqlite}


def backend_for(location: str) -> str:
    """The registry key for a location: its URL scheme, or 'sqlite' for a plain path."""
    scheme, sep, _ = location.partition("://")
    return scheme.lower() if sep and scheme.lower() in BACKENDS else "sqlite"


def database_location(target: Settings | str | Path | None = None) -> str:
    """The database a settings object (or a path, or a postgresql:// URL) names; None: the loaded settings'."""
    if target is None:
        target = Settings.load()
    location = target.database if isinstance(target, Settings) else str(target)
    return location.removeprefix("sqlite://")


def open_store(target: Settings | str | Path | None = None) -> Store:
    """Open the evidence store a settings object (or a path, or a postgresql:// URL) names, creating it if needed."""
    location = database_location(target)
    return BACKENDS[backend_for(location)](location)
