"""Evidence grades as printed in real guidelines (label formats seen in the NGC guideline summaries and in
ACC/AHA, ESC, ESMO, ASCO, NCCN, SIGN, USPSTF, ADA and GINA documents), and their normalisation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from medoracle.ingest.grading import find_grades, parse_grade

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# (label as printed, expected printed label, strength, certainty)
PRINTED_FORMATS = [
    ("( Grade 1A )", "Grade 1A", "strong", "high"),
    ("( 1B )", "(1B)", "strong", "moderate"),
    ("( 2C )", "(2C)", "conditional", "low"),
    ("(Grade 2B)", "Grade 2B", "conditional", "moderate"),
    ("( 2|++OO )", "(2|++OO)", "conditional", "low"),
    ("(1|+++O)", "(1|+++O)", "strong", "moderate"),
    ("( Strong recommendation, moderate quality of evidence )",
     "Strong recommendation, moderate quality of evidence", "strong", "moderate"),
    ("( Conditional recommendation, low-quality evidence )",
     "Conditional recommendation, low-quality evidence", "conditional", "low"),
    ("[Low Quality Evidence, Strong Recommendation]", "Low Quality Evidence, Strong Recommendation", "strong", "low"),
    ("( weak recommendation, very low quality of evidence )",
     "weak recommendation, very low quality of evidence", "conditional", "very_low"),
    ("( Very Low-Quality Evidence )", "Very Low-Quality Evidence", None, "very_low"),
    ("( Level of Evidence: B )", "Level of Evidence: B", None, "moderate"),
    ("[ Level C ]", "Level C", None, "low"),
    ("( Level A )", "Level A", None, "high"),
    ("(Level of Evidence = Ia)", "Level of Evidence = Ia", None, "high"),
    ("(Level of Evidence = V)", "Level of Evidence = V", None, "very_low"),
    ("Evidence Level II-2", "Evidence Level II-2", None, "moderate"),
    ("( II-2B )", "(II-2B)", None, "moderate"),
    ("( Grade A )", "Grade A", "strong", "high"),
    ("( B )", "(B)", None, "moderate"),
    ("[A]", "[A]", "strong", "high"),
    ("(Strength of Recommendation: B)", "Strength of Recommendation: B", None, "moderate"),
    ("( Grade D )", "Grade D", None, None),
    ("( I statement )", "(I statement)", None, "very_low"),
    ("( Grade A, BEL 1 )", "Grade A, BEL 1", "strong", "high"),
    ("( LE=4, GR=C )", "LE=4, GR=C", None, "very_low"),
    ("( Evidence level: V; Grade: D )", "Evidence level: V; Grade: D", None, "very_low"),
    ("(Grade 1, Level A)", "Grade 1, Level A", "strong", "high"),
    ("[ Grade - 2; Level of Evidence - C ]", "Grade - 2; Level of Evidence - C", "conditional", "low"),
    ("( Strong Recommendation; Evidence Level: Grade B )", "Strong Recommendation; Evidence Level: Grade B",
     "strong", "moderate"),
    ("( Evidence Quality: II; Recommendation Strength: Moderate )",
     "Evidence Quality: II; Recommendation Strength: Moderate", None, "moderate"),
    ("Evidence quality: high; Strength of recommendation: strong",
     "Evidence quality: high; Strength of recommendation: strong", "strong", "high"),
    ("Class I, Level A", "Class I, Level A", "strong", "high"),
    ("COR 1, LOE A", "COR 1, LOE A", "strong", "high"),
    ("Class IIa, LOE B-R", "Class IIa, LOE B-R", "conditional", "moderate"),
    ("Class IIb, Level C", "Class IIb, Level C", "conditional", "low"),
    ("(B-NR)", "(B-NR)", None, "moderate"),
    ("[I, A]", "[I, A]", "strong", "high"),
    ("[II, B]", "[II, B]", None, "moderate"),
    ("( IV, C )", "(IV, C)", None, "very_low"),
    ("( B II )", "(B II)", None, "moderate"),
    ("Category 2A", "Category 2A", None, "low"),
    ("Category 1", "Category 1", None, "high"),
    ("[ Category II ]", "Category II", "conditional", None),
    ("Evidence A", "Evidence A", None, "high"),
    ("1++", "1++", None, "high"),
    ("[4b]", "[4b]", None, "very_low"),
    ("Level 1a", "Level 1a", None, "high"),
    ("Quality of Evidence: Moderate", "Quality of Evidence: Moderate", None, "moderate"),
    ("( Level U )", "Level U", None, "very_low"),
    ("(Expert Opinion)", "(Expert Opinion)", None, None),
]


@pytest.mark.parametrize("label,printed,strength,certainty", PRINTED_FORMATS)
def test_printed_formats_normalise(label, printed, strength, certainty):
    grade = parse_grade(label)
    assert grade is not None, label
    assert grade.printed == printed
    assert (grade.strength, grade.certainty) == (strength, certainty)


@pytest.mark.parametrize("text", ["( Level I-III )", "( A-C )", "( 1A–2C )", "( A , B , C , D , or I )", "(1)",
                                  "(see Table 2 in the original guideline document)", "", "   "])
def test_ranges_and_non_grades_are_not_grades(text):
    assert parse_grade(text) is None


def test_scheme_hint_resolves_bare_letters():
    assert parse_grade("E", scheme_hint="ADA").certainty == "very_low"
    assert parse_grade("A", scheme_hint="ADA").strength is None
    assert parse_grade("A").strength == "strong"
    assert parse_grade("Class II", scheme_hint="AAN").certainty == "moderate"
    assert parse_grade("Class II").strength == "conditional"
    assert parse_grade("2A", scheme_hint="NCCN").strength is None


def test_find_grades_in_recommendation_text():
    text = ("Offer external beam radiotherapy for painful bone metastases ( Grade 1A ). "
            "Consider a single 8 Gy fraction (strong recommendation, moderate-quality evidence).\n"
            "Vertebroplasty may be offered [II, B]\n"
            "MRI of the whole spine is preferred (Class I, Level A).")
    found = find_grades(text)
    assert [g.printed for _, _, g in found] == [
        "Grade 1A", "strong recommendation, moderate-quality evidence", "[II, B]", "Class I, Level A"]
    for start, end, grade in found:
        assert text[start:end].strip("()[] ").replace("  ", " ").startswith(grade.printed.strip("[]")[:5])
    assert found[0][2].rank > found[2][2].rank


def test_prose_and_abbreviations_are_not_grades():
    text = ("Patients with LA grade C oesophagitis received intravenous (IV) fentanyl and (IA) injections. "
            "NYHA class III heart failure was present in 12 patients; grade 3 toxicity occurred in two. "
            "HbA(1c) fell by 0.5% (95% CI 0.2 to 0.8). Mild intellectual disability (ID) was common. "
            "There is high-quality evidence that statins reduce events and they are strongly recommended by many.")
    assert find_grades(text) == []


def test_grade_labels_without_brackets():
    found = find_grades("Recommendation 4. Anticoagulate unless contraindicated. Grade 1B. "
                        "Strength of Evidence = C; Strength of Recommendation = Weak")
    assert [(g.printed, g.strength, g.certainty) for _, _, g in found] == [
        ("Grade 1B", "strong", "moderate"),
        ("Strength of Evidence = C; Strength of Recommendation = Weak", "conditional", "low")]


@pytest.mark.corpus
def test_ngc_major_recommendations_yield_grades():
    path = DATA / "corpora" / "ngc_guidelines.jsonl.gz"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    with gzip.open(path, "rt") as fh:
        records = [json.loads(line) for _, line in zip(range(300), fh)]
    graded = [r for r in records if find_grades(r.get("Major Recommendations") or "")]
    # Most guideline summaries print grades beside their recommendations.
    assert len(graded) > 100
    normalised = [g for r in graded for _, _, g in find_grades(r["Major Recommendations"])
                  if g.strength or g.certainty]
    assert len(normalised) > 500
