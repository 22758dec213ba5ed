"""Which answer section a sentence is filed under."""

from __future__ import annotations

import pytest

from medoracle.compose.facets import FACET_ORDER, FACETS, classify, facet_of, title_of
from medoracle.types import Passage


@pytest.mark.parametrize("sentence,expected", [
    ("Adults with suspected spinal cord compression should have an MRI of the whole spine within 24 hours.",
     "assessment"),
    ("A CT scan of the chest, abdomen and pelvis is recommended for staging.", "assessment"),
    ("Seek urgent medical help if you develop weakness in the legs or lose control of your bladder.", "red_flags"),
    ("Call 911 if you have chest pain that lasts more than a few minutes.", "red_flags"),
    ("External beam radiotherapy is the first-line treatment for painful bone metastases.", "first_line"),
    ("Bisphosphonates are recommended in addition to radiotherapy to reduce pain.", "adjunct"),
    ("Surgical decompression followed by radiotherapy improves walking in selected patients.", "procedures"),
    ("Vertebroplasty or kyphoplasty should be considered for painful vertebral compression fractures.",
     "procedures"),
    ("In pregnant women, low-molecular-weight heparin is preferred over warfarin.", "special"),
    ("Children younger than 2 years should not receive codeine.", "special"),
    ("Re-irradiation may be considered for patients whose pain recurs after previous radiotherapy.", "special"),
    ("Monitor serum calcium and renal function every 3 to 4 weeks during zoledronic acid treatment.",
     "complications"),
    ("Osteonecrosis of the jaw is a rare complication of denosumab.", "complications"),
    ("Stereotactic radiosurgery combined with immunotherapy is under investigation in ongoing trials.", "emerging"),
    ("Spinal metastases occur in up to 40% of patients with cancer.", "background"),
])
def test_real_sentences_go_to_their_section(sentence, expected):
    guess = classify(sentence)
    assert guess.key == expected, guess.scores
    assert 0 < guess.confidence <= 1


def test_sentence_without_cues_is_background_with_zero_confidence():
    guess = classify("The committee met twice.")
    assert (guess.key, guess.confidence) == ("background", 0.0)


def test_declared_facet_of_a_card_wins():
    card = Passage(id="kb:x#0", doc_id="kb:x", text="Call 911 now.", facet="first_line")
    assert facet_of("Call 911 if you have chest pain.", card) == ("first_line", 1.0)
    undeclared = Passage(id="d#0", doc_id="d", text="Call 911 now.")
    assert facet_of("Call 911 if you have chest pain.", undeclared)[0] == "red_flags"


def test_heading_path_tips_an_ambiguous_sentence():
    text = "Offer this to people who meet the criteria."
    plain = classify(text)
    surgical = classify(text, "Major Recommendations › Surgery and Decompression")
    assert surgical.key == "procedures" and plain.key != "procedures"


def test_titles_and_order():
    assert FACET_ORDER[0] == "bottom_line" and FACET_ORDER[-1] == "background"
    assert title_of("red_flags") == "Red flags" == FACETS["red_flags"]  # not the patient wording
    assert title_of("new_key") == "New key"
