"""kb7's cards answer questions the library could not answer safely before (issues 15 and 16).

AF with a mechanical valve or moderate to severe mitral stenosis (warfarin, not a DOAC), cellulitis in children,
converting oral morphine to oral oxycodone, and dexamethasone for brain metastases. Each question must be answered
with the card's point in the bottom line itself, not only somewhere in the statements, because the bottom line is
what a hurried reader acts on; the key fact is checked as a pattern because sentence selection is still changing.
"""

from __future__ import annotations

import re

import pytest
from testdata import assert_answers_with

from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, pattern the bottom line must contain)
BOTTOM_LINES: list[tuple[str, str]] = [
    # AF with a mechanical valve: warfarin, never the DOAC-over-warfarin advice that excludes it
    ("Anticoagulation for AF with mechanical valve", r"mechanical heart valve.*warfarin|warfarin.*mechanical"),
    ("AF mechanical heart valve DOAC?", r"warfarin \(a vitamin K antagonist\)|RE-ALIGN.*dabigatran"),  # either
    ("Which anticoagulant for AF with mitral stenosis?", r"mitral stenosis is with warfarin"),
    ("Can dabigatran be used with a mechanical heart valve?", r"RE-ALIGN.*dabigatran"),
    # … and the subgroup cards must not open an answer about AF in general
    ("DOAC or warfarin for AF?", r"recommended over warfarin"),
    ("Should I use a DOAC for atrial fibrillation?", r"recommended over warfarin"),
    # cellulitis in children: the children's first choice, not the adult dose or the allergy alternative
    ("Antibiotic for cellulitis in a child", r"under 18.*first-choice antibiotic is oral flucloxacillin"),
    ("What antibiotic for cellulitis in children?", r"under 18.*flucloxacillin"),
    # opioid switching: the ratio
    ("Convert morphine to oxycodone", r"by 1\.5 to 2"),
    ("morphine to oxycodone conversion ratio", r"by 1\.5 to 2"),
    ("How do I switch from oral morphine to oxycodone?", r"by 1\.5 to 2"),
    # brain metastases: dexamethasone for symptoms, and its dose
    ("brain mets dexamethasone dose", r"dexamethasone.*4 to 8 mg/day"),
    ("dexamethasone dose for brain metastases oedema", r"4 to 8 mg/day"),
    ("Should asymptomatic brain metastases get steroids?", r"insufficient evidence"),
]

# (question, pattern every answer must contain somewhere: bottom line or statements)
ANYWHERE: list[tuple[str, str]] = [
    ("anticoagulation in AF with rheumatic mitral stenosis", r"mitral stenosis is with warfarin"),
    ("cellulitis child penicillin allergy", r"clarithromycin"),
    ("Convert morphine to oxycodone", r"dose reduction, for example of 25%"),
    ("dexamethasone dose for brain metastases oedema", r"16 mg/day or more"),
]

# (question, pattern its bottom line must not contain)
NOT_IN_BOTTOM_LINE: list[tuple[str, str]] = [
    ("Anticoagulation for AF with mechanical valve", r"recommended over warfarin"),
    ("AF mechanical heart valve DOAC?", r"recommended over warfarin"),
    ("Antibiotic for cellulitis in a child", r"500 mg to 1 g four times"),  # the adult dose
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb7")
    return Clinic.build(Settings(data_dir=str(data_dir)))


@pytest.mark.parametrize("question,pattern", BOTTOM_LINES, ids=[q for q, _ in BOTTOM_LINES])
def test_bottom_line_gives_the_cards_point(kb_clinic: Clinic, question: str, pattern: str) -> None:
    answer = kb_clinic.answer(question)
    assert_answers_with(answer, pattern)
    assert re.search(pattern, answer.summary, re.IGNORECASE | re.DOTALL), answer.summary


@pytest.mark.parametrize("question,pattern", ANYWHERE, ids=[q for q, _ in ANYWHERE])
def test_answer_says_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


@pytest.mark.parametrize("question,pattern", NOT_IN_BOTTOM_LINE, ids=[q for q, _ in NOT_IN_BOTTOM_LINE])
def test_bottom_line_does_not_give_advice_for_other_patients(kb_clinic: Clinic, question: str, pattern: str) -> None:
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert not re.search(pattern, answer.summary, re.IGNORECASE), answer.summary
