"""Question → ranked evidence: lexical (FTS5 BM25) and dense search, fused, adjusted by clinical priors,
deduplicated. Every result carries why it ranked, for `--explain`.
"""

from __future__ import annotations

import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from medoracle.embed import check_embedder
from medoracle.errors import BadQuestion
from medoracle.ingest.population import focus_of, passage_population, population_of
from medoracle.store.base import DocumentMeta, Store
from medoracle.store.query import Clause, LexicalQuery, SearchFilters, words_of
from medoracle.text import content_stems
from medoracle.types import Evidence, Passage, Population, Query, year_of
from medoracle.understand import read_query
from medoracle.understand.vocab import QueryTerms, understand

MAX_QUESTION_CHARS = 2000
POOL = 100          # candidates taken from each retriever before fusion
RRF_K = 60          # reported in --explain for comparison with reciprocal-rank fusion
LEXICAL_WEIGHT = 0.4  # share of the fused score from BM25 when both retrievers ran
COMMON_SHARE = 0.05   # a term in more than 5% of passages is too common to be worth scoring
HEADING_SHARE = 0.03  # …and one in the titles or headings of more than 3% is left to coverage (large stores)
HEADING_RARER = 3     # …when at least this many rarer terms remain to find the question's passages
RAREST_TERMS = 6      # …and of a long question's other terms only the six rarest are searched (large stores)
LEAN_FROM = 20_000    # passages: from this size on the lexical query leaves out what costs most and helps least
PRIOR_WEIGHT = 0.04   # priors reorder close calls only: fused scores run 0..1, a prior adds at most 0.04
SHORTLIST = 40        # fused candidates at least that priors, coverage and dedupe reorder
COVERAGE_WEIGHT = 0.6  # the IDF-weighted share of the question's words a candidate holds (tune_fusion.py)

# What a clinician would rather read when relevance is close: synthesised, graded evidence first.
# The one prior table: the composer ranks sentences by it too (`doc_type_prior`).
DOC_TYPE_PRIOR = {"guideline": 1.0, "systematic_review": 0.85, "trial": 0.6, "review": 0.55,
                  "textbook": 0.5, "other": 0.4, "consumer": 0.35}


def doc_type_prior(doc_type: str) -> float:
    """0..1: how much a clinician would rather read this kind of evidence when relevance is close."""
    return DOC_TYPE_PRIOR.get(doc_type, DOC_TYPE_PRIOR["other"])

_WORD = re.compile(r"\w+", re.UNICODE)
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="medoracle-lexical")


@dataclass
class Retrieval:
    """The evidence found for a question, with the understanding of it and anything the reader should know."""

    question: str
    query: QueryTerms
    evidence: list[Evidence]
    understood: Query | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    mode: str = "hybrid"


def check_question(question: str) -> str:
    """The question, stripped; BadQuestion when it cannot be searched."""
    if question is None or not str(question).strip():
        raise BadQuestion("the question is empty")
    q = " ".join(str(question).split())
    if len(q) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(q):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
                          "Ask one focused clinical question.")
    if not _WORD.search(q):
        raise BadQuestion("the question has no words to search for")
    return q


