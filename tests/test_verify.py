"""The verifier drops planted unsupported statements and says why."""

from __future__ import annotations

import pytest

from medoracle.text import has_negation, numbers_of
from medoracle.types import Answer, DocType, Evidence, Passage, Reference, Section, Statement
from medoracle.verify import verify

RT = ("External beam radiotherapy is recommended for painful bone metastases. A single 8 Gy fraction gives pain "
      "relief equal to 20 Gy in 5 fractions. Surgery is not recommended for patients expected to live less than "
      "3 months.")
DEX = "Offer dexamethasone 16 mg daily to people with suspected MSCC and neurological symptoms."


@pytest.fixture()
def evidence() -> list[Evidence]:
    return [Evidence(passage=Passage(id="rt#0", doc_id="rt", text=RT, doc_type=DocType.guideline), title="RT"),
            Evidence(passage=Passage(id="ng#0", doc_id="ng", text=DEX, doc_type=DocType.guideline), title="NG")]


def answer_with(*statements: Statement, summary: str = DEX) -> Answer:
    return Answer(
        question="How is MSCC managed?", summary=summary, summary_citations=[1],
        sections=[Section(key="first_line", title="First-line treatment", statements=list(statements))],
        references=[Reference(n=1, doc_id="ng", passage_ids=["ng#0"]),
                    Reference(n=2, doc_id="rt", passage_ids=["rt#0"])])


def st(text: str, citations: list[int], pid: str = "rt#0") -> Statement:
    return Statement(text=text, citations=citations, passage_ids=[pid])


def test_quoted_statements_are_supported(evidence):
    checked = verify(answer_with(st("A single 8 Gy fraction gives pain relief equal to 20 Gy in 5 fractions.", [2])),
                     evidence)
    assert checked.dropped == [] and not checked.abstained
    assert checked.statements()[0].support == 1.0
    assert "verify" in checked.timings


@pytest.mark.parametrize("planted,reason", [
    ("A single 6 Gy fraction gives pain relief equal to 20 Gy in 5 fractions.", "6 gy"),
    ("A single 8 Gy fraction gives pain relief equal to 30 Gy in 10 fractions.", "30 gy"),
    ("Surgery is recommended for patients expected to live less than 3 months.", "negation"),
    ("External beam radiotherapy is not recommended for painful bone metastases.", "negation"),
    ("Chemotherapy with cisplatin cures most spinal tumours quickly and safely.", "words"),
])
def test_planted_unsupported_statement_is_dropped_with_reason(evidence, planted, reason):
    good = st("External beam radiotherapy is recommended for painful bone metastases.", [2])
    checked = verify(answer_with(good, st(planted, [2])), evidence)
    assert [s.text for s in checked.statements()] == [good.text]
    assert len(checked.dropped) == 1 and checked.dropped[0].text == planted
    assert reason in checked.dropped[0].reason.lower()


def test_citation_to_a_missing_reference_is_removed(evidence):
    mixed = st("External beam radiotherapy is recommended for painful bone metastases.", [2, 7])
    only_bad = st("A single 8 Gy fraction gives pain relief equal to 20 Gy in 5 fractions.", [9])
    checked = verify(answer_with(mixed, only_bad), evidence)
    assert [s.citations for s in checked.statements()] == [[2]]
    assert checked.dropped[0].text == only_bad.text and "no citation" in checked.dropped[0].reason


def test_citation_to_a_passage_not_retrieved_is_dropped(evidence):
    answer = answer_with(st("External beam radiotherapy is recommended for painful bone metastases.", [2]))
    answer.references[1].passage_ids[:] = ["elsewhere#3"]
    answer.sections[0].statements[0].passage_ids[:] = ["elsewhere#3"]
    checked = verify(answer, evidence)
    assert checked.dropped and "not retrieved" in checked.dropped[0].reason


def test_references_renumbered_and_empty_sections_removed(evidence):
    # The only statement citing [1] goes; [2] becomes [1] and the emptied section disappears.
    answer = answer_with(st("Dexamethasone 40 mg daily is offered to people with suspected MSCC.", [1], "ng#0"),
                         summary="External beam radiotherapy is recommended for painful bone metastases.")
    answer = answer.model_copy(update={"summary_citations": [2]})
    checked = verify(answer, evidence)
    assert checked.sections == []
    assert checked.summary_citations == [1]
    assert [(r.n, r.doc_id) for r in checked.references] == [(1, "rt")]


def test_unsupported_bottom_line_is_replaced_by_the_first_statement(evidence):
    good = st("External beam radiotherapy is recommended for painful bone metastases.", [2])
    answer = answer_with(good, summary="Offer dexamethasone 8 mg daily to everyone.")
    checked = verify(answer, evidence)
    assert checked.summary == good.text and checked.summary_citations == [1]
    assert checked.dropped[0].reason.startswith("bottom line")


def test_nothing_left_abstains(evidence):
    answer = answer_with(st("Radiotherapy cures 99% of bone metastases.", [2]), summary="Steroids never help.")
    checked = verify(answer, evidence)
    assert checked.abstained and checked.abstain_reason
    assert checked.references == [] and len(checked.dropped) == 2


def test_number_and_negation_readers():
    assert numbers_of("8 Gy in 1 fraction, 16 mg, 1,000 units, 24 hours, 50%") >= {
        ("8", "gy"), ("16", "mg"), ("1000", "unit"), ("24", "h"), ("50", "%")}
    assert has_negation("Do not offer") and has_negation("Don't offer") and not has_negation("Offer now")


def test_word_forms_meet_and_filler_words_do_not_count():
    from medoracle.text import content_stems

    assert content_stems("irradiated")[0] == content_stems("irradiation")[0]
    assert content_stems("metastatic")[0] == content_stems("metastases")[0]
    assert content_stems("hypertension")[0] != content_stems("hypertrophy")[0]
    assert content_stems("has it already been treated") == content_stems("treated")
