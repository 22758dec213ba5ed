"""Rewording of evidence without a plain text (ingested corpora): the defects found by reading patient pages.

Sentences are knowledge-base and NGC-style guideline sentences; each test names the defect it guards against.
"""

from __future__ import annotations

import re

from medoracle.audience import tailor
from medoracle.splitting import split_long_sentence
from medoracle.types import Answer, Audience, Section, Statement

GLOSS = re.compile(r"\(([^():]{1,60}): [^()]*\.\)")


def page(summary: str, *statements: str, audience: Audience = Audience.patient) -> Answer:
    answer = Answer(question="q", summary=summary, summary_citations=[1], sections=[Section(
        key="first_line", title="First-line treatment",
        statements=[Statement(text=t, citations=[i + 2], passage_ids=[f"d{i}#0"]) for i, t in enumerate(statements)])])
    return tailor(answer, audience)


def texts(answer: Answer) -> list[str]:
    return [answer.summary, *(st.text for st in answer.statements())]


def test_a_bottom_line_carries_at_most_two_word_explanations():
    out = page("Oral antibiotics such as oral amoxicillin are given as oral treatment for acute low-severity "
               "pneumonia with sepsis, neutropenia or hypercalcaemia, and intravenous antibiotics in hospital.")
    assert len(GLOSS.findall(out.summary)) <= 2
    # The condition names are explained before everyday words such as "oral" or "acute".
    assert set(GLOSS.findall(out.summary)) <= {"Sepsis", "Neutropenia", "Hypercalcaemia", "Intravenous"}


def test_each_term_is_explained_once_per_page():
    out = page("Hypercalcaemia of malignancy is treated with intravenous fluids.",
               "In hypercalcaemia, intravenous zoledronic acid is given after fluids.",
               "Hypercalcaemia can come back, and intravenous treatment may be repeated.")
    labels = [label for t in texts(out) for label in GLOSS.findall(t)]
    assert labels.count("Hypercalcaemia") == 1 and labels.count("Intravenous") == 1


def test_the_key_condition_term_is_explained():
    out = page("Hypercalcaemia of malignancy is treated with intravenous fluids and a bisphosphonate.")
    assert "(Hypercalcaemia: too much calcium in the blood.)" in out.summary
    assert out.summary.startswith("Hypercalcaemia of ")  # the name is kept, not swapped


def test_no_term_explained_twice_in_one_sentence():
    sentence = "Hypercalcaemia of malignancy is treated with a bisphosphonate such as zoledronic acid."
    student = page(sentence, audience=Audience.student).summary
    # zoledronic acid's own explanation ("a bisphosphonate medicine …") would say "bisphosphonate" again.
    assert student.count("bisphosphonate") == 1 and "zoledronic acid (" not in student, student
    assert "bisphosphonate (a medicine that strengthens bone)" in student


def test_no_doubled_such_as():
    for audience in (Audience.student, Audience.patient):
        out = page("For moderate to severe cancer pain, offer a strong opioid such as oral morphine as first line.",
                   audience=audience)
        assert out.summary.count("such as") <= 1 and "morphine" in out.summary, out.summary


def test_a_split_never_moves_a_qualifier_into_another_sentence():
    sentence = ("For adults with acute leukaemia, stem cell transplants or solid tumours in whom chemotherapy is "
                "expected to drop the neutrophil count to 0.5 x 10^9/L or lower, offer prophylaxis with a "
                "fluoroquinolone during the expected period of neutropenia.")
    parts = split_long_sentence(sentence, 15)
    assert not any(p.startswith("This is for adults with acute leukaemia.") for p in parts)
    assert any("acute leukaemia, stem cell transplants or solid tumours in whom" in p for p in parts)
    out = " ".join(texts(page("x.", sentence)))
    assert "This is for adults with acute leukaemia." not in out
    # A population opener that is whole still becomes its own sentence.
    whole = ("For adults with hypertension and type 2 diabetes who are of Black African origin, offer an ACE inhibitor "
             "or an angiotensin II receptor blocker as the first step of treatment.")
    assert split_long_sentence(whole, 15)[0].startswith("This is for adults with hypertension")


