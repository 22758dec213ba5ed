"""Check every statement of an answer against the passages it cites.

A statement stands only if one of its cited passages carries it. A statement that quotes its passage word for word
(what the extractive composer writes) is carried by construction; any other must have every number (with its unit)
in that passage, a negation exactly where the passage's matching sentence has one, enough of its content words
there, and — with an embedder — a meaning close to that sentence. Citations to reference numbers
that do not exist are removed; a statement left without a citation, or not carried by any cited passage, is moved to
`answer.dropped` with the reason. References are renumbered in order of first use; an answer with nothing left
abstains.

The text primitives used here (sentence splitting, content words, numbers, negation) are shared with the
extractive composer so both read text the same way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from medoracle.types import Answer, DroppedStatement, Evidence, Reference, Section, Statement

__all__ = ["verify", "split_sentences", "sentence_spans", "content_stems", "numbers_of", "has_negation",
           "quoted_in", "MIN_COVERAGE"]

MIN_COVERAGE = 0.6  # share of a statement's content words that must be in the cited passage
MIN_COSINE = 0.35   # below this the cited sentence is about something else, whatever the words say

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "eg", "ie", "vs", "v", "dr", "al", "fig", "figs", "no", "nos", "approx", "etc", "mr", "mrs",
    "ms", "prof", "st", "cf", "ca", "resp", "incl", "max", "min", "mo", "wk", "wks", "yr", "yrs", "hr", "hrs",
    "ref", "refs", "vol", "pp", "p", "u.s", "inc", "jr", "sr", "dept", "univ", "est", "viz", "sp", "spp", "tab",
    "cap", "caps", "inj", "sol", "susp", "tabs", "b.i.d", "t.i.d", "q.i.d", "q.d", "o.d", "p.o", "i.v", "i.m",
    "s.c", "a.m", "p.m", "approx", "corp", "co", "ltd", "eq", "eqs", "sec", "chap", "ch",
})
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")

_TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each either few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other
our out over own same she should so some such than that the their them then there these they this those through
to too under until up very was we were what when where which while who whom why will with would you your yours
may might must shall also well whether within without per via among upon based using used use include includes
including one two three several many much however therefore thus although though yet still either etc eg ie
already ever even really actually quite rather
""".split())
# Suffixes folded so "metastasis", "metastases" and "metastatic" meet; longest first.
_SUFFIXES = ("ations", "ation", "ically", "ities", "ical", "ity", "ies", "ing", "es", "ic", "al", "ed", "ly", "s")

_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|cannot|without|avoid(?:ed|s)?|unless)\b|n[’']t\b",
                       re.IGNORECASE)
_UNIT = (r"(?:%|percent|mg/kg|mg/m2|mg/dl|mmol/l|mmhg|ml/min|mg|mcg|µg|μg|ng|g|kg|ml|l|gy|iu|units?|hours?|hrs?|"
         r"h|days?|d|weeks?|wks?|months?|mo|years?|yrs?|y|minutes?|mins?|min|seconds?|s|times|fold|cm|mm|m)")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s?(" + _UNIT + r")\b|(%))?", re.IGNORECASE)
_UNIT_FOLD = {"percent": "%", "hours": "h", "hour": "h", "hrs": "h", "hr": "h", "days": "d", "day": "d",
              "weeks": "wk", "week": "wk", "wks": "wk", "months": "mo", "month": "mo", "years": "y", "year": "y",
              "yrs": "y", "yr": "y", "minutes": "min", "minute": "min", "mins": "min", "seconds": "s", "second": "s",
              "units": "unit", "µg": "mcg", "μg": "mcg"}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; does not break "e.g.", "vs.", "Dr.", "et al.", "2.5 mg" or initials."""
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if text[m.start()] != "\n":
            before = _WORD_BEFORE.search(text, max(start, m.start() - 12), m.start() + 1)
            if before:
                word = before.group(1).lower()
                if word in _ABBREVIATIONS or len(word) == 1:
                    continue
            nxt = end
            while nxt < n and text[nxt] in " \t":
                nxt += 1
            # A sentence ends before a capital, a digit, a quote, a bracket or a list mark, not before "and".
            if nxt < n and text[nxt].islower():
                continue
        _push(text, start, end, spans)
        start = end
    _push(text, start, n, spans)
    return spans


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, whitespace-trimmed, in order."""
    return [text[s:e] for s, e in sentence_spans(text)]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    # "-ate" verbs meet their "-ation" nouns: "irradiated" and "irradiation", "indicated" and "indication"
    ate_verb = word.endswith(("ated", "ate", "ating", "ates")) and len(word) >= 8
    # British and American spellings meet: "haemorrhage"/"hemorrhage", "oedema"/"edema", "tumour"/"tumor".
    if len(word) > 4:
        word = word.replace("ae", "e").replace("oe", "e").replace("our", "or")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "spine" meets "spinal", "dose" meets "doses"
    if ate_verb and word.endswith("at"):
        word = word[:-2]
    return word[:7]


def content_stems(text: str) -> list[str]:
    """Content words of a text, lower-cased and folded to a short stem, stop words removed, in order."""
    return list(_stems(text))


@lru_cache(maxsize=8192)
def _stems(text: str) -> tuple[str, ...]:
    # The same passages are read by the composer and the verifier for every question: stem each text once.
    # Hyphenated words count by their parts: "cancer-associated" must meet "associated with cancer".
    words = (w for t in _TOKEN.findall(text.lower()) for w in t.split("-"))
    return tuple(_stem(w) for w in words if w and w not in _STOP and (len(w) > 1 or w.isdigit()))


