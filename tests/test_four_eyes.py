"""The four-eyes rule as a matrix: role × relation to the current version × action, with real accounts on a real
SQLite file, through the desk directly and through the HTTP API (in-process client), which must agree."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sites import DOCS
from test_articles import sample_answer

from medoracle.editorial import repository_beside
from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.users import Accounts, User
from medoracle.editorial.workflow import anonymous_writer
from medoracle.errors import PermissionDenied, WorkflowError
from medoracle.ingest.pipeline import ingest
from medoracle.settings import Settings
from medoracle.store import open_store
from medoracle.types import ArticleStatus
from medoracle.web.app import create_app

S = ArticleStatus
PASSWORD = "a long test password"
ROLES = ("reviewer", "editor", "admin")
# How the acting person relates to the article's current text.
RELATIONS = ("stranger", "submitter", "editor_of_current", "editor_of_earlier", "anonymous_submitter_session")
FOUR_EYES_ACTIONS = ("start_review", "approve", "request_changes", "reject")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp_path = tmp_path_factory.mktemp("eyes")
    settings = Settings(data_dir=str(tmp_path), db=str(tmp_path / "eyes.db"), embedder="none",
                        secret_key="four-eyes-test-key-0123456789", anonymous_submissions=True)
    store = open_store(settings)
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in DOCS[:1]), encoding="utf-8")
    ingest([corpus], store)
    accounts = Accounts(repository_beside(store))
    accounts.add("chief", PASSWORD, "admin", display_name="Chief Editor")
    accounts.add("other", PASSWORD, "editor", display_name="Other Editor")
    for role in ROLES:
        accounts.add(f"a-{role}", PASSWORD, role, display_name=f"Actor {role}")
    yield {"settings": settings, "store": store, "accounts": accounts,
           "desk": ArticleDesk(repository_beside(store), settings, passages=store)}
    store.close()


def _setup(world: dict, relation: str, actor: User, n: int) -> tuple[str, User]:
    """An article under review whose current text relates to `actor` as named; returns (slug, actor as acting)."""
    desk, accounts = world["desk"], world["accounts"]
    answer = sample_answer(f"Question {n} about hypertension?")
    if relation == "submitter":
        slug = desk.publish(answer, actor).slug
    elif relation == "anonymous_submitter_session":
        # Submitted from a browser session without logging in, then reviewed after logging in in that browser.
        slug = desk.publish(answer, submitter=f"browser-{n}").slug
        actor = User(actor.username, actor.role, sessions=(f"browser-{n}",))
    else:
        slug = desk.publish(answer, accounts.get("chief")).slug
    if relation in ("editor_of_current", "editor_of_earlier"):
        changed = desk.get(slug).answer.model_copy(update={"summary": desk.get(slug).answer.summary + " Edited."})
        desk.edit(slug, changed, actor, note="tightened")
        if relation == "editor_of_earlier":  # someone else saved a later version on top of theirs
            again = desk.get(slug).answer.model_copy(update={"summary": desk.get(slug).answer.summary + " Again."})
            desk.edit(slug, again, accounts.get("other"), note="again")
    return slug, actor


# Reviewers cannot edit an article someone else submitted, so they are never its editor.
MATRIX = [(role, relation, action) for role, relation, action in itertools.product(ROLES, RELATIONS, FOUR_EYES_ACTIONS)
          if not (role == "reviewer" and relation.startswith("editor_of"))]


def test_reviewers_cannot_edit_what_others_submitted(world: dict) -> None:
    desk, accounts = world["desk"], world["accounts"]
    slug = desk.publish(sample_answer(), accounts.get("chief"), create_anyway=True).slug
    with pytest.raises(PermissionDenied, match="may not edit"):
        desk.edit(slug, desk.get(slug).answer, accounts.get("a-reviewer"))


@pytest.mark.parametrize("role,relation,action", MATRIX)
def test_matrix_through_the_desk(world: dict, role: str, relation: str, action: str) -> None:
    desk = world["desk"]
    actor = world["accounts"].get(f"a-{role}")
    slug, actor = _setup(world, relation, actor, hash((role, relation, action)) % 10**6)
    before = desk.get(slug)
    wrote = relation != "stranger"
    allowed = desk.allowed_actions(before, actor)
    comment = "Because." if action in ("request_changes", "reject") else None
    if wrote:
        assert action not in allowed
        with pytest.raises(PermissionDenied, match="own article"):
            if action == "start_review":
                desk.start_review(slug, actor)
            else:
                desk.review(slug, action, actor, comment=comment)
        after = desk.get(slug)
        assert (after.status, after.version) == (before.status, before.version)  # nothing half-done
        assert desk.approvals(slug) == []
    else:
        assert action in allowed
        result = desk.start_review(slug, actor) if action == "start_review" else desk.review(
            slug, action, actor, comment=comment)
        expected = {"start_review": S.under_review, "approve": S.approved, "request_changes": S.changes_requested,
                    "reject": S.rejected}[action]
        assert result.status is expected


def test_approvals_are_per_version_and_reset_by_any_edit(world: dict) -> None:
    desk, accounts = world["desk"], world["accounts"]
    desk.settings.approvals_required = 2
    slug = desk.publish(sample_answer(), accounts.get("chief"), create_anyway=True).slug
    desk.approve(slug, accounts.get("a-reviewer"))
    assert desk.approvals(slug) == ["a-reviewer"]
    changed = desk.get(slug).answer.model_copy(update={"summary": "A different bottom line."})
    desk.edit(slug, changed, accounts.get("other"))  # editing under review starts the approvals again
    assert desk.approvals(slug) == [] and desk.get(slug).status is S.under_review
    with pytest.raises(PermissionDenied, match="own article"):
        desk.approve(slug, accounts.get("other"))
    desk.approve(slug, accounts.get("a-reviewer"))
    assert desk.approve(slug, accounts.get("a-admin")).status is S.approved
    desk.settings.approvals_required = 1


def test_the_finding_an_editor_cannot_approve_his_own_invented_bottom_line(world: dict) -> None:
    desk, accounts = world["desk"], world["accounts"]
    slug = desk.publish(sample_answer(), accounts.get("a-reviewer"), create_anyway=True).slug
    invented = desk.get(slug).answer.model_copy(update={
        "summary": "Give 10 g of intravenous calcium immediately to every patient."})
    art = desk.edit(slug, invented, accounts.get("a-editor"))
    assert art.answer.summary_unsupported and art.answer.summary_written_by == "a-editor"
    with pytest.raises(PermissionDenied, match="own article"):
        desk.approve(slug, accounts.get("a-editor"))
    assert desk.get(slug).status is S.submitted


def test_publishing_needs_an_account_unless_allowed(world: dict) -> None:
    desk = world["desk"]
    desk.settings.anonymous_submissions = False
    with pytest.raises(PermissionDenied, match="accountable author"):
        desk.publish(sample_answer(), submitter="browser-x", create_anyway=True)
    desk.settings.anonymous_submissions = True
    art = desk.publish(sample_answer(), submitter="browser-x", create_anyway=True)
    assert desk.writers(art.slug) == [anonymous_writer("browser-x")]
    assert "browser-x" not in str(desk.audit.entries())  # only a hash of the session id is kept


# -- the same matrix over HTTP ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app(world: dict):
    return create_app(world["settings"], world["store"])


@pytest.fixture()
def api(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


@pytest.mark.parametrize("role,action", list(itertools.product(ROLES, FOUR_EYES_ACTIONS)))
def test_matrix_over_http_with_bearer_tokens(world: dict, api: TestClient, role: str, action: str) -> None:
    desk, accounts = world["desk"], world["accounts"]
    me = accounts.get(f"a-{role}")
    token = {"Authorization": f"Bearer {accounts.issue_token(me.username)}"}
    # Questions that differ by one word: published as separate articles on purpose.
    mine = desk.publish(sample_answer(f"Mine {role} {action}?"), me, create_anyway=True).slug
    theirs = desk.publish(sample_answer(f"Theirs {role} {action}?"), accounts.get("chief"), create_anyway=True).slug
    body = {"action": action, **({"comment": "Because."} if action in ("request_changes", "reject") else {})}
    r = api.post(f"/api/articles/{mine}/reviews", json=body, headers=token)
    assert r.status_code == 403 and "own article" in r.json()["error"]
    assert desk.get(mine).status is S.submitted
    r = api.post(f"/api/articles/{theirs}/reviews", json=body, headers=token)
    assert r.status_code == 200, r.text
    if role != "reviewer":  # editors edit theirs; then they may not review it any more
        other = desk.publish(sample_answer("Edited by me?"), accounts.get("chief"), create_anyway=True).slug
        answer = desk.get(other).answer.model_copy(update={"summary": "My own bottom line."})
        r = api.put(f"/api/articles/{other}", json={"answer": answer.model_dump(mode="json")}, headers=token)
        assert r.status_code == 200
        r = api.post(f"/api/articles/{other}/reviews", json=body, headers=token)
        assert r.status_code == 403 and "own article" in r.json()["error"]


def test_a_reviewer_who_submitted_anonymously_cannot_review_after_logging_in(world: dict, api: TestClient) -> None:
    page = api.get("/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = api.post("/api/ask", json={"question": "What is first-line treatment for hypertension?"})
    assert r.status_code == 200 and not r.json()["abstained"]
    key = r.json()["answer_key"]
    r = api.post("/api/articles", json={"answer_key": key})
    assert r.status_code == 201
    slug = r.json()["slug"]
    r = api.post("/login", data={"username": "a-reviewer", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    page = api.get(f"/articles/{slug}/review").text
    assert 'value="approve"' not in page and "You wrote or edited this article" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = api.post(f"/articles/{slug}/review", data={"action": "approve", "csrf_token": csrf})
    assert r.status_code == 403 and "own article" in r.text
    assert world["desk"].get(slug).status is S.submitted


def test_cli_follows_the_same_rule(world: dict, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from medoracle.cli import main

    desk, accounts = world["desk"], world["accounts"]
    slug = desk.publish(sample_answer("CLI?"), accounts.get("chief")).slug
    desk.edit(slug, desk.get(slug).answer.model_copy(update={"summary": "Edited in the CLI test."}),
              accounts.get("a-editor"))
    monkeypatch.setenv("MEDORACLE_DATA_DIR", world["settings"].data_dir)
    args = ["--db", world["settings"].db]
    assert main(["articles", "approve", slug, "--as", "a-editor", *args]) == 1
    assert "own article" in capsys.readouterr().err.replace("\n", " ")
    assert main(["articles", "approve", slug, "--as", "a-reviewer", *args]) == 0
    with pytest.raises(WorkflowError):
        desk.approve(slug, accounts.get("a-admin"))  # approved already: nothing more to approve


def test_a_similar_draft_is_counted_not_shown_to_an_anonymous_submitter(world: dict, api: TestClient) -> None:
    """With anonymous submissions on, a similar article still in review is not revealed to someone who may not
    read drafts: the 409 counts it; once approved, it is named."""
    desk, accounts = world["desk"], world["accounts"]
    draft = desk.publish(sample_answer("Which blood pressure readings confirm hypertension?"),
                         accounts.get("chief")).slug
    r = api.post("/api/articles", json={"question": "What blood pressure readings confirm hypertension?"})
    assert r.status_code == 409 and r.json()["similar"] == [] and draft not in r.json()["error"]
    assert "only the editorial team can see" in r.json()["error"]
    page = api.get("/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = api.post("/articles", data={"q": "What blood pressure readings confirm hypertension?", "csrf_token": token})
    assert r.status_code == 409 and draft not in r.text and "the editorial team can see it" in r.text
    desk.approve(draft, accounts.get("a-reviewer"))
    r = api.post("/api/articles", json={"question": "What blood pressure readings confirm hypertension?"})
    assert r.status_code == 409 and [a["slug"] for a in r.json()["similar"]] == [draft]