def lexical_query(query: QueryTerms, store: Store | None = None, filters: SearchFilters | None = None, *,
                  lean_from: int = LEAN_FROM) -> LexicalQuery:
    """The structured lexical query: one clause per content term and vocabulary expansion, any of them may
    match (adjacent-word phrases were measured: slower and no better on the dev sets).

    Clauses hold plain words only, so operators a user typed (NEAR, AND(, *, quotes) are never syntax.
    With a store, terms found in more than COMMON_SHARE of passages are restricted to titles and section
    headings (when rarer terms remain): scoring their long posting lists takes most of a query's time and
    their IDF adds almost nothing, but they still count where they name what a passage is about.

    In a store of `lean_from` passages or more, a common term that is also in the titles or headings of more
    than HEADING_SHARE of passages ("disease", "syndrome", "treatment", "cancer") is left out when at least
    HEADING_RARER rarer terms remain: FTS5 scores every row a clause matches, so such a clause cost most of a
    query's time (10–20 ms on the four shared corpora), and coverage (`Coverage`) still credits the candidates
    that hold it. With fewer rarer terms it stays: "What are the treatments for X?" needs "treatments" to tell
    MedQuAD's answers about X apart (leaving it out there cost MedQuAD 0.01 MRR on a 300-question sample).
    Of the other terms, only the RAREST_TERMS with the fewest passages are searched: a long question (PubMedQA's
    are whole titles) otherwise pays for every clause's rows, and its rarest words already find its passages.
    Both rules together, on 100 and on 300 questions per dev set: the primary metrics equal or up to 0.006
    higher, the lexical query's CPU time down by a third (MedQuAD, BioASQ) to a half (PubMedQA).
    """
    clauses: list[Clause] = []
    seen: set[tuple[str, ...]] = set()

    def add(text: str, fields: tuple[str, ...] = ()) -> None:
        words = words_of(text)
        if words and words not in seen:
            seen.add(words)
            clauses.append(Clause(words, fields=fields))

    terms = [t for t in query.terms if t not in query.negated]
    common = _common_terms(terms, store) if store is not None else set()
    left_out = (_heading_terms(terms, common, store, lean_from) | _beyond_rarest(terms, common, store, lean_from)
                if store is not None else set())
    for t in terms:
        if t not in left_out:
            add(t, ("title", "section") if t in common else ())
    for alternatives in query.expansions.values():
        for alt in alternatives:
            add(alt)
    return LexicalQuery(tuple(clauses), filters or SearchFilters())


def _common_terms(terms: list[str], store: Store) -> set[str]:
    total = store.passage_count()
    if not total:
        return set()
    common = {t for t in terms if store.document_frequency(t) > COMMON_SHARE * total}
    return common if len(set(terms) - common) >= 2 else set()


def _heading_terms(terms: list[str], common: set[str], store: Store, lean_from: int) -> set[str]:
    """The common terms also in more than HEADING_SHARE of titles and headings, when HEADING_RARER rarer terms
    remain, in a store of `lean_from` passages or more."""
    if not common or len(set(terms) - common) < HEADING_RARER:
        return set()
    total = store.passage_count()
    if total < lean_from:
        return set()
    return {t for t in common if store.heading_frequency(t) > HEADING_SHARE * total}


def _beyond_rarest(terms: list[str], common: set[str], store: Store, lean_from: int) -> set[str]:
    """The terms past the RAREST_TERMS rarest of those not `common` (fewest passages first, then question order),
    in a store of `lean_from` passages or more."""
    rarer = list(dict.fromkeys(t for t in terms if t not in common))
    if len(rarer) <= RAREST_TERMS or store.passage_count() < lean_from:
        return set()
    return set(sorted(rarer, key=store.document_frequency)[RAREST_TERMS:])


def retrieve(question: str, store, *, k: int = 10, embedder=None, filters: SearchFilters | None = None,
             per_document: int = 3, understood: Query | None = None) -> Retrieval:
    """Ranked evidence for a question. `understood`: the question already read (the service passes it);
    retrieval searches its spelled-out text ("svco mx" → "superior vena cava obstruction management")."""
    started = time.perf_counter()
    q = check_question(question)
    if understood is None:
        understood = read_query(q, known=known_words(store))
    query = understand(understood.search_text)
    query.text = q
    if not query.terms and not query.expansions:
        raise BadQuestion("the question has only common words (like 'what', 'is', 'the'); "
                          "name a condition, test or treatment")
    out = Retrieval(question=q, query=query, evidence=[], understood=understood)
    out.timings["understand"] = (time.perf_counter() - started) * 1000
    # BM25 runs in a worker thread while the question is embedded and the vectors scanned: SQLite, numpy
    # and onnxruntime all release the GIL, so on two cores the two searches overlap instead of adding up.
    lexical_job = _POOL.submit(_timed, store.lexical, lexical_query(query, store, filters), POOL)
    dense: list[tuple[str, float]] = []
    t1 = time.perf_counter()
    if embedder is None:
        out.mode = "lexical"
    else:
        stored = store.embedder_name()
        if stored is None:
            out.mode = "lexical"
            out.notes.append("This database has no embeddings yet, so search was lexical only "
                             "(run `medoracle embed` to add them).")
        else:
            check_embedder(stored, embedder)
            vector = embedder.embed_query(_dense_text(query))
            dense = store.dense(np.asarray(vector), POOL, filters)
    out.timings["dense"] = (time.perf_counter() - t1) * 1000
    lexical, out.timings["lexical"] = lexical_job.result()
    t2 = time.perf_counter()

    out.evidence = _fuse(lexical, dense, store, k, per_document, coverage=Coverage(query, store))
    out.timings["fuse"] = (time.perf_counter() - t2) * 1000
    out.timings["retrieve"] = (time.perf_counter() - started) * 1000
    return out


