"""The editorial workflow against a real SQLite file: states, permissions, approvals, versions, audit chain."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from medoracle.editorial import open_repository
from medoracle.editorial.articles import TRANSITIONS, ArticleDesk, ArticleNotFound, slugify
from medoracle.editorial.users import Accounts, User
from medoracle.errors import BadInput, PermissionDenied, WorkflowError
from medoracle.settings import Settings
from medoracle.types import Answer, ArticleStatus, DocType, Reference, Section, Statement

S = ArticleStatus


def sample_answer(question: str = "What is first-line treatment for stage 1 hypertension?",
                  extra: str = "") -> Answer:
    """A small, complete answer as the composer would produce it (sources are real guidelines)."""
    return Answer(
        question=question,
        summary="Lifestyle change for everyone, and a first-line drug when risk or readings are high." + extra,
        summary_citations=[1],
        sections=[
            Section(key="first_line", title="First-line treatment", statements=[
                Statement(text="Start a thiazide-type diuretic, ACE inhibitor, ARB or calcium-channel blocker.",
                          citations=[1], grade="COR I, LOE A"),
                Statement(text="Reduce dietary sodium and increase physical activity.", citations=[1, 2]),
            ]),
            Section(key="monitoring", title="Monitoring", statements=[
                Statement(text="Confirm the diagnosis with out-of-office readings.", citations=[2]),
            ]),
        ],
        references=[
            Reference(n=1, doc_id="acc-aha-2017", title="2017 ACC/AHA Guideline for High Blood Pressure in Adults",
                      source="ACC/AHA", published="2017", doc_type=DocType.guideline,
                      url="https://doi.org/10.1161/HYP.0000000000000065",
                      quotes=["Initial first-line agents include thiazide diuretics, CCBs, and ACE inhibitors "
                              "or ARBs."]),
            Reference(n=2, doc_id="nice-ng136", title="Hypertension in adults: diagnosis and management (NG136)",
                      source="NICE", published="2019", doc_type=DocType.guideline,
                      url="https://www.nice.org.uk/guidance/ng136",
                      quotes=["Offer ambulatory blood pressure monitoring to confirm the diagnosis."]),
        ],
        follow_ups=["Which drug suits a patient with diabetes?"],
    )


@pytest.fixture()
def conn(tmp_path: Path) -> sqlite3.Connection:
    """A plain connection to the repository's file, for looking (and tampering) behind the seam."""
    return sqlite3.connect(tmp_path / "editorial.db", isolation_level=None)


def make_desk(conn: sqlite3.Connection, approvals: int = 1) -> ArticleDesk:
    path = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    return ArticleDesk(open_repository(path), Settings(data_dir=str(path.parent), approvals_required=approvals))


@pytest.fixture()
def people() -> dict[str, User]:
    # The desk only needs who acts and their role; test_users covers how accounts are stored.
    return {name: User(name, role, disclosures=f"{name}: none") for name, role in
            [("author", "editor"), ("rev1", "reviewer"), ("rev2", "reviewer"), ("boss", "admin")]}


def test_transitions_live_in_one_table_and_cover_every_state() -> None:
    sources = {t.source for t in TRANSITIONS}
    assert sources == set(S) - {S.retracted}
    assert all(t.target is S.retracted for t in TRANSITIONS if t.action == "retract")


