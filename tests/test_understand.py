"""The understanding stage: question → Query (shorthand, spelling, population, intent, comparison, noise), and
the population extractor on the passage side with its conflict rules."""

from __future__ import annotations

import pytest

from medoracle.ingest.population import focus_of, population_of, tag_document
from medoracle.types import Document, Passage, Population
from medoracle.understand import read_query
from medoracle.understand.describe import describe
from medoracle.understand.focus import on_focus
from medoracle.understand.population import age_range, conflicts, contradiction, extract, matches
from medoracle.understand.shorthand import spell_out
from medoracle.understand.spelling import correct

# ------------------------------------------------------------------------------------ question side


@pytest.mark.parametrize("question, age", [
    ("First-line drug for hypertension in adults aged 55 or over?", (55.0, 200.0)),
    ("htn pt >55 yo 1st line tx", (55.0, 200.0)),
    ("adults ≥ 55 with hypertension", (55.0, 200.0)),
    ("a 70 year old man with CAP", (70.0, 71.0)),
    ("a 70yo with pneumonia", (70.0, 71.0)),
    ("children under 5 with fever", (0.0, 5.0)),
    ("patients aged 18-65 years", (18.0, 66.0)),
])
def test_question_ages(question: str, age: tuple[float, float]) -> None:
    assert age_range(read_query(question).population) == age


def test_question_population_slots() -> None:
    assert read_query("Hypertension: what about in pregnancy?").population.pregnancy == "pregnant"
    assert read_query("UTI in non-pregnant women").population.pregnancy == "not_pregnant"
    assert read_query("Is amoxicillin safe when breastfeeding?").population.pregnancy == "breastfeeding"
    colitis = read_query("grade 3 ICI colitis mx").population
    assert colitis.severity == (3, 3) and colitis.manifestations == ("colitis",)
    assert read_query("How is an acute COPD exacerbation treated?").population.phase == "exacerbation"
    assert read_query("inhaler choice in stable COPD").population.phase == "stable"
    assert read_query("CAP in ICU patients").population.setting == "icu"
    assert read_query("outpatient treatment of CAP").population.setting == "outpatient"
    assert read_query("refractory hypercalcaemia of malignancy").population.line == "refractory"
    assert read_query("metformin with kidney impairment").population.kidney_impairment
    assert read_query("statins in cirrhosis").population.liver_impairment
    assert read_query("moderate to severe asthma").population.severity == (2, 3)
    assert read_query("bone metastases from breast cancer").population.cancer == ("breast",)


def test_evidence_grades_are_not_severity() -> None:
    assert extract("Dexamethasone 16 mg daily should be started unless contraindicated (Grade 1B).").severity is None
    assert extract("over 30% body surface").age_min is None  # a percentage is not an age


@pytest.mark.parametrize("question, conditions, comparison, intent", [
    ("svco mx - stent or rt?", ["superior vena cava obstruction"], ("stent", "rt"), "comparison"),
    ("brain mets dexamethasone dose + when SRS vs WBRT", ["brain metastases"], ("srs", "wbrt"), "dose"),
    ("mx of mscc", ["metastatic spinal cord compression"], None, "treatment"),
    ("abx for cap", ["community acquired pneumonia"], None, "first_line"),
    ("denosumab vs zoledronic acid bone mets, hypocalcemia?", ["bone metastases", "hypocalcemia"],
     ("denosumab", "zoledronic acid"), "comparison"),
    ("How long should antibiotics be given for a lower UTI?", None, None, "duration"),
    ("When should statins be started?", None, None, "threshold"),
])
def test_shorthand_questions_read(question: str, conditions: list[str] | None,
                                  comparison: tuple[str, str] | None, intent: str) -> None:
    q = read_query(question)
    if conditions is not None:
        assert q.conditions == conditions
    assert q.comparison == comparison
    assert q.intent == intent
    assert q.noise is None


def test_shorthand_spelled_out_keeps_the_abbreviation() -> None:
    text, corrections = spell_out("svco mx - stent or rt?")
    assert text == "superior vena cava obstruction (SVCO) management - stent or radiotherapy (RT)?"
    assert corrections["mx"] == "management"
    assert spell_out("w/o fever, 2nd line tx")[0] == "without fever, second-line treatment"
    # "cap" is community-acquired pneumonia only in the clinician's register, not in plain English
    assert "pneumonia" in spell_out("abx for cap")[0]
    assert spell_out("Is a cap needed?")[0] == "Is a cap needed?"


