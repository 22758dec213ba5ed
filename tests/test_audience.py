"""audience: the same statements for clinician, student and patient; numbers and citations never lost."""

from __future__ import annotations

import re

import pytest

from medoracle.audience import (
    CARE_TEAM_NOTE,
    EDITORIAL_LABEL,
    answer_text,
    load_glossary,
    numbers_in,
    readability,
    split_long_sentence,
    tailor,
)
from medoracle.errors import BadInput
from medoracle.render import to_json
from medoracle.splitting import FINITE_VERB, has_finite_verb
from medoracle.types import Answer, Audience, Reference, Section, Statement


def clinical_answer() -> Answer:
    """A realistic clinician answer about spinal metastases (wording ours, facts as the cited bodies state them)."""
    answer = _clinical_answer()
    for i, st in enumerate(answer.statements()):
        st.passage_ids = [f"doc-{st.citations[0]}#{i}"]
    return answer


def _clinical_answer() -> Answer:
    return Answer(
        question="What are the management options for spinal metastasis?",
        summary=("External beam radiotherapy is the first-line treatment for painful spinal metastases, and "
                 "treatment selection depends on the estimated survival, spinal stability and neurological "
                 "status of the patient."),
        summary_citations=[1],
        sections=[
            Section(key="red_flags", title="Red flags", statements=[
                Statement(text="Patients with cancer who develop progressive neurological symptoms such as "
                               "limb weakness, sensory disturbance or sphincter dysfunction require an MRI of "
                               "the whole spine within 24 hours.", citations=[2])]),
            Section(key="assessment", title="Assessment and diagnosis", statements=[
                Statement(text="Magnetic resonance imaging of the whole spine is the investigation of choice, "
                               "because computed tomography underestimates epidural disease.", citations=[2])]),
            Section(key="first_line", title="First-line treatment", statements=[
                Statement(text="A single fraction of 8 Gy provides analgesia equivalent to multiple fractions "
                               "in patients with bone metastases; retreatment is more frequent after a single "
                               "fraction.", citations=[1], grade="Grade 1A"),
                Statement(text="SBRT delivering 24 Gy in 2 fractions achieved a higher complete pain response "
                               "than conventional radiotherapy (35% vs 14%), and SBRT is increasingly used for "
                               "oligometastatic disease.", citations=[3]),
                Statement(text="Complete pain response rates after conventional palliative radiotherapy are "
                               "limited to 10–20%.", citations=[3])]),
            Section(key="surgery", title="Surgery and procedures", statements=[
                Statement(text="Prophylactic surgical fixation should be considered for lytic lesions "
                               "involving ≥ 50% of the cortex in weight-bearing bones when the expected "
                               "survival exceeds 4 weeks, which reduces the risk of pathological fracture.",
                          citations=[1, 4]),
                Statement(text="Vertebral augmentation with kyphoplasty improves back-specific functional "
                               "status in patients with painful vertebral compression fractures, but it is "
                               "contraindicated in patients with epidural compression of the spinal cord.",
                          citations=[4])]),
            Section(key="complications", title="Complications and monitoring", statements=[
                Statement(text="Vertebral compression fracture occurs in a minority of patients after SBRT, "
                               "and radiation myelopathy is rare when dose constraints are respected.",
                          citations=[3])]),
        ],
        references=[Reference(n=i, doc_id=f"doc-{i}", title=f"Source {i}") for i in range(1, 5)],
    )


def kept_pairs(original: Answer, tailored: Answer) -> list[tuple[Statement, Statement]]:
    """Each tailored statement with the original it came from (the patient page may leave some out)."""
    pairs, rest = [], iter(original.statements())
    for new in tailored.statements():
        orig = next(o for o in rest if o.passage_ids == new.passage_ids and o.citations == new.citations)
        pairs.append((orig, new))
    return pairs


def test_glossary_has_hundreds_of_terms_each_explained():
    g = load_glossary()
    medical = [e for e in g.entries if e.kind in ("term", "abbr", "unit")]
    assert len(medical) >= 300
    assert all(e.definition or e.plain for e in medical)


@pytest.mark.parametrize("term,plain", [
    ("myocardial infarction", "heart attack"),
    ("metastases", "cancers that have spread"),
    ("analgesia", "pain relief"),
    ("hypertension", "high blood pressure"),
])
def test_patient_mode_replaces_terms_from_glossary(term, plain):
    a = Answer(question="q", sections=[Section(key="first_line", title="t", statements=[
        Statement(text=f"Treatment of {term} is described by the guideline.", citations=[1])])],
               references=[Reference(n=1, doc_id="d")])
    text = tailor(a, Audience.patient).sections[0].statements[0].text
    assert plain in text and term not in text.lower()


