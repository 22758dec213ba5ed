"""Shared fixtures: real SQLite stores in tmp_path, small real corpora, the shared data folder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from testdata import CLINICAL_DOCS, PG_URL

from medoracle.embed import HashingEmbedder
from medoracle.service import Clinic
from medoracle.settings import Settings
from medoracle.store import SQLiteStore

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "corpora").is_dir():
        pytest.skip(f"{SHARED_DATA} is not present (real corpora live beside the project)")
    return SHARED_DATA


@pytest.fixture
def store(tmp_path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "test.db")
    yield s
    s.close()


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def clinical_jsonl(tmp_path) -> Path:
    path = tmp_path / "clinical.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in CLINICAL_DOCS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema (dropped afterwards); skips with the reason when there is no server."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'medoracle[pg]')")
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {str(exc).strip()[:200]}")
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    """A clinic on the bundled knowledge base, built once per test session into a fresh data directory."""

    data_dir = tmp_path_factory.mktemp("medoracle-home")
    return Clinic.build(Settings(data_dir=str(data_dir)))
