"""The bottom line: which sentence opens an answer, and how much of its card is read out with it."""

from __future__ import annotations

from dataclasses import replace

from medoracle.compose import fit
from medoracle.compose.asks import asked_treatments, names_treatment
from medoracle.compose.candidate import Candidate, doc_prior
from medoracle.compose.sentences import ANAPHORIC, CONCLUDES, RECOMMENDS, quotable
from medoracle.compose.shape import Shape, read_shape, shape_value
from medoracle.compose.subject_words import ASKS_DOSE as _ASKS_DOSE
from medoracle.text import quoted_in
from medoracle.types import DocType, Evidence, Query
from medoracle.understand.focus import named_exactly, named_topics
from medoracle.understand.form import QuestionForm
from medoracle.understand.population import wanted

__all__ = ["bottom_line", "summary_text"]


def bottom_line(pool: list[Candidate], evidence: list[Evidence], best: float,
                 form: QuestionForm, question: str = "", query: Query | None = None,
                 shape: Shape | None = None) -> Candidate | None:
    asks_dose = bool(_ASKS_DOSE.search(question))
    shape = shape or read_shape(question)
    if not (pool := fit.may_open(pool, query, named_topics(query, evidence) if query is not None else None)):
        return None  # only a case report or a study's aims was left
    # A specific ask ("A or B?", "how long?", "how soon?") wants the sentence that gives it, not a summary card.
    specific = query is not None and bool(set(query.intents) & fit.SPECIFIC_ASKS)
    # A bottom-line card sums up its own topic: "heart failure" is summed up by the heart failure card, not by the
    # acute heart failure one, when a topic bears the question's condition as its name.
    exact = named_exactly(query, evidence) if query is not None else set()
    # A red flag is a warning beside the answer, except to a question about safety ("contraindications to
    # thrombolysis"), which the warning answers.
    warned = query is not None and "safety" in query.intents

    def not_warning(c: Candidate) -> bool:
        return warned or c.facet != "red_flags"

    def gives(c: Candidate) -> bool:
        """Whether the sentence gives what was asked; a broad question reads a bottom-line card whole
        (`summary_text`), so the card is judged whole: "SIGN advises an ABPI for every patient" opens a card whose
        next sentence is the compression it is for."""
        return fit.satisfies(c, query) or (form.broad and c.card_bottom_line and fit.satisfies(
            replace(c, text=evidence[c.ev].passage.text), query))

    def strength(c: Candidate) -> float:
        passage = evidence[c.ev].passage
        # A specific question is answered by the sentence closest to it, whatever else is strong.
        value = (1.0 if form.broad else 1.5) * c.relevance + 2 * doc_prior(passage.doc_type)
        # (not for what to do when the first treatment fails: a summary card is no answer to that)
        if c.card_bottom_line and (not exact or c.ev in exact) and (
                query is None or query.population.line not in ("second", "refractory", "recurrent")):
            value += 0.6 if (form.broad or form.intent is None) and not specific else 0.2
        value += 0.3 * c.grade.rank if c.grade is not None else 0.0
        value += 0.1 if RECOMMENDS.search(c.text) else 0.0
        value += 1.0 if asks_dose and fit.gives_dose(c, query) else 0.0  # "and the dose?" wants the number
        if not c.card_bottom_line:
            # What was asked about; for "how is X managed", what to do first.
            value += 0.3 if form.intent is not None and c.facet == form.intent else 0.0
            value += 0.15 if form.broad and c.facet == "first_line" else 0.0
        if passage.facet is not None and c.lead:
            value += 0.1  # a card states its point first; what follows qualifies it
        # The asked-for thing, for this patient: a source that declares that patient (a card's population,
        # a heading) outweighs a sentence that mentions them in passing.
        value += fit.intent_value(c, query) + 0.4 * len(c.matches) + 0.3 * len(c.declared)
        value += shape_value(c.text, shape) - 0.2 * len(fit.narrower(c.population, query))
        if c.population.line in ("second", "refractory") and (query is None or query.population.line is None):
            value -= 0.3  # "second-line when X is unsuitable" does not open an answer about treating X
        if passage.doc_type not in (DocType.guideline, DocType.consumer) and passage.facet is None:
            # A study's own conclusion is its bottom line: worded as one, or closing its abstract.
            value += 0.1 if CONCLUDES.search(c.text) else 0.0
            value += 0.1 if c.last and len(quotable(passage.text)) > 1 else 0.0
        return value
    # A slot every sentence meets tells none apart: in a pre-eclampsia answer every card is about pregnancy,
    # and when every sentence speaks of cancer the verdict of "A or B?" is still what is asked.
    shared = set.intersection(*(set(c.matches) for c in pool))
    if exact and not any(set(c.matches) - shared for c in pool):
        # The question makes no point of its patient: the topic it names opens it, when that topic gives what was
        # asked ("first-line treatment for dementia": the AChE inhibitors, not delirium's caution in Lewy bodies).
        own = [c for c in pool if c.ev in exact]
        if any(gives(c) for c in own):
            pool, best = own, max(c.relevance for c in own)  # near the best of its own, not of a neighbour's
    near = 0.7 if form.broad else 0.85  # a specific question: only the sentences closest to it compete
    eligible = [c for c in pool if (c.relevance >= near * best and not_warning(c))
                or (c.card_bottom_line and c.relevance >= 0.7 * best)
                or (asks_dose and fit.gives_dose(c, query) and c.relevance >= 0.6 * best)]
    eligible = eligible or pool[:1]
    if query is not None and query.population.line is None:
        # What to do when the first treatment fails ("still febrile after 2 to 3 days of …") is no answer to what
        # to give: the nearest first-go sentences on the subject, when there are some.
        later = ("second", "refractory")
        eligible = [c for c in eligible if c.population.line not in later] or [
            c for c in pool if c.population.line not in later and not_warning(c)
            and c.relevance >= 0.6 * best and c.topic >= 0.9 * max(c.topic for c in pool)] or eligible
    if query is not None and query.intents:
        # The asked-for thing first: a sentence that gives it, when one on the subject is close enough.
        most_on_topic = max(c.topic for c in pool)
        giving = [c for c in pool if gives(c) and not_warning(c)
                  and c.relevance >= 0.6 * best and c.topic >= 0.9 * most_on_topic]
        eligible = [c for c in eligible if gives(c)] or giving or eligible
        # "A or B?" wants the verdict, though a summary naming both options may share more of its words.
        eligible = fit.verdicts(pool, query, best) or eligible
    if query is not None and any(c.matches for c in pool):
        # The question makes a point of its patient (pregnancy, an age, a grade): the bottom line is a
        # sentence that speaks of that patient, when the evidence has one near enough.
        # … and that speaks to the ask: "NSAIDs are not recommended for the prevention of new attacks" names
        # the flare of a question about treating one, but not its treatment.
        # It must be on the subject too: "first-line" in a headache guideline matches the line of therapy
        # of "first-line drug for status epilepticus", not its condition.
        most_on_topic = max(c.topic for c in pool)
        # "First-line" in "first-line treatment of X" is what is asked (judged by `fit.satisfies`), not a
        # patient to match: "laparoscopy as the first line of treatment" is no answer about anaphylaxis.
        ignored = shared | ({"line"} if "first_line" in query.intents else set())

        def telling(c: Candidate) -> set[str]:
            return set(c.matches) - ignored
        fitting = [c for c in pool if telling(c) and not_warning(c) and fit.intent_value(c, query) >= 0
                   and c.topic >= 0.8 * most_on_topic]
        most = max((len(telling(c)) for c in fitting), default=0)
        fitting = [c for c in fitting if len(telling(c)) == most]
        # A patient named by a soft slot only (stable disease, a setting) does not outweigh the asked-for
        # thing: "initial inhaler for stable COPD" wants the inhaler sentence, not any stable-COPD one.
        soft = all(telling(c) <= fit.SOFT_SLOTS for c in fitting)
        giving = [c for c in eligible if gives(c)] if soft else []
        eligible = [c for c in fitting if gives(c)] or giving or fitting or eligible
    # What names the asked condition in itself or its card's title first (GTCS drugs: no status epilepticus answer)
    eligible = [c for c in eligible if fit.names_asked(c, evidence[c.ev].passage.section, query)] or eligible
    # The general advice is the bottom line, a subgroup's is a statement: "in a woman" is not "in pregnancy".
    general = [c for c in eligible if fit.for_everyone(c, query)]
    if not general and query is not None and pool:
        top_topic = max(c.topic for c in pool)
        general = [c for c in pool if fit.for_everyone(c, query) and gives(c)
                   and not_warning(c) and c.relevance >= 0.5 * best and c.topic >= 0.9 * top_topic]
    # … but the kind of treatment the question names is what it asks for: "COPD exacerbation antibiotics" is
    # answered by the antibiotic advice, though it is for a subgroup (purulent sputum), not by rehabilitation.
    if query is not None and asked_treatments(query) and general \
            and not any(names_treatment(c.text, query) for c in general):
        general = [c for c in eligible if names_treatment(c.text, query)] or general
    eligible = general or eligible
    return max(eligible, key=strength) if eligible else None


