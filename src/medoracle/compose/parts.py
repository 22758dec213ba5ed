"""The parts of a question and the statements that answer them.

"Which antibiotic and for how long?" asks two things, "which steroid at what dose?" two more. The bottom line
answers the first part the question asks (`fit.satisfies`); each other part that the evidence can answer gets the
best statement on the question's subject that gives it, and each part that no statement gives is named in the
answer's gaps ("The sources found do not say how long to continue."). A question none of whose parts the evidence
answers abstains and says which parts it could not answer, rather than answering something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from medoracle.compose import fit
from medoracle.types import Query

__all__ = ["PARTS", "Part", "asked_parts", "complete", "gaps"]

# The parts whose answer a sentence visibly gives or not: a dose, a drug, a duration, both options of "A or B?",
# a test or score ("how is it diagnosed"), a treatment ("… and treated?").
PARTS: tuple[str, ...] = ("dose", "first_line", "duration", "comparison", "diagnosis", "treatment")
# Parts that are parts only beside another: "how is X diagnosed?" alone is answered by whatever the sources say
# about diagnosing X (worded too many ways to require one), and "treatment" is already asked for by a dose, a
# drug, a duration or a comparison ("what dose to treat …" has one part, the dose).
_ONLY_BESIDE = frozenset({"diagnosis", "treatment"})
_SUBSUME_TREATMENT = frozenset({"dose", "first_line", "duration", "comparison"})


class Part(fit.Fitted, Protocol):
    """What `complete` reads on a composer's candidate sentence, beyond `fit.Fitted`."""

    topic: float
    score: float


P = TypeVar("P", bound=Part)


def asked_parts(query: Query | None) -> list[str]:
    """The parts the question asks for, in its order (a comparison only when it names both options)."""
    if query is None:
        return []
    found: list[str] = [i for i in dict.fromkeys(query.intents)
             if i in PARTS and (i != "comparison" or query.comparison is not None)]
    if set(found) & _SUBSUME_TREATMENT:
        found = [i for i in found if i != "treatment"]
    if len(found) < 2:
        found = [i for i in found if i not in _ONLY_BESIDE]
    return found


def complete(candidates: Sequence[P], said: Sequence[P], query: Query | None, best: float) -> list[P]:
    """For each part the said sentences do not give, the best-scoring candidate on the subject that gives it.

    On the subject: most of the topic weight of the most on-topic candidate, and some relevance; a part is
    often worded away from the question ("for 7 days" shares no word with "which antibiotic")."""
    parts = asked_parts(query)
    if len(parts) < 2 or not candidates:
        return []
    most_on_topic = max(c.topic for c in candidates)
    extra: list[P] = []
    for part in parts:
        chosen = [*said, *extra]
        if any(fit.satisfies(c, query, part) for c in chosen):
            continue
        options = [c for c in candidates if all(c is not s for s in chosen) and c.facet != "red_flags"
                   and fit.satisfies(c, query, part) and c.topic >= 0.8 * most_on_topic and c.relevance >= 0.3 * best]
        if options:
            extra.append(max(options, key=lambda c: c.score))
    return extra


def gaps(query: Query | None, said: str, bottom: fit.Fitted | None = None, summary: str = "") -> list[str]:
    """One sentence for each part of the question that `said` (the answer's text) does not give.

    A question with one part is answered by its bottom line or not at all: a drug named in passing further down
    ("when two first-line antiepileptic drugs have failed") is no answer to "which drug first?"."""
    asked = asked_parts(query)
    # The patient is a part of the question too: a pregnant patient's answer must speak of pregnancy, and a
    # question about a drug in kidney impairment of the kidneys.
    unsafe = [g for g in [fit.unspoken_pregnancy(query, bottom, summary), fit.unspoken_impairment(query, bottom)]
              if g]
    if len(asked) == 1 and bottom is not None and not fit.satisfies(bottom, query, asked[0]):
        return unsafe + fit.missing_parts(query, "", asked)
    return unsafe + fit.missing_parts(query, said, asked)
