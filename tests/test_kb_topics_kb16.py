"""kb16's cards answer questions the knowledge base used to answer with the wrong card (issue 16).

Aspirin for primary prevention was answered with the TIA aspirin card, NSAIDs in CKD with the CKD blood pressure
card; the target INR for warfarin in AF and the contraindications to thrombolysis in stroke had no card. Tumour
lysis prophylaxis now rests on one graded guideline (BCSH 2015) for all three risk groups, and the topic page and
bottom line say the same about intermediate risk as the card. Each question, natural and shorthand, must be
answered (not abstained) with the key fact in the bottom line or the statements.
"""

from __future__ import annotations

import re

import pytest
from testdata import assert_answers_with

from medoracle.kb import kb_root, read_front_matter
from medoracle.service import Clinic
from medoracle.settings import Settings

# (question, pattern every answer must contain somewhere)
CASES: list[tuple[str, str]] = [
    # aspirin for primary prevention (USPSTF 2022)
    ("Should adults take aspirin for primary prevention of cardiovascular disease?", r"40 to 59.*10%"),
    ("asa primary prevention", r"40 to 59|60 or older"),
    ("Should a 65 year old start aspirin to prevent a heart attack?", r"against starting.*60 or older"),
    # NSAIDs in chronic kidney disease (NICE NG203)
    ("Can NSAIDs be used in CKD?", r"NSAID.*(prolonged|GFR)"),
    ("nsaids ckd", r"NSAID.*(prolonged|GFR)"),
    # target INR for warfarin in atrial fibrillation (ACC/AHA/ACCP/HRS 2023)
    ("What is the target INR for warfarin in atrial fibrillation?", r"INR between 2 and 3"),
    ("inr target af", r"INR between 2 and 3"),
    # thrombolysis contraindications in acute ischaemic stroke (alteplase label)
    ("What are the contraindications to thrombolysis in acute ischaemic stroke?",
     r"subarachnoid haemorrhage.*serious head trauma within 3 months"),
    ("tpa contraindications", r"subarachnoid haemorrhage.*serious head trauma within 3 months"),
    # tumour lysis prophylaxis by risk group (BCSH 2015)
    ("How is tumour lysis syndrome prevented at intermediate risk?", r"intermediate risk.*allopurinol.*7 days"),
    ("tls prophylaxis high risk", r"high risk.*rasburicase"),
    ("How is low-risk tumour lysis syndrome managed?", r"low risk.*(monitor|low threshold)"),
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb16")
    return Clinic.build(Settings(data_dir=str(data_dir)))


@pytest.mark.parametrize("question,pattern", CASES, ids=[q for q, _ in CASES])
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


@pytest.mark.parametrize("question", ["Should adults take aspirin for primary prevention of cardiovascular disease?",
                                      "asa primary prevention", "aspirin for primary prevention"])
def test_primary_prevention_aspirin_does_not_open_with_the_tia_card(kb_clinic: Clinic, question: str) -> None:
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert "TIA" not in answer.summary, answer.summary
    assert "primary prevention" in answer.summary.lower(), answer.summary


@pytest.mark.parametrize("question", ["Can NSAIDs be used in CKD?", "nsaids ckd"])
def test_nsaid_question_opens_with_the_nsaid_card(kb_clinic: Clinic, question: str) -> None:
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert "NSAID" in answer.summary, answer.summary


def _tls_body(name: str) -> str:
    return " ".join(read_front_matter(kb_root() / "tumour-lysis-syndrome" / name)[1].split())


def test_tls_pages_agree_on_intermediate_risk() -> None:
    """The card, the bottom line and the topic page all give allopurinol (not rasburicase) at intermediate risk."""
    for name in ("tls-intermediate-risk-allopurinol.md", "tls-bottom-line.md", "_topic.md"):
        body = _tls_body(name)
        clauses = [c for c in re.split(r"[;.]", body) if "intermediate risk" in c]
        assert clauses, name
        assert all("allopurinol" in c and "rasburicase" not in c for c in clauses), (name, clauses)


def test_tls_prophylaxis_cards_cite_a_source_with_an_identifier() -> None:
    for name in ("tls-low-risk-allopurinol.md", "tls-intermediate-risk-allopurinol.md",
                 "tls-high-risk-rasburicase.md", "tls-bottom-line.md"):
        source = read_front_matter(kb_root() / "tumour-lysis-syndrome" / name)[0]["source"]
        assert source.get("doi") and source.get("pmid"), name
        assert "Tosi" not in str(source.get("title")), name