def summary_text(bottom: Candidate | None, candidates: list[Candidate], evidence: list[Evidence],
                 form: QuestionForm, query: Query | None = None) -> str:
    """The bottom line: its sentence, or for a broad question a whole bottom-line card (written to be read whole).

    A question about what to do does not open with the card's work-up: "How is a DVT treated?" starts at the
    treatment, not at the card's opening sentence on the Wells score.
    """
    if bottom is None:
        return ""
    card = [c for c in candidates if c.ev == bottom.ev]  # the bottom line's passage, sentence by sentence
    if bottom.card_bottom_line and form.broad:
        asks_work_up = query is None or "diagnosis" in query.intents

        def work_up(c: Candidate) -> bool:
            return c.facet == "assessment" and not asks_work_up and not fit.satisfies(c, query)
        start = next((i for i, c in enumerate(card) if c is bottom or not work_up(c)), 0)
        while start > 0 and ANAPHORIC.match(card[start].text):
            start -= 1  # "They manage it with diet" leans on the sentence before: read from that one
        whole = " ".join(c.text for c in card[start:])
        if len(whole) <= 700 and quoted_in(whole, evidence[bottom.ev].passage.text):
            return whole
    if bottom.lead and evidence[bottom.ev].passage.facet is not None and query is not None \
            and not wanted(query.population) and _split_by_patient(bottom):
        # A card that gives its advice patient by patient (NICE's step 1 by age, family origin and diabetes) is
        # read whole for a question that names no patient: one group's advice alone is not the answer.
        whole = " ".join(c.text for c in card)
        # (not when the question names a group the card splits by: "in type 2 diabetes" takes its own sentence)
        named = " ".join(query.conditions).lower()
        splits_by_asked = any(name in named or named and named in name for c in card
                              for name in (*c.population.comorbidities, *c.population.without))
        if len(card) > 1 and all(_split_by_patient(c) for c in card) and not splits_by_asked \
                and len(whole) <= 700 and quoted_in(whole, evidence[bottom.ev].passage.text):
            return whole
    return bottom.text


def _split_by_patient(c: Candidate) -> bool:
    """Whether a sentence's advice is for one group of patients: an age band, a family origin, a comorbidity."""
    p = c.population
    return p.age_min is not None or p.age_max is not None or p.origin is not None or bool(p.comorbidities) \
        or p.pregnancy is not None