def test_patient_mode_explains_a_kept_term_once():
    a = Answer(question="q", sections=[Section(key="first_line", title="t", statements=[
        Statement(text="Radiotherapy relieves pain.", citations=[1]),
        Statement(text="Radiotherapy can be repeated.", citations=[1])])], references=[Reference(n=1, doc_id="d")])
    out = tailor(a, "patient")
    texts = [s.text for s in out.statements()]
    assert texts[0].startswith("Radiotherapy relieves pain.") and "(Radiotherapy: treatment with" in texts[0]
    assert texts[1] == "Radiotherapy can be repeated."


def test_indefinite_article_follows_the_replacement():
    a = Answer(question="q", sections=[Section(key="x", title="t", statements=[
        Statement(text="An analgesic should be offered.", citations=[1])])], references=[Reference(n=1, doc_id="d")])
    assert tailor(a, "patient").statements()[0].text.startswith("A painkiller should be offered.")


@pytest.mark.parametrize("text,numbers", [
    ("A single fraction of 8 Gy relieves bone pain.", ["8 Gy"]),
    ("SBRT gives 24 Gy in 2 fractions to the spinal metastases.", ["24 Gy", "2"]),
    ("Complete response after conventional radiotherapy is 10–20%.", ["10–20%"]),
    ("Fixation is advised for lytic lesions involving ≥ 50% of the cortex.", ["≥ 50%"]),
    ("Blood pressure of 180/120 mmHg or higher in hypertension needs same-day review.", ["180/120 mmHg"]),
])
@pytest.mark.parametrize("audience", ["student", "patient"])
def test_numbers_are_kept_exactly(text, numbers, audience):
    assert all(n in numbers_in(text) for n in numbers)
    a = Answer(question="q", sections=[Section(key="first_line", title="t", statements=[
        Statement(text=text, citations=[1])])], references=[Reference(n=1, doc_id="d")])
    out = tailor(a, audience).statements()[0].text
    for n in numbers:
        assert n in out


def test_statement_that_would_lose_a_number_keeps_its_original_wording(tmp_path):
    # A glossary whose replacement would swallow the "2" of "type 2 diabetes".
    path = tmp_path / "g.tsv"
    path.write_text("type 2 diabetes\tterm\t1\tdiabetes\tlong-term high blood sugar\n"
                    "patients\tplain\t1\tpeople\t\n", encoding="utf-8")
    g = load_glossary(str(path))
    original = "Metformin is first-line for patients with type 2 diabetes."
    a = Answer(question="q", sections=[Section(key="first_line", title="t", statements=[
        Statement(text=original, citations=[1])])], references=[Reference(n=1, doc_id="d")])
    assert tailor(a, "patient", glossary=g).statements()[0].text == original


def test_student_mode_spells_out_abbreviations_on_first_use_only():
    out = tailor(clinical_answer(), "student")
    texts = [s.text for s in out.statements()]
    joined = " ".join(texts)
    assert "SBRT (stereotactic body radiotherapy) delivering 24 Gy in 2 fractions" in joined
    assert joined.count("(stereotactic body radiotherapy)") == 1
    assert "MRI (magnetic resonance imaging)" in joined
    # Technical words get a short inline definition; statements keep their order and citations.
    assert "kyphoplasty (a procedure that props up" in joined
    assert [s.citations for s in out.statements()] == [s.citations for s in clinical_answer().statements()]


def test_clinician_answer_is_unchanged_byte_for_byte():
    a = clinical_answer()
    assert to_json(tailor(a, "clinician")) == to_json(a)
    import json
    assert json.dumps(to_json(tailor(a, Audience.clinician))) == json.dumps(to_json(a))


def test_patient_mode_is_easier_to_read_and_keeps_citations_and_numbers():
    a = clinical_answer()
    p = tailor(a, "patient")
    before, after = readability(answer_text(a)), readability(answer_text(p))
    assert after.fk_grade < before.fk_grade
    assert after.long_sentence_share < before.long_sentence_share
    for orig, new in kept_pairs(a, p):
        assert new.citations == orig.citations and new.citations
        assert all(n in new.text for n in numbers_in(orig.text))
    assert p.summary_citations == a.summary_citations
    assert p.audience is Audience.patient


