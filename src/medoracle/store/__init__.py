"""Stores by name: `sqlite` (embedded default) or `postgres` (scale-out, needs medoracle[pg])."""

from __future__ import annotations

from pathlib import Path

from medoracle.settings import Settings
from medoracle.store.base import DocumentMeta, SearchFilters, Store, StoreStats
from medoracle.store.sqlite import SQLiteStore

__all__ = ["DocumentMeta", "SQLiteStore", "SearchFilters", "Store", "StoreStats", "open_store"]


def open_store(target: Settings | str | Path | None = None) -> Store:
    """Open the database a settings object (or a path, or a postgresql:// URL) names, creating it if needed.

    With PostgreSQL, articles, users and threads stay in SQLite at `<data_dir>/editorial.db` for now.
    """
    if target is None:
        target = Settings.load()
    location = target.database if isinstance(target, Settings) else str(target)
    if location.startswith(("postgresql://", "postgres://")):
        from medoracle.store.postgres import PostgresStore

        data_dir = target.data_dir if isinstance(target, Settings) else Settings.load().data_dir
        return PostgresStore(location, editorial_db=Path(data_dir) / "editorial.db")
    return SQLiteStore(location)
