"""Shared fixtures: real SQLite stores in tmp_path, small real corpora, the shared data folder."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

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


CLINICAL_DOCS = [
    {"id": "g1", "doc_type": "guideline", "source": "Example Oncology Society", "published": "2022",
     "title": "Management of metastatic spinal cord compression",
     "text": "Patients with suspected metastatic spinal cord compression should have an MRI of the whole spine "
             "within 24 hours. Dexamethasone 16 mg daily should be started unless contraindicated (Grade 1B). "
             "Radiotherapy is the first-line treatment for most patients who are not candidates for surgery."},
    {"id": "g2", "doc_type": "guideline", "source": "Example Haematology Group", "published": "2019",
     "title": "Febrile neutropenia: initial management",
     "text": "Patients with febrile neutropenia should receive empirical broad-spectrum antibiotics within one "
             "hour of presentation. Piperacillin-tazobactam monotherapy is recommended for high-risk patients."},
    {"id": "c1", "doc_type": "consumer", "source": "Example Health Pages", "published": "2015",
     "title": "Back pain and cancer",
     "text": "Back pain in people with cancer can be a sign that cancer has spread to the spine. "
             "Tell your care team at once if you have new back pain, weakness in the legs or numbness."},
    {"id": "t1", "doc_type": "trial", "source": "Example Journal", "published": "2021",
     "title": "Stereotactic body radiotherapy versus conventional radiotherapy for painful spinal metastases",
     "text": "Stereotactic body radiotherapy (SBRT) of 24 Gy in 2 fractions gave a higher complete pain response "
             "than conventional radiotherapy of 20 Gy in 5 fractions in patients with painful spinal metastases."},
    {"id": "o1", "doc_type": "other", "source": "Example Cardiology", "published": "2020",
     "title": "Anticoagulation in atrial fibrillation",
     "text": "Direct oral anticoagulants such as apixaban are preferred over warfarin for stroke prevention in "
             "atrial fibrillation in eligible patients without mechanical heart valves."},
]


@pytest.fixture
def clinical_jsonl(tmp_path) -> Path:
    path = tmp_path / "clinical.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in CLINICAL_DOCS) + "\n", encoding="utf-8")
    return path


PG_URL = os.environ.get("MEDORACLE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


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


def pg_url(schema: str) -> str:
    """A database URL whose connections use `schema` (libpq options: a deployment needs only its URL)."""
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}%2Cpublic"


@pytest.fixture(scope="session")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    """A clinic on the bundled knowledge base, built once per test session into a fresh data directory."""

    data_dir = tmp_path_factory.mktemp("medoracle-home")
    return Clinic.build(Settings(data_dir=str(data_dir)))
