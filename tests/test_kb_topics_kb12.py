"""kb12's topics answer the common primary-care questions clinicians ask, in full words and shorthand (issue 16).

Acute sore throat (NICE NG84: FeverPAIN and Centor, no, back-up or immediate antibiotic, phenoxymethylpenicillin,
the penicillin-allergy and pregnancy alternatives), low back pain and sciatica (NICE NG59: STarT Back, no routine
imaging, exercise, NSAIDs and the medicines not offered, the 2020 sciatica update, cauda equina red flags), iron
deficiency anaemia in adults (BSG 2021: ferritin, urinalysis and coeliac screening, bidirectional endoscopy, oral
iron once daily, intravenous iron) and acute sinusitis (NICE NG79: no antibiotic for 10 days, nasal corticosteroid,
back-up antibiotic, phenoxymethylpenicillin and the penicillin-allergy alternatives, red flags). Each question must
be answered, not abstained, with the key fact somewhere in the answer, and its bottom line must come from the
question's own topic (a new topic's aliases must not be answered with another topic's cards, nor steal theirs).
"""

from __future__ import annotations

import pytest
from testdata import assert_answers_with

from medoracle.kb import TOPIC_PAGE, kb_root, read_front_matter
from medoracle.service import Clinic
from medoracle.settings import Settings

KB12_TOPICS = {"acute-sore-throat": "sore-throat-", "low-back-pain-sciatica": "lbp-",
               "iron-deficiency-anaemia": "ida-", "acute-sinusitis": "sinusitis-"}

# (question, pattern the answer must contain somewhere, the topic whose cards must give the bottom line)
CASES: list[tuple[str, str, str]] = [
    # acute sore throat
    ("Which antibiotic should be given for acute sore throat?", r"phenoxymethylpenicillin", "acute-sore-throat"),
    ("sore throat abx", r"FeverPAIN.*(?:antibiotic|phenoxymethylpenicillin)", "acute-sore-throat"),
    ("What is the FeverPAIN score?", r"4 or 5", "acute-sore-throat"),
    ("centor score", r"3 or 4", "acute-sore-throat"),
    ("phenoxymethylpenicillin dose for sore throat", r"500 mg four times a day or 1,000 mg twice a day",
     "acute-sore-throat"),
    ("tonsillitis penicillin allergy", r"clarithromycin", "acute-sore-throat"),
    ("sore throat in pregnancy with penicillin allergy", r"erythromycin", "acute-sore-throat"),
    ("When should a sore throat be referred to hospital?", r"severe systemic infection", "acute-sore-throat"),
    ("strep throat mx", r"FeverPAIN", "acute-sore-throat"),
    # low back pain and sciatica
    ("How should acute low back pain be managed?", r"NSAID", "low-back-pain-sciatica"),
    ("lbp mx", r"STarT Back|NSAID", "low-back-pain-sciatica"),
    ("Should I order an MRI for low back pain?", r"not routinely offering imaging", "low-back-pain-sciatica"),
    ("lbp imaging", r"non-specialist setting", "low-back-pain-sciatica"),
    ("opioids for chronic low back pain", r"opioids for chronic low back pain", "low-back-pain-sciatica"),
    ("sciatica gabapentin", r"gabapentinoids", "low-back-pain-sciatica"),
    ("cauda equina red flags", r"saddle", "low-back-pain-sciatica"),
    ("How urgently should suspected cauda equina syndrome be imaged?", r"4 hours", "low-back-pain-sciatica"),
    ("lbp red flags", r"cauda equina", "low-back-pain-sciatica"),
    # iron deficiency anaemia
    ("How should iron deficiency anaemia be investigated?", r"ferritin", "iron-deficiency-anaemia"),
    ("ida ix", r"ferritin|coeliac", "iron-deficiency-anaemia"),
    ("IDA mx", r"oral iron", "iron-deficiency-anaemia"),
    ("Should a man with iron deficiency anaemia have a colonoscopy?", r"gastroscopy and colonoscopy",
     "iron-deficiency-anaemia"),
    ("When is IV iron indicated?", r"intravenous iron|parenteral iron", "iron-deficiency-anaemia"),
    ("iron deficiency anaemia coeliac screening", r"3 to 5%", "iron-deficiency-anaemia"),
    ("iron tablets alternate days", r"alternate-day", "iron-deficiency-anaemia"),
    # acute sinusitis
    ("What is the management of acute sinusitis?", r"10 days", "acute-sinusitis"),
    ("sinusitis abx", r"back-up antibiotic", "acute-sinusitis"),
    ("What antibiotic for acute sinusitis?", r"phenoxymethylpenicillin[^.]*500 mg four times a day for 5 days",
     "acute-sinusitis"),
    ("sinusitis penicillin allergy", r"doxycycline|clarithromycin", "acute-sinusitis"),
    ("nasal steroid sinusitis", r"14 days", "acute-sinusitis"),
    ("sinusitis in children antibiotic dose", r"by age", "acute-sinusitis"),
    ("sinusitis red flags", r"intraorbital or intracranial", "acute-sinusitis"),
    ("rhinosinusitis mx", r"nasal corticosteroid", "acute-sinusitis"),
    # "paracetamol" is a generic name, not a brand of acetaminophen: the composer keeps the word the cards write
    ("Is paracetamol recommended for back pain?", r"paracetamol[^.]*alone", "low-back-pain-sciatica"),
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb12")
    return Clinic.build(Settings(data_dir=str(data_dir)))


def _from_topic(doc_id: str, topic: str) -> bool:
    return doc_id == f"kb:topic:{topic}" or doc_id.startswith("kb:" + KB12_TOPICS[topic])


@pytest.mark.parametrize("question,pattern,topic", CASES, ids=[q for q, _, _ in CASES])
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str, topic: str) -> None:
    answer = kb_clinic.answer(question)
    assert_answers_with(answer, pattern)
    by_number = {r.n: r.doc_id for r in answer.references}
    cited = [by_number[n] for n in answer.summary_citations]
    assert all(_from_topic(doc_id, topic) for doc_id in cited), (cited, answer.summary)


@pytest.mark.parametrize("topic", sorted(KB12_TOPICS))
def test_topic_has_the_cards_a_specialist_expects(topic: str) -> None:
    cards = [p for p in (kb_root() / topic).glob("*.md") if p.name != TOPIC_PAGE]
    assert 6 <= len(cards) <= 9, f"{topic} has {len(cards)} cards"
    metas = [read_front_matter(p)[0] for p in cards]
    assert sum(m["facet"] == "bottom_line" for m in metas) == 1
    assert f"{KB12_TOPICS[topic]}bottom-line" in {m["id"] for m in metas}
    facets = {m["facet"] for m in metas}
    assert {"assessment", "first_line"} <= facets or {"assessment", "procedures"} <= facets, facets
    assert facets & {"red_flags", "special"}, facets
    for path, meta in zip(cards, metas):
        assert meta["id"].startswith(KB12_TOPICS[topic]), path.name
        assert meta.get("population"), path.name
        assert meta.get("checked_at", {}).get("url"), path.name


@pytest.mark.parametrize("question", ["tonsillitis penicillin allergy", "sinusitis penicillin allergy"])
def test_penicillin_allergy_question_opens_with_the_alternative(kb_clinic: Clinic, question: str) -> None:
    answer = kb_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert "clarithromycin" in answer.summary.lower()
    assert "phenoxymethylpenicillin" not in answer.summary.lower(), answer.summary
