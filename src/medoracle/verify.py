"""Check every statement of an answer against the passages it cites.

A statement stands only if one of its cited passages carries it. A statement that quotes its passage word for word
(what the extractive composer writes) is carried by construction. Any other must have every number in that passage
with the same comparator, range and unit ("≤ 140 mmHg" is not "≥ 140 mmHg", "over 80" is not "under 80"); each of
its sentences must have a negation exactly where the passage's matching sentence has one and must not turn round a
direction that sentence states (increase/decrease, before/after, with/without, start/stop, positive/negative);
enough of its content words must be in the passage, and — with an embedder — its meaning must be close to the
matching sentence. Citations to reference numbers that do not exist are removed; a statement left without a
citation, or not carried by any cited passage, is moved to `answer.dropped` with the reason. References are
renumbered in order of first use (`compose.references`); an answer with nothing left abstains.

Text is read with `medoracle.text`, as the composer, chunker and readability scorer read it.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from medoracle.compose.references import number_by_first_use
from medoracle.text import (
    Quantity,
    content_stems,
    flipped_directions,
    has_negation,
    quantities,
    quoted_in,
    split_sentences,
)
from medoracle.types import Answer, DroppedStatement, Evidence, Reference, Section, Statement

if TYPE_CHECKING:  # numpy and the model runtime are not needed to check words and numbers
    from medoracle.embed import Embedder

__all__ = ["verify", "check_statement", "MIN_COVERAGE", "MIN_COSINE"]

MIN_COVERAGE = 0.6  # share of a statement's content words that must be in the cited passage
MIN_COSINE = 0.35   # below this the cited sentence is about something else, whatever the words say


@dataclass(frozen=True)
class _Passage:
    """A cited passage as the checks read it: its stems, its sentences with theirs, and its quantities."""

    stems: frozenset[str]
    sentences: tuple[tuple[str, frozenset[str]], ...]
    quantities: tuple[Quantity, ...]


def _read(passage: str, cache: dict[str, _Passage]) -> _Passage:
    if passage not in cache:
        cache[passage] = _reading(passage)
    return cache[passage]


@lru_cache(maxsize=4096)
def _reading(passage: str) -> _Passage:
    # cached by the text: a server checks statements against the same passages question after question
    sentences = split_sentences(passage) or [passage]
    return _Passage(frozenset(content_stems(passage)), tuple((s, frozenset(content_stems(s))) for s in sentences),
                    tuple(quantities(passage)))


def _quantity_problem(q: Quantity, have: tuple[Quantity, ...]) -> str | None:
    """Why the passage does not carry quantity `q`, or None when it does."""
    def unit_fits(p: Quantity) -> bool:
        return q.unit is None or p.unit == q.unit

    # A range is one quantity: "2 mg" is not carried by "1 to 2 mg" (found by the property tests on guidelines).
    same = [p for p in have if p.value == q.value and p.upper == q.upper and unit_fits(p)]
    if not same:
        return f"number not in the cited source: {q}"
    if any(p.comparator == q.comparator for p in same):
        return None
    return f"comparator differs from the cited source: {q}, the source says {same[0]}"


def check_statement(text: str, passage: str, embedder: Embedder | None = None,
                    cache: dict[str, _Passage] | None = None) -> tuple[float, str | None]:
    """(support 0..1, the reason it fails or None) for one statement against one passage."""
    if quoted_in(text, passage):
        # A quotation carries itself: same words, same numbers, same negations. No model needed.
        return 1.0, None
    read = _reading(passage) if cache is None else _read(passage, cache)
    problems = [why for q in quantities(text) if (why := _quantity_problem(q, read.quantities))]
    if problems:
        return 0.0, "; ".join(dict.fromkeys(problems))
    stems = content_stems(text)
    if not stems:
        return 0.0, "no content words"
    for sentence in split_sentences(text) or [text]:
        wanted = set(content_stems(sentence))
        region = max(read.sentences, key=lambda pair: len(wanted & pair[1]))[0]
        if has_negation(sentence) != has_negation(region):
            side = "statement" if has_negation(sentence) else "cited source"
            return 0.0, f"negation mismatch: only the {side} is negated"
        flipped = flipped_directions(sentence, region)
        if flipped:
            return 0.0, f"direction turned round against the cited source ({', '.join(flipped)})"
    coverage = sum(s in read.stems for s in stems) / len(stems)
    if coverage < MIN_COVERAGE:
        return coverage, f"only {coverage:.0%} of its words are in the cited source"
    support = coverage
    if embedder is not None:
        wanted = set(stems)
        region = max(read.sentences, key=lambda pair: len(wanted & pair[1]))[0]
        vecs = embedder.embed([text, region])
        cosine = float(vecs[0] @ vecs[1])
        if cosine < MIN_COSINE:
            return cosine, f"meaning differs from the cited source (cosine {cosine:.2f})"
        support = 0.6 * coverage + 0.4 * max(0.0, min(1.0, cosine))
    return round(support, 3), None


@lru_cache(maxsize=16384)
def _checked(text: str, passage: str, embedder: Hashable) -> tuple[float, str | None]:
    """`check_statement`, remembered by the two texts and the embedder (the same object gives the same vectors):
    the same sentences are checked against the same passages question after question, and a check can embed a
    sentence pair. Pure, so never stale; bounded."""
    return check_statement(text, passage, cast("Embedder | None", embedder))


def _passages_for(statement: Statement, refs: dict[int, Reference], texts: dict[str, str]) -> list[str] | None:
    """Texts of the passages a statement cites; None when a cited passage was never retrieved."""
    cited_ids: list[str] = []
    for n in statement.citations:
        ref_ids = refs[n].passage_ids
        own = [p for p in statement.passage_ids if p in ref_ids]
        cited_ids.extend(own or ref_ids)
    if not cited_ids or any(p not in texts for p in cited_ids):
        return None
    return [texts[p] for p in dict.fromkeys(cited_ids)]


def _verify_one(statement: Statement, refs: dict[int, Reference], texts: dict[str, str],
                embedder: Embedder | None) -> tuple[Statement | None, str | None]:
    citations = [n for n in dict.fromkeys(statement.citations) if n in refs]
    if not citations:
        return None, "no citation to a reference in the list"
    statement = statement.model_copy(update={"citations": citations})
    passages = _passages_for(statement, refs, texts)
    if passages is None:
        return None, "cites a passage that was not retrieved"
    key = cast(Hashable, embedder)  # an embedder is an ordinary object, hashed by its identity
    results = [_checked(statement.text, passage, key) for passage in passages]
    supported = [support for support, why in results if why is None]
    if not supported:
        return None, next(why for _, why in results if why)
    return statement.model_copy(update={"support": max(supported)}), None


def verify(answer: Answer, evidence: Iterable[Evidence], embedder: Embedder | None = None) -> Answer:
    """The answer with only the statements its cited passages support; see the module docstring."""
    t0 = time.perf_counter()
    if answer.abstained:
        return answer.model_copy(update={"timings": {**answer.timings, "verify": 0.0}})
    texts = {e.passage.id: e.passage.text for e in evidence}
    refs = {r.n: r for r in answer.references}
    dropped = list(answer.dropped)
    summary, summary_citations, summary_grade = answer.summary, list(answer.summary_citations), answer.summary_grade
    if summary:
        # The bottom line is carried if any passage of its cited references carries it.
        kept, why = _verify_one(Statement(text=summary, citations=summary_citations), refs, texts, embedder)
        if kept is None:
            dropped.append(DroppedStatement(text=summary, reason=f"bottom line: {why}"))
            summary, summary_citations, summary_grade = "", [], None
        else:
            summary_citations = kept.citations
    sections: list[Section] = []
    for section in answer.sections:
        statements = []
        for st in section.statements:
            kept, why = _verify_one(st, refs, texts, embedder)
            if kept is None:
                dropped.append(DroppedStatement(text=st.text, reason=why or "unsupported"))
            else:
                statements.append(kept)
        if statements:
            sections.append(section.model_copy(update={"statements": statements}))
    if not summary and sections:
        # The bottom line did not survive: the strongest remaining statement takes its place.
        first = sections[0].statements[0]
        summary, summary_citations, summary_grade = first.text, list(first.citations), first.grade
        rest = sections[0].statements[1:]
        sections = ([sections[0].model_copy(update={"statements": rest})] if rest else []) + sections[1:]
    checked = answer.model_copy(update={"summary": summary, "summary_citations": summary_citations,
                                        "summary_grade": summary_grade,
                                        "sections": sections, "dropped": dropped})
    checked = number_by_first_use(checked)
    if not checked.summary and not checked.statements():
        checked = checked.model_copy(update={
            "abstained": True, "references": [], "follow_ups": checked.follow_ups,
            "abstain_reason": "No statement could be verified against the sources it cites."})
    checked.timings["verify"] = round((time.perf_counter() - t0) * 1000, 2)
    return checked

