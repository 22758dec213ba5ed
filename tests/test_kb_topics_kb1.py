"""Issue 16's new acute-medicine topics answer the questions clinicians ask first, in full and in shorthand.

Each case is a natural question and a shorthand variant with the facts a specialist expects somewhere in the
answer (bottom line or sections). The facts are patterns, not wording: question understanding and card
selection may change, the clinical content must not. The clinic is the shared `kb_clinic` (conftest.py).
"""

from __future__ import annotations

import re

import pytest

# (question, words the bottom line must name, facts the whole answer must carry): a natural question and a
# shorthand variant per topic.
CASES: list[tuple[str, str, list[str]]] = [
    ("How should sepsis be managed in adults?", r"sepsis|septic",
     [r"within 1 hour", r"30 ?mL/kg", r"65 ?mmHg", r"hydrocortisone|corticosteroid"]),
    ("How is the risk from suspected sepsis graded with NEWS2?", r"NEWS2|sepsis", [r"7 or more", r"5 or 6"]),
    ("septic shock MAP target", r"septic shock", [r"65 ?mmHg", r"norepinephrine|noradrenaline"]),
    ("How is acute hyperkalaemia treated?", r"hyperkal|potassium",
     [r"calcium gluconate", r"10 units", r"25 g", r"salbutamol", r"zirconium|patiromer"]),
    ("hyperK treatment", r"hyperkal|hyperK", [r"calcium", r"insulin"]),
    ("How should severe symptomatic hyponatraemia be treated?", r"hyponatr",
     [r"hypertonic saline", r"5 mmol/L", r"seizure|coma"]),
    ("hyponatremia management", r"hyponatr", [r"hypertonic saline", r"10 mmol/L", r"osmotic demyelination"]),
    ("How is diabetic ketoacidosis managed in adults?", r"ketoacidosis|DKA",
     [r"0\.1 units/kg", r"0\.9% sodium chloride", r"14 mmol/L", r"potassium", r"euglycaemic"]),
    ("DKA insulin rate", r"DKA|ketoacidosis", [r"0\.1 units/kg", r"0\.05 units/kg"]),
    ("How should hypoglycaemia be treated in a patient with diabetes?", r"hypoglyc",
     [r"4\.0 mmol/L", r"15 to 20 g", r"glucagon 1 mg", r"long-acting carbohydrate"]),
    ("hypo treatment", r"hypo", [r"4\.0 mmol/L"]),
    ("What is the emergency treatment of anaphylaxis?", r"anaphyla",
     [r"intramuscular adrenaline", r"5 minutes", r"lying flat|lie flat"]),
    # the bottom line is the treatment, not what is no longer used ("adrenaline" is a drug name, as "epinephrine")
    ("First-line treatment of anaphylaxis", r"adrenaline", [r"intramuscular adrenaline"]),
    ("anaphylaxis IM adrenaline dose", r"anaphyla|adrenaline", [r"500 mcg", r"300 mcg"]),
    ("How should suspected bacterial meningitis be managed?", r"meningi",
     [r"within 1 hour", r"senior", r"ceftriaxone", r"neck stiffness"]),
    ("meningitis red flags", r"meningi", [r"fever", r"neck stiffness", r"headache"]),
    ("How is obesity assessed in adults?", r"obesity|overweight", [r"BMI", r"waist-to-height ratio", r"35 kg/m2"]),
    ("obesity BMI classes", r"BMI|obesity", [r"30\.0", r"40\.0"]),
]


def _text(answer) -> str:
    return " ".join([answer.summary] + [st.text for st in answer.statements()])


def _cited(answer) -> None:
    numbers = {r.n for r in answer.references}
    assert answer.summary_citations and set(answer.summary_citations) <= numbers
    for st in answer.statements():
        assert st.citations and set(st.citations) <= numbers, st


@pytest.mark.parametrize("question,condition,facts", CASES, ids=[q for q, _, _ in CASES])
def test_new_topic_question_is_answered_with_the_key_facts(kb_clinic, question, condition, facts):
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    _cited(answer)
    assert re.search(condition, answer.summary, re.IGNORECASE), answer.summary
    text = _text(answer)
    missing = [f for f in facts if not re.search(f, text, re.IGNORECASE)]
    assert missing == [], (missing, text[:1500])
