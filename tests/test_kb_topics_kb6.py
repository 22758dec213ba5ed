"""kb6's re-sourced and new cards answer the questions clinicians ask, in full words and shorthand (issue 16).

The ATS 2025 corticosteroid advice for pneumonia (against in non-severe, for in severe but not influenza), the
two-level Wells rule as derived by Wells, the CHEST advice for triple-positive antiphospholipid syndrome, the
hypertension treatment threshold, euglycaemic DKA, metformin and eGFR, and the Patchell trial's selection. Each
question must be answered, not abstained, with the key fact somewhere in the answer (bottom line or statements),
checked as a pattern because sentence selection is still changing. A grade must sit only on the recommendation it
grades (the non-severe one), never on the severe-pneumonia sentence, whose grade was not read.
"""

from __future__ import annotations

import pytest
from testdata import assert_answers_with

from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, pattern every answer must contain somewhere)
CASES: list[tuple[str, str]] = [
    # corticosteroids in community-acquired pneumonia (ATS 2025)
    ("Should corticosteroids be given in severe community-acquired pneumonia?", r"severe.*corticosteroids"),
    ("Should steroids be given for pneumonia caused by influenza?", r"except when .*influenza"),
    ("Are steroids recommended in non-severe pneumonia?", r"recommends against systemic corticosteroids"),
    ("corticosteroids CAP", r"corticosteroids"),
    # the two-level Wells rule for PE
    ("What is the two-level Wells score for PE?", r"heart rate above 100 1\.5"),
    ("How is pulmonary embolism ruled out with the Wells score and D-dimer?", r"4 or less"),
    # triple-positive antiphospholipid syndrome
    ("Which anticoagulant is used for VTE in triple-positive antiphospholipid syndrome?", r"vitamin K antagonist"),
    ("Should a DOAC be used in antiphospholipid syndrome?", r"vitamin K antagonist"),
    ("warfarin or DOAC in antiphospholipid syndrome with PE", r"warfarin"),
    # hypertension drug-treatment threshold
    ("When should drug treatment be started for stage 1 hypertension?", r"10% or more"),
    ("When to treat hypertension NICE", r"stage 1 hypertension"),
    # euglycaemic DKA
    ("euglycaemic DKA SGLT2", r"200 mg/dL"),
    ("Can DKA occur with normal glucose on an SGLT2 inhibitor?", r"euglycaemic"),
    # metformin and kidney function
    ("metformin eGFR below 30", r"below 30"),
    ("metformin renal impairment", r"below 45"),
    # who benefits from surgery for metastatic spinal cord compression
    ("Who benefits from surgery for metastatic spinal cord compression?", r"84%"),
    ("Patchell criteria", r"48 hours|outside those criteria"),
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb6")
    return Clinic.build(Settings(data_dir=str(data_dir)))


@pytest.mark.parametrize("question,pattern", CASES, ids=[q for q, _ in CASES])
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


def test_steroid_grade_sits_only_on_the_non_severe_recommendation(kb_clinic: Clinic) -> None:
    """'Strong, low-quality' grades the advice against steroids in non-severe CAP; the severe one is ungraded."""
    for question in ("Should corticosteroids be given in severe community-acquired pneumonia?",
                     "Are steroids recommended in non-severe pneumonia?"):
        answer = kb_clinic.answer(question)
        assert not answer.abstained, answer.abstain_reason
        graded = [(answer.summary, answer.summary_grade)] + [(st.text, st.grade) for st in answer.statements()]
        for text, grade in graded:
            if "2025 ATS" in text and "conditionally recommends systemic corticosteroids" in text:
                assert not grade, (text, grade)
            elif "2025 ATS" in text and "recommends against systemic corticosteroids" in text:
                assert grade and "Strong" in grade, (text, grade)


def test_severe_pneumonia_steroid_answer_names_the_influenza_exception(kb_clinic: Clinic) -> None:
    """A clinician asking about steroids in severe CAP must not be told to give them without the influenza caveat."""
    answer = kb_clinic.answer("hydrocortisone severe CAP influenza")
    assert not answer.abstained, answer.abstain_reason
    text = " ".join([answer.summary, *(st.text for st in answer.statements())])
    if "conditionally recommends systemic corticosteroids" in text:
        assert "influenza" in text, text
