"""threads: turns persisted in a real SQLite file, follow-ups resolved against the topic, consistent numbering."""

from __future__ import annotations

import sqlite3

import pytest

from medoracle.editorial import open_repository
from medoracle.editorial.threads import (
    Thread,
    ThreadStore,
    UnknownThread,
    earlier_numbers,
    extract_topic,
    names_condition,
    renumber_with_thread,
    resolve_followup,
)
from medoracle.types import Answer, Reference, Section, Statement


def connector(path):
    """A repository of its own on the file, as another process would open it."""
    return open_repository(path)


def answer(question: str, docs: list[str], resolved: str | None = None) -> Answer:
    refs = [Reference(n=i + 1, doc_id=d, title=d.upper()) for i, d in enumerate(docs)]
    sts = [Statement(text=f"Statement from {d}.", citations=[i + 1]) for i, d in enumerate(docs)]
    return Answer(question=question, summary="Bottom line.", summary_citations=[1] if docs else [],
                  sections=[Section(key="first_line", title="First-line treatment", statements=sts)],
                  references=refs, resolved_question=resolved)


FIRST = "What are the management options for spinal metastasis?"
FOLLOW = "what about if it has already been irradiated?"


def test_thread_persists_across_connections(tmp_path):
    db = tmp_path / "threads.db"
    store = ThreadStore(connector(db))
    tid = store.create()
    assert store.append(tid, answer(FIRST, ["nice-ng234", "astro-2017"])) == 1
    assert store.append(tid, answer(FOLLOW, ["sahgal-2021"], resolved="Spinal metastasis: " + FOLLOW)) == 2

    # A new store on a new connection sees everything (no in-memory state).
    again = ThreadStore(connector(db)).get(tid)
    assert again.id == tid and again.topic == "spinal metastasis"
    assert again.title == FIRST  # an untitled thread takes its first question as title
    assert [t.n for t in again.turns] == [1, 2]
    assert again.turns[1].resolved_question == "Spinal metastasis: " + FOLLOW
    assert again.turns[0].answer.references[1].doc_id == "astro-2017"
    assert again.turns[0].answer.thread_id == tid
    rows = sqlite3.connect(db).execute("SELECT COUNT(*) FROM thread_turns WHERE thread_id = ?", (tid,)).fetchone()
    assert rows[0] == 2


def test_a_thread_starts_with_its_first_answer_in_one_transaction(tmp_path):
    db = tmp_path / "threads.db"
    store = ThreadStore(connector(db))
    tid = store.start(answer(FIRST, ["nice-ng234"]), title=FIRST, owner="browser:abc")
    again = ThreadStore(connector(db)).get(tid)  # committed: another connection sees it
    assert again.title == FIRST and again.owner == "browser:abc" and again.topic == "spinal metastasis"
    assert [t.n for t in again.turns] == [1] and again.turns[0].answer.thread_id == tid
    assert store.append(tid, answer(FOLLOW, ["sahgal-2021"])) == 2
    # The thread row and its turn are written together: a failing turn leaves no thread behind.
    conn = sqlite3.connect(db)
    conn.execute("CREATE TRIGGER no_turns BEFORE INSERT ON thread_turns BEGIN SELECT RAISE(ABORT, 'full'); END")
    conn.commit()
    before = conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0]
    with pytest.raises(Exception, match="full"):
        store.start(answer(FIRST, ["nice-ng234"]), title=FIRST)
    assert conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0] == before


def test_unknown_thread_is_a_clear_error(tmp_path):
    store = ThreadStore(connector(tmp_path / "t.db"))
    with pytest.raises(UnknownThread, match="no thread with id 'nope'"):
        store.get("nope")
    with pytest.raises(UnknownThread):
        store.append("nope", answer(FIRST, ["a"]))


def test_titles_are_kept_and_threads_are_separate(tmp_path):
    store = ThreadStore(connector(tmp_path / "t.db"))
    a, b = store.create("Spine"), store.create()
    store.append(a, answer(FIRST, ["x"]))
    store.append(b, answer("How is hypertension diagnosed?", ["y"]))
    assert store.get(a).title == "Spine" and store.get(b).topic == "hypertension"
    assert len(store.turns(a)) == 1 and store.turns(b)[0].question == "How is hypertension diagnosed?"


@pytest.mark.parametrize("question,topic", [
    ("What are the management options for spinal metastasis?", "spinal metastasis"),
    ("What is the recommended management of metastatic spinal cord compression?",
     "metastatic spinal cord compression"),
    ("How is hypertension diagnosed?", "hypertension"),
    ("What is the treatment for type 2 diabetes?", "type 2 diabetes"),
    ("When should statins be offered to adults with chronic kidney disease?", "chronic kidney disease"),
    ("What is the first-line treatment for depression in adults?", "depression"),
    ("How is chemotherapy-induced nausea and vomiting prevented?", "chemotherapy-induced nausea and vomiting"),
    ("Which bisphosphonate is used for hypercalcaemia of malignancy?", "hypercalcaemia of malignancy"),
])
def test_topic_is_the_main_condition_phrase(question, topic):
    assert extract_topic(question) == topic