def test_patient_mode_red_flags_titles_and_care_team_reminder():
    p = tailor(clinical_answer(), "patient")
    red = p.sections[0]
    assert red.title == "When to get help urgently"
    assert red.statements[0].text.startswith("Seek urgent care if")
    assert "within 24 hours" in red.statements[0].text
    assert [s.title for s in p.sections[1:3]] == ["How it is diagnosed", "Main treatment"]
    # The reminder is a note, never a cited statement.
    assert CARE_TEAM_NOTE in p.notes
    assert all("care team" not in s.text for s in p.statements())


def test_long_sentences_split_at_safe_joints_only():
    s = ("A single fraction of 8 Gy provides pain relief equal to several fractions in people with bone "
         "metastases; retreatment is more frequent after a single fraction of radiotherapy.")
    parts = split_long_sentence(s)
    assert len(parts) == 2 and parts[1].startswith("Retreatment")
    assert " ".join(parts).replace(".", "").replace(";", "") .lower().split() == \
        s.replace(".", "").replace(";", "").lower().split()
    # A list joined by ", and" is not split.
    listy = ("Warning symptoms include new back pain, pain between the shoulder blades, numbness in the legs, "
             "and difficulty walking or passing urine in people with a known cancer.")
    assert split_long_sentence(listy) == [listy]
    # An opening phrase is never cut off from its main clause.
    opener = ("In people with bone metastases from breast cancer, which are common in advanced disease and cause "
              "pain, the guideline advises a bone-targeted agent to lower skeletal-related events over time.")
    assert split_long_sentence(opener, 18) == [
        "This is about people with bone metastases from breast cancer, which are common in advanced disease and "
        "cause pain.",
        "The guideline advises a bone-targeted agent to lower skeletal-related events over time."]


def test_shared_abbreviation_spelled_out_only_in_its_own_sense():
    def one(question: str, text: str) -> str:
        a = Answer(question=question, sections=[Section(key="x", title="t", statements=[
            Statement(text=text, citations=[1])])], references=[Reference(n=1, doc_id="d")])
        return tailor(a, "student").statements()[0].text
    g = load_glossary()
    if "TLS" not in g.abbrs:
        pytest.skip("shared abbreviation table not installed")
    assert "(tumour lysis syndrome)" in one("How is tumour lysis syndrome prevented?",
                                             "People at high risk of TLS should receive rasburicase.")
    assert one("How is spine trauma imaged?", "People with TLS tenderness should have a scan.") == \
        "People with TLS tenderness should have a scan."


def test_readability_measures_grade_and_long_sentences():
    easy = readability("Take one pill a day. Call us if you feel sick.")
    hard = readability("Pharmacological antihypertensive monotherapy necessitates individualised titration "
                       "considering comorbidities, contraindications, and anticipated adverse events in "
                       "elderly populations with cardiovascular disease and chronic kidney disease, particularly when "
                       "polypharmacy complicates adherence.")
    assert easy.sentences == 2 and easy.long_sentence_share == 0
    assert hard.long_sentence_share == 1.0
    assert easy.fk_grade < 5 < hard.fk_grade
    assert readability("").sentences == 0


def test_abstention_and_bad_audience():
    a = Answer(question="capital of France?", abstained=True, abstain_reason="not medical")
    assert tailor(a, "patient").abstained and tailor(a, "patient").abstain_reason == "not medical"
    with pytest.raises(BadInput, match="unknown audience 'doctor'"):
        tailor(clinical_answer(), "doctor")


def one_statement(text: str, question: str = "q", key: str = "first_line") -> Answer:
    return Answer(question=question, sections=[Section(key=key, title="t", statements=[
        Statement(text=text, citations=[1], passage_ids=["d#0"])])], references=[Reference(n=1, doc_id="d")])


