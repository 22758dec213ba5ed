"""Is this question already an article? A question's terms, and when two questions ask the same thing.

Publishing points out an open or approved article on the same question before making another one. Two
questions are read alike when, after the understanding stage has spelled out their shorthand and abbreviations
("svco mx" → "superior vena cava obstruction management") and the text kernel has stemmed their content words,
they name the same drugs and treatments and share most of their terms. Different drugs, or a word that changes
the question ("second-line", "pregnancy"), keep two questions apart: the check asks a person to confirm, so it
errs towards pointing out, but an API client must not be refused for a different question.

    >>> similar(signature("What is first-line treatment for stage 1 hypertension?"),
    ...         signature("first line treatment of stage 1 hypertension"))
    1.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from medoracle.text import QUERY_STOP_WORDS, QUESTION_FRAME_WORDS, content_stems

# Share of terms (Jaccard) from which two questions naming the same drugs and treatments are one question:
# "hypercalcaemia of malignancy, treatment" meets "how is malignant hypercalcaemia treated" (all terms shared),
# while "spinal cord compression: dose of X" and "… timing of X" (3 of 5) stay apart.
THRESHOLD = 0.75
MAX_TERMS = 40  # terms matched in SQL when looking for candidates; a question of 2,000 characters has ~300
# Frame words that say how a question is asked, not what about: "what is the management of" = "how to treat".
# Words of the frame list that change the question ("first-line", "causes", "difference") are kept.
_KEEPS_MEANING = re.compile(r"line|cause|differ|effect|indicat|associat|relat|induc|depend|first")
_FRAME = frozenset(w for w in QUESTION_FRAME_WORDS if not _KEEPS_MEANING.search(w))
_ADDED_ABBREVIATION = re.compile(r"\s\([A-Za-z0-9-]{2,8}\)")  # "(SVCO)" that spelling out adds after a phrase


@dataclass(frozen=True)
class Signature:
    """What a question asks about: its content terms (stems) and the drugs and treatments it names."""

    terms: frozenset[str]
    named: frozenset[str]

    @property
    def stored(self) -> str:
        """The terms as stored with an article: sorted, space-separated, with a space at each end (so that
        `LIKE '% term %'` finds whole terms)."""
        return " " + " ".join(sorted(self.terms)) + " " if self.terms else ""


@lru_cache(maxsize=4096)  # candidates' questions are read again at each publish
def signature(question: str) -> Signature:
    """The question's terms, as the understanding stage spells it out and the text kernel stems it."""
    from medoracle.understand import read_query  # loads vocabularies once: not at import time

    query = read_query(question)
    spelled = _ADDED_ABBREVIATION.sub("", query.search_text)
    words = [w for w in re.findall(r"[a-z0-9]+(?:['’-][a-z0-9]+)*", spelled.lower())
             if w not in QUERY_STOP_WORDS and w not in _FRAME]
    terms = frozenset(t for w in words for t in content_stems(w))
    # Treatments as the question names them: "(RT)" that spelling out adds is not a second one.
    named = frozenset(d.lower() for d in query.drugs) | frozenset(
        i.lower() for i in query.interventions if re.search(rf"\b{re.escape(i)}\b", spelled, re.IGNORECASE))
    return Signature(terms=terms, named=named)


def similar(a: Signature, b: Signature) -> float:
    """How alike two questions are (0..1): the share of their terms they have in common, and 0 when they
    name different drugs or treatments, or either has no terms."""
    if a.named != b.named or not a.terms or not b.terms:
        return 0.0
    return len(a.terms & b.terms) / len(a.terms | b.terms)


def candidate_terms(sig: Signature) -> tuple[list[str], int]:
    """The terms to look for in stored articles and how many of them a candidate must have.

    A question reaching `THRESHOLD` against this one shares at least `THRESHOLD × len(terms)` of its terms, so
    nothing similar is missed; beyond `MAX_TERMS` the bound drops by the terms not looked for.
    """
    terms = sorted(sig.terms)
    looked_for = terms[:MAX_TERMS]
    need = -(-int(THRESHOLD * 100) * len(terms) // 100) - (len(terms) - len(looked_for))
    return looked_for, max(1, need)
