"""The clinical-text kernel: sentences, stems, numbers with comparators, polarity, hyphen repair."""

from __future__ import annotations

import pytest

from medoracle.text import (
    Quantity,
    collapse_space,
    content_stems,
    directions,
    flipped_directions,
    has_negation,
    numbers_as_written,
    numbers_of,
    quantities,
    quoted_in,
    repair_hyphens,
    sentence_spans,
    singular,
    split_sentences,
    stem,
    word_count,
)


@pytest.mark.parametrize("text,expected", [
    # The case: three splitters gave 2, 3 and 4 sentences.
    ("Use a DOAC, e.g. Apixaban. Review at 3 mo. Stop if bleeding.",
     ["Use a DOAC, e.g. Apixaban.", "Review at 3 mo.", "Stop if bleeding."]),
    ("Give 2.5 mg daily, e.g. with food. Stop if rash.", ["Give 2.5 mg daily, e.g. with food.", "Stop if rash."]),
    ("Smith et al. showed benefit vs. placebo. Dr. Jones agreed.",
     ["Smith et al. showed benefit vs. placebo.", "Dr. Jones agreed."]),
    ("Dose is 0.5 mg/kg (max. 20 mg). Repeat in 6 h.\nNext line here.",
     ["Dose is 0.5 mg/kg (max. 20 mg).", "Repeat in 6 h.", "Next line here."]),
    ("Is it safe? Yes! It is.", ["Is it safe?", "Yes!", "It is."]),
    ("Give 8 Gy in a single fraction, e.g. For pain relief. Dr. Smith et al. Reported 2.5 mg vs. Placebo.",
     ["Give 8 Gy in a single fraction, e.g. For pain relief.", "Dr. Smith et al. Reported 2.5 mg vs. Placebo."]),
    # A grade in brackets after the full stop stays with its sentence.
    ("Offer apixaban. (Grade 1A) Review yearly.", ["Offer apixaban. (Grade 1A)", "Review yearly."]),
    ("Offer apixaban. [B] Review yearly.", ["Offer apixaban. [B]", "Review yearly."]),
    ("Offer X (Strong recommendation; moderate-quality evidence). Then Y.",
     ["Offer X (Strong recommendation; moderate-quality evidence).", "Then Y."]),
    # An ordinary bracket after a full stop starts the next sentence.
    ("Offer apixaban. (This applies to adults.) Review.", ["Offer apixaban.", "(This applies to adults.)", "Review."]),
    # "vitamin D." ends a sentence; "Michael J. Fox" is an initial; "Fig. 2" and "No. 3" go on.
    ("Recommendation Grade B. Offer it.", ["Recommendation Grade B.", "Offer it."]),
    ("Offer vitamin D. Check calcium. Michael J. Fox agreed. See Fig. 2 and table No. 3 for doses.",
     ["Offer vitamin D.", "Check calcium.", "Michael J. Fox agreed.", "See Fig. 2 and table No. 3 for doses."]),
    # Hard-wrapped lines join; blank lines and list items break.
    ("Febrile neutropenia is an\nemergency. Treat at once.\n\nSecond paragraph\n- a list item\n- another",
     ["Febrile neutropenia is an emergency.", "Treat at once.", "Second paragraph", "- a list item", "- another"]),
    ("Adults aged 65 or over. the rest", ["Adults aged 65 or over. the rest"]),
    ("", []),
])
def test_sentences(text, expected):
    assert split_sentences(text) == expected


def test_spans_point_into_the_text_and_are_ordered():
    text = "  Offer it.  Review at 3 mo.\n\n- item.  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["Offer it.", "Review at 3 mo.", "- item."]
    assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))


def test_hyphen_repair_keeps_suspended_hyphens():
    assert repair_hyphens("first-\nline") == "first-line"
    assert repair_hyphens("low- dose aspirin, self- limiting") == "low-dose aspirin, self-limiting"
    assert repair_hyphens("NT-\nproBNP and COVID-\n19") == "NT-proBNP and COVID-19"
    assert repair_hyphens("thalidomide- or lenalidomide-based; pre- and post-operative") == \
        "thalidomide- or lenalidomide-based; pre- and post-operative"
    assert collapse_space("beta-\n  blocker  first") == "beta-blocker first"