@pytest.mark.parametrize("sentence,parts", [
    # a condition becomes its own sentence that still names itself a condition
    ("In adults under 80 with stage 1 hypertension, drug treatment should be discussed when they have organ "
     "damage, kidney disease or diabetes.",
     ["In adults under 80 with stage 1 hypertension, drug treatment should be discussed.",
      "This applies when they have organ damage, kidney disease or diabetes."]),
    # "unless" keeps its sense
    ("Dexamethasone should be given to every adult with suspected spinal cord compression and neurological signs, "
     "unless steroids are not advised for them.",
     ["Dexamethasone should be given to every adult with suspected spinal cord compression and neurological signs.",
      "This does not apply if steroids are not advised for them."]),
    # a long opening population becomes a sentence of its own
    ("For adults with acute leukaemia, stem cell transplants or solid tumours in whom neutropenia is expected, NICE "
     "advises fluoroquinolone prophylaxis during the expected period.",
     ["This is for adults with acute leukaemia, stem cell transplants or solid tumours in whom neutropenia is "
      "expected.", "NICE advises fluoroquinolone prophylaxis during the expected period."]),
    # an 'include' list of short items is shared over two sentences
    ("Risks of long-term transfusion in people with cancer include febrile reactions, allergic reactions, "
     "haemolytic reactions, and volume overload.",
     ["Risks of long-term transfusion in people with cancer include febrile reactions and allergic reactions.",
      "They also include haemolytic reactions and volume overload."]),
])
def test_new_joints_keep_every_word_and_the_sense(sentence, parts):
    assert split_long_sentence(sentence, 12) == parts


@pytest.mark.parametrize("sentence", [
    # a condition of one list item must not become a condition of the whole sentence
    "NICE advises labetalol first, nifedipine if labetalol is unsuitable, and methyldopa if neither is suitable.",
    # "to use if …, or …": the alternative belongs to the first part
    "NICE advises either a back-up antibiotic prescription, to use if symptoms do not improve within 48 hours, or "
    "an immediate prescription.",
    # a subordinate clause is not a sentence
    "After surgery, if enough tumour is removed next to the spinal cord, so creating a gap, radiotherapy may be "
    "considered for the remaining disease.",
    # ", and certainly within 4 hours" has no verb of its own
    "Offer antibiotic treatment as soon as possible after diagnosis, and certainly within 4 hours to all people "
    "admitted to hospital.",
])
def test_unsafe_joints_are_left_alone(sentence):
    for part in split_long_sentence(sentence, 10):
        assert not part.startswith(("This applies", "So ", "Certainly"))


def test_patient_page_leaves_out_technical_statements_but_keeps_each_section_lead():
    a = clinical_answer()
    p = tailor(a, "patient")
    texts = " ".join(s.text for s in p.statements())
    # the trial result ("35% vs 14%") is a detail for clinicians; the section's lead stays
    assert "35%" not in texts and "8 Gy" in texts
    assert [bool(s.statements) for s in p.sections] == [True] * len(a.sections)
    assert any("left out" in n and "version for doctors" in n for n in p.notes)
    # the main treatment and the urgent signs keep their first statement even when every one is technical …
    for key in ("first_line", "red_flags"):
        only = one_statement("A randomised trial showed 35% vs 14% complete response.", key=key)
        kept = tailor(only, "patient").statements()
        assert len(kept) == 1 and "35%" in kept[0].text and "14%" in kept[0].text
    # … any other section of evidence talk alone is left out, and the page says details were
    other = one_statement("While the direct evidence from adjuvant trials is considered sufficient only for "
                          "zoledronic acid, others have hypothesised that any such agent may be effective.",
                          key="complications")
    page = tailor(other, "patient")
    assert not page.sections and any("left out" in n for n in page.notes)


def test_no_omission_note_when_nothing_is_left_out():
    p = tailor(one_statement("Radiotherapy relieves pain from bone metastases."), "patient")
    assert not any("left out" in n for n in p.notes)


def test_abbreviation_naming_a_noun_is_kept_and_explained():
    out = tailor(one_statement("Refer urgently to the MSCC coordinator the same day.",
                               "metastatic spinal cord compression"), "patient").statements()[0].text
    assert "MSCC coordinator" in out and "cancer pressing on the spinal cord coordinator" not in out
    assert "(MSCC: cancer pressing on the spinal cord.)" in out


def test_organisation_names_keep_their_capitals():
    student = tailor(one_statement("ASCO advises an oral fluoroquinolone for low-risk adults."), "student")
    assert "ASCO (American Society of Clinical Oncology)" in student.statements()[0].text
    patient = tailor(one_statement("NICE advises offering antibiotics within 1 hour."), "patient")
    text = patient.statements()[0].text
    assert text.startswith("NICE says to offer antibiotics within 1 hour.")
    assert "national institute" not in text.lower() or "National Institute" in text


def test_meaning_changing_swaps_do_not_happen():
    def patient(text: str) -> str:
        return tailor(one_statement(text), "patient").statements()[0].text
    assert "multiple sclerosis" in patient("Alemtuzumab is an option for active multiple sclerosis.")
    assert "cystic fibrosis" in patient("People with cystic fibrosis need a suitable antibiotic.")
    assert "Frequent handwashing" in patient("Frequent handwashing reduces the risk of infection.")
    assert "decision-making" in patient("Shared decision-making is advised before dialysis starts.")
    assert "strong strong" not in patient("Switch to an alternative strong opioid when pain is uncontrolled.")
    assert "treatment treatment" not in patient("A contraindication to anticoagulation therapy rules out a filter.")


