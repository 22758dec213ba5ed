"""How much two candidate statements say the same thing: the redundancy test of statement selection."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np

from medoracle.text import numbers_of

__all__ = ["Sentence", "similarity"]


class Sentence(Protocol):
    """A candidate statement as selection reads it: its text, content stems and, when embedded, its vector."""

    text: str
    stems: set[str]
    vector: np.ndarray | None


def similarity(a: Sentence, b: Sentence) -> float:
    """0..1: cosine of the vectors when both have one, else word overlap (a near-subset counts as a repeat)."""
    if a.vector is not None and b.vector is not None:
        return float(a.vector @ b.vector)
    if not a.stems or not b.stems:
        return 0.0
    common = len(a.stems & b.stems)
    # A short sentence whose words are nearly all inside a longer one says nothing new. (The union's size by
    # arithmetic: selection compares ~200 pairs an answer, and building each union cost more than the rest.)
    jaccard = max(common / (len(a.stems) + len(b.stems) - common), 0.8 * common / min(len(a.stems), len(b.stems)))
    # Sentences that differ in a number (8 Gy vs 20 Gy) say different things even when the words match.
    if jaccard > 0.6 and _numbers(a.text) != _numbers(b.text):
        return 0.55
    return jaccard


@lru_cache(maxsize=16384)
def _numbers(text: str) -> frozenset[tuple[str, str | None]]:
    """The numbers of a sentence, read once per text (candidates are compared pair by pair)."""
    return frozenset(numbers_of(text))
