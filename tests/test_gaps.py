"""Abstentions and gaps that explain themselves (`compose.gaps`): what was looked for, what the library covers,
and two rephrasings built from the typed `Query`: whole questions, never the question asked, never a field name."""

from __future__ import annotations

import re

import pytest

from medoracle.compose.gaps import Library, bundled_topics, closest_topics, explain, looked_for, rephrasings, topic_name
from medoracle.types import Answer, DocType, Evidence, Passage
from medoracle.understand import read_query

KB = Library(topics=bundled_topics(), documents=sum(t.size + 1 for t in bundled_topics()))


def _well_formed(questions: list[str], asked: str) -> None:
    assert len(questions) == 2, questions
    for q in questions:
        assert re.fullmatch(r"[A-Z][^_{}]*\?", q), q  # a whole question: capital, no field name, a question mark
        assert "  " not in q and " ?" not in q
        assert q.lower().rstrip("?") != asked.lower().rstrip("?")


def test_shorthand_is_spelled_out_and_the_population_broadened() -> None:
    query = read_query("svco mx in kids?")
    out = rephrasings(query, ["malignant pleural effusion"])
    _well_formed(out, query.text)
    # the condition in full, for everyone (a broader population), then the closest topic for the same patient
    assert out[0] == "What is the management of superior vena cava obstruction?"
    assert out[1] == "What is the management of malignant pleural effusion in children?"
    assert looked_for(query) == "the management of superior vena cava obstruction in children"


def test_a_drug_question_broadens_to_the_condition() -> None:
    query = read_query("what dose of rituximab for lupus nephritis?")
    out = rephrasings(query, [])
    assert "What is the management of lupus nephritis?" in out
    assert looked_for(query) == "the dose of rituximab for lupus nephritis"


def test_a_population_that_cannot_exist_is_read_both_ways() -> None:
    query = read_query("child aged 70 with asthma tx")
    out = rephrasings(query, ["asthma"])
    _well_formed(out, query.text)
    assert out == ["What is the management of asthma in children?",
                   "What is the management of asthma in people aged 70?"]


def test_the_closest_covered_topic_keeps_what_was_asked() -> None:
    query = read_query("What is the first-line treatment for sickle cell crisis?")
    out = rephrasings(query, ["cancer pain", "anaphylaxis"])
    _well_formed(out, query.text)
    assert out[0] == "What is the management of sickle cell crisis?"  # the broader ask
    assert out[1] == "What is the first-line treatment for cancer pain?"  # the closest topic, the same ask


def test_the_question_just_asked_is_never_offered() -> None:
    query = read_query("What is the management of lupus nephritis?")
    out = rephrasings(query, ["chronic kidney disease", "gout"])
    _well_formed(out, query.text)
    assert all("lupus" not in q for q in out)


def test_a_greeting_gets_examples_of_what_the_library_answers() -> None:
    query = read_query("hello there")
    assert query.noise
    gap = explain(query, Answer(question=query.text, abstained=True), [], KB)
    assert gap is not None and gap.looked_for.startswith("nothing")
    _well_formed(gap.rephrasings, query.text)
    assert f"covers {len(KB.topics)} topics" in gap.library


def test_one_general_word_finds_the_topics_that_hold_it() -> None:
    query = read_query("pain")
    names = closest_topics(query, [], KB)
    assert "cancer pain" in names
    assert "What is the management of cancer pain?" in rephrasings(query, names)


def test_closest_topics_from_what_retrieval_found() -> None:
    ev = Evidence(passage=Passage(id="x#0", doc_id="x", text="Text.", doc_type=DocType.consumer),
                  title="Sickle cell disease", focus=["Sickle cell disease", "Vaso-occlusive crisis"])
    unrelated = Evidence(passage=Passage(id="y#0", doc_id="y", text="Text.", doc_type=DocType.guideline),
                         title="Diabetic ketoacidosis", focus=["Diabetic ketoacidosis"])
    query = read_query("vaso-occlusive crisis management")
    assert closest_topics(query, [unrelated, ev], Library()) == ["sickle cell disease"]


def test_whole_answers_have_no_gap_and_partial_ones_name_what_is_missing() -> None:
    query = read_query("dexamethasone dose in MSCC")
    answered = Answer(question=query.text, summary="Start dexamethasone.")
    assert explain(query, answered, [], KB) is None
    gap = explain(query, answered, [], KB, ["The sources found give no dose for this."])
    assert gap is not None and gap.missing == "The sources found give no dose for this."
    assert len(gap.rephrasings) == 2


@pytest.mark.parametrize(("title", "aliases", "name"), [
    ("Asthma in adults and young people", ("asthma",), "asthma"),
    ("Gout - flares and urate-lowering therapy", ("gout",), "gout"),
    ("Atrial fibrillation: stroke prevention and anticoagulation", ("AF",), "atrial fibrillation"),
    ("Clostridioides difficile infection", ("Clostridioides difficile infection",),
     "Clostridioides difficile infection"),
    ("Chronic obstructive pulmonary disease (COPD)", (), "chronic obstructive pulmonary disease"),
    ("COPD", (), "COPD"),
])
def test_topic_names_read_as_a_question_names_them(title: str, aliases: tuple[str, ...], name: str) -> None:
    assert topic_name(title, aliases) == name


def test_the_library_says_its_size_and_kinds() -> None:
    assert KB.describe(["asthma", "COPD"]).endswith("the closest to this question are asthma and COPD.")
    corpus = Library(topics=KB.topics, documents=41_230, by_kind={"trial": 30_000, "consumer": 10_000,
                                                                  "guideline": 1_230})
    text = corpus.describe([])
    assert text.startswith("The library holds 41,230 documents: 30,000 trial reports, 10,000 consumer health "
                           "pages and 1,230 guidelines, with a knowledge base of")