@pytest.mark.parametrize("audience", ["clinician", "student", "patient"])
def test_no_pipe_ever_reaches_the_reader(audience, tmp_path):
    # a glossary row listing alternatives ("a|b") must show one of them, never the pipe
    path = tmp_path / "g.tsv"
    path.write_text("SBRT\tabbr\t2\tstereotactic body radiotherapy|stereotactic body radiation therapy\t"
                    "very precise radiotherapy|precise radiation\n", encoding="utf-8")
    g = load_glossary(str(path))
    a = one_statement("SBRT delivering 24 Gy in 2 fractions relieves pain.")
    assert "|" not in answer_text(tailor(a, audience, glossary=g))
    for aud in ("student", "patient"):
        assert "|" not in answer_text(tailor(clinical_answer(), aud))


def test_patient_wording_keeps_numbers_and_citations_through_every_new_rule():
    texts = [
        "For adults with atrial fibrillation and a CHA2DS2-VASc score of 2 or more, NICE advises offering "
        "apixaban 5 mg twice daily unless the eGFR is below 15 ml/min.",
        "The fourth drug is chosen by potassium: spironolactone if potassium is 4.5 mmol/l or less, or a "
        "beta-blocker if it is above 4.5 mmol/l.",
        "Risks include fever, rash, low platelets, and bleeding within 24 hours of the 2 doses.",
    ]
    for text in texts:
        a = one_statement(text)
        out = tailor(a, "patient").statements()
        assert out and out[0].citations == [1]
        assert all(n in out[0].text for n in numbers_in(text)), out[0].text


# ---------------------------------------------------------------- walkthrough regressions (spinal metastasis answer)


def patient_text(text: str) -> str:
    return tailor(one_statement(text), "patient").statements()[0].text


def without_glosses(text: str) -> str:
    return re.sub(r"\s*\([^()]*: [^()]*\.\)", "", text)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


def bracket_depth(text: str) -> int:
    depth = deepest = 0
    for c in text:
        depth += (c == "(") - (c == ")")
        deepest = max(deepest, depth)
    return deepest


REPEAT = re.compile(r"\b(\w{3,})[ -](?:\w+ )?\1\b", re.I)  # "team team", "team-based team"


def test_a_swap_never_says_a_word_twice(tmp_path):
    t = patient_text("Spinal metastases are best managed by a multidisciplinary team that weighs prognosis.")
    assert "by a team of different specialists that weighs" in t and not REPEAT.search(t)
    # Whatever the glossary: a swap that would repeat the next word keeps the word and explains it.
    path = tmp_path / "g.tsv"
    path.write_text("multidisciplinary\tterm\t1\tteam-based\tinvolving professionals from different specialties\n",
                    encoding="utf-8")
    g = load_glossary(str(path))
    t = tailor(one_statement("A multidisciplinary team reviews every scan."), "patient",
               glossary=g).statements()[0].text
    assert t.startswith("A multidisciplinary team reviews every scan.")
    assert "(Multidisciplinary: involving professionals" in t and not REPEAT.search(t)
    # ... but the same swap is used where it repeats nothing.
    t = tailor(one_statement("Care is multidisciplinary."), "patient", glossary=g).statements()[0].text
    assert t == "Care is team-based."


def test_spine_regions_keep_their_anatomy_and_are_explained():
    t = patient_text("In people with cancer, spinal pain that should raise suspicion of spinal metastases includes "
                     "pain in the thoracic or cervical spine.")
    assert "in the thoracic or cervical spine" in t and "chest" not in without_glosses(t)
    assert "(Thoracic spine: the middle part of the backbone" in t
    assert "(Cervical spine: the neck part of the backbone" in t
    t = patient_text("Cervical cancer screening is offered every 3 years.")
    assert "neck" not in without_glosses(t) and "Cervical cancer" in t and "(Cervical cancer: cancer of the cervix" in t
    # The lower urinary tract is the bladder; "lower" + "bladder or kidney infection" named the wrong organ.
    t = patient_text("For non-pregnant women with lower urinary tract infection, NICE advises nitrofurantoin.")
    # The term itself is kept ("bladder infection" would narrow it: the urethra is part of it) and explained.
    assert "with lower urinary tract infection" in t and "kidney" not in t
    assert "(Lower urinary tract infection: an infection of the bladder and the tube" in t
    assert "with high blood pressure in the lungs" in patient_text("People with pulmonary hypertension need review.")


