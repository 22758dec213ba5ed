"""The editorial rules on PostgreSQL: the same four-eyes matrix, one article per answer key, revocable sessions
and login throttling as on SQLite, through the same desk, each test in its own schema. Skips with the reason
when the server is not reachable."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest
from test_articles import sample_answer

from medoracle.editorial import SQLRepository
from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.throttle import LoginThrottle
from medoracle.editorial.users import Accounts, User
from medoracle.errors import PermissionDenied
from medoracle.settings import Settings
from medoracle.store.db import PostgresDatabase
from medoracle.types import ArticleStatus

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'medoracle[pg]')")
pytestmark = pytest.mark.postgres
PG_URL = os.environ.get("MEDORACLE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "a long test password"


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {str(exc).strip()[:200]}")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    repository = SQLRepository(PostgresDatabase(PG_URL, schema=schema))
    settings = Settings(data_dir=str(tmp_path_factory.mktemp("pg")), anonymous_submissions=True)
    accounts = Accounts(repository)
    for name, role in (("chief", "admin"), ("ed", "editor"), ("rita", "reviewer")):
        accounts.add(name, PASSWORD, role)
    yield {"desk": ArticleDesk(repository, settings), "accounts": accounts, "repository": repository}
    repository.close()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


RELATIONS = ("stranger", "submitter", "editor", "anonymous_session")
ACTIONS = ("start_review", "approve", "request_changes", "reject")


@pytest.mark.parametrize("relation,action", list(itertools.product(RELATIONS, ACTIONS)))
def test_four_eyes_matrix_on_postgres(pg: dict, relation: str, action: str) -> None:
    desk, accounts = pg["desk"], pg["accounts"]
    me = accounts.get("ed")
    answer = sample_answer(f"Postgres {relation} {action}?")
    if relation == "submitter":
        slug = desk.publish(answer, me).slug
    elif relation == "anonymous_session":
        slug = desk.publish(answer, submitter=f"pg-{relation}-{action}").slug
        me = User(me.username, me.role, sessions=(f"pg-{relation}-{action}",))
    else:
        slug = desk.publish(answer, accounts.get("chief")).slug
    if relation == "editor":
        desk.edit(slug, desk.get(slug).answer.model_copy(update={"summary": "Changed by ed."}), me)
    comment = "Because." if action in ("request_changes", "reject") else None
    if relation == "stranger":
        moved = desk.start_review(slug, me) if action == "start_review" else desk.review(slug, action, me,
                                                                                          comment=comment)
        assert moved.status is not ArticleStatus.submitted
        return
    before = desk.get(slug)
    assert action not in desk.allowed_actions(before, me)
    with pytest.raises(PermissionDenied, match="own article"):
        desk.start_review(slug, me) if action == "start_review" else desk.review(slug, action, me, comment=comment)
    assert (desk.get(slug).status, desk.get(slug).version) == (before.status, before.version)


def test_one_article_per_answer_key_and_edits_are_marked(pg: dict) -> None:
    desk, accounts = pg["desk"], pg["accounts"]
    first = desk.publish(sample_answer("Keyed?"), accounts.get("chief"), answer_key="key-1")
    again = desk.publish(sample_answer("Keyed?"), accounts.get("ed"), answer_key="key-1")
    assert again.id == first.id and desk.by_answer_key("key-1").slug == first.slug  # type: ignore[union-attr]
    invented = first.answer.model_copy(update={"summary": "Give 10 g of intravenous calcium to every patient."})
    edited = desk.edit(first.slug, invented, accounts.get("ed"))
    assert edited.answer.summary_unsupported and desk.writers(first.slug) == ["chief", "ed"]


def test_sessions_end_and_failed_logins_are_counted_on_postgres(pg: dict) -> None:
    accounts, desk = pg["accounts"], pg["desk"]
    before = accounts.get("rita").session_version
    accounts.end_sessions("rita")
    accounts.update_profile("rita", role="editor")
    assert accounts.get("rita").session_version == before + 2
    throttle = LoginThrottle(desk.audit)
    for _ in range(5):
        assert throttle.retry_after("rita", "192.0.2.7") == 0
        throttle.failed("rita", "192.0.2.7")
    assert throttle.retry_after("rita", "192.0.2.7") > 0
    assert throttle.retry_after("chief", "192.0.2.8") == 0  # another account from another address
    assert desk.audit.verify_chain() == (True, None)