def test_stems_merge_what_they_should_and_only_that():
    assert stem("metastatic") == stem("metastases") == stem("metastasis")
    assert stem("irradiated") == stem("irradiation")
    assert stem("haemorrhage") == stem("hemorrhage")
    assert stem("hypertension") != stem("hypertrophy")
    assert content_stems("has it already been treated") == content_stems("treated")
    assert singular("metastases") == singular("metastasis") and singular("therapies") == "therapy"
    assert singular("infections") == "infection" and singular("virus") == "virus"
    # a card for "pregnant women" or "children" must meet a question about a pregnant woman or a child
    assert stem("women") == stem("woman") and stem("children") == stem("child") and stem("men") == stem("man")
    assert singular("Women") == "woman" and singular("children") == "child"
    # a doubled consonant before -ing/-ed/-al is one: "stopping smoking" is "stop smoking", "referred" a referral
    assert stem("stopping") == stem("stop") and stem("referred") == stem("referral") == stem("refer")
    assert stem("swelling") == stem("swell") != "swel"


def test_quotation_and_word_count():
    assert quoted_in("offer apixaban", "Offer  Apixaban, then review.")
    assert not quoted_in("offer rivaroxaban", "Offer apixaban.") and not quoted_in("", "x")
    assert not quoted_in("Treat when SBP is ≤ 140 mmHg.", "Treat when SBP is ≥ 140 mmHg.")
    assert quoted_in("SBP is ≥140 mmHg", "Treat when SBP is ≥ 140 mmHg.")
    assert word_count("Give 8 Gy first-line, 2 mg/kg.") == 6


@pytest.mark.parametrize("text,expected", [
    ("Treat when SBP is ≤ 140 mmHg", [Quantity("140", "mmhg", "≤")]),
    ("SBP >= 140 mmHg", [Quantity("140", "mmhg", "≥")]),
    ("adults over 80", [Quantity("80", None, ">")]),
    ("adults under 80 years", [Quantity("80", "y", "<")]),
    ("for at least 2 weeks", [Quantity("2", "wk", "≥")]),
    ("no more than 4 g a day", [Quantity("4", "g", "≤")]),
    ("up to 3 doses", [Quantity("3", "dose", "≤")]),
    ("people aged 80 years or over", [Quantity("80", "y", "≥")]),
    ("adults over 80 or under 18", [Quantity("80", None, ">"), Quantity("18", None, "<")]),
    ("10–20 mg", [Quantity("10", "mg", None, "20")]),
    ("between 10 and 20 mg", [Quantity("10", "mg", None, "20")]),
    ("1,000 units and 2.50 mg", [Quantity("1000", "unit"), Quantity("2.5", "mg")]),
    ("p<0.05", [Quantity("0.05", None, "<")]),
    ("140/90 mmHg", [Quantity("140/90", "mmhg")]),
    ("type 2 diabetes", [Quantity("2")]),
])
def test_quantities(text, expected):
    assert quantities(text) == expected


def test_numbers_of_and_as_written():
    assert numbers_of("8 Gy in 1 fraction, 16 mg, 1,000 units, 24 hours, 50%") >= {
        ("8", "gy"), ("16", "mg"), ("1000", "unit"), ("24", "h"), ("50", "%")}
    assert numbers_as_written("Give ≥ 50% or 24 Gy, 10–20 mg") == ["≥ 50%", "24 Gy", "10–20 mg"]
    assert str(quantities("at least 2 weeks")[0]) == "≥ 2 wk"


def test_negation_reads_cues_but_not_comparators():
    assert has_negation("Do not offer") and has_negation("Don't offer") and has_negation("without food")
    assert not has_negation("Offer now") and not has_negation("Give no more than 4 g a day")


def test_directions_and_flips():
    assert ("amount", 0) in directions("Increase the dose") and ("amount", 1) in directions("reduce the dose")
    assert flipped_directions("decrease the dose", "Increase the dose") == ["amount"]
    assert flipped_directions("take it after food", "take it before food") == ["time"]
    assert flipped_directions("give without food", "give with food") == ["presence"]
    assert flipped_directions("lower the dose", "reduce the dose") == []
    # A direction the source does not mention is not a flip (coverage judges it), and comparators are numbers'.
    assert flipped_directions("increase the dose", "Give the dose") == []
    assert directions("adults over 80") == frozenset()


def test_doses_are_numbers_with_a_dose_unit():
    from medoracle.text import has_dose

    assert has_dose("Give dexamethasone 16 mg daily") and has_dose("8 Gy in one fraction") and has_dose("5000 units")
    assert not has_dose("Review at 6 weeks") and not has_dose("in 80% of people") and not has_dose("type 2 diabetes")


def test_laboratory_units_are_read_whole():
    assert quantities("between 400 and 2,000 ng/litre") == [Quantity("400", "ng/l", None, "2000")]
    assert quantities("eGFR below 30 mL/min/1.73 m2") == [Quantity("30", "ml/min/1.73m2", "<")]