def _normal(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def quoted_in(statement: str, passage: str) -> bool:
    """True when the statement is the passage's own words (case, spacing and punctuation aside)."""
    words = _normal(statement)
    return bool(words) and f" {words} " in f" {_normal(passage)} "


def numbers_of(text: str) -> set[tuple[str, str | None]]:
    """Numbers with their units, e.g. {("8", "gy"), ("24", "h")}; thousands separators dropped."""
    found: set[tuple[str, str | None]] = set()
    for m in _NUMBER.finditer(text):
        value = m.group(1)
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", value):
            value = value.replace(",", "")
        unit = (m.group(2) or m.group(3) or "").lower() or None
        found.add((value, _UNIT_FOLD.get(unit, unit) if unit else None))
    return found


def has_negation(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _numbers_missing(statement: str, passage: str) -> list[str]:
    have = numbers_of(passage)
    values = {v for v, _ in have}
    missing = []
    for value, unit in numbers_of(statement):
        if (value, unit) in have or (unit is None and value in values):
            continue
        missing.append(f"{value} {unit}".strip() if unit else value)
    return missing


def _check(text: str, passage: str, embedder: Any, cache: dict[Any, Any]) -> tuple[float, str | None]:
    """(support 0..1, reason it fails or None) for one statement against one passage."""
    if quoted_in(text, passage):
        # A quotation carries itself: same words, same numbers, same negations. No model needed.
        return 1.0, None
    missing = _numbers_missing(text, passage)
    if missing:
        return 0.0, f"number(s) not in the cited source: {', '.join(sorted(missing))}"
    stems = content_stems(text)
    if not stems:
        return 0.0, "no content words"
    if passage not in cache:
        sentences = split_sentences(passage) or [passage]
        cache[passage] = (set(content_stems(passage)), [(s, set(content_stems(s))) for s in sentences])
    passage_stems, sentences = cache[passage]
    coverage = sum(s in passage_stems for s in stems) / len(stems)
    wanted = set(stems)
    region = max(sentences, key=lambda pair: len(wanted & pair[1]))[0]
    if has_negation(text) != has_negation(region):
        side = "statement" if has_negation(text) else "cited source"
        return 0.0, f"negation mismatch: only the {side} is negated"
    if coverage < MIN_COVERAGE:
        return coverage, f"only {coverage:.0%} of its words are in the cited source"
    support = coverage
    if embedder is not None:
        vecs = embedder.embed([text, region])
        cosine = float(vecs[0] @ vecs[1])
        if cosine < MIN_COSINE:
            return cosine, f"meaning differs from the cited source (cosine {cosine:.2f})"
        support = 0.6 * coverage + 0.4 * max(0.0, min(1.0, cosine))
    return round(support, 3), None


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


def _verify_one(statement: Statement, refs: dict[int, Reference], texts: dict[str, str], embedder: Any,
                cache: dict[Any, Any]) -> tuple[Statement | None, str | None]:
    citations = [n for n in dict.fromkeys(statement.citations) if n in refs]
    if not citations:
        return None, "no citation to a reference in the list"
    statement = statement.model_copy(update={"citations": citations})
    passages = _passages_for(statement, refs, texts)
    if passages is None:
        return None, "cites a passage that was not retrieved"
    results = [_check(statement.text, passage, embedder, cache) for passage in passages]
    supported = [support for support, why in results if why is None]
    if not supported:
        return None, next(why for _, why in results if why)
    return statement.model_copy(update={"support": max(supported)}), None


def _renumber(answer: Answer) -> Answer:
    """Drop references no statement cites and number the rest from 1 in order of first use."""
    old = {r.n: r for r in answer.references}
    order: dict[int, int] = {}
    for n in list(answer.summary_citations) + [n for s in answer.statements() for n in s.citations]:
        if n in old and n not in order:
            order[n] = len(order) + 1
    sections = [sec.model_copy(update={"statements": [
        st.model_copy(update={"citations": [order[n] for n in st.citations if n in order]})
        for st in sec.statements]}) for sec in answer.sections]
    refs = [old[n].model_copy(update={"n": new}) for n, new in sorted(order.items(), key=lambda kv: kv[1])]
    return answer.model_copy(update={
        "sections": sections, "references": refs,
        "summary_citations": [order[n] for n in answer.summary_citations if n in order]})


def verify(answer: Answer, evidence: Iterable[Evidence], embedder: Any = None) -> Answer:
    """The answer with only the statements its cited passages support; see the module docstring."""
    t0 = time.perf_counter()
    if answer.abstained:
        return answer.model_copy(update={"timings": {**answer.timings, "verify": 0.0}})
    texts = {e.passage.id: e.passage.text for e in evidence}
    refs = {r.n: r for r in answer.references}
    cache: dict[Any, Any] = {}
    dropped = list(answer.dropped)
    summary, summary_citations, summary_grade = answer.summary, list(answer.summary_citations), answer.summary_grade
    if summary:
        # The bottom line is carried if any passage of its cited references carries it.
        kept, why = _verify_one(Statement(text=summary, citations=summary_citations), refs, texts, embedder, cache)
        if kept is None:
            dropped.append(DroppedStatement(text=summary, reason=f"bottom line: {why}"))
            summary, summary_citations, summary_grade = "", [], None
        else:
            summary_citations = kept.citations
    sections: list[Section] = []
    for section in answer.sections:
        statements = []
        for st in section.statements:
            kept, why = _verify_one(st, refs, texts, embedder, cache)
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
    checked = _renumber(checked)
    if not checked.summary and not checked.statements():
        checked = checked.model_copy(update={
            "abstained": True, "references": [], "follow_ups": checked.follow_ups,
            "abstain_reason": "No statement could be verified against the sources it cites."})
    checked.timings["verify"] = round((time.perf_counter() - t0) * 1000, 2)
    return checked

