"""Pages that ask the question themselves: a question-and-answer page whose title is the question asked.

Health sites write a page section per question ("What are the treatments for indigestion?", "What causes
hyper-IgD syndrome?"); when such a section's own title asks what the reader asked, its sentences are the answer
its authors wrote for exactly that question, and outrank sentences of other documents that share as many words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from medoracle.text import content_stems
from medoracle.types import Evidence

__all__ = ["SAME_QUESTION_BONUS", "asks_the_same", "favour_same_question"]

SAME_QUESTION_BONUS = 0.15  # added to relevance and score: above a typical gap between a page's sentences


class Candidate(Protocol):
    ev: int
    relevance: float
    score: float


def asks_the_same(question: str, title: str) -> bool:
    """Whether a title is the question itself, in other words at most one word apart ("What is (are) X ?")."""
    if not title.rstrip().endswith("?"):
        return False
    asked, titled = set(content_stems(question)), set(content_stems(title))
    return len(asked) >= 2 and len(asked ^ titled) <= 1


def favour_same_question(question: str, candidates: Sequence[Candidate], evidence: Sequence[Evidence]) -> None:
    """Raise the sentences of pages titled by the question itself (see the module docstring), in place."""
    same = {i for i, e in enumerate(evidence) if asks_the_same(question, e.title)}
    for c in candidates:
        if c.ev in same:
            c.relevance += SAME_QUESTION_BONUS
            c.score += SAME_QUESTION_BONUS
