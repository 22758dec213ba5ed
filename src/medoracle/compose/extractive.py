"""The default composer: quotes the evidence, needs no language model.

1. Cut every retrieved passage into sentences; drop headings, tables, boilerplate, fragments and the parts of a
   guideline that describe the guideline itself (`compose.sentences`).
2. Score each sentence's relevance to the question: the question's words in the sentence itself and in its
   passage, heading path and document title (weighted by how rare they are in this evidence), and the passage's
   retrieval score (its cosine to the question when retrieval was dense: no model runs here).
3. Abstain when the evidence does not cover the question's words or nothing is relevant enough.
4. Read the question's form (`understand.form`): a broad "management of X" question gets the whole page, every
   section with its best statements; a specific question gets a focused reply, the bottom line and a few
   statements, preferring the section it asks about.
5. Pick the bottom line (a knowledge-base bottom-line card, else the strongest graded guideline recommendation),
   then the rest with MMR so near-duplicates are left out, file them in sections, strongest first.
6. Number references in order of first use, one per document, and attach the printed grades.

Statements are the source sentences with at most a list bullet, a "Recommendation 3:" label, a glued heading or a
trailing grade label trimmed off, so numbers, doses, units and negations are exactly the source's.
"""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING

import numpy as np

from medoracle.compose import abstracts, fit, opening, pages, parts
from medoracle.compose.acronyms import ACRONYM, acronym_aliases, add_synonyms, spelled_out
from medoracle.compose.candidate import Candidate, doc_prior
from medoracle.compose.facets import FACET_ORDER, statement_facet, title_of
from medoracle.compose.followups import follow_ups
from medoracle.compose.overlap import similarity
from medoracle.compose.references import Bibliography, evidence_key
from medoracle.compose.sentences import ANAPHORIC, CONCLUDES, RECOMMENDS, STUDY_NARRATIVE, is_meta_section, quotable
from medoracle.compose.shape import Shape, asked_kind, defines, enumerates, read_shape
from medoracle.compose.subject_words import FRAME as _FRAME
from medoracle.compose.subject_words import POPULATION_WORDS as _POPULATION_WORDS
from medoracle.ingest.grading import unprinted_grade
from medoracle.text import content_stems
from medoracle.types import Answer, Audience, Evidence, Query, Section, Statement
from medoracle.understand.describe import describe
from medoracle.understand.form import QuestionForm, read_question

if TYPE_CHECKING:
    from medoracle.embed import Embedder
    from medoracle.settings import Settings

__all__ = ["ExtractiveComposer"]


_BACKGROUND_CAP = 2  # background is context, not management: a broad answer shows at most this much of it


def _words_for(question: str, stems: list[str]) -> str:
    """The question's own words for some of its stems, for a reader: "spinal and metastases", not "spin, metasta"."""
    words: list[str] = []
    for word in re.findall(r"[\w'-]+", question):
        if any(s in stems for s in content_stems(word)) and word.lower() not in (w.lower() for w in words):
            words.append(word)
    words = words or stems
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