def test_drugs_brand_and_generic() -> None:
    q = read_query("Eliquis vs warfarin in AF")
    assert q.drugs[:2] == ["apixaban", "warfarin"]
    assert q.comparison == ("apixaban", "warfarin")


# ------------------------------------------------------------------------------------ spelling

@pytest.mark.parametrize("typo, meant", [
    ("hyperkalemai", "hyperkalemia"), ("dexamethazone", "dexamethasone"), ("pnuemonia", "pneumonia"),
    ("nuetropenia", "neutropenia"), ("apixiban", "apixaban"), ("cellulitus", "cellulitis"),
    ("zolendronic", "zoledronic"), ("migrane", "migraine"),
])
def test_misspelt_vocabulary_terms_are_read_as_meant(typo: str, meant: str) -> None:
    assert correct(typo) == meant
    assert meant in read_query(f"treatment of {typo}").search_text


@pytest.mark.parametrize("word", ["options", "treatment", "stent", "asthma", "bleeding", "metformin", "window",
                                  "radiotherapy", "exacerbation", "pregnancy"])
def test_known_words_are_left_alone(word: str) -> None:
    assert correct(word) is None


def test_a_word_the_library_knows_is_never_corrected() -> None:
    assert correct("hyperkalemai") == "hyperkalemia"
    assert correct("hyperkalemai", known=lambda w: w == "hyperkalemai") is None


# ------------------------------------------------------------------------------------ noise and bad input

@pytest.mark.parametrize("text", ["hello", "hi there", "treatment", "x", "cake recipe", "mx tx dx",
                                  "What is love?", "thanks", "什么是高血压?"])
def test_noise_is_not_a_clinical_question(text: str) -> None:
    assert read_query(text).noise is not None


@pytest.mark.parametrize("text", ["asthma", "HTN", "apixaban", "svco", "What about children?"])
def test_one_clinical_word_is_a_question(text: str) -> None:
    assert read_query(text).noise is None


def test_contradictory_population() -> None:
    assert read_query("child aged 70 with asthma").contradiction == "it names a child and an age of 70"
    assert contradiction(extract("pregnant man")) is not None
    assert read_query("asthma in a 7 year old child").contradiction is None


def test_long_and_mixed_language_questions_do_not_fail() -> None:
    q = read_query("¿Cuál es el tratamiento de la hipertensión?")
    assert "hypertension" in q.search_text
    long = read_query("What is the management of febrile neutropenia? " * 40)
    assert long.conditions[0] == "febrile neutropenia"


def test_population_carries_over_in_a_thread_when_the_follow_up_names_none() -> None:
    q = read_query("Hypertension: what about the dose?", history=["hypertension in pregnancy"])
    assert q.population.pregnancy == "pregnant" and q.inherited
    own = read_query("and in children?", history=["hypertension in pregnancy"])
    assert own.population.age_groups == ("child",) and not own.inherited


# ------------------------------------------------------------------------------------ passage side and conflicts

def test_passage_side_uses_the_same_extractor() -> None:
    under = extract("For adults with hypertension who are under 55, NICE advises an ACE inhibitor or ARB.")
    over = extract("For adults aged 55 or over, a calcium-channel blocker is the step 1 choice.")
    assert age_range(under) == (18.0, 55.0) and age_range(over) == (55.0, 200.0)
    assert describe(under) == "adults under 55" and describe(over).startswith("adults aged 55 or over")
    assert extract("in children").age_groups == ("child",)
    assert extract("for infants").age_groups == ("infant",)
    assert extract("grade 3 rash").manifestations == ("skin",)
    assert extract("in cancer").cancer == ("cancer",)
    assert extract("for non-pregnant women").pregnancy == "not_pregnant"


@pytest.mark.parametrize("question, passage, slot", [
    ("hypertension in pregnancy", "for non-pregnant women", "pregnancy"),
    ("adults aged 55 or over", "in adults under 55", "age"),
    ("adult acute heart failure", "furosemide 1 mg/kg in children", "age"),
    ("grade 3 colitis", "grade 3 maculopapular rash", "manifestation"),
    ("acute COPD exacerbation", "in stable COPD", "phase"),
    ("moderate asthma attack", "in less severe disease", "severity"),
    ("grade 3 immune-related colitis", "grade 1 immune-related adverse event", "severity"),
    ("CAP managed as an outpatient", "in patients admitted to ICU", "setting"),
    ("refractory hypercalcaemia", "first-line treatment", "line"),
])
def test_conflicts(question: str, passage: str, slot: str) -> None:
    assert slot in conflicts(extract(question), extract(passage))
    assert not matches(extract(question), extract(passage))


