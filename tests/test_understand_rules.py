"""The understanding rules added for answers that fit the patient (issue 15): ages in weeks and months, numbers
that are not ages, absent conditions, class words, spelling against the library's index, shorthand, intents,
comparisons, and which passage populations count as speaking of the asked-for patient."""

from __future__ import annotations

import pytest

from medoracle.compose import fit
from medoracle.types import Population, Query
from medoracle.understand import read_query
from medoracle.understand.classes import class_pattern, class_words, classes_of
from medoracle.understand.describe import describe
from medoracle.understand.population import age_range, conflicts, extract, matches
from medoracle.understand.shorthand import spell_out
from medoracle.understand.spelling import correct
from medoracle.understand.topic import conditions

# ------------------------------------------------------------------------------------------------ ages


@pytest.mark.parametrize("text, low, high", [
    ("fever in a 6 week old baby", 6 / 52, 7 / 52),
    ("a 3-month-old infant", 0.25, 4 / 12),
    ("babies under 3 months", 0.0, 0.25),
    ("a temperature of 38°C in a baby younger than 3 months", 0.0, 0.25),
    ("children aged 3 months to 5 years", 0.25, 6.0),
    ("those aged 18 to 25, or with concerns about suicide", 18.0, 26.0),
    ("adults over 65", 65.0, 200.0),
])
def test_ages_in_weeks_months_and_years(text: str, low: float, high: float) -> None:
    found = age_range(extract(text))
    assert found is not None
    assert found[0] == pytest.approx(low) and found[1] == pytest.approx(high)


@pytest.mark.parametrize("text", [
    "High-risk outpatients with cancer, meaning a Khorana score of 2 or more before starting chemotherapy",
    "carboplatin at an area under the curve of 4 mg/mL/min or more",
    "treatment might need to continue for at least 6 months in adults",
    "symptoms for less than 6 months in adults",
])
def test_scores_doses_and_durations_are_not_ages(text: str) -> None:
    p = extract(text)
    assert p.age_min is None and p.age_max is None


def test_young_ages_are_described_in_weeks_and_months() -> None:
    assert describe(extract("a 6 week old baby")) == "infants aged 6 weeks"
    assert describe(extract("babies under 3 months")) == "infants under 3 months"


def test_a_six_week_old_is_not_a_neonate_but_is_a_child_under_five() -> None:
    baby = extract("fever in a 6 week old baby")
    assert "age" in conflicts(baby, extract("in neonates"))
    assert conflicts(baby, extract("infants and children under 5 with fever")) == []


# ------------------------------------------------------------------------------------ whom a passage speaks of

def test_a_passage_for_all_adults_does_not_speak_of_an_age() -> None:
    sixty_two = extract("a 62-year-old")
    assert matches(sixty_two, extract("Adults with hypertension should be offered lifestyle advice")) == []
    assert "age" in matches(sixty_two, extract("For adults aged 55 or over, a calcium-channel blocker"))


def test_the_band_the_question_names_matches_twice() -> None:
    over_55 = read_query("tx HTN pt >55 yo").population
    assert "age band" in matches(over_55, extract("For adults aged 55 or over, a calcium-channel blocker"))
    assert "age band" not in matches(over_55, extract("In adults under 80 with stage 1 hypertension"))
    assert "age band" not in matches(extract("a 20-year-old"), extract("screening adults aged 19 or older"))


def test_first_line_in_a_question_is_what_it_asks_not_whom() -> None:
    asked = read_query("What is the first-line antihypertensive in pregnancy?").population
    assert asked.line == "first"
    assert matches(asked, extract("NICE advises an ACE inhibitor as step 1")) == []
    assert "line" not in fit.wanted(asked)


def test_a_named_cancer_type_matches_its_passages() -> None:
    myeloma = read_query("Thromboprophylaxis for a myeloma patient on lenalidomide").population
    assert "cancer type" in matches(myeloma, extract("Patients with multiple myeloma receiving lenalidomide"))
    assert "cancer type" not in matches(myeloma, extract("In cancer, thromboprophylaxis is offered"))


# ------------------------------------------------------------------------------------------ conditions

def test_a_condition_the_patient_does_not_have_is_not_the_subject() -> None:
    assert conditions("First-line antihypertensive for a 40 year old man without diabetes") == []
    assert conditions("hypertension with no diabetes") == ["hypertension"]
    assert conditions("non-small cell lung cancer treatment") == ["non-small cell lung cancer"]


