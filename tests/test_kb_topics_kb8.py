"""kb8's re-read cards still answer the questions clinicians ask, with the facts as the primary texts give them.

Issue 16 moved these cards off weak secondary pages onto NICE's and RCUK's own documents, and corrected what those
documents say differently: NSTEMI angiography within 72 hours, culprit-vessel-only PCI in cardiogenic shock (a
'consider'), the CRB65 place-of-care advice of NG250, the full list of second-choice antibiotics for lower UTI,
ceftriaxone or benzylpenicillin before hospital for meningococcal disease (NICE names no doses and no order),
parenteral lorazepam or haloperidol for delirium tremens (olanzapine left CG100 in 2017), immediate insulin for
gestational diabetes at a fasting glucose of 7.0 mmol/litre, and nifedipine before methyldopa in pregnancy. Each
question must be answered, not abstained, with the key fact somewhere in the answer (bottom line or statements).
"""

from __future__ import annotations

import pytest
from testdata import assert_answers_with

from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, pattern every answer must contain somewhere)
CASES: list[tuple[str, str]] = [
    ("When should coronary angiography be done in NSTEMI?", r"72 hours"),
    ("culprit vessel only PCI cardiogenic shock", r"culprit"),
    ("STEMI multivessel disease with cardiogenic shock", r"index hospital admission"),
    ("How is CRB65 used to decide where to treat pneumonia?", r"2 or more"),
    ("What if the first antibiotic for a UTI in a woman does not work?", r"pivmecillinam"),
    ("antibiotics before hospital for suspected meningococcal disease", r"ceftriaxone or benzylpenicillin"),
    ("How is delirium tremens treated?", r"lorazepam"),
    ("When should insulin be started in gestational diabetes?", r"7\.0 mmol/litre"),
    ("Which antihypertensive in pregnancy if labetalol is unsuitable?", r"nifedipine"),
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb8")
    return Clinic.build(Settings(data_dir=str(data_dir)))


@pytest.mark.parametrize("question,pattern", CASES, ids=[q for q, _ in CASES])
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


def test_meningococcal_answer_gives_no_dose_nice_does_not_state(kb_clinic: Clinic) -> None:
    """The removed health-board doses (2 g, 80 mg/kg, 1200 mg) must not come back as NICE's advice."""
    answer = kb_clinic.answer("antibiotics before hospital for suspected meningococcal disease")
    assert not answer.abstained, answer.abstain_reason
    text = " ".join([answer.summary, *(st.text for st in answer.statements())])
    for dose in ("80 mg/kg", "1200 mg", "2 g intravenously"):
        assert dose not in text, text


def test_delirium_tremens_answer_names_no_olanzapine(kb_clinic: Clinic) -> None:
    """CG100 as amended in 2017 offers parenteral lorazepam or haloperidol only."""
    answer = kb_clinic.answer("How is delirium tremens treated?")
    assert not answer.abstained, answer.abstain_reason
    text = " ".join([answer.summary, *(st.text for st in answer.statements())])
    assert "olanzapine" not in text.lower(), text
