"""The acute-medicine topics of the bundled knowledge base answer the questions hospital doctors type first.

Each topic gets a natural question and the shorthand a clinician types; both must be answered (not abstained)
with a fact a specialist would expect, checked as clinical content (a drug, a dose, a time limit), not wording.
The knowledge base is built once per test session into a temporary data directory, exactly as on first use.
"""

from __future__ import annotations

import re

import pytest

from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, regexes: the answer's bottom line and statements must match every one, case-insensitive)
QUESTIONS: list[tuple[str, list[str]]] = [
    # acute ischaemic stroke and TIA
    ("What is the time window for thrombolysis in acute ischaemic stroke?", [r"alteplase|thromboly", r"4\.5 hours"]),
    ("tia aspirin dose", [r"aspirin", r"300 mg"]),
    ("tia mx", [r"aspirin", r"300 mg", r"24 hours"]),
    # pulmonary embolism
    ("How is pulmonary embolism diagnosed and treated?", [r"wells", r"3 months"]),
    ("PE treatment", [r"apixaban|rivaroxaban", r"3 months"]),
    ("mx of PE", [r"apixaban|rivaroxaban|anticoagula"]),
    # deep vein thrombosis
    ("How is a suspected DVT investigated?", [r"wells", r"ultrasound"]),
    ("how long to anticoagulate after an unprovoked DVT", [r"3 months", r"bleeding risk"]),
    ("dvt workup", [r"wells|ultrasound|d-dimer"]),
    # acute coronary syndrome
    ("What is the management of STEMI?", [r"primary PCI", r"12 hours", r"120 minutes"]),
    ("STEMI reperfusion", [r"12 hours", r"fibrinolysis"]),
    ("nstemi mx", [r"GRACE|angiography"]),
    # acute kidney injury
    ("How is acute kidney injury managed?", [r"creatinine", r"renal replacement|nephrolog"]),
    ("aki staging", [r"stage 3", r"3\.0 times|354"]),
    ("When does AKI need dialysis?", [r"hyperkalaemia", r"acidosis"]),
    # acute heart failure
    ("How is acute heart failure treated?", [r"intravenous loop diuretic", r"BNP|NT-proBNP"]),
    ("acute pulmonary oedema mx", [r"non-invasive ventilation|diuretic"]),
    # chronic kidney disease
    ("How is chronic kidney disease managed?", [r"ACE inhibitor or ARB", r"130/80"]),
    ("ckd bp target", [r"140/90", r"70 mg/mmol"]),
    ("When should CKD be referred to nephrology?", [r"5%|70 mg/mmol"]),
    # upper GI bleeding
    ("How is an upper GI bleed managed?", [r"Blatchford", r"24 hours"]),
    ("ugib transfusion threshold", [r"70 g/L"]),
    ("variceal bleed mx", [r"terlipressin"]),
    # Clostridioides difficile infection
    ("What is the treatment of C. difficile infection?", [r"vancomycin", r"fidaxomicin", r"10 days"]),
    ("recurrent C diff treatment", [r"fidaxomicin", r"12 weeks"]),
    ("c diff abx", [r"vancomycin|fidaxomicin"]),
    # cellulitis
    ("What antibiotic is used for cellulitis?", [r"flucloxacillin", r"5 to 7 days"]),
    ("cellulitis penicillin allergy", [r"clarithromycin|doxycycline"]),
    ("abx for cellulitis", [r"flucloxacillin"]),
    # gout
    ("How is an acute gout flare treated?", [r"NSAID", r"colchicine", r"corticosteroid"]),
    ("gout ult target", [r"360 micromol"]),
    ("When should allopurinol be started in gout?", [r"2 to 4 weeks|allopurinol or febuxostat"]),
    # migraine
    ("What is the acute treatment of migraine?", [r"triptan", r"NSAID|paracetamol"]),
    ("migraine prophylaxis", [r"propranolol|topiramate|amitriptyline"]),
    ("headache red flags", [r"5 minutes|fever|neurological deficit"]),
    # subgroup questions reach the subgroup's card, general questions the general one
    ("DVT in pregnancy", [r"compression duplex ultrasound"]),
    ("Which antibiotic for cellulitis in pregnancy?", [r"erythromycin"]),
    ("Is thrombolysis indicated for massive PE?", [r"thrombolysis"]),
    ("How is NSTEMI managed?", [r"GRACE", r"72 hours"]),
]

# Shorthand that abstained before the understanding stage spelled out "mx", "workup", "abx" …: all answer now.
SHORTHAND_NOT_YET_UNDERSTOOD: set[str] = set()


@pytest.fixture(scope="session")
def kb_clinic(tmp_path_factory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb2")
    return Clinic.build(Settings(data_dir=str(data_dir)))


def _answer_text(answer) -> str:
    return " ".join([answer.summary, *(st.text for st in answer.statements())])




def _params():
    for question, patterns in QUESTIONS:
        marks = [pytest.mark.xfail(strict=False, reason="shorthand needs the question-understanding work (k15a)")] \
            if question in SHORTHAND_NOT_YET_UNDERSTOOD else []
        yield pytest.param(question, patterns, id=question, marks=marks)


def test_pregnancy_question_keeps_to_its_topic_and_population(kb_clinic):
    answer = kb_clinic.answer("Which antibiotic for cellulitis in pregnancy?")
    assert not answer.abstained, answer.abstain_reason
    assert "erythromycin" in answer.summary.lower()
    text = _answer_text(answer).lower()
    assert "non-pregnant" not in text and "urinary tract" not in text, text


@pytest.mark.parametrize("question,patterns", list(_params()))
def test_topic_question_is_answered_with_the_key_fact(kb_clinic, question, patterns):
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    numbers = {r.n for r in answer.references}
    for st in answer.statements():
        assert st.citations and set(st.citations) <= numbers, st
    text = _answer_text(answer)
    for pattern in patterns:
        assert re.search(pattern, text, re.IGNORECASE), (pattern, text)
