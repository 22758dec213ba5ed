"""A question-and-answer page titled by the question asked answers it first (`compose.pages`)."""

from __future__ import annotations

from medoracle.compose.extractive import ExtractiveComposer
from medoracle.compose.pages import asks_the_same
from medoracle.types import DocType, Evidence, Passage
from medoracle.verify import verify


def test_a_title_asks_the_same_question_in_other_words_at_most_one_apart() -> None:
    assert asks_the_same("What causes hyper-IgD syndrome?", "What causes Hyper-IgD syndrome ?")
    assert asks_the_same("What is pectus carinatum?", "What is (are) Pectus carinatum ?")
    assert not asks_the_same("What causes hyper-IgD syndrome?", "What are the treatments for hyper-IgD syndrome ?")
    assert not asks_the_same("What causes hyper-IgD syndrome?", "Hyper-IgD syndrome")  # a topic, not a question
    assert not asks_the_same("Gout?", "Gout?")  # one word says too little to be the same question


def _page(pid: str, title: str, text: str, score: float) -> Evidence:
    return Evidence(passage=Passage(id=pid, doc_id=pid.split("#")[0], text=text, doc_type=DocType.consumer),
                    title=title, url=f"https://example.org/{pid.split('#')[0]}", source="NIH", score=score)


def test_the_page_that_asks_the_question_gives_the_bottom_line() -> None:
    # Written for this test (after the GARD and MedlinePlus pages on the condition), not their wording.
    evidence = [
        _page("complications#0", "What are the complications of gout ?",
              "Untreated gout leads to lasting joint damage over the years. Gout can also lead to kidney stones "
              "in some people.", 0.95),
        _page("causes#0", "What causes gout ?",
              "Too much uric acid in the blood forms crystals in a joint, and these crystals lead to gout. Uric "
              "acid builds up when the body makes too much of it or the kidneys remove too little.", 0.8),
    ]
    answer = verify(ExtractiveComposer().compose("What causes gout?", evidence), evidence)
    assert answer.summary.startswith("Too much uric acid in the blood forms crystals")
    assert answer.references[0].doc_id == "causes"


def test_only_the_sentences_of_the_same_question_page_are_raised() -> None:
    from dataclasses import dataclass

    from medoracle.compose.pages import SAME_QUESTION_BONUS, favour_same_question

    @dataclass
    class Sentence:
        ev: int
        relevance: float = 0.5
        score: float = 0.5

    evidence = [_page("complications#0", "What are the complications of gout ?", "Gout can damage joints.", 0.9),
                _page("causes#0", "What causes gout ?", "Uric acid crystals cause gout.", 0.8)]
    other, own = Sentence(0), Sentence(1)
    favour_same_question("What causes gout?", [other, own], evidence)
    assert (other.relevance, other.score) == (0.5, 0.5)
    assert own.relevance == own.score == 0.5 + SAME_QUESTION_BONUS
