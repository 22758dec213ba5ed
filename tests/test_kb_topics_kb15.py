"""Broad management questions on common chronic and primary-care topics open with the topic's bottom line.

"How is X managed?" and the shorthand a clinician types ("mx of X", "X treatment") must be answered (not abstained)
with the key facts of the topic's guideline, and the bottom line itself must hold the first-line treatment: the
topic's bottom-line card, not a side sentence ("GINA no longer recommends SABA alone" for asthma, the comorbid
outpatient regimens for pneumonia). Facts are checked as clinical content (a drug, a dose, a threshold), not
wording. The knowledge base is built once per test session into a temporary data directory, exactly as on first use.
"""

from __future__ import annotations

import re

import pytest

from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, regexes the answer's bottom line and statements must match, a regex the bottom line itself must match)
QUESTIONS: list[tuple[str, list[str], str]] = [
    # asthma (BTS/NICE/SIGN NG245)
    ("How is asthma managed?", [r"formoterol", r"MART", r"FeNO"], r"formoterol"),
    ("mx of asthma", [r"formoterol", r"MART"], r"formoterol"),
    ("asthma treatment", [r"formoterol"], r"formoterol"),
    # community-acquired pneumonia (NICE NG250)
    ("How is community-acquired pneumonia managed?", [r"amoxicillin", r"CRB65|CURB65", r"4 hours", r"5 days"],
     r"amoxicillin"),
    ("mx of CAP", [r"amoxicillin", r"clarithromycin"], r"amoxicillin"),
    ("CAP treatment", [r"amoxicillin 500 mg"], r"amoxicillin"),
    # lower urinary tract infection (NICE NG109)
    ("How is a lower urinary tract infection managed?", [r"nitrofurantoin", r"trimethoprim", r"7 days", r"48 hours"],
     r"nitrofurantoin"),
    ("mx of UTI", [r"nitrofurantoin", r"3 days"], r"nitrofurantoin|trimethoprim"),
    ("UTI treatment", [r"nitrofurantoin|trimethoprim"], r"nitrofurantoin|trimethoprim"),
    # chronic heart failure (NICE NG106, 2025 update)
    ("How is chronic heart failure managed?", [r"ACE inhibitor", r"beta-blocker", r"SGLT2", r"diuretic"],
     r"ACE inhibitor.*beta-blocker.*SGLT2"),
    ("mx of HFrEF", [r"beta-blocker", r"SGLT2"], r"ACE inhibitor.*beta-blocker.*SGLT2"),
    ("heart failure treatment", [r"beta-blocker", r"SGLT2"], r"beta-blocker"),
    # COPD (NICE NG115)
    ("How is COPD managed?", [r"smok", r"pulmonary rehabilitation", r"LAMA", r"5 days"], r"smok|LAMA"),
    ("mx of COPD", [r"LAMA", r"pulmonary rehabilitation"], r"smok|LAMA"),
    ("COPD treatment", [r"LAMA|LABA|bronchodilator"], r"smok|LAMA|LABA|bronchodilator"),
    # depression (NICE NG222)
    ("How is depression managed?", [r"guided self-help", r"CBT", r"antidepressant"], r"guided self-help|CBT"),
    ("mx of depression", [r"guided self-help|CBT", r"antidepressant"], r"guided self-help|CBT"),
    ("depression treatment", [r"CBT|guided self-help|antidepressant"], r"CBT|guided self-help|antidepressant"),
    # hyperlipidaemia (NICE QS100, the quality standard of NG238)
    ("How is hyperlipidaemia managed?", [r"QRISK3", r"atorvastatin 20 mg", r"atorvastatin 80 mg"], r"atorvastatin"),
    ("mx of high cholesterol", [r"atorvastatin 20 mg", r"atorvastatin 80 mg"], r"atorvastatin|QRISK3"),
    ("hyperlipidaemia treatment", [r"atorvastatin"], r"atorvastatin|statin"),
    # type 2 diabetes (NICE NG28 update)
    ("How is type 2 diabetes managed?", [r"metformin", r"SGLT-2 inhibitor"], r"metformin.*SGLT-2"),
    ("mx of T2DM", [r"metformin", r"SGLT-2 inhibitor"], r"metformin"),
    ("T2D treatment", [r"metformin"], r"metformin"),
    # acute kidney injury (NICE NG148): the management card reaches broad questions
    ("How is acute kidney injury managed?",
     [r"loop diuretic", r"pharmacist|ACE inhibitors", r"renal replacement|nephrolog"], r"creatinine|renal replacement"),
    ("aki mx", [r"dipstick|loop diuretic", r"renal replacement|nephrolog"], r"creatinine|renal replacement"),
    ("AKI treatment", [r"loop diuretic|dopamine|ACE inhibitor"], r"AKI|acute kidney injury"),
]


@pytest.fixture(scope="session")
def kb_clinic(tmp_path_factory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb15")
    return Clinic.build(Settings(data_dir=str(data_dir)))


def _answer_text(answer) -> str:
    return " ".join([answer.summary, *(st.text for st in answer.statements())])


@pytest.mark.parametrize("question,patterns,opening", QUESTIONS, ids=[q for q, _, _ in QUESTIONS])
def test_management_question_opens_with_the_first_line_treatment(kb_clinic, question, patterns, opening):
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    numbers = {r.n for r in answer.references}
    assert answer.summary and set(answer.summary_citations) <= numbers
    for st in answer.statements():
        assert st.citations and set(st.citations) <= numbers, st
    assert re.search(opening, answer.summary, re.IGNORECASE), answer.summary
    text = _answer_text(answer)
    for pattern in patterns:
        assert re.search(pattern, text, re.IGNORECASE), (pattern, text)


@pytest.mark.parametrize("question,side_sentence", [
    ("How is asthma managed?", r"^GINA no longer recommends"),
    ("How is community-acquired pneumonia managed?", r"^For adult outpatients with community-acquired pneumonia and "
                                                     r"comorbidities"),
    ("How is chronic heart failure managed?", r"^In adults with heart failure with reduced ejection fraction, the 2021 "
                                              r"ESC guideline gives a class I recommendation for an SGLT2"),
])
def test_broad_question_no_longer_opens_with_a_side_sentence(kb_clinic, question, side_sentence):
    answer = kb_clinic.answer(question)
    assert not re.search(side_sentence, answer.summary), answer.summary