def test_glossary_swaps_name_the_same_part_of_the_body():
    g = load_glossary()
    # A region named only together with the next noun ("thoracic spine" is the mid-back, "thoracic surgery" the
    # chest; "cervical" is the neck or the cervix) is explained, never swapped.
    for word in ("thoracic", "cervical", "sacral", "intracranial", "thoracic spine", "cervical spine", "lumbar spine"):
        assert g.terms[word].plain == "", word
    for word, organ in {"renal": "kidney", "hepatic": "liver", "cardiac": "heart", "pulmonary": "lung",
                        "gastric": "stomach", "cerebral": "brain", "lumbar": "lower back"}.items():
        assert g.terms[word].plain == organ
    # Where the word-by-word swap would be wrong ("lung high blood pressure", "heart arrest", "cancerous high
    # blood pressure", "whole-body embolism"), the phrase has a row of its own.
    for phrase in ("pulmonary hypertension", "cardiac arrest", "cerebral palsy", "malignant hypertension",
                   "systemic embolism", "cervical cancer", "lower urinary tract infection",
                   "lower respiratory tract infection", "multidisciplinary team"):
        assert phrase in g.terms, phrase


@pytest.mark.parametrize("sentence", [
    # a colon before a list of findings: the list has no verb of its own
    "In an adult with acute severe asthma, any of the following marks a life-threatening attack needing emergency "
    "hospital care: peak flow below 33% of best or predicted, oxygen saturation below 92%, silent chest, cyanosis.",
    # an example of one item of a list after a colon
    "Nausea is prevented by matching prophylaxis to the emetic risk of the regimen: four drugs for high-risk regimens "
    "such as cisplatin, three for carboplatin AUC 4 or more.",
    # ", and longer for …, as NICE advises": the attribution's verb is not the fragment's
    "Adults whose depression has gone into remission on an antidepressant are usually advised to continue it for at "
    "least 6 months after remission to reduce the risk of relapse, and longer for people at higher risk of relapse, "
    "as NICE advises.",
    # a verb that shares the first part's subject
    "ASCO added the option of a 5 mg dose of olanzapine for adults having chemotherapy, and added olanzapine as an "
    "option around haematopoietic stem cell transplantation.",
    # an aside ("including spinal lesions,") after which the sentence goes on
    "A randomised phase II trial tested radiotherapy given before symptoms to high-risk asymptomatic bone metastases, "
    "including spinal lesions, against standard care, and reported fewer skeletal-related events.",
    # conditions of one item of a list
    "Patients with multiple myeloma receiving thalidomide-based regimens should be offered thromboprophylaxis with "
    "aspirin or low-molecular-weight heparin if at lower risk, and low-molecular-weight heparin if at higher risk.",
])
def test_a_split_never_leaves_a_fragment(sentence):
    assert split_long_sentence(sentence, 15) == [sentence]


def test_a_list_after_a_colon_becomes_a_sentence_with_a_verb():
    s = ("Bone metastases cause pain and skeletal-related events: pathological fracture, spinal cord compression, the "
         "need for radiotherapy or surgery to bone, and hypercalcaemia.")
    assert split_long_sentence(s, 15) == [
        "Bone metastases cause pain and skeletal-related events.",
        "These are pathological fracture, spinal cord compression, the need for radiotherapy or surgery to bone, and "
        "hypercalcaemia."]


def test_a_colon_after_including_or_a_pointer_is_not_a_sentence_joint():
    s = ("Monitor for other common complications of chronic kidney disease including: anaemia, electrolyte "
         "abnormalities, abnormal fluid balance, mineral bone disease and malnutrition.")
    assert split_long_sentence(s, 15) == [s]
    s = ("For more information about side effects of treatment, refer to the full version of the guideline on "
         "pharmacological treatment.")
    assert not split_long_sentence(s, 12)[0].startswith("This is for more information")


