"""One sentence of the evidence that could become a statement, as the extractive composer scores it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medoracle.retrieve import DOC_TYPE_PRIOR, doc_type_prior
from medoracle.types import DocType, Grade, Population

__all__ = ["Candidate", "doc_prior"]


def doc_prior(doc_type: DocType) -> float:
    """retrieve's prior table on the composer's scale: a guideline adds 0.1, a consumer page nothing."""
    floor = DOC_TYPE_PRIOR["consumer"]
    return 0.1 * (doc_type_prior(doc_type.value) - floor) / (1.0 - floor)



@dataclass(eq=False)  # each sentence is one candidate: `in`/`remove` by identity, not field by field
class Candidate:
    """One sentence that could be a statement."""

    ev: int                      # index into the evidence list
    text: str                    # the trimmed sentence
    stems: set[str]
    grade: Grade | None
    relevance: float = 0.0
    own: float = 0.0             # share of the question's term weight in the sentence itself
    about: float = 0.0           # … in it or, for a card, in the names of its topic (its title and aliases)
    topic: float = 0.0           # share of the question's subject weight in the sentence or its context
    score: float = 0.0
    facet: str = "background"
    facet_confidence: float = 0.0
    card_bottom_line: bool = False
    lead: bool = False           # the first sentence of its passage
    last: bool = False           # the last sentence of its passage
    vector: np.ndarray | None = None
    also: list[int] = field(default_factory=list)  # other evidence quoting the same sentence
    population: Population = field(default_factory=Population)  # whom it speaks of (`fit.annotate`)
    conflicts: list[str] = field(default_factory=list)  # slots where that rules it out for the question
    matches: list[str] = field(default_factory=list)    # slots the question makes a point of, met
    declared: list[str] = field(default_factory=list)   # … met by its passage's declared population