def test_medical_terms_are_neither_widened_nor_narrowed():
    out = " ".join(texts(page("Offer nitrofurantoin to non-pregnant women with a urinary tract infection.",
                              "Community-acquired pneumonia is treated with amoxicillin for 5 days.",
                              "Febrile neutropenia is treated as an emergency.")))
    bare = GLOSS.sub("", out)
    assert "urinary tract infection" in bare and "bladder or kidney infection" not in out
    assert "pneumonia" in bare.lower() and "chest infection" not in out
    assert "neutropenia" in bare.lower() and "white blood cell count" not in bare


def test_instructions_to_clinicians_are_told_from_the_patients_side():
    out = page("Refer straight away people with suspected spinal cord compression to the MSCC coordinator.",
               "Consider a urine culture in women aged over 65 with a urinary tract infection.",
               "Do not offer antibiotics for asymptomatic bacteriuria in non-pregnant women.",
               "Measure your blood pressure at home twice a day, as your nurse has explained.")
    shown = texts(out)
    summary = shown[0]
    culture = next(t for t in shown if "culture" in t)
    bacteriuria = next(t for t in shown if "bacteriuria" in t)
    home = next(t for t in shown if "at home" in t)
    assert summary.startswith("Your care team should refer straight away")
    assert culture.startswith("Your care team may ")
    assert bacteriuria.startswith("Your care team should not offer")
    assert home.startswith("Measure your blood pressure")  # advice to the reader stays as it is
    assert not any(re.match(r"(?:Refer|Offer|Consider|Do not offer)\b", t) for t in texts(out))
    assert "65" in culture  # numbers untouched


def test_student_mode_explains_scores_classes_and_grading_schemes():
    out = page("Offer anticoagulation to people with atrial fibrillation and hypertension and a CHA2DS2-VASc score "
               "of 2 or more, a strong recommendation under GRADE.",
               "SGLT2 inhibitors are added for people with type 2 diabetes and heart failure.",
               audience=Audience.student)
    summary, sglt2 = texts(out)
    assert "CHA2DS2-VASc (a score of stroke risk in atrial fibrillation)" in summary
    assert "GRADE (Grading of Recommendations Assessment" in summary
    assert "SGLT2 inhibitors (diabetes medicines that make the kidneys pass more sugar" in sglt2
    # What every student knows is not explained.
    assert "atrial fibrillation (" not in summary and "hypertension (" not in summary


def test_a_swap_keeps_the_group_of_people():
    from medoracle.kb import subgroups_of

    sentence = ("In certain CKD populations, including the elderly and those with diabetes mellitus, aggressive blood "
                "pressure control could lead to acute deterioration in kidney function.")
    out = page(sentence).summary
    assert "including older people and those with diabetes" in out
    assert subgroups_of(sentence) <= subgroups_of(out)


def test_what_a_clinician_is_to_tell_the_patient_is_said_to_the_patient():
    # "Explain to patients … that they should …" is advice for the patient: the page gives it, not the errand.
    out = page("Explain to patients with low-severity community-acquired pneumonia treated in the community, and "
               "when appropriate their families or carers, that they should seek further medical advice if their "
               "symptoms do not begin to improve within 3 days of starting the antibiotic.",
               "Advise women with diabetes who are planning pregnancy that they should take folic acid 5 mg a day.")
    summary, folic = texts(out)
    assert summary.startswith("People with low-severity pneumonia")
    assert "should seek further medical advice" in summary and "3 days" in summary
    assert "care team" not in summary and "families or carers" not in summary
    assert folic.startswith("Women with diabetes who are planning pregnancy should take folic acid 5 mg")
    # Without "that they should …" it stays an instruction to the care team.
    assert page("Explain the risks of stopping treatment early to patients.").summary.startswith(
        "Your care team should explain")


def test_a_reference_list_caught_as_a_sentence_is_not_shown_to_a_patient():
    refs = ("Postmenopausal women with thinning of the bones: Eriksen, Diez-Perez, & Boonen, 2014; Miller et al., "
            "2012; Eisman et al., 2008; Black et al., 2007; Chestnut et al., 2005")
    out = page("Bisphosphonates are the first treatment for osteoporosis in women past the menopause.", refs)
    assert out.statements() == []  # the section held only the reference list, so it is left out
    # A statement that names one study and its year is still a statement.
    kept = page("Bisphosphonates are the first treatment.", "Denosumab was first given in 2010 in Europe.")
    assert [st.text for st in kept.statements()] == ["Denosumab was first given in 2010 in Europe."]


