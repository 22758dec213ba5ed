"""Stores by name: `sqlite` (embedded default) or `postgres` (scale-out, needs medoracle[pg])."""

from __future__ import annotations

from pathlib import Path

from medoracle.settings import Settings
from medoracle.store.base import DocumentMeta, SearchFilters, Store, StoreStats
from medoracle.store.sqlite import SQLiteStore

__all__ = ["DocumentMeta", "SQLiteStore", "SearchFilters", "Store", "StoreStats", "open_store"]


def open_store(target: Settings | str | Path | None = None) -> SQLiteStore:
    """Open the database a settings object (or a path) names, creating it if needed."""
    if target is None:
        target = Settings.load()
    location = target.database if isinstance(target, Settings) else str(target)
    if location.startswith(("postgresql://", "postgres://")):
        from medoracle.errors import StoreError
        raise StoreError("the PostgreSQL store is not available in this version; use a SQLite path")
    return SQLiteStore(location)