class ExtractiveComposer:
    """Answers by quoting the most relevant, best-graded sentences of the evidence; abstains otherwise.

    `max_statements`/`per_section` bound a broad answer; `focused_statements` bounds the reply to a specific
    question (besides its bottom line). `embed_top` > 0 re-scores that many sentences with the embedder (slow on
    a laptop CPU; off by default because retrieval already scored the passages against the question).
    """

    name = "extractive"
    # Passages it wants to read: a broad answer draws on some 40 one-fact cards or guideline passages.
    wants_passages = 48

    def __init__(self, embedder: Embedder | None = None, min_relevance: float | None = None,
                 max_statements: int = 34, *, per_section: int = 6, focused_statements: int = 3, embed_top: int = 0,
                 settings: Settings | None = None) -> None:
        # Not given: the settings' value, else 0.3. Given (even 0.3): that value.
        if min_relevance is None:
            min_relevance = settings.min_relevance if settings is not None else 0.3
        if not 0 <= min_relevance <= 1:
            raise ValueError("min_relevance must be between 0 and 1")
        if max_statements < 1 or per_section < 1 or focused_statements < 0:
            raise ValueError("max_statements and per_section must be at least 1, focused_statements at least 0")
        self.embedder = embedder
        self.min_relevance = min_relevance
        self.max_statements = max_statements
        self.per_section = per_section
        self.focused_statements = focused_statements
        self.focused_closeness = 0.9
        self.embed_top = embed_top

    # -- public ---------------------------------------------------------------------------------------------
    def compose(self, question: str, evidence: list[Evidence], *, audience: Audience = Audience.clinician,
                query: Query | None = None) -> Answer:
        t0 = time.perf_counter()
        answer = self._compose(question, list(evidence), Audience(audience), query)
        answer.timings["compose"] = round((time.perf_counter() - t0) * 1000, 2)
        return answer

    # -- stages ---------------------------------------------------------------------------------------------
    def _compose(self, question: str, evidence: list[Evidence], audience: Audience,
                 query: Query | None = None) -> Answer:
        def abstain(reason: str) -> Answer:
            return Answer(question=question, abstained=True, abstain_reason=reason, audience=audience)

        if not evidence:
            return abstain("No passages were found for this question.")
        q_stems = list(dict.fromkeys(content_stems(question)))
        if query is not None and not query.population.is_empty():
            # Whom the question is about is `fit`'s to judge (a card's declared population counts there); as
            # words to find in a sentence, "55", "year" and "old" of ">55 yo" would outweigh the condition.
            named = set(content_stems(" ".join(query.conditions)))  # "acute" of "acute ischaemic stroke" stays
            q_stems = [t for t in q_stems if t in named or (t not in _POPULATION_WORDS and not t.isdigit())] or q_stems
        whom = _POPULATION_WORDS | fit.fit_words(query)
        from_studies = abstracts.is_research(evidence)
        if from_studies:  # a study names the drug asked for, not the word "drug"
            whom |= asked_kind(question)
        if not q_stems:
            return abstain("The question has no words to look for in the sources.")
        candidates = self._candidates(evidence, from_studies)
        if not candidates:
            return abstain("The passages found contain no quotable sentences.")
        # For the question's patient only: a sentence for someone else (under 55, non-pregnant, a rash when the
        # question is about colitis) is left out, and said to be when nothing else is left.
        fit.annotate(candidates, evidence, query)
        ruled_out = [c for c in candidates if c.conflicts]
        candidates = [c for c in candidates if not c.conflicts]
        if not candidates and query is not None:
            return abstain(fit.other_population(query, ruled_out))
        weights = self._term_weights(q_stems, candidates, whom)
        if query is not None and query.conditions:
            # The focus gate kept only documents about the question's condition, so nearly every candidate names
            # it and its IDF falls to ~1: the coverage test would then ask for the question's other words alone.
            # The condition's words keep the weight of a typical subject word (not those that only say whom it
            # is about: "in kidney disease" of a metformin question is judged by `fit`).
            named = set(content_stems(" ".join(query.conditions))) - whom
            spread = sorted(w for t, w in weights.items() if t not in _FRAME)
            typical = spread[len(spread) // 2] if spread else 1.0
            for t in named & set(weights):
                weights[t] = max(weights[t], typical)
        written = [(content_stems(short)[0], {t for t in content_stems(long_form) if t in weights})
                   for short, long_form in (query.corrections.items() if query is not None else ())
                   if content_stems(short)]
        coverage = self._coverage(question, weights, evidence, fit.class_aliases(query), written)
        if coverage < 0.5:
            return abstain("The passages found do not cover this question: the closest lacks more than half of "
                           "its key words.")
        form = read_question(question)
        self._score(question, form, weights, candidates, evidence, query)
        pages.favour_same_question(question, candidates, evidence)  # a Q&A page titled by this question
        best = max(c.relevance for c in candidates)
        # Whom the question is about is judged by `fit` (a card's declared population counts there), not here.
        subject = [t for t in q_stems if t not in _FRAME and t not in whom]
        needed = {1: 0.99, 2: 0.99, 3: 0.6}.get(len(subject), 0.0)
        if needed and max(c.about for c in candidates) < needed * sum(
                w for t, w in weights.items() if t in subject) / sum(weights.values()):
            # With few subject words, they must meet in one sentence: "capital" and "France" in a publisher's
            # notice is not an answer about France, nor is "POEM" (an endoscopic procedure) one about poems.
            return abstain("No sentence in the sources found is about all of " + _words_for(question, subject) + ".")
        if best < self.min_relevance:
            return abstain("No passage found is close enough to this question to quote as its answer.")
        shape = read_shape(question)
        research = not form.broad and from_studies
        if research:  # findings of the top abstracts, not their aims and methods (`compose.abstracts`)
            best = abstracts.rescore(candidates, evidence, shape)
        # A broad page takes everything on the subject; a focused reply only what is close to the best sentence.
        floor = max(self.min_relevance, (0.4 if form.broad else 0.6) * best)
        # On the question's subject, not a neighbour's: "brain metastases" cards are not about the spine.
        relevant = [c for c in candidates if c.relevance >= floor]
        on_topic = 0.62 * max(c.topic for c in relevant)
        pool = [c for c in relevant if c.topic >= on_topic]
        if query is not None:
            # What the question makes a point of (its patient, the drug or dose it asks for) may be worded
            # further from it than a general sentence: such sentences on the subject join the pool.
            pool += [c for c in candidates if c not in pool and (
                (c.matches and c.relevance >= 0.25 * best and c.topic >= 0.4 * on_topic)
                or (c.relevance >= 0.45 * best and c.topic >= 0.8 * on_topic and fit.intent_value(c, query) >= 0.3))]
        if shape.listing and not form.broad:
            # A list is gathered from several sources, and the sentence naming more items may share fewer words
            # with the question than one about it ("Deletions of EPCAM, … were found in families with …").
            pool += [c for c in candidates if c not in pool and enumerates(c.text) and c.relevance >= 0.5 * best
                     and c.topic >= 0.8 * on_topic]
        if any(c.matches for c in pool):
            for c in pool:  # sentences silent on the asked-for patient give way to those that speak of them
                c.score -= 0.0 if c.matches else 0.15
        pool = sorted(fit.demote_cancer_only(pool, query), key=lambda c: -c.score)  # (no cancer asked: see there)
        bottom = opening.bottom_line(pool, evidence, best, form, question, query, shape)
        if query is not None and fit.only_background_left(query, bottom, ruled_out):
            return abstain(" ".join(filter(None, [fit.other_population(query, ruled_out),
                                                  fit.allergy_note(query, ruled_out)])))
        if research:  # a yes/no question's bottom line is the finding that restates it (`compose.abstracts`)
            bottom = abstracts.bottom_line(candidates, evidence, question, bottom)
        fit.file_subgroups(pool, bottom, evidence, query)
        summary = opening.summary_text(bottom, candidates, evidence, form, query)
        shown = [c for c in candidates if bottom is not None and c.ev == bottom.ev and c.text in summary]
        chosen = (abstracts.select(candidates, shown, evidence, self.focused_statements + shape.listing, question)
                  if research else self._select(pool, shown, form, evidence, shape))
        chosen += parts.complete(candidates, chosen + shown, query, best)  # "… and for how long?"
        chosen += fit.safety_statements(candidates, chosen + shown, query)
        answer = self._assemble(question, audience, evidence, bottom, summary, chosen, candidates, floor, query)
        answer.gaps = parts.gaps(query, " ".join([answer.summary, *(st.text for st in answer.statements())]),
                                 bottom, answer.summary)
        if answer.gaps and len(answer.gaps) >= len(parts.asked_parts(query)):
            # Nothing the question asks for is in the sources: say so, not something else about the subject.
            return abstain(" ".join([*answer.gaps, *filter(None, [fit.allergy_note(query, ruled_out)])])
                           + " The passages found on this subject do not answer what was asked.")
        answer.notes = fit.notes(query, bottom, ruled_out, answer)
        return answer

    def _candidates(self, evidence: list[Evidence], research: bool = False) -> list[Candidate]:
        found: list[Candidate] = []
        seen: dict[str, Candidate] = {}
        for i, ev in enumerate(evidence):
            if is_meta_section(ev.passage.section):
                continue
            sentences = quotable(ev.passage.text, research and abstracts.excerpted(ev))
            inherited = unprinted_grade(ev.passage.text, ev.passage.grade)
            for n, (cleaned, grade) in enumerate(sentences):
                grade = grade or inherited
                key = cleaned.lower()
                if key in seen:  # the same sentence in two sources: one statement citing both
                    if i != seen[key].ev and i not in seen[key].also:
                        seen[key].also.append(i)
                    continue
                cand = Candidate(ev=i, text=cleaned, stems=set(content_stems(cleaned)), grade=grade,
                                  card_bottom_line=ev.passage.facet == "bottom_line", lead=n == 0,
                                  last=n == len(sentences) - 1)
                seen[key] = cand
                found.append(cand)
        return found

    def _term_weights(self, q_stems: list[str], candidates: list[Candidate],
                      whom: frozenset[str] = _POPULATION_WORDS) -> dict[str, float]:
        n = len(candidates)
        weights = {}
        for t in q_stems:
            df = sum(t in c.stems for c in candidates)
            idf = math.log((n + 1) / (df + 0.5)) + 1.0
            # Framing words, and whom it is about (judged by `fit`, a card's declared population included) or a
            # bare number ("55" of ">55 yo"), count a quarter.
            weights[t] = idf * (0.25 if t in _FRAME or t in whom or t.isdigit() else 1.0)
        return weights

    def _coverage(self, question: str, weights: dict[str, float], evidence: list[Evidence],
                  classes: dict[str, re.Pattern[str]] | None = None,
                  written: list[tuple[str, set[str]]] | None = None) -> float:
        """Share of the question's term weight that one passage holds together (acronyms may be spelled out, a
        drug may be named by its class), with its document's title and declared focus (a card's topic and
        aliases: "cystitis" is a name of the lower UTI topic). `written`: what the question wrote and we spelled out
        ("HbA1c" → "glycated haemoglobin"): a passage using the abbreviation holds the long form's words.

        One passage, not the union: "Who won the 2010 World Cup?" finds "world", "cup" and "2010" somewhere in a
        medical corpus, never together.
        """
        if not sum(weights.values()):
            return 0.0
        acronyms = [(a, content_stems(a)) for a in ACRONYM.findall(question)]
        held: list[set[str]] = []
        for ev in evidence[:50]:
            text = ev.passage.text + " " + (ev.title or "") + " " + " ".join(ev.focus)
            stems = set(content_stems(text))
            covered = {t for t in weights if t in stems}
            covered |= {t for t, rx in (classes or {}).items() if t in weights and rx.search(ev.passage.text)}
            for short, long_form in written or ():
                if short in stems:
                    covered |= long_form
            for acronym, stem in acronyms:
                if stem and stem[0] in weights and stem[0] not in covered and spelled_out(acronym, text):
                    covered.add(stem[0])
            held.append(covered)
        # A framing word no source uses ("managed" where the cards say "offer" and "advise") tells no passage
        # from another; left in, its rarity would weigh more than the condition every passage names.
        unused = {t for t in weights if t in _FRAME} - set().union(*held)
        total = sum(w for t, w in weights.items() if t not in unused)
        return max((sum(weights[t] for t in covered) / total for covered in held), default=0.0) if total else 0.0

    def _score(self, question: str, form: QuestionForm, weights: dict[str, float], candidates: list[Candidate],
               evidence: list[Evidence], query: Query | None = None) -> None:
        total = sum(weights.values()) or 1.0
        top = max((e.score for e in evidence), default=0.0)
        aliases = acronym_aliases(question, weights, evidence)
        for short, long_form in (query.corrections.items() if query is not None else ()):
            # What the question wrote as an abbreviation ("DKA") and we spelled out: a sentence using the
            # abbreviation says the long form's words.
            written, stands_for = content_stems(short), {t for t in content_stems(long_form) if t in weights}
            if written and stands_for:
                aliases.setdefault(written[0], (stands_for, None))
        for drug, pattern in ((d, p) for d, p in fit.class_aliases(query).items() if d in weights):
            aliases.setdefault(drug, (set(), pattern))  # a sentence about the drug's class speaks of the drug
        add_synonyms(aliases, question, weights)

        def hits(stems: set[str], text: str) -> set[str]:
            hit = {t for t in weights if t in stems}
            for stem, (stands_for, long_form) in aliases.items():
                if stem in stems:
                    hit |= stands_for
                elif long_form is not None and long_form.search(text):
                    hit.add(stem)
            return hit

        def share(hit: set[str]) -> float:
            return sum(weights[t] for t in hit) / total

        # A passage's context: its words, its heading path (a card's topic) and its document's title.
        context: list[set[str]] = []
        framing: list[set[str]] = []  # heading path and title only
        titled: list[set[str]] = []
        named: list[set[str]] = []  # a card's topic names: "cystitis" is a name of the lower UTI topic
        for ev in evidence:
            names = " ".join(ev.focus) if ev.passage.facet is not None else ""
            named.append(hits(set(content_stems(names)), names) if names else set())
            # A card filed as first-line advice is under that heading, as a guideline's passage would be: the
            # step 1 drug card answers "first-line treatment for hypertension" though it never says "first-line".
            heading = title_of("first_line") if ev.passage.facet == "first_line" else ""
            around = f"{ev.passage.text} {ev.passage.section} {ev.title or ''} {heading}"
            context.append(hits(set(content_stems(around)), around))
            frame = f"{ev.passage.section} {ev.title or ''}"
            framing.append(hits(set(content_stems(frame)), frame))
            titled.append(hits(set(content_stems(ev.title or "")), ev.title or ""))
        # The topic: the subject words that most of the best-ranked passages share ("febrile", "neutropenia"),
        # not the particulars asked about them ("how soon").
        whom = _POPULATION_WORDS | fit.fit_words(query)  # (whom it is about: "in kidney disease" of a drug question)
        subject = [t for t in weights if t not in _FRAME and t not in whom] or [t for t in weights if t not in _FRAME]
        head = [ctx | names for ctx, names in zip(context[:5], named)]  # a card speaks of its topic's names too
        topic = [t for t in subject if 2 * sum(t in ctx for ctx in head) >= len(head)] or subject

        topic_total = sum(weights[t] for t in topic)

        def topic_share(hit: set[str]) -> float:
            # Within the topic, the rarer word decides: "metastatic" tells spinal metastases from spinal TB.
            return sum(weights[t] for t in topic if t in hit) / topic_total if topic_total else 1.0
        own_weight, context_weight = (0.3, 0.5) if form.broad else (0.5, 0.3)
        for c in candidates:
            ev = evidence[c.ev]
            dense = ev.explain.get("dense_score") if ev.explain else None
            if dense is not None:
                closeness = max(0.0, min(1.0, (float(dense) - 0.2) / 0.5))
            else:
                closeness = max(0.0, min(1.0, ev.score / top)) if top > 0 else 1.0 / (1 + c.ev)
            own_hits = hits(c.stems, c.text)
            c.own = own = share(own_hits)
            c.about = share(own_hits | named[c.ev])
            if ev.passage.facet is not None:
                c.topic = topic_share(own_hits | context[c.ev] | named[c.ev])  # a card: one fact of its topic
            else:
                # A guideline passage strings several recommendations together: judge the sentence in its
                # heading and title, not by its neighbours ("5 or more brain metastases" beside a spinal one).
                c.topic = topic_share(own_hits | framing[c.ev])
                if ev.title and topic_share(titled[c.ev]) < 0.5:
                    c.topic *= 0.9  # a document about something else mentions the subject in passing
            c.relevance = own_weight * own + context_weight * share(context[c.ev]) + 0.2 * closeness
            if own < 0.3 and ev.passage.facet is None:
                # In a relevant passage, but says little about what was asked.
                c.relevance *= 0.8 if form.broad else 0.6
        if self.embedder is not None and self.embed_top > 0:
            ranked = sorted(candidates, key=lambda c: -c.relevance)[: self.embed_top]
            vectors = np.asarray(self.embedder.embed([question] + [c.text for c in ranked]), dtype=np.float32)
            for c, vec in zip(ranked, vectors[1:]):
                c.vector = vec
                cosine = float(vec @ vectors[0])
                c.relevance = 0.5 * c.relevance + 0.5 * max(0.0, min(1.0, (cosine - 0.1) / 0.6))
        for c in candidates:
            ev = evidence[c.ev]
            c.facet, c.facet_confidence = statement_facet(c.text, ev.passage, card_bottom_line=c.card_bottom_line)
            grade_bonus = 0.12 * c.grade.rank if c.grade is not None else 0.0
            intent = 0.15 if form.intent is not None and c.facet == form.intent else 0.0
            # A source that files its own statement (a card) and a statement that says what to do are worth more.
            declared = 0.08 if ev.passage.facet is not None else 0.0
            actionable = 0.05 if c.grade is not None or RECOMMENDS.search(c.text) else 0.0
            c.score = (c.relevance + grade_bonus + intent + declared + actionable
                       + doc_prior(ev.passage.doc_type))

    def _select(self, pool: list[Candidate], shown: list[Candidate], form: QuestionForm,
                evidence: list[Evidence], shape: Shape | None = None) -> list[Candidate]:
        """MMR over the pool: relevance and grade against overlap with what is already shown.

        A broad question first takes the best statement of every section, so the page covers red flags to
        complications before any one section fills up; a focused one takes its few best statements. A passage
        gives at most two statements, so one long source does not crowd out the others.
        """
        listing = shape is not None and shape.listing and not form.broad
        limit = self.max_statements if form.broad else self.focused_statements + listing
        per_section = self.per_section if form.broad else 2 + 2 * listing
        rest = [c for c in pool if all(c is not s for s in shown)]
        if not form.broad and rest:
            # A focused reply: one supporting statement, then only statements nearly as close to the question
            # as its best one. A list is gathered from several sources: a sentence that names items in a run
            # may be worded further from the question.
            best = max(c.relevance for c in pool)
            first = max(rest, key=lambda c: c.score)
            # So is a definition ("What are the criteria for AKI?": "The KDIGO definition of AKI is …").
            rest = [c for c in rest if c is first or c.relevance >= self.focused_closeness * best
                    or (listing and enumerates(c.text) and c.relevance >= 0.5 * best)
                    or (shape is not None and shape.term is not None and c.relevance >= 0.5 * best
                        and defines(c.text, shape.term))]
        if form.broad:
            rest = [c for c in rest if not ANAPHORIC.match(c.text) and not abstracts.states_setup(c.text)
                    and (not STUDY_NARRATIVE.search(c.text) or CONCLUDES.search(c.text))]  # "Its results …"
        overlap = {id(c): max((similarity(c, s) for s in shown), default=0.0) for c in rest}
        # a definition asked for is what the reply quotes first
        term = shape.term if shape is not None and not form.broad else None
        defining = {id(c) for c in rest if term is not None and defines(c.text, term)}
        chosen: list[Candidate] = []
        per_facet: dict[str, int] = {}
        per_passage: dict[int, int] = {}
        per_source: dict[tuple[str, str], int] = {}  # (reference, section): a page quotes many sources, not one

        def source(c: Candidate) -> tuple[str, str]:
            return evidence_key(evidence[c.ev]), c.facet

        def cap(facet: str) -> int:
            return min(per_section, _BACKGROUND_CAP) if facet == "background" and form.broad else per_section

        def open_for(c: Candidate) -> bool:
            return (per_facet.get(c.facet, 0) < cap(c.facet) and per_passage.get(c.ev, 0) < 2
                    and overlap[id(c)] < 0.6)

        def take(c: Candidate) -> None:
            chosen.append(c)
            per_facet[c.facet] = per_facet.get(c.facet, 0) + 1
            per_passage[c.ev] = per_passage.get(c.ev, 0) + 1
            per_source[source(c)] = per_source.get(source(c), 0) + 1
            rest.remove(c)
            for other in rest:
                if overlap[id(other)] < 0.6:
                    overlap[id(other)] = max(overlap[id(other)], similarity(other, c))

        if form.broad:
            for key in FACET_ORDER:
                if key == "background" or len(chosen) >= limit:
                    continue
                lead = next((c for c in rest if c.facet == key and open_for(c)), None)
                if lead is not None:
                    take(lead)
        while rest and len(chosen) < limit:
            best_c, best_v = None, -1e9
            for c in rest:
                if not open_for(c):
                    continue
                value = (0.75 * c.score - 0.25 * overlap[id(c)] - 0.15 * per_passage.get(c.ev, 0)
                         - 0.1 * per_source.get(source(c), 0) + (0.3 if id(c) in defining else 0.0))
                if value > best_v:
                    best_c, best_v = c, value
            if best_c is None:
                break
            take(best_c)
        return chosen

    def _assemble(self, question: str, audience: Audience, evidence: list[Evidence], bottom: Candidate | None,
                  summary: str, chosen: list[Candidate], candidates: list[Candidate], floor: float,
                  query: Query | None = None) -> Answer:
        bibliography = Bibliography()

        def cite(c: Candidate) -> list[int]:
            return bibliography.cite_all(evidence[i] for i in [c.ev] + c.also)

        summary_citations = cite(bottom) if bottom is not None else []
        safety = [c for c in chosen if c.facet == "_safety"]
        for c in safety:
            c.facet = "complications" if c.facet == "_safety" else c.facet
        by_facet: dict[str, list[Candidate]] = {}
        for c in chosen:
            by_facet.setdefault(c.facet, []).append(c)
        sections = []
        for key in FACET_ORDER:
            group = sorted(by_facet.get(key, []),
                           key=lambda c: -(c.score + (0.15 * c.grade.rank if c.grade is not None else 0.0)))
            if not group:
                continue
            statements = [Statement(text=c.text, citations=cite(c), grade=c.grade.printed if c.grade else None,
                                    grade_norm=c.grade, facet=key,
                                    passage_ids=[evidence[i].passage.id for i in [c.ev] + c.also],
                                    applies_to=describe(c.population) or None,
                                    why=fit.why_chosen(c, query, "safety statement about a drug named"
                                                       if c in safety else f"best {title_of(key).lower()} match"))
                          for c in group]
            sections.append(Section(key=key, title=title_of(key), statements=statements))
        covered = {s.key for s in sections}
        mentioned = {c.facet for c in candidates if c.relevance >= 0.8 * floor}
        summary_grade = bottom.grade.printed if bottom is not None and bottom.grade is not None else None
        return Answer(question=question, summary=summary, summary_citations=summary_citations,
                      summary_grade=summary_grade, sections=sections,
                      references=bibliography.references(), audience=audience,
                      follow_ups=follow_ups(query, question, covered, mentioned, evidence))