@pytest.mark.parametrize("question, passage", [
    ("hypertension in pregnancy", "in pregnant women with chronic hypertension"),
    ("adults aged 70", "adults aged 55 or over"),
    ("older adults with AF", "in adults"),
    ("grade 3 colitis", "grade 3 immune-related adverse events"),
    ("first-line treatment of hypertension", "step-up treatment when not controlled"),
    ("hypertension", "for non-pregnant women"),
])
def test_no_conflict(question: str, passage: str) -> None:
    assert conflicts(extract(question), extract(passage)) == []


def test_ingest_tags_focus_and_populations() -> None:
    doc = Document(id="d1", title="Acute heart failure in children", text="x",
                   metadata={"focus": "Heart failure"})
    passages = [Passage(id="d1#0", doc_id="d1", text="Give furosemide 1 mg/kg.", section="Infants", position=0),
                Passage(id="d1#1", doc_id="d1", text="Monitor weight daily.", section="Monitoring", position=1)]
    tag_document(doc, passages)
    assert doc.metadata["focus_terms"][:2] == ["Heart failure", "Acute heart failure in children"]
    assert doc.metadata["applies_to"]["age_groups"] == ["child"] or doc.metadata["applies_to"]["age_groups"] == (
        "child",)
    assert set(doc.metadata["passage_populations"]) == {"0"}
    assert population_of(doc.title, doc.metadata).age_groups == ("child",)


def test_focus_from_each_corpus_format() -> None:
    assert "Hyperkalemia" in focus_of("What is hyperkalemia?", {"focus": "Hyperkalemia"})
    assert "Migraine Disorders" in focus_of("Topiramate trial", {"mesh": ["Migraine Disorders", "Humans"]})
    kb = focus_of("NICE NG136", {"topic": "hypertension", "topic_title": "Hypertension in adults",
                                 "topic_aliases": ["HTN", "high blood pressure"]})
    assert {"HTN", "high blood pressure", "Hypertension in adults"} <= set(kb)
    assert Population().is_empty()


@pytest.mark.parametrize("question, focus, verdict", [
    ("hyperkalaemia treatment", ["Tumor lysis syndrome"], False),
    ("hyperkalaemia treatment", ["Hyperkalemia"], True),
    ("migraine prophylaxis", ["Cholera vaccine"], False),
    ("migraine prophylaxis", ["Antiviral prophylaxis of influenza"], False),
    ("migraine prophylaxis", ["Migraine prevention in adults"], True),
    ("cellulitis antibiotics", ["Herpetic whitlow"], False),
    ("grade 3 ICI colitis mx", ["Immune checkpoint inhibitor toxicity"], True),
    ("svco mx - stent or rt?", ["Superior vena cava obstruction", "SVCO"], True),
    ("Is metformin safe with kidney failure?", ["Type 2 diabetes"], None),
    ("hyperkalaemia treatment", [], None),
])
def test_focus_matching(question: str, focus: list[str], verdict: bool | None) -> None:
    assert on_focus(read_query(question), focus) is verdict


def _evidence(doc_id: str, title: str, population: Population | None, focus: list[str]):
    from medoracle.types import Evidence
    return Evidence(passage=Passage(id=f"{doc_id}#0", doc_id=doc_id, text="Furosemide 1 mg/kg intravenously."),
                    title=title, population=population, focus=focus)


def test_gates_for_every_composer() -> None:
    from medoracle.understand.focus import focus_gate, population_gate
    q = read_query("What is the furosemide dose in adults with acute heart failure?")
    children = _evidence("p1", "Acute heart failure in children", extract("in children"),
                         ["Acute heart failure in children"])
    adults = _evidence("a1", "Acute heart failure in adults", extract("adults"), ["Acute heart failure"])
    kept, reason = population_gate(q, [children, adults])
    assert kept == [adults] and reason is None
    kept, reason = population_gate(q, [children])
    assert kept == [] and reason is not None and "children" in reason and "none covers adults" in reason
    cholera = _evidence("c1", "Cholera vaccine", None, ["Cholera", "Cholera vaccine"])
    kept, reason = focus_gate(read_query("What drugs are used for migraine prophylaxis?"), [cholera])
    assert kept == [] and reason is not None and "migraine" in reason