class _Known:
    """Whether the library's index holds a word (so spelling tolerance leaves it alone); `frequency` tells a word
    the index holds only as another word's stem ("fibrilation" is "fibril" to it)."""

    def __init__(self, frequency) -> None:
        self.frequency = frequency

    def __call__(self, word: str) -> bool:
        return self.frequency(word) > 0


def known_words(store):
    """Whether the library's index holds a word (so spelling tolerance leaves it alone), when the store can say."""
    frequency = getattr(store, "document_frequency", None)
    if frequency is None:
        return None
    return _Known(frequency)


def _timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - t) * 1000


def search(question: str, store, *, k: int = 10, embedder=None, filters: SearchFilters | None = None) -> list[Evidence]:
    return retrieve(question, store, k=k, embedder=embedder, filters=filters).evidence


def _dense_text(query: QueryTerms) -> str:
    # spelling abbreviations out helps a small embedding model that has seldom seen "MSCC" or "SBRT"
    extra = [alt for alts in query.expansions.values() for alt in alts[:1]]
    return query.text + (" (" + "; ".join(extra) + ")" if extra else "")


def _fuse(lexical: list[tuple[str, float]], dense: list[tuple[str, float]], store, k: int,
          per_document: int, *, lexical_weight: float = LEXICAL_WEIGHT,
          prior_weight: float = PRIOR_WEIGHT, coverage: Coverage | None = None,
          coverage_weight: float = COVERAGE_WEIGHT) -> list[Evidence]:
    """Convex combination of min-max-normalised scores, then priors and the question's word coverage.

    Score fusion rather than reciprocal-rank fusion: RRF flattens a decisive lexical match (BM25 99 vs 39)
    into a 6% rank difference that any prior then overturns. Normalised scores keep the size of the gap, so
    priors only decide genuinely close calls. Ranks and RRF are still reported for --explain.

    Coverage (`Coverage`) puts back what the lexical query leaves out for speed: a word too common to search
    the whole index for ("cancer", "disease") still counts in the candidates that hold it.
    """
    # Per candidate: its rank and raw score in each retriever, its reciprocal-rank sum and its fused score. The
    # `--explain` dict is built only for what is kept (a few dozen of ~200 candidates); what ranks uses the
    # same rounded fused score it always did.
    ranks: dict[str, dict[str, tuple[int, float]]] = {}
    norms: dict[str, float] = {}
    rrf: dict[str, float] = {}
    weights = {"lexical": lexical_weight if dense else 1.0, "dense": 1.0 - lexical_weight if lexical else 1.0}
    for key, hits in (("lexical", lexical), ("dense", dense)):
        if not hits:
            continue
        top, bottom = max(s for _, s in hits), min(s for _, s in hits)
        span = (top - bottom) or 1.0
        weight = weights[key]
        for rank, (pid, score) in enumerate(hits, 1):
            seen = ranks.get(pid)
            if seen is None:
                seen = ranks[pid] = {}
                norms[pid] = 0.0
                rrf[pid] = 0.0
            seen[key] = (rank, score)
            rrf[pid] += 1.0 / (RRF_K + rank)
            norms[pid] += weight * ((score - bottom) / span if top != bottom else 1.0)
    if not ranks:
        return []
    fused = {pid: round(norm, 4) for pid, norm in norms.items()}
    # take generously before priors and dedupe, then cut to k
    shortlist = sorted(fused, key=lambda p: -fused[p])[: max(k * 4, SHORTLIST)]
    passages = {p.id: p for p in store.passages(shortlist)}
    docs = store.documents([p.doc_id for p in passages.values()])
    ranked: list[tuple[float, Passage]] = []
    extra: dict[str, tuple[float, float | None]] = {}  # pid → (prior, coverage) for its explain dict
    for pid in shortlist:
        p = passages.get(pid)
        if p is None:
            continue
        prior = _passage_prior(p)
        score = fused[pid] + prior_weight * prior
        covered = None
        if coverage is not None and coverage_weight:
            meta = docs.get(p.doc_id)
            covered = coverage.of(meta.title if meta else "", p.section, p.text)
            score += coverage_weight * covered
        extra[pid] = (prior, covered)
        ranked.append((score, p))
    ranked.sort(key=lambda item: -item[0])  # stable: equal scores keep the fused order
    kept: list[Evidence] = []
    for score, p in _dedupe(ranked, k, per_document):
        meta = docs.get(p.doc_id)
        info: dict = {}
        for key, (rank, raw) in ranks[p.id].items():
            info[f"{key}_rank"] = rank
            info[f"{key}_score"] = round(raw, 4)
        prior, covered = extra[p.id]
        info.update(rrf=round(rrf[p.id], 5), fused=fused[p.id], prior=round(prior, 3), doc_type=p.doc_type.value)
        if covered is not None:
            info["coverage"] = round(covered, 3)
        # whom each passage speaks of, and what its document is about (only for what is kept)
        facts = _document_facts(meta)
        kept.append(Evidence(passage=p, title=meta.title if meta else "", url=meta.url if meta else None,
                             source=meta.source if meta else None, plain=_plain_of(meta), score=score,
                             explain=info, population=facts.population(p), focus=list(facts.focus)))
    return kept


