"""The clinician text of an answer that was stored worded for a student or a patient (articles published before
articles kept the clinician text), recovered from the sources it cites, so any reader can have it re-worded.

Tailoring (`audience.tailor`) is one-way: it adds explanations, rewords, or swaps in a card's plain text. But each
statement of a composed answer is a sentence quoted from a passage it cites, and the answer keeps those passages
(`Reference.quotes`). So each statement's clinician wording is the sentence of its cited passages that it was
worded from: the one whose own words it keeps (a student's version adds explanations around them) or, for a
card's plain text, the card sentence it says plainly. Nothing is written that a cited passage does not hold:
a statement no cited sentence matches, or one an editor wrote, is kept as published. Statements a patient page
left out were never stored and cannot come back; the answer says so. Nothing stored is changed: the reviewed row
and its audit hash stay as they were, and this runs when the article is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from medoracle.audience import CARE_TEAM_NOTE, OMITTED_NOTE, PATIENT_TITLES
from medoracle.compose.facets import title_of
from medoracle.ingest.grading import find_grades
from medoracle.text import collapse_space, content_stems, numbers_of, quoted_in, split_sentences
from medoracle.types import Answer, Audience, Reference

__all__ = ["Recovered", "clinician_text"]

# Share of a source sentence's own content words a student's version must keep to have been worded from it
# (explanations only add words); a patient's rewording swaps more of them, so it must share at least this much
# of the union of both, and every number of the sentence.
_KEPT = 0.75
_SHARED = 0.35


@dataclass(frozen=True)
class Recovered:
    """The clinician answer, and how many of the stored statements (bottom line included) were traced back to
    a sentence of their cited passages."""

    answer: Answer
    traced: int
    statements: int
    published_for: Audience


def _passages(refs: dict[int, Reference], citations: list[int], passage_ids: list[str]) -> list[str]:
    """The passages a statement cites (its own passages, when the answer kept which they are)."""
    out: list[str] = []
    for n in citations:
        ref = refs.get(n)
        if ref is None:
            continue
        pairs = list(zip(ref.passage_ids, ref.quotes)) or [("", q) for q in ref.quotes]
        own = [q for pid, q in pairs if pid in passage_ids] or [q for _, q in pairs]
        out += [collapse_space(q) for q in own if collapse_space(q) not in out]
    return out


def _worded_from(text: str, passages: list[str], *, plain: bool) -> str | None:
    """The clinician wording behind `text`: a sentence of its passages, or for a card's plain text (which says
    the whole card plainly, once for every statement quoted from it) the card's whole text."""
    if plain and len(passages) == 1:
        return passages[0]
    if plain:
        # The card's plain text keeps every number of the card: of several cited passages, the card is one
        # whose numbers it all holds, and of those the one it shares most words with.
        words = set(content_stems(text))
        fitting = [(len(set(content_stems(p)) & words), p) for p in passages if numbers_of(p) <= numbers_of(text)]
        fitting = [f for f in fitting if f[0]]
        return max(fitting)[1] if fitting else None
    sentences: list[str] = []
    for passage in passages:
        sentences += [s for s in split_sentences(passage) if s not in sentences]
    if any(quoted_in(text, passage) for passage in passages):
        return text  # already the source's words (a student page with nothing to explain, a trimmed grade label)
    parts = split_sentences(text)
    if len(parts) <= 1:
        return _source_sentence(text, sentences)
    # A bottom line quoted from a whole card is several sentences: each is traced on its own, and the
    # explanations a patient page adds after a sentence ("(ECG: a tracing of the heart.)") are left behind.
    found: list[str] = []
    for part in parts:
        source = _source_sentence(part, sentences)
        if source is None:
            if part.startswith("("):
                continue
            return None
        if source not in found:
            found.append(source)
    return " ".join(found) or None


def _without_labels(sentence: str, text: str) -> str:
    """The source sentence without the grade labels it prints that the statement left out: the composer keeps a
    sentence's grade beside it ("(grade D)" is the statement's grade), not in its words."""
    for start, end, _ in reversed(find_grades(sentence)):
        if sentence[start:end] not in text:
            sentence = sentence[:start].rstrip() + sentence[end:]
    return " ".join(sentence.split())


def _source_sentence(text: str, candidates: list[str]) -> str | None:
    """The candidate `text` was worded from, or None when no candidate is clearly it."""
    if text in candidates:
        return text
    words = set(content_stems(text))
    if not words:
        return None
    best: tuple[float, str] | None = None
    for sentence in candidates:
        own = set(content_stems(sentence))
        if not own:
            continue
        kept = len(own & words) / len(own)
        shared = len(own & words) / len(own | words)
        numbers = numbers_of(sentence) <= numbers_of(text)
        fits = kept >= _KEPT or (shared >= _SHARED and numbers)
        if fits and (best is None or shared > best[0]):
            best = (shared, sentence)
    return _without_labels(best[1], text) if best else None


def clinician_text(answer: Answer) -> Recovered:
    """The clinician answer `answer` was tailored from, as far as its cited passages show it."""
    published_for = answer.audience
    out = answer.model_copy(deep=True)
    if published_for is Audience.clinician or answer.abstained:
        return Recovered(out, 0, 0, published_for)
    refs = {r.n: r for r in answer.references}
    traced = total = 0
    if out.summary:
        total += 1
        found = None if out.summary_written_by else _worded_from(
            out.summary, _passages(refs, out.summary_citations, []), plain=out.summary == out.summary_plain)
        if found:
            out.summary, traced = found, traced + 1
    for sec in out.sections:
        if published_for is Audience.patient and sec.title == PATIENT_TITLES.get(sec.key):
            sec.title = title_of(sec.key)
        for st in sec.statements:
            total += 1
            if st.written_by:
                continue  # an editor's own words: there is no clinician text behind them
            found = _worded_from(st.text, _passages(refs, st.citations, st.passage_ids),
                                 plain=st.plain is not None and st.text == st.plain)
            if found:
                st.text, traced = found, traced + 1
    out.notes = [n for n in out.notes if n not in (CARE_TEAM_NOTE, OMITTED_NOTE)]
    out.audience = Audience.clinician
    return Recovered(out, traced, total, published_for)
