"""Answers that fit the patient in the question (issue 15), on the bundled knowledge base as a new user gets it:
population-aware bottom lines, the asked-for thing first, shorthand that answers, noise and impossible
patients that get a message, and --explain in JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from medoracle import kb
from medoracle.cli import main
from medoracle.render import explain_lines, to_json
from medoracle.service import Clinic
from medoracle.settings import Settings


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Clinic:
    return Clinic.build(Settings(data_dir=str(tmp_path_factory.mktemp("medoracle-fit"))))


def _said(answer) -> str:
    return " ".join([answer.summary, *(s.text for s in answer.statements())])


def test_pregnancy_follow_up_gets_pregnancy_drugs_not_ace_inhibitors(clinic: Clinic) -> None:
    thread = clinic.threads.create()
    first = clinic.answer("What is the first-line treatment for hypertension?", thread_id=thread)
    assert not first.abstained
    follow = clinic.answer("…and in pregnancy?", thread_id=thread)
    assert not follow.abstained, follow.abstain_reason
    assert re.search(r"labetalol|nifedipine|methyldopa", follow.summary), follow.summary
    assert not re.search(r"ACE inhibitor or an angiotensin", follow.summary)
    assert follow.understood is not None and follow.understood.population.pregnancy == "pregnant"
    dose = clinic.answer("and the dose?", thread_id=thread)  # the population carries over in the thread
    assert dose.understood is not None and dose.understood.inherited
    assert "under 55" not in dose.summary


def test_adults_55_or_over_do_not_get_the_under_55_sentence(clinic: Clinic) -> None:
    for question in ("What is the first-line drug for hypertension in adults aged 55 or over?",
                     "htn pt >55 yo 1st line tx?"):
        answer = clinic.answer(question)
        assert not answer.abstained, answer.abstain_reason
        assert "calcium-channel blocker" in answer.summary, answer.summary
        assert not any("under 55" in s.text for s in answer.statements())
        assert any("under 55" in n for n in answer.notes), answer.notes  # says what was left out


def test_grade_3_colitis_does_not_get_the_rash_dose(clinic: Clinic) -> None:
    answer = clinic.answer("How is grade 3 immune checkpoint inhibitor colitis treated?")
    assert not answer.abstained
    assert "rash" not in _said(answer).lower()
    assert re.search(r"[Gg]rade 3", answer.summary), answer.summary


def test_copd_exacerbation_gets_exacerbation_advice(clinic: Clinic) -> None:
    answer = clinic.answer("How is an acute COPD exacerbation treated?")
    assert not answer.abstained
    assert "exacerbation" in answer.summary and re.search(r"corticosteroid|prednisolone|antibiotic", answer.summary)
    assert "group A" not in answer.summary


def test_a_pregnant_patient_is_never_advised_an_ace_inhibitor(clinic: Clinic) -> None:
    for question in ("What is the first-line antihypertensive in pregnancy?",
                     "Blood pressure drug for a pregnant woman with chronic hypertension"):
        answer = clinic.answer(question)
        assert not answer.abstained, answer.abstain_reason
        assert re.search(r"labetalol|nifedipine|methyldopa", answer.summary), answer.summary
        for text in [answer.summary, *(s.text for s in answer.statements())]:
            assert not re.search(r"(?:advises|offer\w*) an ACE inhibitor|as step 1", text), text


@pytest.mark.parametrize("question, expected, not_expected", [
    ("Which antihypertensive should a 62-year-old start with?", "calcium-channel blocker", "under 55"),
    ("What blood pressure target for an 84-year-old with treated hypertension?", "150/90", "under 80"),
    ("What clinic blood pressure target for a 60-year-old on treatment for hypertension?", "140/90", "150/90"),
    ("fever in a 6 week old baby", "3 months", "bronchiolitis"),
    ("A 20-year-old starts an antidepressant: when should she be reviewed?", "1 week", "aged 19"),
])
def test_an_age_gets_the_advice_for_its_band(clinic: Clinic, question: str, expected: str,
                                              not_expected: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert expected in answer.summary and not_expected not in answer.summary, answer.summary


@pytest.mark.parametrize("question, expected", [
    ("How is a grade 3 rash from pembrolizumab managed?", r"rash from a checkpoint inhibitor"),  # drug → its class
    ("Does pembrolizumab monotherapy need antiemetic prophylaxis?",
     r"do not need routine antiemetic|need no routine prophylaxis"),
    ("Thromboprophylaxis for a myeloma patient on lenalidomide", r"aspirin or low-molecular-weight heparin"),
    ("Bone-targeted therapy in multiple myeloma with impaired renal function", r"denosumab"),  # a card's title
    ("First-line antibiotic for cystitis in a non-pregnant woman", r"nitrofurantoin"),  # a topic alias
    ("What HbA1c should a woman with type 2 diabetes aim for when planning pregnancy?", r"48 mmol/mol"),
])
def test_the_patient_named_in_other_words(clinic: Clinic, question: str, expected: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(expected, answer.summary), answer.summary


@pytest.mark.parametrize("question, expected", [
    ("Denosumab or zoledronic acid for hypercalcaemia of malignancy?", r"denosumab rather than"),
    ("How long should anticoagulation last for cancer-associated venous thromboembolism?", r"6 months"),
    ("FN abx - within 1h?", r"within 1 hour|immediately"),
    ("Initial inhaler for newly diagnosed stable COPD with many symptoms", r"LAMA"),
    ("First-line treatment for mild depression", r"guided self-help"),
    ("Intravenous diuretic for acute heart failure in adults", r"loop diuretic"),  # not the nitrates card
    ("Antihypertensive for a 60 year old", r"calcium-channel blocker"),
    ("bp meds for 45yo", r"ACE inhibitor"),
    ("What potassium level is severe hyperkalaemia?", r"severe at 6\.5 mmol/L"),  # a definition, not the ECG step
    ("What glucose level defines DKA in the 2024 consensus?", r"200 mg/dL"),
])
def test_the_asked_for_thing_is_the_bottom_line(clinic: Clinic, question: str, expected: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(expected, answer.summary), answer.summary


def test_when_the_best_evidence_is_for_another_patient_the_abstention_says_whom(clinic: Clinic) -> None:
    # The lower-UTI cards speak of women under 65 (and adults with catheters); none of a 78-year-old.
    answer = clinic.answer("Should I dipstick a 78-year-old woman with suspected UTI?")
    if answer.abstained:
        assert "under 65" in (answer.abstain_reason or "") and "aged 78" in (answer.abstain_reason or "")
    else:
        assert "under 65" not in answer.summary, answer.summary


def test_a_safety_statement_about_the_class_of_the_drug_named(clinic: Clinic) -> None:
    answer = clinic.answer("Starting zoledronic acid for bone metastases")
    assert re.search(r"dental", _said(answer)), _said(answer)


@pytest.mark.parametrize("question, expected", [
    ("svco mx - stent or rt?", r"stent"),
    ("brain mets dexamethasone dose + when SRS vs WBRT", r"radiosurgery|radiotherapy"),
    ("mx of mscc", r"spinal|MSCC|cord compression"),
    ("abx for cap", r"amoxicillin|clarithromycin|doxycycline|cephalosporin|macrolide"),
    ("denosumab vs zoledronic acid bone mets, hypocalcemia?", r"denosumab|zoledronic"),
    ("hypertenshun in pregnancy - which drug?", r"labetalol"),
])
def test_shorthand_and_typos_answer(clinic: Clinic, question: str, expected: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(expected, _said(answer)), _said(answer)


def test_a_drug_question_names_a_drug(clinic: Clinic) -> None:
    answer = clinic.answer("Which antibiotics are recommended for community-acquired pneumonia?")
    assert re.search(r"amoxicillin|clarithromycin|doxycycline|cephalosporin|macrolide", answer.summary), answer.summary


def test_a_dose_question_with_no_dose_says_so(clinic: Clinic) -> None:
    answer = clinic.answer("brain mets dexamethasone dose + when SRS vs WBRT")
    said = _said(answer)
    assert re.search(r"\d+\s?mg", said) or any("no dose" in n for n in answer.notes)


@pytest.mark.parametrize("text", ["hello", "treatment", "x", "banana bread recipe"])
def test_noise_abstains_with_what_the_library_covers(clinic: Clinic, text: str) -> None:
    answer = clinic.answer(text)
    assert answer.abstained
    assert "not look like a clinical question" in (answer.abstain_reason or "")
    # What the library covers travels in the answer's gap (shown under the message on every surface).
    assert answer.gap is not None and len(answer.gap.rephrasings) == 2
    assert "hypertension" in (answer.gap.library + " ".join(answer.gap.topics)).lower()


def test_impossible_patient_gets_a_message(clinic: Clinic) -> None:
    answer = clinic.answer("asthma inhaler for a child aged 70")
    assert answer.abstained and "cannot exist" in (answer.abstain_reason or "")


def test_follow_ups_are_grammatical_and_new(clinic: Clinic) -> None:
    for question in ("What is the first-line treatment for hypertension?", "abx for cap",
                     "How is a malignant pleural effusion managed?"):
        answer = clinic.answer(question)
        assert answer.follow_ups
        for f in answer.follow_ups:
            assert f.endswith("?") and f[0].isupper()
            assert "title" not in f.lower() and "about section" not in f.lower()
            assert f.lower() != question.lower()


def test_explain_in_json_and_terminal(clinic: Clinic) -> None:
    answer = clinic.answer("grade 3 ICI colitis mx")
    body = to_json(answer, explain=True)
    assert body["understood"]["population"]["manifestations"] == ["colitis"]
    statements = [s for sec in body["sections"] for s in sec["statements"]]
    assert all("why" in s for s in statements)
    plain = to_json(answer)
    assert "understood" not in plain and all("why" not in s for sec in plain["sections"]
                                             for s in sec["statements"])
    lines = explain_lines(answer)
    assert lines[0].startswith("Read as: grade 3 immune checkpoint inhibitor")


def test_cli_ask_explain_json(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    db = clinic.settings.database
    assert main(["ask", "mx of mscc", "--db", str(db), "--json", "--explain"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["answer"]["understood"]["corrections"]["mx"] == "management"
    assert not line["answer"]["abstained"]


SAFETY_DOCS = [
    {"id": "tls-1", "doc_type": "guideline", "source": "Example Haematology Society", "published": "2021",
     "title": "Prevention of tumour lysis syndrome",
     "text": "In adults at high risk of tumour lysis syndrome, rasburicase is recommended before chemotherapy. "
             "Allopurinol is recommended for patients at intermediate risk of tumour lysis syndrome."},
    {"id": "tls-2", "doc_type": "guideline", "source": "Example Haematology Society", "published": "2021",
     "title": "Rasburicase safety in tumour lysis syndrome",
     "text": "Rasburicase is contraindicated in patients with G6PD deficiency because it can cause haemolysis "
             "and methaemoglobinaemia in tumour lysis syndrome prophylaxis."},
    {"id": "tls-3", "doc_type": "guideline", "source": "Example Paediatric Group", "published": "2020",
     "title": "Tumour lysis syndrome in children",
     "text": "In children at high risk of tumour lysis syndrome, rasburicase 0.2 mg/kg once daily is given."},
]


def _clinic_over(tmp_path, name: str, docs: list[dict]) -> Clinic:
    """A lexical clinic over a few documents ingested into a real SQLite store."""
    from medoracle.ingest.pipeline import ingest
    from medoracle.store import SQLiteStore

    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    store = SQLiteStore(tmp_path / f"{name}.db")
    ingest([path], store)
    return Clinic.build(Settings(data_dir=str(tmp_path), db=str(tmp_path / f"{name}.db")), store=store, embedder=None)


@pytest.fixture
def tls_clinic(tmp_path) -> Clinic:
    return _clinic_over(tmp_path, "tls", SAFETY_DOCS)


def test_safety_statement_about_the_drug_named_is_included(tls_clinic: Clinic) -> None:
    answer = tls_clinic.answer("Which drug prevents tumour lysis syndrome in high-risk adults?")
    assert not answer.abstained, answer.abstain_reason
    assert "rasburicase" in _said(answer).lower()
    assert "G6PD" in _said(answer), _said(answer)


def test_a_childrens_guideline_is_not_evidence_for_an_adult(tls_clinic: Clinic) -> None:
    answer = tls_clinic.answer("What is the rasburicase dose for tumour lysis syndrome in adults?")
    assert "0.2 mg/kg" not in _said(answer)
    child = tls_clinic.answer("What is the rasburicase dose for tumour lysis syndrome in children?")
    assert "0.2 mg/kg" in _said(child), _said(child)


# --- multi-part questions: each part answered that the sources give, each other part named --------------------

CAP_DOCS = [
    {"id": "cap-choice", "doc_type": "guideline", "source": "Test guideline",
     "title": "Community-acquired pneumonia in adults: antibiotic choice",
     "text": "Offer amoxicillin as the first-choice antibiotic for adults with low-severity community-acquired "
             "pneumonia. Offer clarithromycin or doxycycline to adults with low-severity community-acquired "
             "pneumonia who are allergic to penicillin."},
    {"id": "cap-course", "doc_type": "guideline", "source": "Test guideline",
     "title": "Community-acquired pneumonia in adults: course length",
     "text": "Stop antibiotic treatment for low-severity community-acquired pneumonia after 5 days unless "
             "microbiological results suggest that a longer course is needed."},
]


@pytest.fixture
def cap_clinic(tmp_path) -> Clinic:
    return _clinic_over(tmp_path, "cap", CAP_DOCS)


def test_each_part_of_a_multi_part_question_is_answered(cap_clinic: Clinic) -> None:
    answer = cap_clinic.answer("Low-severity community-acquired pneumonia: which antibiotic and for how long?")
    assert not answer.abstained, answer.abstain_reason
    said = _said(answer)
    assert "amoxicillin" in answer.summary, answer.summary  # the first part in the bottom line
    assert "5 days" in said, said                            # the second from the other source
    assert answer.gaps == []


def test_a_part_the_sources_cannot_answer_is_named(cap_clinic: Clinic) -> None:
    answer = cap_clinic.answer("Which antibiotic and what dose for low-severity community-acquired pneumonia?")
    assert not answer.abstained, answer.abstain_reason
    assert "amoxicillin" in _said(answer)
    assert len(answer.gaps) == 1 and "no dose" in answer.gaps[0]
    assert answer.gaps[0] in answer.notes  # and the reader sees it
    assert to_json(answer)["gaps"] == answer.gaps  # and the API says it


def test_a_question_none_of_whose_parts_the_sources_answer_abstains(cap_clinic: Clinic) -> None:
    answer = cap_clinic.answer("What dose of amoxicillin for community-acquired pneumonia?")
    assert answer.abstained
    assert "no dose" in (answer.abstain_reason or "")


def test_a_treatment_question_gets_a_treatment_not_its_prevention(tmp_path) -> None:
    from medoracle.compose.asks import satisfies
    from medoracle.understand import read_query

    @dataclasses.dataclass
    class Sentence:
        text: str

    query = read_query("Treatment of an acute gout flare")
    assert satisfies(Sentence("Treat a gout flare with an NSAID, colchicine or a corticosteroid."), query)
    assert not satisfies(Sentence("NSAIDs are not recommended for the prevention of new attacks of gout."), query)
    assert not satisfies(Sentence("Gout flares are painful and usually settle within two weeks."), query)


def test_starting_an_opioid_brings_the_laxative_advice(kb_clinic: Clinic) -> None:
    answer = kb_clinic.answer("Starting oral morphine for cancer pain")
    assert not answer.abstained, answer.abstain_reason
    assert "laxative" in _said(answer).lower(), _said(answer)


def test_a_black_african_patient_gets_the_advice_for_their_family_origin(clinic: Clinic) -> None:
    answer = clinic.answer("Step 1 drug for hypertension in a Black adult of African family origin without diabetes")
    assert not answer.abstained, answer.abstain_reason
    assert "calcium-channel blocker" in answer.summary, answer.summary
    assert "ACE inhibitor or an angiotensin II receptor blocker (ARB) as step 1" not in _said(answer)


def test_a_clot_in_cancer_gets_the_cancer_advice_not_the_general_one(clinic: Clinic) -> None:
    cancer = clinic.answer("How long to anticoagulate a cancer-associated DVT?")
    assert not cancer.abstained, cancer.abstain_reason
    assert "6 months" in cancer.summary, cancer.summary
    assert "not cancer-associated" not in " ".join(st.applies_to or "" for st in cancer.statements())
    general = clinic.answer("How long to anticoagulate a DVT?")
    assert "3 months" in general.summary, general.summary


def test_diagnosed_and_treated_answers_both_parts(clinic: Clinic) -> None:
    answer = clinic.answer("How is pulmonary embolism diagnosed and treated?")
    assert not answer.abstained, answer.abstain_reason
    said = _said(answer)
    assert re.search(r"wells", said, re.IGNORECASE), said
    assert re.search(r"treated with anticoagulation|apixaban|rivaroxaban", said), said
    assert answer.gaps == []


DVT_DOCS = [
    {"id": "dvt-treat", "doc_type": "guideline", "source": "Test guideline",
     "title": "Deep vein thrombosis: treatment",
     "text": "Offer apixaban or rivaroxaban to adults with confirmed proximal deep vein thrombosis. Continue "
             "anticoagulation for deep vein thrombosis for at least 3 months."},
]


def test_a_pregnant_patient_gets_no_general_adult_advice(tmp_path) -> None:
    clinic = _clinic_over(tmp_path, "dvt", DVT_DOCS)
    general = clinic.answer("Treatment of deep vein thrombosis")
    assert not general.abstained, general.abstain_reason
    assert "apixaban" in general.summary
    pregnant = clinic.answer("Treatment of deep vein thrombosis in pregnancy")
    assert pregnant.abstained  # a DOAC is what a pregnant patient must not have
    assert "pregnan" in (pregnant.abstain_reason or ""), pregnant.abstain_reason
    assert "apixaban" not in (pregnant.summary or "")


def test_a_lay_name_answers_from_its_own_topic(kb_clinic: Clinic) -> None:
    # "water infection" is a name of the UTI topic: the bottom line is the UTI advice, not C. difficile's
    # treatment, which shares only "infection"
    answer = kb_clinic.answer("How is a water infection treated?")
    assert "urinary tract infection" in answer.summary and "difficile" not in answer.summary, answer.summary


def test_a_woman_not_said_to_be_pregnant_does_not_get_the_pregnancy_advice(kb_clinic: Clinic) -> None:
    # the general (non-pregnant) advice is the bottom line; the pregnancy card is for the patient who is
    answer = kb_clinic.answer("How is a urine infection treated in a woman?")
    assert not answer.summary.startswith("For pregnant women"), answer.summary
    assert re.search(r"non-pregnant women", answer.summary), answer.summary


def test_second_line_advice_does_not_open_a_treatment_answer(kb_clinic: Clinic) -> None:
    # "initial treatment … to reduce the risk of fractures" is treatment, not prevention; denosumab is second-line
    answer = kb_clinic.answer("treatment for osteoporosis")
    assert "bisphosphonates" in answer.summary, answer.summary


def _summary_docs(answer) -> set[str]:
    by_number = {r.n: r.doc_id for r in answer.references}
    return {by_number[n] for n in answer.summary_citations}


@pytest.mark.parametrize("question, topic_doc, wrong", [
    # "heart attack" shares "heart" with heart failure, "blood poisoning" "blood" with a full blood count: the
    # lay name is read as the clinical name its sources use, and only the whole of a lay name is a focus
    ("How is a heart attack treated?", "acute-coronary-syndrome", "heart failure"),
    ("How is blood poisoning treated?", "sepsis", "neutropenic"),
    # "infection" alone is as much C. difficile as a chest infection: the topic bearing the name opens
    ("How is chest infection treated in a 70 year old?", "community-acquired-pneumonia", "difficile"),
    ("What helps with stopping smoking?", "smoking-cessation", "copd"),
])
def test_a_lay_name_is_answered_from_its_own_topic(clinic: Clinic, question: str, topic_doc: str, wrong: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert wrong not in answer.summary.lower(), answer.summary
    cards = {f"kb:{p.stem}" for p in (Path(kb.__file__).parent / topic_doc).glob("*.md") if p.stem != "_topic"}
    assert _summary_docs(answer) <= cards | {f"kb:topic:{topic_doc}"}, (_summary_docs(answer), answer.summary)


def test_a_treatment_question_is_not_answered_by_screening(clinic: Clinic) -> None:
    # "The USPSTF recommends screening adults for hypertension" recommends something, but no treatment
    answer = clinic.answer("What is the treatment for hypertension?")
    assert not answer.abstained, answer.abstain_reason
    assert "screen" not in answer.summary.lower(), answer.summary


def test_a_treatment_in_the_history_is_not_the_treatment_part() -> None:
    from medoracle.compose.asks import _names_treatment
    # a Wells score item, not advice: "… and treated?" still wants its own sentence
    assert not _names_treatment("1.5 each for immobilisation over 3 days or surgery in the previous 4 weeks")
    assert not _names_treatment("a clot after recent surgery is provoked")
    assert _names_treatment("Surgery is the treatment for a resectable tumour")


def test_the_card_that_names_the_condition_opens_before_one_that_reaches_it_through_its_topic(clinic: Clinic) -> None:
    # the epilepsy topic's names include status epilepticus, but the GTCS maintenance-drug card is not about it
    answer = clinic.answer("first line for status epilepticus in children")
    assert not answer.abstained, answer.abstain_reason
    assert re.search(r"benzodiazepine|midazolam|lorazepam|diazepam", answer.summary), answer.summary
    assert "lamotrigine" not in answer.summary


def test_preserved_ejection_fraction_gets_no_reduced_ejection_fraction_advice(clinic: Clinic) -> None:
    answer = clinic.answer("heart failure with preserved ejection fraction treatment")
    said = _said(answer) if not answer.abstained else ""
    assert not re.search(r"(?<!mildly )reduced ejection fraction,", said), said  # the HFrEF drug cards
    assert "fourth foundational therapy" not in said


def test_a_sentence_that_leans_on_the_one_before_does_not_open_an_answer() -> None:
    from medoracle.compose.sentences import ANAPHORIC

    assert ANAPHORIC.match("If it is negative but suspicion remains high, repeat the scan.")
    assert ANAPHORIC.match("When this fails, add a second drug.")
    assert not ANAPHORIC.match("If compression ultrasound is negative, stop anticoagulation.")


def test_a_question_naming_drugs_is_not_opened_by_another_drug_of_their_class(clinic: Clinic) -> None:
    # "opioid withdrawal" after a naloxone dose is of the opioid class, but no answer on morphine to oxycodone
    answer = clinic.answer("opioid conversion morphine to oxycodone")
    assert "naloxone" not in answer.summary, answer.summary
    if answer.abstained:
        assert "dose" in (answer.abstain_reason or ""), answer.abstain_reason


def test_hfref_shorthand_is_the_condition_not_a_manifestation_to_drop(clinic: Clinic) -> None:
    answer = clinic.answer("HFrEF meds")
    assert not answer.abstained, answer.abstain_reason
    assert "reduced ejection fraction" in answer.summary, answer.summary


def test_a_dose_question_naming_a_drug_is_not_answered_with_another_treatments_dose(clinic: Clinic) -> None:
    # the library has no dexamethasone dose for MSCC: the radiotherapy "24 Gy" is no answer to it; the MRI part is
    answer = clinic.answer("Suspected MSCC: what dose of dexamethasone and how soon an MRI?")
    assert not re.search(r"\d+ Gy", answer.summary), answer.summary
    assert "24 hours" in _said(answer)
    steroid = clinic.answer("mscc steroid dose")  # a class named: a dose of one of its members, or none
    assert not re.search(r"\d+ Gy", steroid.summary), steroid.summary
    assert "prednisolone" in clinic.answer("copd exacerbation steroids dose").summary
    adrenaline = clinic.answer("What is the dose of adrenaline in anaphylaxis for a child?")  # epinephrine's other name
    # a child of no stated age: one band's dose, with the band named (6 months to 6 years, or 6 to 12 years)
    assert re.search(r"(?:300|150) (?:mcg|micrograms)", adrenaline.summary), adrenaline.summary
    assert re.search(r"aged 6", adrenaline.summary), adrenaline.summary


@pytest.mark.parametrize("question, expected", [
    ("Is an indwelling pleural catheter or talc pleurodesis better for malignant pleural effusion?",
     ("catheter", "pleurodesis")),  # "better" ends option B; it is the question, not an option
    ("Is apixaban or warfarin safer in atrial fibrillation?", ("apixaban", "warfarin")),
    ("Is LMWH or a DOAC more effective for cancer-associated thrombosis?", ("lmwh", "doac")),
])
def test_a_comparative_word_is_not_an_option(question: str, expected: tuple[str, str]) -> None:
    from medoracle.understand import read_query
    assert read_query(question).comparison == expected


def test_non_expandable_lung_gets_its_own_card_not_the_expandable_lung_advice(clinic: Clinic) -> None:
    answer = clinic.answer("Indwelling pleural catheter or talc pleurodesis for a non-expandable lung?")
    assert "non-expandable lung" in answer.summary and "rather than" in answer.summary, answer.summary
    assert "suspected expandable lung" not in answer.summary
    # asked without the qualifier, the comparison's verdict opens, not the topic page's summary
    general = clinic.answer("Is an indwelling pleural catheter or talc pleurodesis better for malignant pleural "
                            "effusion?")
    assert re.search(r"either an indwelling pleural catheter or chemical pleurodesis", general.summary), \
        general.summary


@pytest.mark.parametrize("question, passage, conflict", [
    ("pleurodesis for non-expandable lung", "with suspected expandable lung, suggest pleurodesis", True),
    ("pleurodesis for non-expandable lung", "with expandable lung pleurodesis; with non-expandable lung a "
                                           "catheter", False),  # a text naming both sides speaks of both
    ("chemotherapy for small cell lung cancer", "in non-small cell lung cancer, offer", True),
    ("rate control with a non-dihydropyridine calcium-channel blocker", "amlodipine, a dihydropyridine", True),
    ("management of NSTEMI and non-ST-elevation acute coronary syndrome", "in ST-elevation myocardial infarction",
     True),
    ("cellulitis treatment", "purulent cellulitis: drain", False),  # the question names no side
])
def test_a_qualifier_and_its_non_form_are_different_patients(question: str, passage: str, conflict: bool) -> None:
    from medoracle.understand.population import conflicts, extract
    assert ("qualifier" in conflicts(extract(question), extract(passage))) is conflict


@pytest.mark.parametrize("question, comorbidity", [
    ("sepsis fluids in heart failure", "heart failure"),
    ("fluids for sepsis in a patient with heart failure", "heart failure"),
    ("delirium in a patient with dementia", "dementia"),
])
def test_a_second_condition_after_in_is_the_patients_comorbidity(question: str, comorbidity: str) -> None:
    from medoracle.understand import read_query
    query = read_query(question)
    assert comorbidity in query.population.comorbidities
    assert read_query("heart failure treatment").population.comorbidities == ()  # the subject itself is not


def test_sepsis_fluids_in_heart_failure_answer_the_sepsis_question(clinic: Clinic) -> None:
    # Heart failure is whom it is about: the acute heart failure diuretic card does not answer how to give fluids
    # in sepsis (it opened this answer before the comorbidity was read).
    for question in ("sepsis fluids in heart failure", "fluids for sepsis in a patient with heart failure"):
        answer = clinic.answer(question)
        assert not answer.abstained, answer.abstain_reason
        assert "30 mL/kg" in answer.summary, answer.summary
        assert "diuretic" not in answer.summary


def test_a_topic_name_wider_than_the_condition_word_is_the_condition(clinic: Clinic) -> None:
    # "cancer pain" is a topic of the library: any cancer card names "cancer", few speak of its pain, so the
    # bone metastases topic's summary card no longer opens the answer.
    answer = clinic.answer("How should cancer pain be managed?")
    assert answer.understood is not None and "cancer pain" in [c.lower() for c in answer.understood.conditions]
    assert not answer.abstained, answer.abstain_reason
    assert "zoledronate or denosumab" not in answer.summary, answer.summary


@pytest.mark.parametrize("text, avoided", [
    ("In type 2 diabetes, when metformin is contraindicated or not tolerated, NICE advises SGLT-2 inhibitor "
     "monotherapy.", True),  # another drug's unsuitability is no warning about the one advised
    ("If an ACE inhibitor is not tolerated, offer an ARB.", True),
    ("ACE inhibitors are contraindicated in pregnancy.", False),
    ("Stop the statin before conception.", False),
    ("Offer semaglutide to adults with a BMI of 35 or more.", True),
])
def test_advice_of_a_drug_to_avoid_in_pregnancy(text: str, avoided: bool) -> None:
    from medoracle.compose.fit import advises_avoided_in_pregnancy
    assert advises_avoided_in_pregnancy(text) is avoided


def test_a_gestational_diabetes_answer_advises_no_sglt2_inhibitor(clinic: Clinic) -> None:
    for question in ("I have gestational diabetes. How will it be treated?", "metformin in gestational diabetes"):
        answer = clinic.answer(question)
        assert not answer.abstained, answer.abstain_reason
        assert not re.search(r"SGLT", _said(answer)), _said(answer)


@pytest.mark.parametrize("question, not_from", [
    ("What antibiotic for hospital acquired pneumonia?", r"community-acquired"),
    ("What HbA1c target in type 1 diabetes?", r"type 2 diabetes"),
    ("I have gestational diabetes. How will it be treated?", r"type 2 diabetes|SGLT"),
])
def test_another_kind_of_the_condition_is_not_its_answer(clinic: Clinic, question: str, not_from: str) -> None:
    # Hospital-acquired pneumonia is not community-acquired, type 1 diabetes not type 2: sharing the condition's
    # word is no match (the library has no topic for the first two, so those answers abstain or say little).
    answer = clinic.answer(question)
    assert not re.search(not_from, _said(answer)), _said(answer)


def test_type_1_and_type_2_diabetes_are_read_whole() -> None:
    from medoracle.understand import read_query
    assert read_query("type 1 diabetes insulin").conditions == ["type 1 diabetes"]
    assert read_query("hypertension with type 2 diabetes").population.comorbidities == ("type 2 diabetes",)


@pytest.mark.parametrize("question, expected", [
    ("How soon should antibiotics be given in sepsis?", r"within 1 hour"),  # the source says "antimicrobials"
    ("I have an upper GI bleed. What happens in hospital?", r"upper gastrointestinal|UGIB"),
])
def test_a_synonym_or_a_framing_word_does_not_make_the_answer_abstain(clinic: Clinic, question: str,
                                                                         expected: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(expected, answer.summary), answer.summary


@pytest.mark.parametrize("question, dose", [
    ("What is the IM adrenaline dose for anaphylaxis in adults?", "500 mcg"),
    ("adrenaline dose anaphylaxis child aged 4", "150 mcg"),
    ("anaphylaxis adrenaline dose in a 3 month old baby", "100 to 150 mcg"),
])
def test_a_dose_by_age_band_reaches_each_band(clinic: Clinic, question: str, dose: str) -> None:
    # One sentence that gives adults and two children's bands their doses speaks of all of them: its children's
    # numbers do not rule it out for an adult (this abstained before), and a 4-year-old gets the 4-year-old's dose.
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert dose in answer.summary, answer.summary


@pytest.mark.parametrize("question", ["USPSTF behavioural interventions obesity", "statin for 8% 10-year risk USPSTF"])
def test_a_guideline_body_named_in_the_question_is_not_its_subject(clinic: Clinic, question: str) -> None:
    # "USPSTF" and "behavioural interventions" are shared by the smoking-cessation card; obesity and statins are not.
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert "tobacco" not in answer.summary, answer.summary



@pytest.mark.parametrize("question, expected", [
    ("statin for 8% 10-year risk USPSTF", "7.5% to less than 10%"),
    ("statin for 12% 10-year risk", "10% or more"),
])
def test_a_percentage_in_the_question_gets_the_sentence_whose_range_holds_it(clinic: Clinic, question: str,
                                                                              expected: str) -> None:
    answer = clinic.answer(question)
    assert expected in answer.summary, answer.summary


def test_percent_fit() -> None:
    from medoracle.text.numbers import percent_fit
    assert percent_fit("a 10-year risk of 7.5% to less than 10%", "risk 8%") == 1
    assert percent_fit("a 10-year risk of 10% or more", "risk 8%") == -1
    assert percent_fit("a 10-year risk of 10% or more", "statin?") == 0
    assert percent_fit("an HbA1c of 48 mmol/mol (6.5%)", "HbA1c 8%") == 0


def test_a_pregnant_or_breastfeeding_patient_gets_no_cancer_advice_and_the_pregnancy_warning(clinic: Clinic) -> None:
    breastfeeding = clinic.answer("Which anticoagulant is safe when breastfeeding?")
    # ("… first when there is no renal impairment, active cancer …" is general advice that rules cancer out)
    cancer_advice = r"\b(?:in|with|for|after) (?:\w+ ){0,3}cancer\b|\bcancer-associated\b"
    assert not re.search(cancer_advice, _said(breastfeeding)), _said(breastfeeding)
    pregnant = clinic.answer("dvt tx in pregnancy")
    assert "low-molecular-weight heparin" in pregnant.summary.lower(), pregnant.summary
    # a drug to avoid in pregnancy is warned of, though the bottom line does not name it
    assert re.search(r"direct oral anticoagulants .* not recommended in pregnancy", _said(pregnant)), _said(pregnant)
    assert not re.search(cancer_advice, _said(pregnant)), _said(pregnant)
    assert not re.search(r"apixaban or rivaroxaban is offered", _said(pregnant)), _said(pregnant)


@dataclasses.dataclass
class _Sentence:
    text: str
    ev: int = 0
    topic: float = 1.0


def test_a_case_report_or_a_study_aim_never_opens_an_answer() -> None:
    # Over PubMed, "First-line drug for status epilepticus" opened with a case of green urine after propofol coma,
    # and "How is hyperkalaemia treated?" with a trial's aim; with nothing else left, nothing may open the answer.
    from medoracle.compose.fit import may_open
    story = _Sentence("We present the case of a 52-year-old man who developed green urine following propofol.")
    advice = _Sentence("EEG should be available as an emergency intervention for status epilepticus.")
    aim = _Sentence("To investigate the safety and potential efficacy of finerenone in heart failure.")
    assert may_open([story, advice], None, None) == [advice]
    assert may_open([aim], None, None) == []


@pytest.mark.parametrize("question", ["How is a DVT treated?", "How do you treat a deep vein thrombosis?"])
def test_a_treatment_question_does_not_open_with_the_cards_work_up(clinic: Clinic, question: str) -> None:
    # The DVT bottom-line card opens with the Wells score; asked how to treat, the answer starts at the treatment.
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert answer.summary.startswith("Treatment of confirmed proximal DVT"), answer.summary
    assert "Wells" not in answer.summary, answer.summary


def test_a_whole_card_keeps_its_work_up_unless_the_question_asks_what_to_do() -> None:
    from medoracle.compose.candidate import Candidate
    from medoracle.compose.opening import summary_text
    from medoracle.types import Evidence, Passage
    from medoracle.understand.form import QuestionForm, read_question
    from medoracle.understand.query import read_query

    text = "Suspected DVT is assessed with the Wells score. Confirmed DVT is treated with apixaban."
    passage = Passage(id="kb:x#0", doc_id="kb:x", text=text, facet="bottom_line")
    card = [Candidate(ev=0, text="Suspected DVT is assessed with the Wells score.", stems=set(), grade=None,
                      facet="assessment", card_bottom_line=True, lead=True),
            Candidate(ev=0, text="Confirmed DVT is treated with apixaban.", stems=set(), grade=None,
                      facet="first_line", card_bottom_line=True)]
    evidence = [Evidence(passage=passage, score=1.0)]
    broad = QuestionForm(broad=True)
    for question, expected in [("How is DVT treated?", card[1].text), ("What is the management of DVT?", card[1].text),
                               ("How is DVT diagnosed and treated?", text)]:
        assert summary_text(card[1], card, evidence, broad, read_query(question)) == expected, question
    assert summary_text(card[1], card, evidence, read_question("Tell me about DVT"), None) == card[1].text


def test_advice_for_patients_without_a_mechanical_valve_is_not_for_one(clinic: Clinic) -> None:
    answer = clinic.answer("Anticoagulation for AF with mechanical valve")
    assert "recommended over warfarin" not in answer.summary, answer.summary


def test_a_card_split_patient_by_patient_is_read_whole_for_a_question_naming_no_patient(clinic: Clinic) -> None:
    # NICE's step 1 card never says "first-line"; filed as first-line advice it answers the question, and for no
    # patient in particular both groups' drugs are the answer.
    summary = clinic.answer("What is the first-line treatment for hypertension?").summary
    assert "ACE inhibitor" in summary and "calcium-channel blocker" in summary, summary
    assert "resistant" not in summary, summary
    # … but a patient with type 2 diabetes gets only their own sentence (the other is "without type 2 diabetes")
    summary = clinic.answer("Which antihypertensive in type 2 diabetes?").summary
    assert "ACE inhibitor" in summary and "without type 2 diabetes" not in summary, summary


@pytest.mark.parametrize("question, expected", [
    ("When should metformin be stopped in kidney disease?", r"eGFR is below 30"),
    ("metformin in CKD", r"eGFR is below 30"),
    ("statin in CKD", r"atorvastatin 20 mg"),  # the class named is the subject, not the CKD summary card
])
def test_a_drug_in_kidney_disease_is_answered_by_its_kidney_advice(clinic: Clinic, question: str,
                                                                   expected: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(expected, answer.summary), answer.summary


def test_a_drug_in_kidney_disease_with_no_kidney_advice_abstains_and_says_so(clinic: Clinic) -> None:
    answer = clinic.answer("DOAC in CKD")  # the library's DOAC sentences do not speak of kidney function
    assert answer.abstained, answer.summary
    assert "kidney impairment" in (answer.abstain_reason or ""), answer.abstain_reason


@pytest.mark.parametrize("question", [
    "Can a patient with a mechanical mitral valve and atrial fibrillation take apixaban?",
    "anticoagulation in AF with rheumatic mitral stenosis",
])
def test_the_patients_other_condition_comes_before_the_drug_named(clinic: Clinic, question: str) -> None:
    # Not "usually with a DOAC" (general AF advice) nor DOACs "recommended over warfarin" (for those without).
    summary = clinic.answer(question).summary
    assert "warfarin" in summary and "over warfarin" not in summary and "usually with" not in summary, summary


def test_a_drug_question_naming_no_condition_opens_with_that_drug(clinic: Clinic) -> None:
    # "eGFR" shares more words with the CKD cards, but the question is about metformin
    answer = clinic.answer("Should metformin be reduced when eGFR is below 45?")
    assert re.search(r"metformin", answer.summary, re.I) and "45" in answer.summary, answer.summary


@pytest.mark.parametrize("question", ["What defines AKI?", "What are the criteria for AKI?",
                                      "How is acute kidney injury defined?"])
def test_a_definition_question_quotes_the_definition(clinic: Clinic, question: str) -> None:
    answer = clinic.answer(question)
    assert "The KDIGO definition of AKI" in _said(answer), _said(answer)


def test_the_gap_of_a_kidney_disease_does_not_add_kidney_impairment(clinic: Clinic) -> None:
    answer = clinic.answer("ibuprofen in ckd?")
    assert answer.gap is not None
    assert answer.gap.looked_for == "the use of ibuprofen in chronic kidney disease", answer.gap
    # neither "in people with kidney impairment" after a kidney disease nor a card's title as a topic
    assert not any("kidney impairment" in r or "albuminuria" in r for r in answer.gap.rephrasings), answer.gap


def test_pregnancy_advice_from_another_condition_is_a_special_situation(clinic: Clinic) -> None:
    # A hypertension page for adults over 55 may mention pre-eclampsia, but never as its first-line treatment;
    # a page on pre-eclampsia itself keeps its own first-line section.
    answer = clinic.answer("management of hypertension in adults aged 55 or over")
    by_section = {s.title: " ".join(st.text for st in s.statements) for s in answer.sections}
    assert "calcium-channel blocker" in answer.summary
    for title, text in by_section.items():
        if title != "Special situations":
            assert not re.search(r"pre-?eclampsia|pregnan", text, re.IGNORECASE), (title, text)
    own = clinic.answer("How is pre-eclampsia managed?")
    first_line = next(s for s in own.sections if s.title == "First-line treatment")
    assert any("pre-eclampsia" in st.text for st in first_line.statements)


@pytest.mark.parametrize("question", ["How is asthma managed?", "How is gout managed?", "asthma management"])
def test_a_framing_word_no_source_uses_does_not_make_the_answer_abstain(clinic: Clinic, question: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(r"inhaled corticosteroid|ICS|colchicine|NSAID", _said(answer)), answer.summary


@pytest.mark.parametrize("question", ["cellulitis antibiotic in penicillin allergy",
                                      "which antibiotic for cellulitis if allergic to penicillin?"])
def test_a_penicillin_allergic_patient_is_not_offered_a_penicillin(clinic: Clinic, question: str) -> None:
    answer = clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert "clarithromycin" in answer.summary, answer.summary
    assert not re.search(r"flucloxacillin \d|amoxicillin \d", _said(answer)), _said(answer)
    assert any("penicillin allergy rules out" in n for n in answer.notes), answer.notes


def test_pneumonia_in_penicillin_allergy_gets_the_penicillin_free_alternative(clinic: Clinic) -> None:
    # Until kb13 the CAP cards advised only amoxicillin and this abstained ("penicillin allergy rules out"); NICE
    # NG250's penicillin-allergy rows are cards now, so the answer is their alternative and never a penicillin.
    answer = clinic.answer("abx for cap in penicillin allergy")
    assert not answer.abstained, answer.abstain_reason
    assert re.search(r"doxycycline|clarithromycin", answer.summary), answer.summary
    assert not re.search(r"amoxicillin \d|co-amoxiclav", _said(answer)), _said(answer)


def test_a_black_adult_under_55_gets_the_clause_that_names_them(clinic: Clinic) -> None:
    # NICE's step 1: a CCB "for adults aged 55 or over, and for Black adults of African … origin"; either clause
    # is a patient it is for. Before, age 50 ruled the card out and a screening sentence opened the answer.
    answer = clinic.answer("hypertension treatment in black african 50 yo")
    assert "calcium-channel blocker" in answer.summary, answer.summary
    white = clinic.answer("first-line antihypertensive for a 50 year old white man")
    assert "ACE inhibitor" in white.summary, white.summary


def test_adolescents_are_not_given_advice_written_for_adults(clinic: Clinic) -> None:
    # The adult depression cards are NICE NG222; since kb13 NG134's cards answer for children and young people.
    answer = clinic.answer("depression in adolescents first line")
    assert not answer.abstained, answer.abstain_reason
    assert re.search(r"psychological therapy|fluoxetine", answer.summary), answer.summary
    assert not re.search(r"\badults\b|guided self-help|PHQ-9", answer.summary), answer.summary


def test_a_treatment_question_left_with_only_background_says_whom_the_sources_are_for(clinic: Clinic) -> None:
    # every osteoporosis treatment card is for women; a definition is not an answer about treating men
    answer = clinic.answer("osteoporosis in men treatment")
    assert answer.abstained, answer.summary
    assert "for women" in (answer.abstain_reason or "") and "men" in (answer.abstain_reason or "")


def test_a_clot_in_cancer_is_treated_not_prevented(clinic: Clinic) -> None:
    # The general PE card's "apixaban … when there is no renal impairment, active cancer …" rules every listed
    # patient out; prophylaxis sentences are for people without a clot.
    answer = clinic.answer("dvt in cancer which anticoagulant")
    assert re.search(r"established venous thromboembolism|Established VTE", answer.summary), answer.summary
    assert "thromboprophylaxis" not in answer.summary
    pe = clinic.answer("pulmonary embolism cancer anticoagulant")
    assert "no renal impairment, active cancer" not in pe.summary, pe.summary


def test_every_item_of_a_negated_list_is_ruled_out() -> None:
    from medoracle.understand import extract_population
    p = extract_population("Apixaban is first line when there is no renal impairment, active cancer or "
                           "antiphospholipid syndrome.")
    assert not p.kidney_impairment and not p.cancer
    assert {"cancer", "kidney impairment"} <= set(p.without)
    q = extract_population("In people with cancer and no renal impairment, LMWH is used.")
    assert q.cancer and not q.kidney_impairment


def test_a_thromboprophylaxis_question_is_answered_with_prophylaxis(clinic: Clinic) -> None:
    # ("thromboprophylaxis" names prevention though the intent reader's "prophyla…" needs a word start)
    answer = clinic.answer("Should every outpatient with cancer get thromboprophylaxis?")
    assert "not be offered to all" in answer.summary, answer.summary
