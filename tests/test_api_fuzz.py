"""Property-based fuzz of the JSON API from its own /openapi.json (schemathesis over the in-process ASGI app):
anonymous and with a Bearer token, bounded examples; no server error, and every response (status, content type,
body) as the schema says."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from sites import DOCS, PASSWORD
from test_articles import sample_answer

from medoracle.editorial import repository_beside
from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.users import Accounts
from medoracle.ingest.pipeline import ingest
from medoracle.settings import Settings
from medoracle.store import open_store
from medoracle.web.app import create_app

# Built at import: schemathesis reads the schema when the module is collected.
_ROOT = Path(tempfile.mkdtemp(prefix="medoracle-fuzz-"))
_SETTINGS = Settings(data_dir=str(_ROOT), db=str(_ROOT / "fuzz.db"), embedder="none",
                     secret_key="fuzz-test-key-0123456789abcdef")
_STORE = open_store(_SETTINGS)
(_ROOT / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in DOCS[:1]), encoding="utf-8")
ingest([_ROOT / "docs.jsonl"], _STORE)
_ACCOUNTS = Accounts(repository_beside(_STORE))
_ACCOUNTS.add("fuzzer", PASSWORD, "editor", display_name="Fuzz Editor")
TOKEN = _ACCOUNTS.issue_token("fuzzer")
_DESK = ArticleDesk(repository_beside(_STORE), _SETTINGS)
_DESK.publish(sample_answer(), _ACCOUNTS.get("fuzzer"))  # something real to find, edit and review
APP = create_app(_SETTINGS, _STORE)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

# Bounded: enough to reach every operation's edge cases, small enough for CI on two cores.
FUZZ = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
# "0 server errors and 0 schema violations". Schemathesis' other default checks judge policy, not truth: e.g.
# `positive_data_acceptance` expects any schema-valid body to succeed, but a valid slug that names no article
# is rightly a 404, and a valid question the corpus cannot answer is an abstention or a 4xx.
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]


@schema.parametrize()
@FUZZ
def test_api_anonymous(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_with_a_bearer_token(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
