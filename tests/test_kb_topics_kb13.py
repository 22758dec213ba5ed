"""kb13's cards fill gaps found while testing answers (issue 16): each gap's question is now answered with its fact.

The cards are read off the primary texts where a copy was stored: NICE NG250's antibiotic tables for pneumonia in
penicillin allergy (doxycycline or clarithromycin when not severe, levofloxacin when severe, erythromycin in
pregnancy, clarithromycin for children), NICE NG134 for depression in children and young people aged 5 to 18
(psychological therapy first; fluoxetine the only antidepressant, with therapy), BTS/NICE/SIGN NG245 for asthma in
children (paediatric low-dose ICS from 5 to 11, then paediatric MART; an 8 to 12 week ICS trial under 5; FeNO first
at 5 to 16) and NICE NG17 with the 2024 consensus for DKA fluids in adults. Each natural question and its shorthand
must be answered, not abstained, with the key fact in the bottom line or the statements; where the patient decides
the advice (an allergy, an age), the bottom line must be theirs and not another patient's.
"""

from __future__ import annotations

import pytest
from testdata import assert_answers_with

from medoracle.service import Clinic

# (question, pattern every answer must contain somewhere)
CASES: list[tuple[str, str]] = [
    # community-acquired pneumonia in penicillin allergy (NG250 tables 1 and 2)
    ("Antibiotic for pneumonia in a patient allergic to penicillin", r"doxycycline|clarithromycin"),
    ("cap abx pen allergic", r"doxycycline|clarithromycin"),
    ("Which antibiotic for severe community-acquired pneumonia with penicillin allergy?", r"levofloxacin"),
    ("severe cap abx pen allergic", r"levofloxacin"),
    ("pneumonia antibiotic in pregnancy with penicillin allergy", r"erythromycin"),
    ("pneumonia in a child allergic to penicillin", r"clarithromycin"),
    # depression in children and young people (NG134)
    ("What is the first-line treatment for depression in a 15 year old?", r"psychological therapy"),
    ("depression in adolescents first line", r"psychological therapy"),
    ("teen depression mx", r"psychological therapy|CBT"),
    ("Which antidepressant for a child with depression?", r"fluoxetine"),
    ("fluoxetine dose in children with depression", r"10 mg daily"),
    ("Which antidepressants should not be used in children with depression?", r"paroxetine|venlafaxine"),
    # asthma in children (NG245)
    ("What is the first treatment for asthma in a 7 year old?", r"paediatric low-dose inhaled corticosteroid"),
    ("asthma 7yo mart", r"paediatric low-dose MART"),
    ("asthma in a 3 year old treatment", r"8 to 12 week"),
    ("asthma under 5 ics trial", r"8 to 12 week"),
    ("How is asthma diagnosed in children?", r"35 ppb"),
    # DKA fluids in adults (NG17; 2024 consensus)
    ("What IV fluids should be given in diabetic ketoacidosis?", r"isotonic saline"),
    ("dka fluids", r"isotonic saline|sodium chloride"),
    ("DKA fluid rate first hours", r"500 to 1,000 mL/hour"),
    ("When should glucose be added to the fluids in DKA?", r"10 to 15 mmol/L|14 mmol/L|250 mg/dL"),
]


@pytest.mark.parametrize("question,pattern", CASES, ids=[q for q, _ in CASES])
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


@pytest.mark.parametrize("question", ["Antibiotic for pneumonia in a patient allergic to penicillin",
                                      "cap abx pen allergic"])
def test_penicillin_allergy_opens_with_the_alternative_not_amoxicillin(kb_clinic: Clinic, question: str) -> None:
    """Severity unstated: the bottom line is the common case's alternative, and never a penicillin."""
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    summary = answer.summary.lower()
    assert "doxycycline" in summary or "clarithromycin" in summary, summary
    assert "amoxicillin" not in summary and "co-amoxiclav" not in summary, summary


def test_adolescent_depression_gets_no_adult_advice(kb_clinic: Clinic) -> None:
    """NG222's adult advice (guided self-help first, PHQ-9 bands) is not the bottom line for an adolescent."""
    answer = kb_clinic.answer("depression in adolescents first line")
    assert not answer.abstained, answer.abstain_reason
    summary = answer.summary.lower()
    assert "psychological therapy" in summary or "fluoxetine" in summary, summary
    for adult in ("adults", "guided self-help", "phq-9"):
        assert adult not in summary, summary


def test_asthma_in_a_child_of_7_is_not_answered_with_the_12_and_over_pathway(kb_clinic: Clinic) -> None:
    answer = kb_clinic.answer("What is the first treatment for asthma in a 7 year old?")
    assert not answer.abstained, answer.abstain_reason
    assert "5 to 11" in answer.summary and "12 and over" not in answer.summary, answer.summary