class Coverage:
    """How much of the question a passage holds: the IDF-weighted share of its content words found in the
    passage's title, heading or text, compared by stem, 0..1. A word of an abbreviation or synonym group
    ("MRI" ⇄ "magnetic resonance imaging") counts when any form of its group is there."""

    def __init__(self, query: QueryTerms, store: Store | None) -> None:
        total = store.passage_count() if store is not None else 0
        groups = [(key, *alternatives) for key, alternatives in query.expansions.items()]
        self.terms: list[tuple[float, list[frozenset[str]]]] = []
        for term in dict.fromkeys(t for t in query.terms if t not in query.negated):
            lower = term.lower()
            forms = [_stem_set(term)] + [_stem_set(form) for group in groups
                                         if any(lower in words_of(form) for form in group) for form in group]
            forms = [f for f in dict.fromkeys(forms) if f]
            if not forms:
                continue
            frequency = store.document_frequency(term) if store is not None and total else 0
            self.terms.append((math.log(1 + total / (1 + frequency)) if total else 1.0, forms))
        self.total = sum(w for w, _ in self.terms)

    def of(self, title: str, section: str, text: str) -> float:
        if not self.total:
            return 0.0
        held = _held_stems(title, section, text)
        found: float = 0  # the same sum, in the same order, as sum() over a generator, without its calls
        for weight, forms in self.terms:
            for form in forms:
                if form <= held:
                    found += weight
                    break
        return found / self.total


@lru_cache(maxsize=16384)
def _stem_set(text: str) -> frozenset[str]:
    # cached: titles, headings and passages recur question after question
    return frozenset(content_stems(text))


@lru_cache(maxsize=16384)
def _held_stems(title: str, section: str, text: str) -> frozenset[str]:
    """The stems of a passage's title, heading and text together (cached, like `_stem_set`, by the texts)."""
    return _stem_set(title) | _stem_set(section) | _stem_set(text)


