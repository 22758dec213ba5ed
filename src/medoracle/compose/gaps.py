"""Abstentions and gaps that explain themselves: what was looked for, what the library covers, and two questions
to try instead, all written from the typed `Query`.

    "dose of ceftriaxone for meningitis in babies"  (nothing the sources say fits)
      looked_for   "the dose of ceftriaxone for meningitis in infants"
      library      "The library's knowledge base covers 56 topics; the closest to this question is bacterial
                    meningitis and meningococcal disease."
      rephrasings  ["What dose of ceftriaxone is used for meningitis?",     (a broader population)
                    "What is the management of meningitis in infants?"]    (the broader ask)

Each rephrasing is a whole question from a template around a condition phrase (never a field name, never the
question just asked): the shorthand spelled out and the condition named in full, its other names, the same ask
without the population (broader) or for one reading of a population that cannot exist, the closest covered
topic, or the broader ask ("the management of …") when a drug, dose or comparison found nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from medoracle.text import content_stems
from medoracle.types import Answer, Evidence, Gap, Population, Query
from medoracle.understand import describe
from medoracle.understand.topic import conditions, extract_topic, is_condition_word
from medoracle.understand.vocab import understand

__all__ = ["Library", "TopicName", "closest_topics", "explain", "looked_for", "question", "rephrasings"]

# What each kind of question asks, as a phrase and as a question around a condition `{c}` (population
# included) and, where it needs one, a drug `{d}` or the two options `{a}`, `{b}`.
_ASKS: dict[str, tuple[str, str]] = {
    "treatment": ("the management of {c}", "What is the management of {c}?"),
    "treatment+drug": ("the use of {d} in {c}", "How is {d} used in {c}?"),
    "first_line": ("the first-line treatment for {c}", "What is the first-line treatment for {c}?"),
    "dose": ("the dose used for {c}", "What doses are used to treat {c}?"),
    "dose+drug": ("the dose of {d} for {c}", "What dose of {d} is used for {c}?"),
    "diagnosis": ("the tests that diagnose {c}", "What tests are used to diagnose {c}?"),
    "risk_score": ("the risk scores used in {c}", "Which risk scores are used to assess {c}?"),
    "prognosis": ("the outlook in {c}", "What is the prognosis of {c}?"),
    "monitoring": ("what to monitor in {c}", "What should be monitored in {c}?"),
    "prevention": ("how to prevent {c}", "How can {c} be prevented?"),
    "duration": ("how long to treat {c}", "How long should treatment for {c} continue?"),
    "safety": ("the risks of treatment for {c}", "What are the risks of treatment for {c}?"),
    "safety+drug": ("whether {d} is safe in {c}", "Is {d} safe in {c}?"),
    "threshold": ("when to start treatment for {c}", "When should treatment for {c} start?"),
    "comparison": ("{a} compared with {b} for {c}", "How does {a} compare with {b} for {c}?"),
    "background": ("what {c} is", "What is {c}?"),
}
# Kinds of document as the library's description names them (Document.doc_type values).
_KINDS = {"guideline": ("guideline", "guidelines"), "systematic_review": ("systematic review", "systematic reviews"),
          "trial": ("trial report", "trial reports"), "review": ("review", "reviews"),
          "consumer": ("consumer health page", "consumer health pages"),
          "textbook": ("textbook chapter", "textbook chapters"), "other": ("other document", "other documents")}
_CONVERTS = re.compile(r"\bconver(?:t|sion|ting)\b|\bswitch\w*|\brotat\w+|\bequivalen\w+", re.IGNORECASE)
_SPECIFIC = ("comparison", "dose", "duration", "safety", "monitoring", "threshold", "risk_score", "prognosis",
             "prevention", "diagnosis", "background", "first_line", "treatment")
_GENERIC_STEMS = frozenset(content_stems("treatment management patient patients adult adults dose"))
# Last words of a condition that name no condition on their own ("cord compression", "heart failure").
_LOOSE_HEADS = frozenset({"compression", "failure", "disease", "diseases", "disorder", "disorders", "syndrome",
                          "injury", "infection", "infections", "obstruction", "arrest", "toxicity", "effusion",
                          "exacerbation", "lysis", "crisis", "attack"})
# `describe` slots that name whom, not how bad
_WHO_SLOTS = ("pregnancy", "age", "kidney", "liver", "comorbidity", "setting")
_TITLE_TAIL = re.compile(r"\s+(?:-|–|:)\s.*$|\s*\(.*$|:\s.*$")
_ADULT_TAIL = re.compile(r"\s+in adults(?: and young people)?$", re.IGNORECASE)


@dataclass(frozen=True)
class TopicName:
    """A covered topic: the phrase a question names it by, and the words that match it (title and aliases)."""

    name: str
    words: frozenset[str]
    size: int = 0  # recommendations (cards) it holds


@dataclass(frozen=True)
class Library:
    """What the library holds, for saying so: its knowledge-base topics (those in the store) and its documents."""

    topics: tuple[TopicName, ...] = ()
    documents: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def describe(self, closest: Sequence[str]) -> str:
        near = _and_list(list(closest)[:3])
        kb_only = bool(self.topics) and self.documents <= sum(t.size + 1 for t in self.topics)
        if kb_only or (self.topics and not self.documents):
            if near:
                return (f"The library's knowledge base covers {len(self.topics)} topics; the closest to this "
                        f"question {'is' if len(closest) == 1 else 'are'} {near}.")
            return f"The library's knowledge base covers {len(self.topics)} topics; none is close to this question."
        kinds = sorted(((-n, k) for k, n in self.by_kind.items() if n))
        held = _and_list([f"{-n:,} {_KINDS.get(k, (k.replace('_', ' '),) * 2)[n != -1]}" for n, k in kinds[:5]])
        text = f"The library holds {self.documents:,} documents" + (f": {held}" if held else "")
        if self.topics:
            text += f", with a knowledge base of {len(self.topics)} topics"
        text += "."
        if near:
            text += f" The closest {'topic' if len(closest) == 1 else 'topics'} to this question: {near}."
        return text


    def listing(self) -> list[str]:
        """Every topic by its head ("sepsis", not "sepsis and septic shock"): a list to scan, not title pages."""
        return sorted(dict.fromkeys(re.split(r" and | in |, ", t.name)[0] for t in self.topics), key=str.lower)


def _and_list(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def topic_name(title: str, aliases: Sequence[str] = ()) -> str:
    """The phrase a question names a topic by: 'Asthma in adults and young people' → 'asthma',
    'Gout - flares and urate-lowering therapy' → 'gout' (an alias's own capitals kept: 'Clostridioides …')."""
    name = _ADULT_TAIL.sub("", _TITLE_TAIL.sub("", " ".join(title.split()))).strip(" -,.") or title.strip()
    for alias in aliases:
        if alias.lower() == name.lower():
            return alias
    first = name.split()[0] if name.split() else ""
    return name if first.isupper() else name[:1].lower() + name[1:]


@lru_cache(maxsize=1)
def bundled_topics() -> tuple[TopicName, ...]:
    """The bundled knowledge base's topics (read once: the package does not change while it runs)."""
    from medoracle.kb import topics
    out = []
    for t in topics():
        words = frozenset(content_stems(" ".join([t.title, *t.aliases])))
        out.append(TopicName(topic_name(t.title, t.aliases), words, t.card_count))
    return tuple(out)


# ------------------------------------------------------------------------------------------- phrases


def _condition(query: Query) -> str | None:
    """The question's condition, in full (the composer's conditions are read from the spelled-out text)."""
    from medoracle.understand.focus import gate_conditions
    for phrase in [*gate_conditions(query), *query.conditions]:
        phrase = " ".join(phrase.split())
        if phrase:
            return phrase
    topic = extract_topic(query.spelled_out())
    return topic if topic and content_stems(topic) else None


_KIDNEY_DISEASE = re.compile(r"\b(?:kidney|renal|nephr)", re.IGNORECASE)


def _who(population: Population) -> str:
    return describe(population, _WHO_SLOTS)


def _with_population(condition: str, population: Population | None) -> str:
    if population is not None and population.kidney_impairment and _KIDNEY_DISEASE.search(condition):
        # "chronic kidney disease in people with kidney impairment" says the condition twice
        population = population.model_copy(update={"kidney_impairment": False})
    who = _who(population) if population is not None else ""
    return f"{condition} in {who}" if who and who.lower() not in condition.lower() else condition


def _kind(query: Query, *, with_drug: bool) -> str:
    """The ask a rephrasing keeps: the most specific one the question makes ("how long … antibiotics" asks how
    long, not for the first-line drug)."""
    for intent in sorted(query.intents, key=lambda i: _SPECIFIC.index(i) if i in _SPECIFIC else len(_SPECIFIC)):
        if intent == "comparison" and query.comparison is None:
            continue
        if intent in ("dose", "safety") and with_drug and query.drugs:
            return f"{intent}+drug"
        if intent in _ASKS:
            return intent
    return "treatment+drug" if with_drug and query.drugs and not query.intents else "treatment"


def _fill(template: str, query: Query, condition: str, population: Population | None) -> str:
    a, b = query.comparison or ("", "")
    text = template.format(c=_with_population(condition, population), d=query.drugs[0] if query.drugs else "",
                           a=a, b=b)
    return " ".join(text.split())


def question(query: Query, condition: str, population: Population | None = None, *, kind: str | None = None) -> str:
    """The question's ask about `condition` (for `population`) as a whole question."""
    return _fill(_ASKS[kind or _kind(query, with_drug=True)][1], query, condition, population)


def looked_for(query: Query) -> str:
    """What was searched for, as a phrase: 'the first-line treatment for asthma in children'."""
    if query.noise:
        return "nothing: the question names no condition, test or treatment to look for"
    if "dose" in query.intents and len(query.drugs) >= 2 and _CONVERTS.search(query.text):
        return f"how to convert {query.drugs[0]} to {query.drugs[1]}"  # (a switch between two drugs)
    condition = _condition(query)
    if condition is None:
        return f"an answer to “{query.text}”"
    population = None if query.inherited else query.population
    return _fill(_ASKS[_kind(query, with_drug=True)][0], query, condition, population)


# --------------------------------------------------------------------------------------- rephrasings


def closest_topics(query: Query, evidence: Sequence[Evidence], library: Library, *, limit: int = 3) -> list[str]:
    """Covered topics nearest the question: knowledge-base topics sharing its words, then what the passages
    retrieval ranked highest are about (their document's focus), when that shares a word with the question
    too (the best of an unrelated library is not "close": sickle cell crisis is not diabetic ketoacidosis)."""
    # Words that say which condition: not "crisis" of "sickle cell crisis" (a hyperglycaemic crisis is not one).
    loose = _GENERIC_STEMS | set(content_stems(" ".join(_LOOSE_HEADS)))
    asked = set(content_stems(query.search_text)) - loose
    condition = set(content_stems(_condition(query) or "")) - loose
    # The condition's words before the patient's ("meningitis in babies": bacterial meningitis before fever in
    # babies), a word of the topic's own name before one of its aliases ("pain": cancer pain before the chest
    # pain of acute coronary syndrome), then more words shared, then the larger topic.
    def near(words: set[str]) -> bool:
        # Most of the condition's own words, when it names one ("sickle cell": both, not the "cell" of mast cell)
        return 3 * len(words & condition) >= 2 * len(condition) if condition else bool(words & asked)

    scored = sorted(((len(set(content_stems(t.name)) & condition), len(t.words & condition),
                      len(set(content_stems(t.name)) & asked), len(t.words & asked), t.size, t.name)
                     for t in library.topics if near(set(t.words))), reverse=True)
    names = [name for *_, name in scored]
    by_stems = {frozenset(content_stems(t.name)): t.name for t in library.topics}
    for ev in evidence:
        name = _about(ev)
        if name and ev.passage.doc_id.startswith("kb:") and frozenset(content_stems(name)) not in by_stems:
            continue  # a card's title ("ACE inhibitor or ARB for albuminuria") is no topic to ask about
        if name and near(set(content_stems(" ".join([*ev.focus, ev.title or ""])))):
            names.append(by_stems.get(frozenset(content_stems(name)), name))
    out: list[str] = []
    for name in names:
        if name.lower() not in (n.lower() for n in out):
            out.append(name)
    return out[:limit]


def _about(ev: Evidence) -> str | None:
    """What a passage's document is about, as a question would name it; a document with no curated focus (only
    its title) goes by the condition its title names ("Febrile neutropenia: initial management" → "febrile
    neutropenia", "Managing high blood pressure in adults" → "high blood pressure")."""
    title = " ".join((ev.title or "").split())
    focus = " ".join(ev.focus[0].split()) if ev.focus else ""
    if focus and focus != title:
        name = topic_name(focus)
    else:
        name = (conditions(title) or [extract_topic(title)])[0] if title else ""
    return name if name and len(name.split()) <= 6 else None


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _other_names(condition: str) -> list[str]:
    expansions = understand(condition).expansions
    # Names in full only ("high blood pressure" for "hypertension"): an abbreviation is the shorthand undone.
    return [alt for key, alts in expansions.items() if key == condition.lower() for alt in alts
            if alt.lower() != condition.lower() and not alt.isupper() and " " in alt.strip()]


def _readings(population: Population) -> list[Population]:
    """The populations a contradictory one may have meant: the age group alone, or the age alone."""
    out = []
    if population.age_groups:
        out.append(Population(age_groups=population.age_groups))
    if population.age_min is not None or population.age_max is not None:
        out.append(Population(age_min=population.age_min, age_max=population.age_max))
    if population.pregnancy and population.sex:
        out += [Population(pregnancy=population.pregnancy), Population(sex=population.sex)]
    return out


def rephrasings(query: Query, closest: Sequence[str] = (), *, count: int = 2) -> list[str]:
    """Up to `count` questions to ask instead, best first, none of them the question as asked."""
    condition = _condition(query)
    population = None if query.inherited else query.population
    asked = {_norm(query.text), _norm(query.search_text), _norm(query.spelled_out())}
    if condition and not query.corrections:
        # The question as this module would write it is the same question ("treatment for" = "management of"),
        # worth offering only when shorthand was spelled out.
        asked.add(_norm(question(query, condition, population)))
    out: list[str] = []

    def add(text: str) -> None:
        text = text[:1].upper() + text[1:]
        if "_" in text or not text.endswith("?") or _norm(text) in asked:
            return
        if _norm(text) not in (_norm(o) for o in out):
            out.append(text)

    narrow = population is not None and bool(_who(population))
    candidates: list[str] = []
    if query.noise:
        condition = None  # a greeting or one general word: examples of what the library answers
    if query.contradiction and condition:
        candidates += [question(query, condition, p) for p in _readings(query.population)]
    if condition:
        if narrow:
            candidates.append(question(query, condition))  # a broader population: everyone
        if query.drugs or query.comparison or _kind(query, with_drug=False) not in ("treatment", "background"):
            candidates.append(question(query, condition, population, kind="treatment"))  # the broader ask
        candidates += [question(query, name, population) for name in _other_names(condition)[:2]]
    kind = _kind(query, with_drug=False)
    for name in closest:
        # "cellulitis and erysipelas" is the question's own topic, not another one to try
        if condition is None or not set(content_stems(condition)) <= set(content_stems(name)):
            candidates.append(question(query, name, population, kind=kind))
            candidates.append(question(query, name, kind="treatment"))
    if condition:  # last: the shorthand spelled out and the condition named in full, as a whole question
        candidates.append(question(query, condition, population))
        # Nothing near in the library: the broader condition its last word names ("lupus nephritis" →
        # "nephritis"), then the other main asks about the condition itself.
        head = condition.split()[-1]
        if len(condition.split()) > 1 and is_condition_word(head) and head not in _LOOSE_HEADS:
            candidates.append(question(query, head, population))
        candidates += [question(query, condition, population, kind=k) for k in ("diagnosis", "treatment")]
    for text in candidates:
        add(text)
        if len(out) >= count:
            break
    return out


# ------------------------------------------------------------------------------------------- explain


def explain(query: Query | None, answer: Answer, evidence: Sequence[Evidence], library: Library,
            missing: Sequence[str] = ()) -> Gap | None:
    """The gap of an abstention (or of an answer that leaves out `missing` parts); None for a whole answer."""
    if query is None or (not answer.abstained and not missing):
        return None
    closest = closest_topics(query, evidence, library)
    examples = closest
    if not closest and (_condition(query) is None or query.noise):  # no condition to reword: what it answers
        examples = [t.name for t in sorted(library.topics, key=lambda t: (-t.size, t.name))[:2]]
    # Every topic only when nothing could be said and none is near: an answered page does not need the list.
    listing = library.listing() if answer.abstained and not closest else []
    return Gap(looked_for=looked_for(query), missing=" ".join(missing) or None, library=library.describe(closest),
               topics=listing, rephrasings=rephrasings(query, examples))