def test_a_sentence_addressed_to_clinicians_is_told_from_the_patients_side():
    out = page("Clinicians should be aware of chronic pain syndromes resulting from cancer treatments.",
               "Physicians must not prescribe codeine to children under 12 years.")
    assert texts(out)[0].startswith("Your care team should be aware of ")
    assert texts(out)[1].startswith("Your care team must not prescribe codeine to children under 12 years")
    clinician = page("Clinicians should be aware of chronic pain syndromes.", audience=Audience.clinician)
    assert clinician.summary.startswith("Clinicians should")


def test_a_guidelines_recommendation_number_is_a_label_not_a_number_to_keep():
    # "Recommendation 1.3:" numbers the advice in its guideline; a patient page says the advice, without the label,
    # and every clinical number stays ("12 years").
    out = page("(Informal consensus; Evidence quality: insufficient) Recommendation 1.3: Clinicians should offer "
               "regular pain checks to people over 12 years.")
    assert out.summary.startswith("Your care team should offer regular pain checks"), out.summary
    assert "1.3" not in out.summary and "12 years" in out.summary


def test_a_swap_never_breaks_the_grammar_of_its_sentence():
    # "the prevalence of these syndromes" as "the how common it is of these syndromes" reads as nonsense: the word
    # stays and is explained instead.
    out = page("Clinicians should know the prevalence of these pain syndromes.")
    assert "the prevalence of these pain syndromes" in out.summary
    assert "(Prevalence: " in out.summary


def test_a_fact_to_tell_the_patient_is_said_as_told_to_them_keeping_whom():
    out = page("Tell men that there is a small increase in the risk of colorectal cancer after radiotherapy.")
    assert out.summary.startswith("Men should be told that there is a small increase"), out.summary


def test_a_strength_label_printed_alone_is_left_out():
    out = page("A second sleep study may be considered when the first is negative. ( Weak )",
               "Ask about dizziness on standing when treating people with blood pressure drugs. (Not Graded)")
    assert "Weak" not in out.summary and "Graded" not in texts(out)[1]


def test_a_grade_printed_alone_with_a_digit_is_a_label_not_a_number_to_keep():
    # "( 1B )" is GRADE's strength and quality; "( I-C )" a Canadian Task Force level: neither is a dose or a count.
    out = page("HIV-positive people should be encouraged to stop smoking cigarettes ( 1B ).",
               "Thiazide diuretics are not recommended in pregnancy ( I-E ), and 5 mg (2 doses) stays.")
    assert out.summary.endswith("stop smoking cigarettes."), out.summary
    assert "I-E" not in texts(out)[1] and "5 mg (2 doses)" in texts(out)[1]
    # A stage or a type in brackets is not a grade.
    assert "stage (2A)." in page("Surgery is offered for cancer at stage (2A).").summary


def test_evidence_talk_and_set_phrases_are_said_in_everyday_words():
    out = page("Evidence remains insufficient for a recommendation regarding medical marijuana for the prevention "
               "of nausea in patients with cancer who receive chemotherapy.",
               "Current smokers should receive smoking cessation counseling.",
               "Thiazide diuretics are the first choice in young hypertensive patients.")
    summary, smokers, young = texts(out)
    assert summary.startswith("There is still not enough evidence to advise for or against medical marijuana to "
                              "prevent"), summary
    assert smokers.startswith("People who smoke should get counselling to stop smoking"), smokers
    assert "young people with high blood pressure" in young and "high blood pressure people" not in young


def test_a_conditions_abbreviation_before_a_group_of_people_becomes_people_with_it():
    out = page("Pneumonia is more frequent in COPD patients using inhaled steroids.",
               "ICU patients are checked daily.")
    summary, icu = texts(out)
    assert "in people with COPD using inhaled steroids" in summary and "COPD people" not in summary
    assert "people with ICU" not in icu  # a place, not a condition


def test_a_phrase_swap_never_stands_before_the_noun_it_modifies():
    out = page("Women with HIV should be managed within a multidisciplinary team framework.",
               "Care is led by a multidisciplinary team and reviewed weekly.")
    framework, team = texts(out)
    assert "specialists framework" not in framework and "multidisciplinary team framework" in framework
    assert "team of different specialists and reviewed weekly" in team