class _DocumentFacts:
    """What a document's metadata says about whom its passages speak of and what it is about, worked out once."""

    def __init__(self, title: str, metadata: dict) -> None:
        self.metadata = metadata  # held, so the cache key (its id) cannot be reused while the entry lives
        self.title = title
        self.declared = population_of(title, metadata)
        stored = metadata.get("passage_populations")
        self.stored = stored if isinstance(stored, dict) else None
        self.focus = focus_of(title, metadata)
        self._passages: dict[tuple[int, str], Population | None] = {}

    def population(self, p: Passage) -> Population | None:
        key = (p.position, p.section)
        if key not in self._passages:
            found = passage_population(p, self.declared, self.stored)
            self._passages[key] = None if found.is_empty() else found
        return self._passages[key]


_FACTS: dict[int, _DocumentFacts] = {}
_FACTS_LOCK = threading.Lock()
_NO_METADATA: dict = {}


def _document_facts(meta: DocumentMeta | None) -> _DocumentFacts:
    """The facts of a document, cached by the identity of its metadata dict: the SQLite store hands out one dict per
    distinct metadata text, so a server works each document out once; a store that parses afresh just misses."""
    title = meta.title if meta else ""
    metadata = meta.metadata if meta is not None and isinstance(meta.metadata, dict) else _NO_METADATA
    facts = _FACTS.get(id(metadata))
    if facts is None or facts.metadata is not metadata or facts.title != title:
        facts = _DocumentFacts(title, metadata)
        with _FACTS_LOCK:
            if len(_FACTS) > 8192:
                _FACTS.clear()
            _FACTS[id(metadata)] = facts
    return facts


def _passage_prior(p: Passage) -> float:
    return _prior_of(p.doc_type.value, p.published, p.grade.rank if p.grade else None)


@lru_cache(maxsize=4096)
def _prior_of(doc_type: str, published: str | None, grade_rank: float | None) -> float:
    # cached by its values: a few dozen distinct (type, date, grade) among a library's passages
    return _prior(doc_type, year_of(published), grade_rank)


def _prior(doc_type: str, year: int | None, grade_rank: float | None) -> float:
    """0..1: evidence type (most), recency, and a printed grade."""
    kind = doc_type_prior(doc_type)
    recency = 0.5 if year is None else min(max((year - 1995) / 30, 0.0), 1.0)
    graded = grade_rank if grade_rank is not None else 0.0
    return 0.6 * kind + 0.25 * recency + 0.15 * graded


def _plain_of(meta: DocumentMeta | None) -> str | None:
    """A knowledge-base card's `plain:` text, kept by the Markdown reader in the document's metadata."""
    plain = meta.metadata.get("plain") if meta is not None else None
    return plain.strip() if isinstance(plain, str) and plain.strip() else None


def _dedupe(ranked: list[tuple[float, Passage]], k: int, per_document: int) -> list[tuple[float, Passage]]:
    """The first k of `ranked`, skipping a text already kept, a near-copy (Jaccard > 0.8 of words) of a passage of
    the same document already kept, and passages past `per_document` of one document."""
    kept: list[tuple[float, Passage]] = []
    texts: set[str] = set()
    kept_tokens: dict[str, list[frozenset[str]]] = {}  # doc id → word sets of its kept passages
    for score, p in ranked:
        norm = _normalised(p.text)
        if norm in texts:
            continue  # the same text published twice (common in consumer sites) says nothing new
        same_doc = kept_tokens.setdefault(p.doc_id, [])
        if len(same_doc) >= per_document:
            continue
        tokens = _word_set(norm)
        if any(_jaccard(tokens, other) > 0.8 for other in same_doc):
            continue
        texts.add(norm)
        same_doc.append(tokens)
        kept.append((score, p))
        if len(kept) >= k:
            break
    return kept


@lru_cache(maxsize=8192)
def _normalised(text: str) -> str:
    # cached: a server meets the same passages question after question
    return " ".join(_WORD.findall(text.lower()))


@lru_cache(maxsize=8192)
def _word_set(norm: str) -> frozenset[str]:
    return frozenset(norm.split())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