def thread_about(question: str) -> Thread:
    return Thread(id="t1", created_at="2025-01-01", topic=extract_topic(question),
                  turns=[])


@pytest.mark.parametrize("followup", [
    "what about if it has already been irradiated?",
    "and the dose?",
    "is it safe in pregnancy?",
    "what about children?",
    "what about surgery?",
])
def test_elliptical_followup_is_resolved_against_the_topic(followup):
    resolved = resolve_followup(followup, thread_about(FIRST))
    assert "spinal metastasis" in resolved.lower()
    assert followup.removeprefix("and ").rstrip("?") in resolved


def test_resolution_reads_naturally():
    assert resolve_followup(FOLLOW, thread_about(FIRST)) == \
        "Spinal metastasis: what about if it has already been irradiated?"
    assert resolve_followup("and the dose?", thread_about(FIRST)) == "Spinal metastasis: what about the dose?"


@pytest.mark.parametrize("followup", [
    "What is the first-line treatment for asthma?",
    "what about breast cancer?",
    "And for spinal metastases that are painful?",  # already names the topic
])
def test_followup_naming_its_own_condition_is_left_alone(followup):
    assert resolve_followup(followup, thread_about(FIRST)) == followup


def test_empty_thread_leaves_question_alone():
    assert resolve_followup("and the dose?", Thread(id="t", created_at="x")) == "and the dose?"


def test_names_condition_distinguishes_conditions_from_drugs_and_populations():
    assert names_condition("is it safe with rheumatoid arthritis?")
    assert names_condition("What about pancreatitis?")
    assert not names_condition("is metformin safe in pregnancy?")
    assert not names_condition("what about children?")
    assert not names_condition("and the prognosis?")


def test_topic_moves_when_the_user_changes_condition(tmp_path):
    store = ThreadStore(connector(tmp_path / "t.db"))
    tid = store.create()
    store.append(tid, answer(FIRST, ["a"]))
    store.append(tid, answer("What is the treatment for type 2 diabetes?", ["b"]))
    thread = store.get(tid)
    assert thread.topic == "type 2 diabetes"
    assert "type 2 diabetes" in resolve_followup("and the dose?", thread).lower()


def test_each_answer_of_a_thread_numbers_its_references_from_one(tmp_path):
    store = ThreadStore(connector(tmp_path / "t.db"))
    tid = store.create()
    store.append(tid, answer(FIRST, ["nice", "astro", "sahgal"]))
    thread = store.get(tid)
    follow = answer("and the dose?", ["sahgal", "new-a", "nice", "new-b"])
    follow.sections[0].statements.append(Statement(text="Both.", citations=[4, 1]))
    out = renumber_with_thread(follow, thread)
    assert [r.n for r in out.references] == [1, 2, 3, 4]  # no [1] … [12] gaps on the follow-up's page
    assert [(r.n, r.doc_id) for r in out.references] == [(r.n, r.doc_id) for r in follow.references]
    assert [s.citations for s in out.statements()] == [s.citations for s in follow.statements()]
    assert out.thread_id == tid and follow.thread_id != tid  # the input is not changed


def test_the_thread_keeps_which_number_a_source_had_in_each_turn(tmp_path):
    store = ThreadStore(connector(tmp_path / "t.db"))
    tid = store.create()
    first = answer(FIRST, ["kb:astro-sbrt", "kb:nice-mri"])
    first.references[0].url = "https://doi.org/10.1016/j.prro.2024.04.018"
    store.append(tid, first)
    follow = answer("and if it was irradiated before?", ["kb:nice-mri", "kb:astro-reirradiation"])
    follow.references[1].url = "https://doi.org/10.1016/j.prro.2024.04.018/"  # another card, same guideline
    store.append(tid, renumber_with_thread(follow, store.get(tid)))
    thread = store.get(tid)
    later = thread.turns[1]
    assert earlier_numbers(thread, later) == {1: [(1, 2)], 2: [(1, 1)]}
    assert earlier_numbers(thread, thread.turns[0]) == {1: [], 2: []}


def test_a_thread_remembers_its_owner(tmp_path):
    store = ThreadStore(connector(tmp_path / "t.db"))
    assert store.get(store.create("q", owner="browser:abc")).owner == "browser:abc"
    assert store.get(store.create("q")).owner == ""


def test_a_resolved_follow_up_names_its_topic_first():
    assert extract_topic("Spinal metastasis: what about if it has already been irradiated?") == "spinal metastasis"
