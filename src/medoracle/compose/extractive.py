"""The default composer: quotes the evidence, needs no language model.

1. Cut every retrieved passage into sentences; drop headings, boilerplate and fragments.
2. Score each sentence's relevance to the question: the question's content words it and its passage contain
   (weighted by how rare they are in this evidence), the retrieval score, and — with an embedder — the cosine.
3. Abstain when the evidence does not cover the question's words or nothing is relevant enough.
4. Pick the bottom line (a knowledge-base bottom-line card, else the strongest graded guideline recommendation),
   then the rest with MMR so near-duplicates are left out, file them in sections, strongest first.
5. Number references in order of first use, one per document, and attach the printed grades.

Statements are the source sentences with at most a list bullet, a "Recommendation 3:" label or a trailing grade label
trimmed off, so numbers, doses, units and negations are exactly the source's.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medoracle.compose.facets import FACET_ORDER, facet_of, title_of
from medoracle.ingest.grading import find_grades
from medoracle.types import Answer, Audience, DocType, Evidence, Grade, Reference, Section, Statement
from medoracle.verify import content_stems, numbers_of, sentence_spans

__all__ = ["ExtractiveComposer"]

_DOC_PRIOR = {DocType.guideline: 0.10, DocType.systematic_review: 0.07, DocType.review: 0.04,
              DocType.trial: 0.04, DocType.textbook: 0.04, DocType.consumer: 0.0, DocType.other: 0.01}
# Words that frame a question rather than name its subject; they count a quarter.
_FRAME = frozenset(content_stems(
    "what which how recommended recommendation recommendations management manage managed options option best "
    "approach approaches current guideline guidelines evidence role treatment treatments treat treated therapy "
    "therapies patients patient people adults adult indications indicated first line effective effect effects "
    "should done given need needed know tell explain difference differences does mean causes cause"))
_LEAD_LABEL = re.compile(
    r"^(?:\s*(?:[-–—•*·▪●◦‣]+\s*|\[(?i:new|updated?|amended|revised)[^\]]{0,20}\]\s*|\(?\d{1,2}[.)]\s+|\(?[a-hA-H][.)]\s+|\(?[ivx]{1,4}\)\s+|"
    r"(?i:recommendation|statement|key\s+recommendation|rec\.?|R)\s*\d+(?:\.\d+)*[a-z]?\s*[:.)\-–]\s*))+")
_BOILERPLATE = re.compile(
    r"original guideline|guideline clearinghouse|\bNGC\b|see the \"|\bfield\b|defined at the end|copyright|"
    r"all rights reserved|click here|https?://|www\.|for more information|this (?:guideline|summary|document|"
    r"section|table|page)\b|the following (?:key )?(?:recommendations|sections?)|rating scheme|levels? of evidence|"
    r"grades? of recommendation|strength of (?:the )?(?:evidence|recommendations?) (?:is|are|was|were)|"
    r"^(?:note|notes|table|figure|source|references?|abbreviations?)\b|errors and omissions|proprietary products|"
    r"disclaimer|no responsibility|reproduc(?:e|tion) (?:of|in)",
    re.IGNORECASE)
_RECOMMENDS = re.compile(r"\brecommend\w*|\bshould\b|\bfirst[- ]line\b|\boffer\b|\bis indicated\b|"
                         r"\btreatment of choice\b|\bpreferred\b|\bmainstay\b", re.IGNORECASE)
# A sentence states something: it has a verb. Lists of outcomes and joined headings do not.
_VERB = re.compile(r"\b(?:is|are|was|were|be|been|being|should|must|may|can|could|might|will|would|shall|has|have|had|"
                   r"do|does|did|recommend\w*|suggest\w*|offer\w*|consider\w*|use[sd]?|give[sn]?|avoid\w*|need\w*|"
                   r"improv\w+|reduc\w+|increas\w+|decreas\w+|caus\w+|includ\w+|occur\w*|help\w*|requir\w+|"
                   r"show\w*|found|provid\w+|appear\w*|remain\w*|lead\w*|led|result\w*|develop\w*|affect\w*|"
                   r"prevent\w*|treat\w*|refer\w*|check\w*|take[sn]?|stop\w*|start\w*|receiv\w+|seek|call|get|"
                   r"go|ask|tell|make[s]?|keep[s]?|report\w*|indicat\w+|associat\w+|compar\w+)\b", re.IGNORECASE)
_JOINED_HEADINGS = re.compile(r"[a-z] [A-Z][a-z]")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")
_CONDITION = [
    re.compile(r"\b(?:management|treatment|therapy|diagnosis|assessment|prognosis|causes?|symptoms?|signs?|"
               r"complications?|options?|approach|care|workup|work-up|imaging|screening|prevention|dose|dosing)"
               r"\s+(?:options\s+)?(?:of|for|in)\s+(?:an?\s+|the\s+)?(.+?)[?.!]*$", re.IGNORECASE),
    re.compile(r"\b(?:with|for|of|in|about)\s+(?:an?\s+|the\s+)?(.+?)[?.!]*$", re.IGNORECASE),
]
_FOLLOW_UP = {
    "red_flags": "Which warning signs in {c} need urgent care?",
    "assessment": "How is {c} assessed and diagnosed?",
    "first_line": "What is the first-line treatment for {c}?",
    "adjunct": "Which supportive or add-on treatments help in {c}?",
    "procedures": "When are surgery or procedures needed for {c}?",
    "special": "How does management of {c} change in pregnancy, older age or after earlier treatment?",
    "complications": "What are the complications of {c} and how are they monitored?",
    "emerging": "Which new approaches to {c} are being studied?",
    "background": "What causes {c} and how common is it?",
}


@dataclass
class _Candidate:
    """One sentence that could be a statement."""

    ev: int                      # index into the evidence list
    text: str                    # the trimmed sentence
    stems: set[str]
    grade: Grade | None
    relevance: float = 0.0
    own: float = 0.0             # share of the question's term weight in the sentence itself
    score: float = 0.0
    facet: str = "background"
    facet_confidence: float = 0.0
    vector: Any = None
    also: list[int] = field(default_factory=list)  # other evidence quoting the same sentence


class ExtractiveComposer:
    """Answers by quoting the most relevant, best-graded sentences of the evidence; abstains otherwise."""

    name = "extractive"

    def __init__(self, embedder: Any = None, min_relevance: float = 0.3, max_statements: int = 18, *,
                 per_section: int = 5, embed_top: int = 32, settings: Any = None) -> None:
        if settings is not None and min_relevance == 0.3:
            min_relevance = float(getattr(settings, "min_relevance", min_relevance))
        if not 0 <= min_relevance <= 1:
            raise ValueError("min_relevance must be between 0 and 1")
        if max_statements < 1 or per_section < 1:
            raise ValueError("max_statements and per_section must be at least 1")
        self.embedder = embedder
        self.min_relevance = min_relevance
        self.max_statements = max_statements
        self.per_section = per_section
        self.embed_top = embed_top

    # -- public ---------------------------------------------------------------------------------------------
    def compose(self, question: str, evidence: list[Evidence], *,
                audience: Audience = Audience.clinician) -> Answer:
        t0 = time.perf_counter()
        answer = self._compose(question, list(evidence), Audience(audience))
        answer.timings["compose"] = round((time.perf_counter() - t0) * 1000, 2)
        return answer

    # -- stages ---------------------------------------------------------------------------------------------
    def _compose(self, question: str, evidence: list[Evidence], audience: Audience) -> Answer:
        def abstain(reason: str) -> Answer:
            return Answer(question=question, abstained=True, abstain_reason=reason, audience=audience)

        if not evidence:
            return abstain("No passages were found for this question.")
        q_stems = list(dict.fromkeys(content_stems(question)))
        if not q_stems:
            return abstain("The question has no words to look for in the sources.")
        candidates = self._candidates(evidence)
        if not candidates:
            return abstain("The passages found contain no quotable sentences.")
        weights = self._term_weights(q_stems, candidates)
        coverage = self._coverage(question, weights, evidence)
        if coverage < 0.5:
            return abstain(f"The sources found do not cover this question (the closest passage holds {coverage:.0%} "
                           "of its key terms).")
        self._score(question, weights, candidates, evidence)
        best = max(c.relevance for c in candidates)
        subject = [t for t in q_stems if t not in _FRAME]
        if len(subject) <= 2 and max(c.own for c in candidates) < 0.99 * sum(
                w for t, w in weights.items() if t in subject) / sum(weights.values()):
            # With one or two subject words, they must meet in one sentence: "capital" and "France" in a
            # publisher's notice is not an answer about France.
            return abstain("No sentence in the sources found is about all of: " + ", ".join(subject) + ".")
        if best < self.min_relevance:
            return abstain(f"No passage is relevant enough to this question (best relevance {best:.2f}, "
                           f"needed {self.min_relevance:.2f}).")
        floor = max(self.min_relevance, 0.4 * best)
        pool = sorted((c for c in candidates if c.relevance >= floor), key=lambda c: -c.score)
        bottom = self._bottom_line(pool, evidence, best)
        chosen = self._select(pool, bottom)
        return self._assemble(question, audience, evidence, bottom, chosen, candidates, floor)

    def _candidates(self, evidence: list[Evidence]) -> list[_Candidate]:
        found: list[_Candidate] = []
        seen: dict[str, _Candidate] = {}
        for i, ev in enumerate(evidence):
            text = ev.passage.text
            grades = find_grades(text)
            for start, end in sentence_spans(text):
                sentence = _trim(text[start:end], [(s - start, e - start, g) for s, e, g in grades
                                                   if s < end and e > start])
                if sentence is None:
                    continue
                cleaned, grade = sentence
                if grade is None:
                    after = [g for s, _, g in grades if end <= s <= end + 3]
                    grade = after[0] if after else ev.passage.grade
                key = cleaned.lower()
                if key in seen:  # the same sentence in two sources: one statement citing both
                    if i != seen[key].ev and i not in seen[key].also:
                        seen[key].also.append(i)
                    continue
                cand = _Candidate(ev=i, text=cleaned, stems=set(content_stems(cleaned)), grade=grade)
                seen[key] = cand
                found.append(cand)
        return found

    def _term_weights(self, q_stems: list[str], candidates: list[_Candidate]) -> dict[str, float]:
        n = len(candidates)
        weights = {}
        for t in q_stems:
            df = sum(t in c.stems for c in candidates)
            idf = math.log((n + 1) / (df + 0.5)) + 1.0
            weights[t] = idf * (0.25 if t in _FRAME else 1.0)
        return weights

    def _coverage(self, question: str, weights: dict[str, float], evidence: list[Evidence]) -> float:
        """Share of the question's term weight that one passage holds together (acronyms may be spelled out).

        One passage, not the union: "Who won the 2010 World Cup?" finds "world", "cup" and "2010" somewhere in a
        medical corpus, never together.
        """
        total = sum(weights.values())
        if not total:
            return 0.0
        acronyms = [(a, content_stems(a)) for a in _ACRONYM.findall(question)]
        best = 0.0
        for ev in evidence[:50]:
            text = ev.passage.text + " " + (ev.title or "")
            stems = set(content_stems(text))
            covered = {t for t in weights if t in stems}
            for acronym, stem in acronyms:
                if stem and stem[0] in weights and stem[0] not in covered and _spelled_out(acronym, text):
                    covered.add(stem[0])
            best = max(best, sum(weights[t] for t in covered) / total)
        return best

    def _score(self, question: str, weights: dict[str, float], candidates: list[_Candidate],
               evidence: list[Evidence]) -> None:
        total = sum(weights.values()) or 1.0
        top = max((e.score for e in evidence), default=0.0)
        aliases = _acronym_aliases(question, weights, evidence)

        def covered(stems: set[str], text: str) -> float:
            hit = {t for t in weights if t in stems}
            for stem, (stands_for, long_form) in aliases.items():
                if stem in stems:
                    hit |= stands_for
                elif long_form is not None and long_form.search(text):
                    hit.add(stem)
            return sum(weights[t] for t in hit) / total

        passage_cov = [covered(set(content_stems(ev.passage.text)), ev.passage.text) for ev in evidence]
        for c in candidates:
            retrieval = evidence[c.ev].score / top if top > 0 else 1.0 / (1 + c.ev)
            # A sentence of a passage that is squarely on the question is usually on it too ("It should be …").
            c.own = own = covered(c.stems, c.text)
            c.relevance = 0.5 * own + 0.35 * passage_cov[c.ev] + 0.15 * max(0.0, min(1.0, retrieval))
            if own < 0.3 and evidence[c.ev].passage.facet is None:
                c.relevance *= 0.6  # in a relevant passage, but says little about what was asked
        if self.embedder is not None:
            ranked = sorted(candidates, key=lambda c: -c.relevance)[: self.embed_top]
            vectors = np.asarray(self.embedder.embed([question] + [c.text for c in ranked]), dtype=np.float32)
            for c, vec in zip(ranked, vectors[1:]):
                c.vector = vec
                cosine = float(vec @ vectors[0])
                c.relevance = 0.5 * c.relevance + 0.5 * max(0.0, min(1.0, (cosine - 0.1) / 0.6))
        for c in candidates:
            ev = evidence[c.ev]
            c.facet, c.facet_confidence = facet_of(c.text, ev.passage)
            grade_bonus = 0.12 * c.grade.rank if c.grade is not None else 0.0
            c.score = c.relevance + grade_bonus + _DOC_PRIOR.get(ev.passage.doc_type, 0.0)

    def _bottom_line(self, pool: list[_Candidate], evidence: list[Evidence], best: float) -> _Candidate | None:
        def strength(c: _Candidate) -> float:
            passage = evidence[c.ev].passage
            value = c.relevance + 2 * _DOC_PRIOR.get(passage.doc_type, 0.0)
            value += 0.6 if passage.facet == "bottom_line" else 0.0
            value += 0.3 * c.grade.rank if c.grade is not None else 0.0
            value += 0.1 if _RECOMMENDS.search(c.text) else 0.0
            return value
        eligible = [c for c in pool if c.relevance >= 0.7 * best and c.facet != "red_flags"] or pool[:1]
        return max(eligible, key=strength) if eligible else None

    def _select(self, pool: list[_Candidate], bottom: _Candidate | None) -> list[_Candidate]:
        """MMR over the pool: relevance and grade against overlap with what is already chosen."""
        chosen: list[_Candidate] = [bottom] if bottom is not None else []
        per_facet: dict[str, int] = {}
        rest = [c for c in pool if c is not bottom]
        while rest and len(chosen) < self.max_statements + 1:
            best_c, best_v = None, -1e9
            for c in rest:
                if per_facet.get(c.facet, 0) >= self.per_section:
                    continue
                overlap = max((_similarity(c, s) for s in chosen), default=0.0)
                if overlap >= 0.6:
                    continue
                value = 0.75 * c.score - 0.25 * overlap
                if value > best_v:
                    best_c, best_v = c, value
            if best_c is None:
                break
            chosen.append(best_c)
            per_facet[best_c.facet] = per_facet.get(best_c.facet, 0) + 1
            rest.remove(best_c)
        return chosen[1:] if bottom is not None else chosen

    def _assemble(self, question: str, audience: Audience, evidence: list[Evidence], bottom: _Candidate | None,
                  chosen: list[_Candidate], candidates: list[_Candidate], floor: float) -> Answer:
        refs: dict[str, Reference] = {}

        def cite(c: _Candidate) -> list[int]:
            numbers = []
            for i in [c.ev] + c.also:
                ev = evidence[i]
                key = _document_key(ev)
                ref = refs.get(key)
                if ref is None:
                    ref = refs[key] = Reference(
                        n=len(refs) + 1, doc_id=ev.doc_id, title=ev.title, url=ev.url, source=ev.source,
                        published=ev.passage.published, doc_type=ev.passage.doc_type)
                if ev.passage.id not in ref.passage_ids:
                    ref.passage_ids.append(ev.passage.id)
                    ref.quotes.append(ev.passage.text)
                if ref.n not in numbers:
                    numbers.append(ref.n)
            return numbers

        summary, summary_citations = "", []
        if bottom is not None:
            summary, summary_citations = bottom.text, cite(bottom)
        by_facet: dict[str, list[_Candidate]] = {}
        for c in chosen:
            key = "background" if c.facet == "bottom_line" else c.facet
            by_facet.setdefault(key, []).append(c)
        sections = []
        for key in FACET_ORDER:
            group = sorted(by_facet.get(key, []),
                           key=lambda c: -(c.score + (0.15 * c.grade.rank if c.grade is not None else 0.0)))
            if not group:
                continue
            statements = [Statement(text=c.text, citations=cite(c), grade=c.grade.printed if c.grade else None,
                                    grade_norm=c.grade, facet=key,
                                    passage_ids=[evidence[i].passage.id for i in [c.ev] + c.also])
                          for c in group]
            sections.append(Section(key=key, title=title_of(key), statements=statements))
        covered = {s.key for s in sections}
        mentioned = {c.facet for c in candidates if c.relevance >= 0.8 * floor}
        return Answer(question=question, summary=summary, summary_citations=summary_citations, sections=sections,
                      references=sorted(refs.values(), key=lambda r: r.n), audience=audience,
                      follow_ups=_follow_ups(question, covered, mentioned, evidence))


def _trim(sentence: str, grades: list[tuple[int, int, Grade]]) -> tuple[str, Grade | None] | None:
    """The sentence with list marks, labels and a trailing grade label trimmed, and its grade; None to skip it."""
    grade = grades[0][2] if grades else None
    text = sentence
    # A grade label closing the sentence is shown as the statement's grade, not repeated in its text.
    for s, e, _ in sorted(grades, key=lambda t: -t[0]):
        if text[e:].strip(" .;") == "":
            text = text[:s].rstrip() + text[e:].strip()
    text = _LEAD_LABEL.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    if text.endswith((":", "?")) or len(text) < 30 or len(text) > 450:
        return None
    words = text.split()
    if len(words) < 6:
        return None
    if not text.endswith((".", "!", ")", "]", "%")) and len(words) < 10:
        return None  # headings and list fragments: they do not stand on their own
    if sum(w[:1].isupper() for w in words) > 0.6 * len(words):
        return None
    if not _VERB.search(text) or len(_JOINED_HEADINGS.findall(text)) >= 2:
        return None
    unlabelled = text
    for s, e, _ in grades:
        unlabelled = unlabelled.replace(sentence[s:e], " ")
    if _BOILERPLATE.search(unlabelled):
        return None
    if text[0].islower() and not re.match(r"[a-z]+[A-Z]", text):
        return None  # a fragment cut from the middle of a sentence ("and in those…"), unless "eGFR", "mRNA"
    return text, grade


def _similarity(a: _Candidate, b: _Candidate) -> float:
    if a.vector is not None and b.vector is not None:
        return float(a.vector @ b.vector)
    if not a.stems or not b.stems:
        return 0.0
    jaccard = len(a.stems & b.stems) / len(a.stems | b.stems)
    # Sentences that differ in a number (8 Gy vs 20 Gy) say different things even when the words match.
    if jaccard > 0.6 and numbers_of(a.text) != numbers_of(b.text):
        return 0.55
    return jaccard


def _document_key(ev: Evidence) -> str:
    """Two passages are one reference when they share a URL, or a title and an organisation."""
    if ev.url:
        return "url:" + ev.url.strip().rstrip("/").lower()
    if ev.title and ev.source:
        return f"title:{ev.title.strip().lower()}|{ev.source.strip().lower()}"
    return "doc:" + ev.doc_id


def _long_form(acronym: str) -> re.Pattern[str] | None:
    """A pattern for an acronym spelled out: "MSCC" → "metastatic spinal cord compression" (one filler word)."""
    letters = acronym.lower()
    if not letters.isalpha() or len(letters) < 2:
        return None
    return re.compile(r"\b" + r"\w*[\s-]+(?:(?:of|the|and|in|to|for)[\s-]+)?".join(re.escape(ch) for ch in letters)
                      + r"\w*", re.IGNORECASE)


def _spelled_out(acronym: str, text: str) -> bool:
    rx = _long_form(acronym)
    return rx is not None and rx.search(text) is not None


def _acronym_aliases(question: str, weights: dict[str, float],
                     evidence: list[Evidence]) -> dict[str, tuple[set[str], re.Pattern[str] | None]]:
    """Acronyms that stand for question words, both ways.

    An acronym in the evidence whose letters start the question's words ("MSCC" for "metastatic spinal cord
    compression") credits those words; an acronym in the question credits the sentences that spell it out.
    """
    aliases: dict[str, tuple[set[str], re.Pattern[str] | None]] = {}
    seen: set[str] = set()
    for ev in evidence[:50]:
        for acronym in _ACRONYM.findall(ev.passage.text):
            if acronym in seen:
                continue
            seen.add(acronym)
            rx = _long_form(acronym)
            m = rx.search(question) if rx is not None else None
            if m:
                stems = {t for t in content_stems(m.group(0)) if t in weights}
                if stems:
                    aliases[content_stems(acronym)[0]] = (stems, None)
    for acronym in _ACRONYM.findall(question):
        stem = content_stems(acronym)
        rx = _long_form(acronym)
        if stem and stem[0] in weights and rx is not None:
            aliases[stem[0]] = ({stem[0]}, rx)
    return aliases


def _condition(question: str) -> str:
    q = question.strip()
    for rx in _CONDITION:
        m = rx.search(q)
        if m and 2 <= len(m.group(1)) <= 80:
            return m.group(1).strip()
    return "this condition"


def _follow_ups(question: str, covered: set[str], mentioned: set[str], evidence: list[Evidence]) -> list[str]:
    condition = _condition(question)
    order = [k for k in FACET_ORDER if k in _FOLLOW_UP]
    first = [k for k in order if k in mentioned and k not in covered]
    then = [k for k in order if k not in covered and k not in first]
    picks = (first + then)[:3]
    if len(picks) < 3:
        picks += [k for k in order if k not in picks][: 3 - len(picks)]
    return [_FOLLOW_UP[k].format(c=condition) for k in picks]