@pytest.mark.parametrize("text,wanted,unwanted", [
    # "progressive exercise" builds up; it does not get worse
    ("Mobilisation combined with an individualised, progressive submaximal exercise programme is advised.",
     "a personalised, progressive submaximal exercise programme", "worsening"),
    ("Progressive neurological symptoms need an MRI within 24 hours.", "Worsening nerve and brain symptoms", ""),
    # a phrase swap used before a noun
    ("Avoid nephrotoxic medicines to prevent worsening kidney function.", "Avoid kidney-damaging medicines", ""),
    ("The tool is meant for previously untreated postmenopausal women.", "for untreated postmenopausal women", ""),
    ("Temporomandibular disorder has been the commonest contraindication for oral appliances.",
     "the most common contraindication for oral appliances", "reason not to use it for"),
    # "advises checking X and estimating Y": both gerunds keep their form
    ("NICE advises checking for target organ damage and estimating 10-year cardiovascular risk with QRISK.",
     "advises checking for organ damage from high blood pressure and estimating 10-year", "says to check"),
])
def test_swaps_that_read_wrongly_in_a_phrase_are_not_made(text, wanted, unwanted):
    t = patient_text(text)
    assert wanted in t, t
    assert not unwanted or unwanted not in t


def test_a_split_leaves_two_sentences_each_with_its_own_verb():
    # The walkthrough's red flag: "This is about people with cancer, spinal pain … includes pain in the chest or
    # cervical spine. Worsening or severe unremitting lower back pain, …" ("lower" was taken for a verb).
    t = patient_text("In people with cancer, spinal pain that should raise suspicion of spinal metastases includes "
                     "pain in the thoracic or cervical spine, progressive or severe unremitting lumbar pain, pain "
                     "made worse by straining (coughing, sneezing, passing stool), localised spinal tenderness, "
                     "and night pain that prevents sleep.")
    assert not re.search(r"\. Worsening", t) and "lower back pain" in t
    assert all(has_finite_verb(s) for s in sentences(without_glosses(t)))
    # "…, and advises against adding …" became "Says not to add …" with no subject.
    t = patient_text("For suspected neutropenic sepsis, NICE recommends piperacillin with tazobactam as initial "
                     "empirical therapy, and advises against adding an aminoglycoside to initial empirical treatment.")
    assert "Says" not in t and all(has_finite_verb(s) for s in sentences(without_glosses(t)))
    assert has_finite_verb("This is for adults with cancer.") and has_finite_verb("These include fever and chills.")
    for fragment in ("Worsening or severe unremitting lower back pain, localised spinal tenderness.",
                     "Longer for people at higher risk of relapse, as NICE advises.",
                     "Drugs such as those that lower blood pressure in people who have diabetes.",
                     "The need for radiotherapy or surgery to bone."):
        assert not has_finite_verb(fragment), fragment


def test_unless_contraindicated_keeps_its_meaning():
    t = patient_text("Suspected metastatic spinal cord compression is an oncological emergency: refer immediately, "
                     "start "
                     "dexamethasone unless contraindicated, and obtain whole-spine MRI within 24 hours when "
                     "neurological symptoms or signs are present.")
    assert "start dexamethasone unless there is a medical reason not to, and get whole-spine MRI" in t
    assert "not advised" not in t and "This does not apply" not in t and "This applies" not in t
    assert "within 24 hours" in t
    t = patient_text("NICE advises oral corticosteroids, normally prednisolone 30 mg daily for 5 days, unless "
                     "contraindicated.")
    assert t.startswith("NICE advises oral steroids, normally prednisolone 30 mg daily for 5 days, unless there is a "
                        "medical reason not to.")


def test_student_brackets_never_nest_or_stack():
    texts = ["Spinal metastases can cause compression of the spinal cord (MSCC), an emergency.",
             "People with cancer and these pain features need urgent specialist (MSCC team) discussion.",
             "Suspected metastatic spinal cord compression (MSCC) needs referral the same day.",
             "Febrile neutropenia (neutropenic sepsis) is a medical emergency.",
             "GOLD advises a bronchodilator for group A (few symptoms and no exacerbations).",
             "Radiotherapy (often a single 8 Gy fraction) relieves pain.",
             "The ATS/IDSA guideline and BTS/NICE/SIGN advise this."]
    a = Answer(question="q", sections=[Section(key="x", title="t", statements=[
        Statement(text=t, citations=[1], passage_ids=[f"d#{i}"]) for i, t in enumerate(texts)])],
        references=[Reference(n=1, doc_id="d")])
    out = [s.text for s in tailor(a, "student").statements()]
    assert all(bracket_depth(t) <= 1 and ") (" not in t for t in out), out
    assert "(MSCC (" not in " ".join(out)
    # The source spells MSCC out: it is not spelled out a second time.
    assert out[2].count("metastatic spinal cord compression") == 1
    # Outside brackets the usual explanations still come.
    assert out[4].startswith("GOLD (Global Initiative") and "bronchodilator (a medicine that opens" in out[4]
    assert "8 Gy" in out[5]
    # A bracket after "ATS/IDSA" would name one body as if it were both.
    assert out[6] == texts[6]


