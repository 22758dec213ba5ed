"""Answers from research abstracts: the findings of the best few abstracts, in the shape the question asks.

A guideline says what to do in a sentence worded as advice; an abstract says it in its results and conclusions,
after a background, an objective and its methods that share the question's words just as well ("The aim of this
study was to assess whether X reduces Y" is not an answer to "Does X reduce Y?"). When the evidence retrieved is
mostly research abstracts, the extractive composer asks this module to (1) rescore its candidate sentences:
statements of findings up, set-up (background, aims, methods) down, and the retrieval's ranking of the abstracts
counted, since it judged the whole abstract against the question and the sentence scores see only words; and
(2) select the statements: the best finding of each of the top abstracts in turn, so a list question gets the
sentences naming its items from several abstracts, a summary the main findings of the best abstracts — each quoted,
so still cited and verified as any statement. How much is said follows what was asked (`reply_length`): a yes/no
question gets the finding that answers it (`bottom_line`: the one that restates its claim), a question for one
named thing the sentence naming it; more sentences there only dilute the answer with neighbouring findings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol, TypeVar

import numpy as np

from medoracle.compose.overlap import similarity
from medoracle.compose.sentences import CONCLUDES
from medoracle.compose.shape import Shape, defines, enumerates, read_shape
from medoracle.text import content_stems
from medoracle.types import DocType, Evidence
from medoracle.understand.form import read_question

__all__ = ["RESEARCH_TYPES", "bottom_line", "excerpted", "finding_value", "is_research", "reply_length", "rescore",
           "select", "states_setup"]

# Kinds of document whose passages are a study's own account (PubMed records are read as "other").
RESEARCH_TYPES = frozenset({DocType.trial, DocType.systematic_review, DocType.review, DocType.other})
TOP_DOCUMENTS = 3  # the abstracts an answer draws on first (3 scored above 4 and 5 on the tuning split)
# Chosen on the tuning split of `benchmarks/answers.py --split tune` (questions no evaluation sample uses).
RANK_COST = 0.3          # share of a sentence's relevance lost per place of its abstract below the third
RETRIEVAL_WEIGHT = 0.15  # the abstract's retrieval score (relative to the best) added to its sentences' relevance

# An abstract's parts, as its section path names them ("Abstract › Results").
_FINDING_PART = re.compile(r"\b(?:results?|conclusions?|findings|interpretation|discussion|significance)\b",
                           re.IGNORECASE)
_SETUP_PART = re.compile(r"\b(?:background|introduction|objectives?|aims?|purpose|methods?|design|setting|"
                         r"participants|materials|context|rationale)\b", re.IGNORECASE)
# How a study states what it set out to do or how it did it: not what it found.
_SETUP = re.compile(
    r"\bthe (?:main |primary )?(?:aim|purpose|objective|goal)s? (?:of|was|were|is)\b|"
    r"\bwe (?:aimed|sought|set out|wanted|hypothesi[sz]ed|asked)\b|\baimed (?:to|at)\b|"
    r"\b(?:is|was|were) to (?:determine|evaluate|assess|investigate|examine|compare|identify|explore|describe)\b|"
    r"\b(?:this|the present|the current|our) (?:study|trial|review|analysis|work|paper) (?:was designed|aim\w*|"
    r"sought|investigat\w+|examin\w+|evaluat\w+|assess\w+|explor\w+|describ\w+|compar\w+)\b|"
    r"\bwe (?:investigated|examined|evaluated|assessed|explored|analy[sz]ed|performed|conducted|enrolled|"
    r"recruited|reviewed|searched|retrospectively|prospectively|measured|studied|collected|designed|expose[d]?|"
    r"treated|injected|compared|tested|used)\b|"
    r"\bwere (?:randomi[sz]ed|enrolled|recruited|included|divided|allocated|assigned|followed|screened)\b|"
    r"\bdata (?:were|was) (?:collected|analy[sz]ed|extracted|obtained)\b|^to (?:determine|evaluate|assess|"
    r"investigate|examine|compare|identify|explore|review|describe|characteri[sz]e|analy[sz]e|test|quantify)\b|"
    r"\bremains? (?:unclear|unknown|controversial|to be)\b|\b(?:little|less) is known\b|"
    r"\bhas not been\b.{0,40}\b(?:studied|investigated|examined|evaluated)\b",
    re.IGNORECASE)
# How a result is reported: a measured difference, an association, a named effect.
_RESULT = re.compile(r"\bsignificant(?:ly)?\b|\bp ?[<=]|\bassociated with\b|\b(?:increase|decrease|reduc|improv|"
                     r"inhibit|induc|activat|suppress|promot|prevent)\w*|\b(?:was|were|is|are) (?:found|shown|"
                     r"identified|observed)\b|\bwe (?:found|show|report|identified|observed|demonstrate)\b|"
                     r"\bcaused by\b|\bresults? in\b|\blead(?:s|ing)? to\b", re.IGNORECASE)


# A question asking for an account, not one named thing: "Describe …", "What is the role of …", "How does …".
_ACCOUNT = re.compile(r"^\s*(?:please\s+)?(?:describe|explain|summari[sz]e|discuss|review|how (?:does|do|is|are|can)\b|"
                      r"what (?:is|are) (?:known|the (?:role|roles|function|functions|mechanism|mechanisms|effects?|"
                      r"impact|consequences?|association|relationship|evidence|outcomes?)\b))", re.IGNORECASE)


class Candidate(Protocol):
    """A sentence of the evidence as the extractive composer scored it."""

    ev: int
    text: str
    stems: set[str]
    vector: np.ndarray | None
    relevance: float
    score: float
    last: bool


C = TypeVar("C", bound=Candidate)


def is_research(evidence: Sequence[Evidence], top: int = 8) -> bool:
    """Whether the best evidence, by rank, is mostly research abstracts: not guidance, not a health page, not a
    card."""
    head = evidence[:top]
    # Place i counts 1/(i+1), so the first two outweigh the other six: a plain majority sent PubMedQA and BioASQ
    # questions whose best abstracts came before a run of guideline or health-page passages to the guidance reply
    # (tuning split, ROUGE-2: PubMedQA .445 → .472).
    weights = [1 / (1 + i) for i in range(len(head))]
    return bool(head) and sum(w for w, e in zip(weights, head) if excerpted(e)) > sum(weights) / 2


def excerpted(ev: Evidence) -> bool:
    """Whether a passage is a study's own text (a research document, not a card), which may reach us as curated
    excerpts (BioASQ's snippets open mid-sentence): its sentences are quoted as cut, where a guideline's cut
    sentence would be left out."""
    return ev.passage.doc_type in RESEARCH_TYPES and ev.passage.facet is None


def _document_ranks(evidence: Sequence[Evidence]) -> list[int]:
    """Each evidence item's document rank (0 = the best document), in the retrieval's order."""
    order: dict[str, int] = {}
    for e in evidence:
        order.setdefault(e.passage.doc_id, len(order))
    return [order[e.passage.doc_id] for e in evidence]


@lru_cache(maxsize=16384)
def states_setup(text: str) -> bool:
    """Whether a sentence says what a study set out to do or how it did it ("To investigate the safety of …"),
    not what it found: never an answer's bottom line. Cached by text: the same sentences are candidates answer
    after answer."""
    return bool(_SETUP.search(text))


def finding_value(text: str, section: str = "", last: bool = False) -> float:
    """How much a sentence of an abstract reads as its finding (> 0) or as its set-up (< 0)."""
    part = section.rsplit("›", 1)[-1]
    value = 0.0
    if _FINDING_PART.search(part):
        value += 0.1
    elif _SETUP_PART.search(part):
        value -= 0.15
    if _SETUP.search(text):
        value -= 0.25
    elif CONCLUDES.search(text):
        value += 0.15
    elif _RESULT.search(text):
        value += 0.05
    if last:
        value += 0.05  # an abstract closes on its conclusion
    return value


def rescore(candidates: Sequence[Candidate], evidence: Sequence[Evidence], shape: Shape) -> float:
    """Rescore the sentences of research abstracts in place (see the module docstring); the new best relevance."""
    ranks = _document_ranks(evidence)
    top = max((e.score for e in evidence), default=0.0) or 1.0
    for c in candidates:
        ev = evidence[c.ev]
        rank = ranks[c.ev]
        # The retrieval ranked the abstracts; past the first TOP_DOCUMENTS, each place costs RANK_COST.
        standing = 1.0 if rank < TOP_DOCUMENTS else max(0.4, 1.0 - RANK_COST * (rank - TOP_DOCUMENTS + 1))
        delta = finding_value(c.text, ev.passage.section, c.last) + RETRIEVAL_WEIGHT * max(0.0, ev.score) / top
        if shape.listing and enumerates(c.text):
            delta += 0.1
        if shape.term is not None and defines(c.text, shape.term):
            delta += 0.15
        new = max(0.0, c.relevance * standing + delta)
        c.score += new - c.relevance
        c.relevance = new
    return max((c.relevance for c in candidates), default=0.0)


def reply_length(question: str, limit: int) -> int:
    """How many statements follow the bottom line over abstracts, at most `limit`: a list or an account of
    something gets `limit`, the findings of several abstracts, a definition one more, a yes/no question or a
    question for one named thing none (measured on the tuning split, lexical and hybrid: each further sentence
    lowered their ROUGE-2, for a yes/no question even a second abstract's finding that restates the claim as well
    as the bottom line does; a list or an account lost with fewer)."""
    shape = read_shape(question)
    if shape.listing or _ACCOUNT.match(question):
        return limit
    if read_question(question).yes_no:
        return 0
    return min(limit, 1) if shape.term is not None else 0


def _restating(question: str, evidence: Sequence[Evidence]) -> Callable[[Candidate], float]:
    """Scores how well a sentence restates a yes/no question's claim as a finding ("Is X associated with Y?" →
    "X was associated with Y"): the question's words in the sentence (as a share of both), its relevance and how
    much it reads as a finding."""
    asked = set(content_stems(question))

    def restates(c: Candidate) -> float:
        shared = len(asked & c.stems) / math.sqrt((len(c.stems) or 1) * (len(asked) or 1))
        return c.relevance + shared + 0.5 * finding_value(c.text, evidence[c.ev].passage.section, c.last)
    return restates


def bottom_line(candidates: Sequence[C], evidence: Sequence[Evidence], question: str, chosen: C | None) -> C | None:
    """A yes/no question's bottom line over abstracts: the finding of a top abstract that best restates its claim
    (`_restating`); any other question keeps `chosen`, and so does a bottom line taken from guidance or a card
    (advice keeps its own selection)."""
    if not read_question(question).yes_no or (chosen is not None and not excerpted(evidence[chosen.ev])):
        return chosen
    ranks = _document_ranks(evidence)
    pool = [c for c in candidates if ranks[c.ev] < TOP_DOCUMENTS and excerpted(evidence[c.ev])]
    return max(pool, key=_restating(question, evidence), default=chosen)


def select(candidates: Sequence[C], shown: Sequence[C], evidence: Sequence[Evidence], limit: int,
           question: str | None = None, closeness: float = 0.5) -> list[C]:
    """Up to `limit` statements (fewer for a `question` that asks for less, see `reply_length`): the best finding
    of each top abstract in turn (best abstract first), then the next best of any, leaving out what repeats a
    statement shown; a sentence must be at least `closeness` of the best one's relevance."""
    if question is not None:
        limit = reply_length(question, limit)
    if not candidates or limit <= 0:
        return []
    ranks = _document_ranks(evidence)
    best = max(c.relevance for c in candidates)
    # An aim or a method is no finding, however many of the question's words it repeats.
    pool = [c for c in candidates if ranks[c.ev] < TOP_DOCUMENTS and c.relevance >= closeness * best
            and all(c is not s for s in shown) and finding_value(c.text, evidence[c.ev].passage.section, c.last) >= 0]
    pool.sort(key=lambda c: -c.score)
    chosen: list[C] = []
    said = list(shown)
    used = {evidence[s.ev].passage.doc_id for s in shown}

    def fresh(c: C) -> bool:
        return all(similarity(c, s) < 0.6 for s in said)

    # First pass: one sentence per abstract not yet quoted; then the rest by score.
    for first_pass in (True, False):
        for c in pool:
            if len(chosen) >= limit:
                return chosen
            doc = evidence[c.ev].passage.doc_id
            if any(c is x for x in chosen) or (first_pass and doc in used) or not fresh(c):
                continue
            chosen.append(c)
            said.append(c)
            used.add(doc)
    return chosen
