"""kb5's special-population cards answer the questions clinicians ask first, in full words and shorthand (issue 16).

Pregnancy and breastfeeding anticoagulation, obesity medicines and bariatric referral, the adult cellulitis
dose and the ADA 15-15 rule for hypoglycaemia. Each question must be answered, not abstained, with the key fact
somewhere in the answer (bottom line or statements), checked as a pattern because sentence selection is still
changing. The USPSTF statin grades must sit on the sentences they belong to (issue 16, defect 10).
"""

from __future__ import annotations

import pytest
from testdata import assert_answers_with

from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, pattern every answer must contain somewhere)
CASES: list[tuple[str, str]] = [
    # treating VTE in pregnancy
    ("How should a DVT in pregnancy be treated?", r"low-molecular-weight heparin|LMWH"),
    ("anticoagulation for PE in pregnancy", r"low-molecular-weight heparin|LMWH"),
    ("How long is anticoagulation for DVT in pregnancy?", r"3 months.*6 weeks|6 weeks.*3 months"),
    ("Can DOACs be used in pregnancy?", r"not recommended in pregnancy"),
    ("DOACs in pregnancy", r"not recommended in pregnancy"),
    # anticoagulants when breastfeeding
    ("Which anticoagulant is safe when breastfeeding?", r"warfarin"),
    ("DOAC breastfeeding", r"warfarin|dabigatran or rivaroxaban"),
    ("warfarin in breastfeeding", r"preferred oral anticoagulant"),
    # obesity medicines and bariatric surgery
    ("What medicines are used for obesity?", r"tirzepatide|semaglutide"),
    ("weight loss drugs NICE", r"tirzepatide|semaglutide"),
    ("When should someone be referred for bariatric surgery?", r"40 kg/m2"),
    ("bariatric surgery BMI threshold", r"40 kg/m2"),
    ("Should adults with obesity be referred to behavioural weight loss programmes?", r"BMI of 30"),
    # cellulitis adult dose
    ("What dose of flucloxacillin for cellulitis?", r"500 mg to 1 g four times"),
    ("fluclox dose cellulitis", r"500 mg to 1 g four times"),
    # hypoglycaemia, conscious
    ("What is the 15-15 rule for hypoglycaemia?", r"15 g.*15 minutes"),
    ("hypo 15-15 rule", r"15 g.*15 minutes"),
    ("How should a conscious patient with hypoglycaemia be treated?", r"15 to 20 g|15 g"),
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb5")
    return Clinic.build(Settings(data_dir=str(data_dir)))


@pytest.mark.parametrize("question,pattern", CASES, ids=[q for q, _ in CASES])
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


def test_uspstf_statin_grades_sit_on_their_own_sentences(kb_clinic: Clinic) -> None:
    """Grade B belongs to the 10%-or-more sentence and grade C to the 7.5% to under 10% one, wherever they appear."""
    answer = kb_clinic.answer("Should a 55-year-old with a 12% 10-year cardiovascular risk take a statin?")
    assert not answer.abstained, answer.abstain_reason
    graded = [(answer.summary, answer.summary_grade)] + [(st.text, st.grade) for st in answer.statements()]
    uspstf = [(text, grade) for text, grade in graded if "USPSTF" in text and "statin" in text]
    assert any("10% or more" in text for text, _ in uspstf), graded
    for text, grade in uspstf:
        if "7.5%" in text:
            assert grade and "C" in grade.split()[-1], (text, grade)
        elif "10% or more" in text:
            assert grade and "B" in grade.split()[-1], (text, grade)