@pytest.mark.parametrize("question, condition", [
    ("What is the first-line antihypertensive in pregnancy?", "hypertension"),
    ("How long should an antidepressant be continued after remission?", "depression"),
    ("Which antiepileptic in pregnancy?", "epilepsy"),
])
def test_a_class_word_names_the_condition_it_treats(question: str, condition: str) -> None:
    q = read_query(question)
    assert condition in q.conditions
    assert f"({condition})" in q.search_text
    assert read_query("antihypertensive for hypertension").search_text.count("hypertension") == 1


def test_drug_classes_one_way() -> None:
    assert "checkpoint inhibitor" in classes_of("pembrolizumab")
    assert class_pattern("zoledronic acid").search("an intravenous bisphosphonate such as")  # type: ignore[union-attr]
    assert class_pattern("prednisolone").search("oral steroids")  # type: ignore[union-attr]
    assert not class_pattern("prednisolone").search("corticosteroid-sparing")  # type: ignore[union-attr]
    assert classes_of("labetalol") == ("beta-blocker",)
    assert classes_of("not a drug") == () and class_pattern("not a drug") is None
    members = class_words("Which antihypertensive should she start?")["antihypertensive"]
    assert members.search("a calcium-channel blocker is the step 1 choice")
    assert not members.search("lifestyle advice")


# -------------------------------------------------------------------------------------------- spelling

class _Index:
    """A library index that, like FTS5 with the Porter stemmer, holds words by stem."""

    def __init__(self, stems: dict[str, str], counts: dict[str, int]) -> None:
        self.stems, self.counts = stems, counts

    def frequency(self, word: str) -> int:
        return self.counts.get(self.stems.get(word, word), 0)

    def __call__(self, word: str) -> bool:
        return self.frequency(word) > 0


def test_a_word_the_index_holds_only_as_a_stem_is_still_corrected() -> None:
    index = _Index({"fibrilation": "fibril", "fibrillation": "fibril"}, {"fibril": 15})
    assert correct("fibrilation", known=index) == "fibrillation"
    own = _Index({"fibrilation": "fibrila", "fibrillation": "fibril"}, {"fibril": 15, "fibrila": 2})
    assert correct("fibrilation", known=own) is None  # the index holds the word itself: leave it alone


def test_another_form_of_an_indexed_word_is_not_a_typo() -> None:
    index = _Index({"inhaler": "inhal", "inhaled": "inhal"}, {"inhal": 30})
    assert correct("inhaler", known=index) is None
    assert correct("inhalers") is None


@pytest.mark.parametrize("typo, meant", [("treatmnet", "treatment"), ("managment", "management"),
                                         ("deficency", "deficiency"), ("antibiotc", "antibiotic")])
def test_long_plain_words_are_corrected_too(typo: str, meant: str) -> None:
    assert correct(typo) == meant


# ---------------------------------------------------------------------------------- shorthand and intents

def test_more_shorthand() -> None:
    assert spell_out("UTI in preg - abx?")[0].endswith("in pregnancy - antibiotics?")
    assert "neurological symptoms" in spell_out("MSCC w/ neuro sx")[0]
    assert spell_out("FN abx - within 1h?")[0].endswith("within 1 hour?")
    assert spell_out("every 4 h")[0] == "every 4 hours"
    assert read_query("UTI in preg - abx?").population.pregnancy == "pregnant"


@pytest.mark.parametrize("question, intent", [
    ("FN abx - within 1h?", "timing"),
    ("MSCC w/ neuro sx - MRI how fast?", "timing"),
    ("febrile neutropenia antibiotic timing", "timing"),
    ("Which antihypertensive should a 62-year-old start with?", "first_line"),
    ("Which antihypertensive is first choice in type 2 diabetes?", "first_line"),
    ("Initial inhaler for newly diagnosed stable COPD", "first_line"),
    ("When should statins be started?", "threshold"),
])
def test_intents(question: str, intent: str) -> None:
    assert read_query(question).intent == intent


def test_newly_diagnosed_is_not_a_question_about_diagnosis() -> None:
    assert "diagnosis" not in read_query("Initial inhaler for newly diagnosed stable COPD").intents
    assert "diagnosis" in read_query("How is COPD diagnosed?").intents