def test_names_and_mixed_case_abbreviations_are_kept_as_written():
    t = patient_text("In severe hypercalcaemia of malignancy, the Endocrine Society suggests starting calcitonin.")
    assert "the Endocrine Society says to start calcitonin" in t and "Hormone" not in t
    t = patient_text("Nitrofurantoin is advised when eGFR is 45 ml/minute or more.")
    assert "(eGFR: " in t and "(EGFR" not in t


def kb_sentences() -> list[str]:
    from medoracle.kb import card_paths, read_front_matter

    out = []
    for path in card_paths():
        for para in re.split(r"\n\s*\n", read_front_matter(path)[1]):
            if para.strip() and not para.startswith("#"):
                out += sentences(" ".join(line.strip("-* ") for line in para.splitlines()))
    return out


def test_whole_knowledge_base_tailors_without_the_walkthrough_errors():
    """Every sentence of the bundled knowledge base, as a patient and a student would read it."""
    found = kb_sentences()
    assert len(found) > 300
    problems = []
    for s in found:
        patient = tailor(one_statement(s), "patient").statements()
        student = tailor(one_statement(s), "student").statements()[0].text
        if patient:
            t = without_glosses(patient[0].text)
            repeats = [w for w in REPEAT.findall(t.replace("from time to time", "")) if w.lower() != "and" and not
                       re.search(rf"\b{w}[ -](?:\w+ )?{w}\b", s, re.I)]  # "from time to time" is one idiom
            lost = [w for w in ("thoracic", "cervical", "sacral") if w in s.lower() and w not in t.lower()]
            orphan = [p for p in sentences(t)[1:] if p not in s and re.match(r"(?:[A-Z][a-z]+(?:s|ed))\b", p)
                      and FINITE_VERB.fullmatch(p.split()[0].lower())]
            # (a grade label such as "(1A)" is editorial: left out, its digit not a clinical number)
            said = EDITORIAL_LABEL.sub("", s)
            if repeats or lost or orphan or "if not advised" in t or not all(n in t for n in numbers_in(said)):
                problems.append((s, patient[0].text))
        if bracket_depth(student) > max(1, bracket_depth(s)) or student.count(") (") > s.count(") ("):
            problems.append((s, student))
    assert not problems, problems[:5]


def test_two_words_with_one_meaning_are_explained_once():
    a = Answer(question="q", sections=[Section(key="first_line", title="t", statements=[
        Statement(text="Radiotherapy relieves bone pain.", citations=[1]),
        Statement(text="Radiation therapy can be repeated.", citations=[1])])], references=[Reference(n=1, doc_id="d")])
    texts = [s.text for s in tailor(a, "patient").statements()]
    assert "(Radiotherapy: treatment with" in texts[0]
    assert texts[1] == "Radiation therapy can be repeated."


def test_study_design_label_is_left_out_for_the_patient_only():
    text = ("Pregabalin relieves nerve pain in more people than a dummy pill (Design: Meta-analysis of randomized "
            "trials).")
    assert "Design:" not in patient_text(text) and "randomized" not in patient_text(text)
    assert tailor(one_statement(text), "clinician").statements()[0].text == text
    # a label holding a number is kept: the number must survive
    assert "2 Class II studies" in patient_text("TENS should be considered for painful neuropathy (Level B, 2 Class II "
                                                "studies).")


@pytest.mark.parametrize("text,wanted,unwanted", [
    ("Prompt radiotherapy is advised for lung cancer patients who are not symptomatic.",
     "for people with lung cancer who have no symptoms", "lung people"),
    ("Do not offer cryotherapy other than in the context of controlled clinical trials.", "except in controlled", ""),
    ("Offer planned techniques that improve the dose to the tumour while minimising the risks of tissue damage.",
     "while lowering the risks", "minimising"),
    ("Oral appliances are an option for obstructive sleep apnoea.",
     "(Oral appliances: devices worn in the mouth during sleep.)", "taken by mouth"),
    ("Offer pulmonary rehabilitation when breathlessness interferes with daily activities.",
     "gets in the way of daily activities", ""),
])
def test_phrase_swaps_read_as_plain_english(text, wanted, unwanted):
    t = patient_text(text)
    assert wanted in t, t
    assert not unwanted or unwanted not in t