def test_publish_review_approve(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    assert art.status is S.submitted and art.version == 1 and art.author == "author"
    assert art.slug == "what-is-first-line-treatment-for-stage-1-hypertension"
    assert desk.get(art.slug).answer == sample_answer()
    assert desk.allowed_actions(art, people["rev1"]) == ["start_review", "approve", "request_changes", "reject"]
    assert desk.allowed_actions(art, people["boss"])[-2:] == ["edit", "retract"]
    art = desk.approve(art.slug, people["rev1"], comment="Checked against both guidelines")
    assert art.status is S.approved
    assert [e.action for e in desk.history(art.slug)] == ["submit", "start_review", "approve"]
    assert desk.approvals(art.slug) == ["rev1"]


def test_reviewer_cannot_approve_their_own_article(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    own = desk.publish(sample_answer(), people["rev1"])
    with pytest.raises(PermissionDenied, match="own article"):
        desk.approve(own.slug, people["rev1"])
    assert desk.get(own.slug).status is S.submitted  # nothing half-done
    assert "approve" not in desk.allowed_actions(own, people["rev1"])


def test_anonymous_and_disabled_users_cannot_review(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    with pytest.raises(PermissionDenied, match="accountable author"):
        desk.publish(sample_answer())  # publishing needs an account unless the setting allows it
    desk.settings.anonymous_submissions = True
    with pytest.raises(PermissionDenied, match="browser session"):
        desk.publish(sample_answer())
    art = desk.publish(sample_answer(), submitter="browser-session-1")
    assert art.author is None
    with pytest.raises(PermissionDenied):
        desk.act(art.slug, "approve", None)
    gone = replace(people["rev2"], disabled=True)
    with pytest.raises(PermissionDenied, match="disabled"):
        desk.approve(art.slug, gone)


def test_approvals_required_counts_distinct_reviewers(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn, approvals=2)
    art = desk.publish(sample_answer(), people["author"])
    art = desk.approve(art.slug, people["rev1"])
    assert art.status is S.under_review
    with pytest.raises(WorkflowError, match="already approved"):
        desk.approve(art.slug, people["rev1"])
    art = desk.approve(art.slug, people["rev2"])
    assert art.status is S.approved and desk.approvals(art.slug) == ["rev1", "rev2"]


def test_changes_requested_then_edit_resubmits_a_new_version(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    with pytest.raises(BadInput, match="comment"):
        desk.request_changes(art.slug, people["rev1"], comment="  ")
    with pytest.raises(BadInput, match="no section 'dosing'"):
        desk.request_changes(art.slug, people["rev1"], comment="Add doses", section="dosing")
    art = desk.request_changes(art.slug, people["rev1"], comment="Name the CCB", section="first_line")
    assert art.status is S.changes_requested
    last = desk.history(art.slug)[-1]
    assert (last.action, last.section, last.comment) == ("request_changes", "first_line", "Name the CCB")
    with pytest.raises(WorkflowError, match="cannot approve an article that is changes requested"):
        desk.approve(art.slug, people["rev2"])
    with pytest.raises(PermissionDenied):  # a reviewer who is not the author cannot edit
        desk.edit(art.slug, sample_answer(extra=" Amlodipine is a CCB."), people["rev1"])
    art = desk.edit(art.slug, sample_answer(extra=" Amlodipine is a CCB."), people["author"], note="named the CCB")
    assert (art.status, art.version) == (S.submitted, 2)
    diff = desk.diff(art.slug, 1, 2)
    assert any(line.startswith("+") and "Amlodipine" in line for line in diff)
    assert any(line.startswith("-") and "Bottom line" in line for line in diff)
    assert [v.version for v in desk.versions(art.slug)] == [1, 2]


def test_editing_an_approved_article_sends_it_back_to_review(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    desk.approve(art.slug, people["rev1"])
    art = desk.edit(art.slug, sample_answer(extra=" Updated."), people["boss"])
    assert (art.status, art.version) == (S.under_review, 2)
    assert desk.approvals(art.slug) == []  # approvals of version 1 do not carry over
    assert desk.approve(art.slug, people["rev1"]).status is S.approved


def test_reject_retract_and_terminal_states(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    art = desk.reject(art.slug, people["rev1"], comment="Off topic")
    assert art.status is S.rejected
    with pytest.raises(WorkflowError):
        desk.approve(art.slug, people["rev2"])
    with pytest.raises(PermissionDenied):
        desk.retract(art.slug, people["rev2"], reason="no")
    art = desk.retract(art.slug, people["boss"], reason="Superseded")
    assert art.status is S.retracted
    with pytest.raises(WorkflowError):
        desk.retract(art.slug, people["boss"], reason="again")


def test_list_search_queue_and_slugs(conn: sqlite3.Connection, people: dict) -> None:
    desk = make_desk(conn)
    a = desk.publish(sample_answer(), people["author"])
    b = desk.publish(sample_answer(), people["author"], create_anyway=True)  # the same question, on purpose
    c = desk.publish(sample_answer("How is atrial fibrillation anticoagulated?"), people["boss"])
    assert b.slug == a.slug + "-2"
    desk.approve(c.slug, people["rev1"])
    assert [x.slug for x in desk.list(query="hypertension thiazide")] == [b.slug, a.slug]
    assert [x.slug for x in desk.list(status="approved")] == [c.slug]
    assert desk.list(query="100%_") == []
    assert [x.slug for x in desk.queue()] == [a.slug, b.slug]
    with pytest.raises(ArticleNotFound):
        desk.get("no-such-article")
    assert slugify("Ménière's disease: what now?") == "meniere-s-disease-what-now"


def test_abstentions_are_not_published(conn: sqlite3.Connection) -> None:
    desk = make_desk(conn)
    with pytest.raises(BadInput, match="abstention"):
        desk.publish(Answer(question="What is the airspeed of a swallow?", abstained=True), User("a", "editor"))


def test_audit_chain_verifies_and_detects_tampering(conn: sqlite3.Connection, people: dict,
                                                    tmp_path: Path) -> None:
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    desk.request_changes(art.slug, people["rev1"], comment="Cite the dose", section="first_line")
    desk.resubmit(art.slug, people["author"])
    desk.approve(art.slug, people["rev2"])
    entries = desk.audit.entries()
    assert [e.action for e in entries] == ["submit", "start_review", "request_changes", "resubmit",
                                           "start_review", "approve"]
    assert entries[0].prev_hash == "0" * 64 and entries[1].prev_hash == entries[0].hash
    assert desk.audit.verify_chain() == (True, None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    conn.rollback()
    # Someone with the raw file drops the guard and rewrites history: the chain says where.
    raw = sqlite3.connect(tmp_path / "editorial.db")
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET details = replace(details, 'Cite the dose', 'Looks fine') WHERE id = 3")
    raw.commit()
    assert desk.audit.verify_chain() == (False, 3)


def test_deleting_an_audit_entry_is_detected(conn: sqlite3.Connection, people: dict, tmp_path: Path) -> None:
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    desk.approve(art.slug, people["rev1"])
    raw = sqlite3.connect(tmp_path / "editorial.db")
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("DELETE FROM audit_log WHERE id = 2")
    raw.commit()
    assert desk.audit.verify_chain() == (False, 3)


def test_article_commands_follow_the_same_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture) -> None:
    from medoracle.cli import main

    db = tmp_path / "cli.db"
    monkeypatch.setenv("MEDORACLE_DATA_DIR", str(tmp_path))
    settings = Settings(data_dir=str(tmp_path), db=str(db))
    repository = open_repository(settings)
    accounts = Accounts(repository)
    accounts.add("rita", "long enough pw", "reviewer")
    desk = ArticleDesk(repository, settings)
    slug = desk.publish(sample_answer(), accounts.get("rita")).slug
    args = ["--db", str(db)]
    assert main(["articles", "approve", slug, "--as", "rita", *args]) == 1  # own article: refused
    assert "own article" in capsys.readouterr().err.replace("\n", " ")
    accounts.add("rob", "long enough pw", "reviewer")
    assert main(["articles", "request-changes", slug, "--as", "rob", "--section", "monitoring",
                 "--comment", "Say which readings", *args]) == 0
    assert main(["articles", "resubmit", slug, "--as", "rita", *args]) == 0
    assert main(["articles", "approve", slug, "--as", "rob", *args]) == 0
    assert "approved" in capsys.readouterr().out
    assert main(["articles", "list", "--status", "approved", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == slug
    assert main(["audit", "verify", *args]) == 0
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    raw.commit()
    assert main(["audit", "verify", *args]) == 1
    assert "BROKEN at entry 2" in capsys.readouterr().err


def test_articles_made_before_similarity_was_stored_are_pointed_out(tmp_path: Path, people: dict) -> None:
    """A database from before `add_question_terms`: its articles get their terms when it is opened."""
    from medoracle.editorial import schema
    from medoracle.store.db import SQLiteDatabase
    from medoracle.store.migrations import Migrations, migrate

    path = tmp_path / "old.db"
    older = Migrations("articles")
    older.steps = [s for s in schema.articles.steps if s[0] != "add_question_terms"]
    db = SQLiteDatabase(str(path))
    migrate(db, older, schema.users, schema.threads, schema.editorial)
    payload = sample_answer("How is hypercalcaemia of malignancy treated?").model_dump_json()
    with db.transaction() as tx:
        tx.execute("INSERT INTO articles (slug, question, status, version, author, answer_json, created_at, "
                   "updated_at) VALUES ('old', 'How is hypercalcaemia of malignancy treated?', 'approved', 1, "
                   "'author', ?, '2025-01-01', '2025-01-01')", (payload,))
    db.close()
    desk = ArticleDesk(open_repository(path), Settings(data_dir=str(tmp_path)))
    with pytest.raises(WorkflowError, match="already approved: 'old'"):
        desk.publish(sample_answer("malignant hypercalcaemia: treatment?"), people["author"])


def test_an_edit_cannot_bring_its_own_sources_quotes_or_grades(conn: sqlite3.Connection, people: dict) -> None:
    """What the evidence says is the article's: a client's quotes, new documents, grades and patient wording
    for a changed sentence are not taken (each would let invented text pass as sourced)."""
    from medoracle.editorial.revision import UnknownSource
    from medoracle.types import Reference

    desk = make_desk(conn)
    art = desk.publish(sample_answer(), people["author"])
    invented = "Give 10 g of intravenous calcium immediately to every patient."
    forged = art.answer.model_copy(deep=True)
    forged.references.append(Reference(n=3, doc_id="made-up", title="A guideline nobody wrote", quotes=[invented]))
    forged.summary, forged.summary_citations = invented, [3]
    with pytest.raises(UnknownSource, match="not one of the article's sources"):
        desk.edit(art.slug, forged, people["boss"])
    # A quote rewritten on a reference the article does cite is the article's quote again, so the invented
    # bottom line is checked against the real passage and marked as the editor's own words.
    rewritten = art.answer.model_copy(deep=True)
    rewritten.references[0].quotes = [invented]
    rewritten.summary, rewritten.summary_citations, rewritten.summary_grade = invented, [1], "Grade 1A"
    rewritten.sections[0].statements[1].text += " Always."
    rewritten.sections[0].statements[1].grade = "COR I, LOE A"
    rewritten.sections[0].statements[1].plain = "Stop every medicine you take."
    saved = desk.edit(art.slug, rewritten, people["boss"]).answer
    assert saved.references[0].quotes == art.answer.references[0].quotes
    assert saved.summary_unsupported and saved.summary_written_by == "boss" and saved.summary_grade is None
    changed = saved.sections[0].statements[1]
    assert changed.grade is None and changed.plain is None  # no statement citing [1, 2] printed that grade
    assert saved.sections[0].statements[0].grade == "COR I, LOE A"  # unchanged: keeps its grade
    # Renumbering the references is fine, but a sentence that now cites another document is checked again.
    swapped = saved.model_copy(deep=True)
    swapped.references[0].n, swapped.references[1].n = 2, 1
    first = swapped.sections[0].statements[0]  # cited [1] (ACC/AHA); [1] is now NICE
    again = desk.edit(art.slug, swapped, people["boss"]).answer
    assert again.sections[0].statements[0].text == first.text and again.sections[0].statements[0].written_by == "boss"
    assert again.sections[0].statements[0].grade is None
    # The shape the API hands out (no passage ids or quotes) round-trips without losing the evidence.
    public = json.loads(again.model_dump_json())
    for ref in public["references"]:
        ref["quotes"], ref["passage_ids"] = [], []
    public["summary"] = "Lifestyle change for everyone."
    kept = desk.edit(art.slug, Answer.model_validate(public), people["boss"]).answer
    assert [r.quotes for r in kept.references] == [r.quotes for r in again.references]