@pytest.mark.parametrize("question, options", [
    ("Denosumab or a bisphosphonate for hypercalcaemia of malignancy?", ("denosumab", "bisphosphonate")),
    ("Indwelling pleural catheter or talc pleurodesis for a non-expandable lung?", ("catheter", "pleurodesis")),
    ("Single fraction or five fractions of radiotherapy for spinal cord compression?", ("fraction", "fractions")),
    ("DOAC or warfarin for atrial fibrillation?", ("doac", "warfarin")),
    ("svco mx - stent or rt?", ("stent", "rt")),
])
def test_a_or_b_for_a_condition(question: str, options: tuple[str, str]) -> None:
    assert read_query(question).comparison == options


def test_an_abbreviation_typed_in_capitals_is_a_topic_the_library_knows() -> None:
    assert read_query("SE treatment", known=lambda w: w == "se").noise is None
    assert read_query("se treatment", known=lambda w: w == "se").noise is not None


# -------------------------------------------------------------------------------------------- fit rules

@pytest.mark.parametrize("text, advised", [
    ("NICE advises an ACE inhibitor or an angiotensin II receptor blocker (ARB) as step 1.", True),
    ("Offer atorvastatin 20 mg for primary prevention.", True),
    ("For adults under 55 and not of Black African origin, offer ramipril.", True),
    ("Women taking ACE inhibitors should be told of the risk of congenital abnormalities.", False),
    ("ACE inhibitors should be stopped and replaced in pregnancy.", False),
    ("Offer LMWH rather than a DOAC in pregnancy.", False),
    ("In pregnant women, NICE advises labetalol first.", False),
])
def test_drugs_a_pregnant_patient_must_not_start(text: str, advised: bool) -> None:
    assert fit.advises_avoided_in_pregnancy(text) is advised


def test_class_aliases_and_fit_words() -> None:
    rash = Query(text="q", search_text="How is a grade 3 rash from pembrolizumab managed?", drugs=["pembrolizumab"],
                 population=Population(severity=(3, 3), manifestations=("skin",)))
    aliases = fit.class_aliases(rash)
    assert aliases["pembrol"].search("For a grade 3 rash from a checkpoint inhibitor")
    assert fit.fit_words(rash) == frozenset({"rash"})
    alone = Query(text="q", search_text="treatment of diarrhoea",
                  conditions=["diarrhoea"], population=Population(manifestations=("colitis",)))
    assert fit.fit_words(alone) == frozenset()  # the manifestation is the whole subject: it stays one


def test_a_class_named_as_an_option_is_found_by_its_members() -> None:
    from medoracle.understand.classes import members_pattern

    doac = members_pattern("doac")
    assert doac is not None and doac.search("offer apixaban or rivaroxaban") and doac.search("a DOAC")
    assert not doac.search("an anticoagulant such as warfarin")  # a phrase several classes share does not count
    assert members_pattern("paracetamol") is None


# ------------------------------------------------------------------------- family origin, absent conditions

_NICE_STEP1_ACEI = ("For adults with hypertension who have type 2 diabetes, or who are under 55 and not of Black "
                    "African or African-Caribbean family origin, NICE advises an ACE inhibitor or an ARB as step 1.")
_NICE_STEP1_CCB = ("For adults aged 55 or over, and for Black adults of African or African-Caribbean origin without "
                   "type 2 diabetes, a calcium-channel blocker is the step 1 choice.")


def test_family_origin_is_a_slot_and_its_negation_conflicts() -> None:
    black = extract("Step 1 drug for hypertension in a Black adult of African family origin without diabetes")
    assert black.origin == "black african" and black.without == ("diabetes",) and black.comorbidities == ()
    assert extract(_NICE_STEP1_ACEI).origin == "not black african"
    assert extract(_NICE_STEP1_CCB).origin == "black african"
    assert conflicts(black, extract(_NICE_STEP1_ACEI)) == ["origin"]
    assert conflicts(black, extract(_NICE_STEP1_CCB)) == []
    assert "origin" in matches(black, extract(_NICE_STEP1_CCB))
    assert "African-Caribbean family origin" in describe(black)
    # a question that names no origin is not ruled out of either sentence
    assert conflicts(extract("First-line antihypertensive for a 40 year old man without diabetes"),
                     extract(_NICE_STEP1_ACEI)) == []


def test_the_clause_for_the_patients_comorbidity_applies_whatever_the_other_clause_says() -> None:
    black_diabetic = extract("Which antihypertensive for a Black African woman with type 2 diabetes?")
    assert conflicts(black_diabetic, extract(_NICE_STEP1_ACEI)) == []  # "who have type 2 diabetes, or …"
    assert conflicts(black_diabetic, extract(_NICE_STEP1_CCB)) == ["comorbidity"]  # "… without type 2 diabetes"


def test_a_passage_that_rules_cancer_out_is_not_for_a_patient_with_cancer() -> None:
    not_cancer = extract("Deep vein thrombosis (not cancer-associated)")
    assert not_cancer.cancer == () and not_cancer.without == ("cancer",)
    assert extract("non-cancer pain").cancer == ()
    in_cancer = extract("How long to anticoagulate a cancer-associated DVT?")
    assert in_cancer.cancer == ("cancer",)
    assert conflicts(in_cancer, not_cancer) == ["cancer"]
    assert conflicts(extract("How long to anticoagulate a DVT?"), not_cancer) == []


# ------------------------------------------------------------------------- the parts of a question

def test_diagnosis_and_treatment_are_parts_only_beside_another() -> None:
    from medoracle.compose.parts import asked_parts

    assert asked_parts(read_query("How is pulmonary embolism diagnosed and treated?")) == ["diagnosis", "treatment"]
    assert asked_parts(read_query("How is pulmonary embolism diagnosed?")) == []
    assert asked_parts(read_query("How is pulmonary embolism treated?")) == []
    # a dose, a drug, a duration already ask for the treatment
    assert asked_parts(read_query("What dose of dexamethasone to treat spinal cord compression?")) == ["dose"]


def test_a_missing_diagnosis_or_treatment_part_is_named() -> None:
    from medoracle.compose.parts import gaps

    query = read_query("How is pulmonary embolism diagnosed and treated?")
    assert gaps(query, "Confirmed PE is treated with anticoagulation for at least 3 months.") == [
        "The sources found do not say how this is diagnosed."]
    assert gaps(query, "The two-level Wells score decides between CT pulmonary angiography and a D-dimer test.") \
        == ["The sources found do not say how this is treated."]
    assert gaps(query, "The Wells score decides on a D-dimer test; confirmed PE is treated with apixaban.") == []


def test_a_lay_name_of_a_condition_is_read_as_its_clinical_name() -> None:
    # "heart attack" holds no condition word, but our synonyms table expands it to "myocardial infarction": the
    # name the sources use, as shorthand is spelled out, and said among the corrections
    from medoracle.understand import read_query

    heart = read_query("How is a heart attack treated?")
    assert heart.conditions == ["myocardial infarction"]
    assert heart.search_text == "How is a myocardial infarction treated?"
    assert heart.corrections == {"heart attack": "myocardial infarction"}
    assert read_query("How is blood poisoning treated?").conditions == ["sepsis"]
    assert read_query("Heart-attacks in women").search_text == "myocardial infarction in women"
    # a phrase with a condition word of its own is already the condition's name
    assert read_query("urine infection antibiotics").corrections == {}
    assert read_query("How is an asthma attack treated?").conditions == ["asthma"]  # "attack" there is its severity


def test_the_library_topic_names_are_the_condition_of_a_question_that_names_none() -> None:
    from medoracle.understand import read_query
    from medoracle.understand.topic_names import TopicNames

    names = TopicNames([("smoking cessation", ["stop smoking", "NRT", "varenicline"]),
                        ("pre-eclampsia", ["PET", "hypertension in pregnancy"])])
    assert read_query("What helps with stopping smoking?", topics=names).conditions == ["smoking cessation"]
    pet = read_query("PET aspirin", topics=names)
    assert pet.conditions == ["pre-eclampsia"] and pet.corrections["PET"] == "pre-eclampsia"
    assert pet.spelled_out() == "pre-eclampsia aspirin"  # not positron emission tomography
    # a question naming its own condition keeps the general reading of the abbreviation
    assert "positron emission tomography" in read_query("PET scan for lung cancer", topics=names).search_text
    assert read_query("pet aspirin", topics=names).conditions == []  # an acronym counts only in capitals
    # a drug alias does not make the drug's topic the question's condition
    assert read_query("varenicline side effects", topics=names).conditions == []
    # a question with a condition of its own keeps it
    assert "smoking cessation" not in read_query("stop smoking in COPD", topics=names).conditions


def test_an_age_after_someone_is_an_age() -> None:
    from medoracle.understand import extract_population

    assert extract_population("target blood pressure for someone over 80").age_min == 80
    assert extract_population("anyone under 18").age_max == 18
    assert extract_population("someone with a score over 4").age_min is None


def test_what_helps_asks_for_treatment() -> None:
    from medoracle.understand.form import read_intents

    assert read_intents("What helps with stopping smoking?") == ["treatment"]


@pytest.mark.parametrize("question, condition", [
    ("Antihypertensive for a 60 year old", "hypertension"),
    ("bp meds for 45yo", "hypertension"),
    ("Steroid for acute exacerbation of COPD", None),
    ("Intravenous diuretic for acute heart failure in adults", "acute heart failure"),
])
def test_a_class_of_drug_for_a_condition_asks_which_one(question: str, condition: str | None) -> None:
    query = read_query(question)
    assert query.intents[:1] == ["first_line"], query.intents
    if condition:
        assert condition in query.conditions, query.conditions
    assert read_query("Antibiotics in pregnancy safe?").intents == ["safety"]  # "in", not "for": a safety ask


def test_a_condition_cut_from_a_long_run_does_not_start_with_of() -> None:
    assert conditions("steroid for acute exacerbation of chronic obstructive pulmonary disease") == [
        "acute exacerbation", "chronic obstructive pulmonary disease"]


def test_a_mechanical_valve_excluded_by_a_list_is_a_conflict_for_a_patient_with_one() -> None:
    doac = extract("In adults with atrial fibrillation who need anticoagulation and do not have moderate to severe "
                   "rheumatic mitral stenosis or a mechanical heart valve, DOACs are recommended over warfarin.")
    assert set(doac.without) == {"mitral stenosis", "mechanical valve"}
    assert conflicts(extract("anticoagulation for AF with a mechanical valve"), doac) == ["comorbidity"]
    assert conflicts(extract("anticoagulation for AF"), doac) == []
    # the list stops at the next clause: heart failure here is had, not absent
    assert extract("adults without diabetes who have heart failure").without == ("diabetes",)


@pytest.mark.parametrize("question, why", [
    ("BP HR RR", "names of measurements"),
    ("blood pressure", "names of measurements"),
    ("¿Cuál es el tratamiento de la hipertensión?", "not in English"),
    ("Was ist die Behandlung von Asthma bei Kindern?", "not in English"),
])
def test_measurements_alone_or_another_language_are_no_question(question: str, why: str) -> None:
    assert why in (read_query(question).noise or ""), read_query(question).noise


@pytest.mark.parametrize("question", ["high BP in a 60 year old", "what is the target BP", "BP target in diabetes",
                                      "Is the temperature threshold for fever in children 38?"])
def test_a_question_about_a_measurement_is_a_question(question: str) -> None:
    assert read_query(question).noise is None


@pytest.mark.parametrize(("question", "expected"), [
    ("Which anticoagulant in atrial fibrillation and mitral stenosis?", ["atrial fibrillation", "mitral stenosis"]),
    ("gout and chronic kidney disease: allopurinol dose", ["gout", "chronic kidney disease"]),
    ("anticoagulation with a mechanical mitral valve and atrial fibrillation", ["atrial fibrillation"]),
    ("chemotherapy-induced nausea and vomiting prophylaxis", ["chemotherapy-induced nausea and vomiting"]),
    ("nausea and vomiting in pregnancy", ["nausea and vomiting"]),
    ("heart and lung disease", ["heart and lung disease"]),
])
def test_two_conditions_joined_by_and_are_two_but_one_name_stays_whole(question: str, expected: list[str]) -> None:
    assert conditions(question) == expected


@pytest.mark.parametrize("text, allergic", [
    ("abx for cap in penicillin allergy", True),
    ("cellulitis antibiotic if allergic to penicillin", True),
    ("pen-allergic patient with a UTI", True),
    ("For adults with cellulitis, NICE recommends flucloxacillin, with alternatives for penicillin allergy.", False),
    ("cellulitis with no penicillin allergy", False),
])
def test_a_drug_allergy_is_the_patients_only_when_said_of_them(text: str, allergic: bool) -> None:
    from medoracle.understand import extract_population
    from medoracle.understand.allergy import advises_allergen
    assert ("penicillin allergy" in extract_population(text).comorbidities) is allergic
    assert advises_allergen("NICE recommends oral flucloxacillin 500 mg four times a day.", ("penicillin allergy",))
    assert not advises_allergen("If allergic to penicillin, clarithromycin is used.", ("penicillin allergy",))
