"""Fit the answer to the patient and to the ask: whom each candidate sentence speaks of, which ones are for
someone else, which may open the answer, and the safety statements about named drugs (what the bottom line must
contain for the intent is judged in `compose.asks`).

A sentence's population is what it says itself, over its passage's heading and its document's declared
population ("For adults aged 55 or over …" in a card for "Adults starting antihypertensive treatment"). A
sentence whose population conflicts with the question's never reaches the answer; one that matches what the
question makes a point of (pregnancy, an age, a grade) is preferred for the bottom line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from medoracle.compose.abstracts import states_setup
from medoracle.compose.asks import (
    SAFETY,
    gives_dose,
    gives_treatment,
    gives_verdict,
    intent_value,
    missing_parts,
    names_asked_drug,
    names_drug_itself,
    prevents_complication,
    satisfies,
    verdicts,
)
from medoracle.compose.sentences import ANAPHORIC, RECOMMENDS
from medoracle.text import content_stems
from medoracle.types import Answer, Evidence, Population, Query
from medoracle.understand.allergy import ALLERGIES, advises_allergen
from medoracle.understand.classes import PREGNANCY_AVOID, class_pattern, class_words, named_classes
from medoracle.understand.describe import describe
from medoracle.understand.focus import names_condition
from medoracle.understand.population import (
    conflicts,
    extract,
    impairment_words,
    manifestation_words,
    matches,
    merge,
    wanted,
)
from medoracle.understand.vocab import drugs_in

# (what was asked is judged in `compose.asks`; its tests are named here too, where the composer looks for them)
__all__ = ["Fitted", "SOFT_SLOTS", "SPECIFIC_ASKS", "advises_avoided_in_pregnancy", "allergy_note", "annotate",
           "class_aliases", "demote_cancer_only", "drugs_in", "file_subgroups", "fit_words", "for_everyone",
           "gives_dose", "gives_verdict", "intent_value", "missing_parts", "narrower", "notes",
           "only_background_left", "other_population", "safety_cue", "safety_statements", "satisfies",
           "unspoken_impairment", "unspoken_pregnancy", "verdicts", "wanted", "why_chosen"]


# Population slots that say where or when in a condition's course, not who, and cancer unnamed (a whole oncology
# topic speaks of it): matching one does not outweigh the asked-for thing (see `opening.bottom_line`).
SOFT_SLOTS = frozenset({"phase", "setting", "line", "cancer"})
# Intents that ask for one particular thing: the sentence that gives it beats a topic's summary card.
SPECIFIC_ASKS = frozenset({"comparison", "dose", "duration", "timing", "threshold", "risk_score", "safety"})


class Fitted(Protocol):
    """What `annotate` reads and writes on a composer's candidate sentence."""

    ev: int
    text: str
    population: Population
    relevance: float
    score: float
    facet: str
    conflicts: list[str]
    matches: list[str]
    declared: list[str]


F = TypeVar("F", bound=Fitted)


def annotate(candidates: Sequence[Fitted], evidence: list[Evidence], query: Query | None) -> None:
    """Each candidate's population, its conflicts with the question's, and the question's slots it matches."""
    for c in candidates:
        context = evidence[c.ev].population or Population()
        c.population = merge(extract(c.text), context)
        if query is None or query.population.is_empty():
            c.conflicts, c.matches, c.declared = [], [], []
            continue
        c.conflicts = conflicts(query.population, c.population)
        if query.population.pregnancy == "pregnant" and advises_avoided_in_pregnancy(c.text):
            c.conflicts.append("pregnancy")
        if advises_allergen(c.text, query.population.comorbidities) and not (
                set(c.population.comorbidities) & set(query.population.comorbidities) & set(ALLERGIES)):
            c.conflicts.append("allergy")  # flucloxacillin for everyone is not for the patient allergic to it
        c.matches = matches(query.population, c.population) if not c.conflicts else []
        c.declared = [m for m in matches(query.population, context) if m in c.matches]


# Wording that warns a drug off rather than advising it: "stop the ACE inhibitor", "LMWH rather than a DOAC".
_WARNS_OFF = re.compile(r"\brather than\b|\binstead of\b|\bstop\w*|\bswitch\w*|\bdiscontinu\w+|\bwithdraw\w*|"
                        r"\b(?:do|does|should|must|can|could|may|is|are)\s+not\b|\bnever\b|\bno longer\b|"
                        r"\bnot (?:be )?(?:used|given|offered|started|prescribed|recommended|combined)\b",
                        re.IGNORECASE)


def advises_avoided_in_pregnancy(text: str) -> bool:
    """A sentence that advises a drug a pregnant patient must not start (an ACE inhibitor, a statin, warfarin),
    without warning it off: it is advice for someone else, whatever its passage's population."""
    if not PREGNANCY_AVOID.search(text):
        return False
    rest = _IF_UNSUITABLE.sub(" ", text)  # "when metformin is contraindicated, … an SGLT-2 inhibitor" advises it
    rest = _WEIGHED.sub(" ", rest)  # "taking comorbidities, contraindications … into account" warns of nothing
    return not SAFETY.search(rest) and not _WARNS_OFF.search(rest)


# Contraindications as one of the things a choice takes into account: no warning about the drug advised.
_WEIGHED = re.compile(r"\btaking [\w ,']{0,60}\bcontraindications\b[\w ,']{0,60}\binto account\b", re.IGNORECASE)
# Another drug's unsuitability, as the condition for advising this one: no warning about the drug advised.
_IF_UNSUITABLE = re.compile(r"\b(?:when|if|where|in whom|for whom)\s+[\w -]{1,40}?\s+(?:is|are)\s+(?:contraindicated|"
                            r"not tolerated|unsuitable|not suitable)(?:\s+or\s+(?:is\s+|are\s+)?(?:not tolerated|"
                            r"contraindicated|unsuitable))?", re.IGNORECASE)


def class_aliases(query: Query | None) -> dict[str, re.Pattern[str]]:
    """For each drug the question names, the pattern of its class ("pembrolizumab" → "checkpoint inhibitor"):
    a card advising "for a grade 3 rash from a checkpoint inhibitor" answers a question about pembrolizumab; for
    each class word it asks with, the pattern of the class's members."""
    out: dict[str, re.Pattern[str]] = {}
    for drug in query.drugs if query is not None else ():
        stems = content_stems(drug)
        pattern = class_pattern(drug)
        if stems and pattern is not None:
            out[stems[0]] = pattern
    # … and the other way: "which antihypertensive" is answered by a sentence naming a calcium-channel blocker
    for word, members in (class_words(query.search_text).items() if query is not None else ()):
        stems = content_stems(word)
        if stems:
            out.setdefault(stems[0], members)
    return out


def fit_words(query: Query | None) -> frozenset[str]:
    """Stems of the question's words that say whom or which form of the condition it is about and that `annotate`
    judges (a manifestation such as "rash" or "colitis" of a named condition or drug), so the composer does not
    also require them as subject words: general advice for grade 3 immune-related events is for colitis too,
    advice for a rash is not (a conflict). Kept as subject words when nothing else names the subject."""
    if query is None or not (query.population.manifestations or query.population.comorbidities
                             or query.population.kidney_impairment or query.population.liver_impairment):
        return frozenset()
    # … and the patient's standing condition ("sepsis fluids in heart failure"): fluids for sepsis are the subject,
    # as metformin is of "when to stop metformin in kidney disease" ("eGFR below 30" speaks of that patient)
    words = frozenset(content_stems(" ".join([*manifestation_words(query.search_text),
                                              *query.population.comorbidities,
                                              *impairment_words(query.search_text),
                                              *(c for c in query.conditions if impairment_words(c))])))
    rest = [t for t in content_stems(" ".join([*query.conditions, *query.drugs])) if t not in words]
    return words if rest else frozenset()


def other_population(query: Query, ruled_out: Sequence[Fitted]) -> str:
    """The plain statement that the library's evidence is for someone else."""
    slots = sorted({s for c in ruled_out for s in c.conflicts})
    theirs = list(dict.fromkeys(d for c in ruled_out if (d := describe(c.population, _slot_names(slots)))))
    asked = describe(query.population, _slot_names(slots)) or "the patient in the question"
    if theirs:
        return (f"The sources found are for {'; '.join(theirs[:3])}; none covers {asked}. Nothing was said rather "
                "than advice for another patient.")
    return f"The sources found are for other patients; none covers {asked}."


def _slot_names(conflict_slots: list[str]) -> list[str]:
    mapping = {"pregnancy": "pregnancy", "age": "age", "severity": "severity", "phase": "phase",
               "setting": "setting", "line": "line", "manifestation": "manifestation", "sex": "sex",
               "cancer type": "age", "origin": "origin", "comorbidity": "age", "cancer": "age",
               "qualifier": "qualifier", "allergy": "comorbidity"}
    out = [mapping.get(s, s) for s in conflict_slots]
    if "manifestation" in out:
        out.append("severity")
    return out


def unspoken_pregnancy(query: Query | None, bottom: Fitted | None, summary: str = "") -> str | None:
    """For a question about a pregnant patient whose bottom line does not speak of pregnancy: the sentence that
    says so. General adult advice is often what a pregnant patient must not have (a DOAC, warfarin, an ACE
    inhibitor), so such a question is answered from evidence about pregnancy or not at all; other patients (an
    age, a setting) are well served by general advice with the note that it does not name them."""
    if query is None or query.population.pregnancy != "pregnant" or bottom is None:
        return None
    # (speaking of pregnancy is not enough for a treatment question: screening "including pregnant people" for
    # depression says nothing of how to treat it in pregnancy)
    # (judged on the bottom line as printed, which may be its whole card)
    treats = not set(query.intents) & {"treatment", "first_line"} or satisfies(bottom, query) \
        or gives_treatment(summary, query)
    if "pregnancy" in bottom.matches and treats:
        return None
    return ("The sources found do not say what to do in pregnancy; general advice for adults may not be safe for "
            "a pregnant patient.")


def _asked_classes(query: Query | None) -> tuple[re.Pattern[str], ...]:
    """The drug classes a question asks about ("statin in CKD"), not one inside its condition ("opioid overdose")."""
    if query is None:
        return ()
    text = query.search_text
    for condition in query.conditions:
        text = re.sub(re.escape(condition), " ", text, flags=re.IGNORECASE)
    return named_classes(text)


def unspoken_impairment(query: Query | None, bottom: Fitted | None) -> str | None:
    """For a question about a drug in kidney or liver impairment ("DOAC in CKD") whose bottom line does not speak
    of that impairment: the sentence that says so. Choice and dose often change with kidney or liver function, so
    the drug's general advice is not the answer."""
    if query is None or bottom is None or not (query.drugs or _asked_classes(query)):
        return None
    p = query.population
    organ = "kidney" if p.kidney_impairment else "liver" if p.liver_impairment else None
    if organ is None or organ in bottom.matches:
        return None
    named = [m.group(0) for rx in _asked_classes(query) if (m := rx.search(query.text) or rx.search(query.search_text))]
    drug = query.drugs[0] if query.drugs else named[0] if named else "this drug"
    return (f"The sources found do not say how {drug} is used in {organ} impairment; choices and doses often "
            f"change with {organ} function.")


def narrower(population: Population, query: Query | None) -> list[str]:
    """The subgroups a sentence is restricted to that the question does not name ("In patients with CKD …" for a
    question about gout in general): the general advice is the bottom line, the subgroup's a statement. (Not the
    line of therapy: "if uncontrolled on …" is often the only advice a source gives for the patient asked about.)"""
    if query is None:
        return []
    asked = query.population
    out = [slot for slot, theirs, ours in (
        ("pregnancy", population.pregnancy == "pregnant", asked.pregnancy),
        ("kidney", population.kidney_impairment, asked.kidney_impairment),
        ("liver", population.liver_impairment, asked.liver_impairment),
        # "adults and children" is everyone, not a subgroup; the infant of a pregnancy sentence is the baby
        ("children", bool({"neonate", "infant", "child"} & set(population.age_groups))
         and "adult" not in population.age_groups and population.pregnancy is None, asked.age_groups
         or asked.age_min is not None or asked.age_max is not None),
        # "aged 76 and older" is a subgroup of a question that names no age
        ("older", population.age_min is not None and population.age_min >= 65,
         asked.age_groups or asked.age_min is not None or asked.age_max is not None),
    ) if theirs and not ours]
    comorbid = set(population.comorbidities) - set(asked.comorbidities) - {c.lower() for c in query.conditions}
    # "with suspected expandable lung" is one side of a choice the question did not make (a text naming both
    # sides speaks to everyone)
    sided = {q[1:] for q in population.qualifiers} - {q[1:] for q in asked.qualifiers}
    one_side = any(sum(q[1:] == name for q in population.qualifiers) == 1 for name in sided)
    return out + (["comorbidity"] if comorbid else []) + (["qualifier"] if one_side else [])


def demote_cancer_only(pool: list[F], query: Query | None) -> list[F]:
    """Sentences for people with cancer give way to the rest when the question names no cancer, and leave when
    it names another patient ("Which anticoagulant is safe when breastfeeding?" is not answered with
    cancer-surgery thromboprophylaxis); nothing changes when every sentence is for cancer (an SVCO page)."""
    if query is None or query.population.cancer or all(c.population.cancer for c in pool):
        return pool
    if _cancer_is_someone_else(query):
        return [c for c in pool if not c.population.cancer]
    for c in pool:
        c.score -= 0.15 if c.population.cancer else 0.0
    return pool


def _cancer_is_someone_else(query: Query) -> bool:
    """The question names a patient (pregnant, breastfeeding, an age …) and no cancer: advice for people with
    cancer is for someone else."""
    return not query.population.cancer and bool(wanted(query.population))


def for_everyone(c: Fitted, query: Query | None) -> bool:
    """Not advice only for pregnancy, children or older adults when the question names none: the general advice is the
    bottom line ("in a woman" is not "in pregnancy"), the subgroup's a statement. (Another condition beside the
    one asked about only weighs against: "in black adults of African family origin" or "with type 2 diabetes" is
    often the sentence that also gives the general choice.)"""
    return not {"pregnancy", "children", "older", "qualifier"} & set(narrower(c.population, query))


def file_subgroups(pool: Sequence[Fitted], bottom: Fitted | None, evidence: list[Evidence],
                   query: Query | None) -> None:
    """A sentence only for pregnancy or only for children, from a source on another condition than the bottom
    line's, is filed under special situations when the question names neither and its bottom line is for
    everyone: "For pre-eclampsia, offer …" is not first-line treatment of hypertension in adults. A source on the
    bottom line's own condition keeps its sections (bronchiolitis advice is all for children)."""
    if query is None or bottom is None or not for_everyone(bottom, query):
        return
    own = {name.lower() for name in evidence[bottom.ev].focus}
    for c in pool:
        if c.facet not in ("special", "background", "_safety") and (
                {"pregnancy", "children"} & set(narrower(c.population, query))) and (
                own and not own & {name.lower() for name in evidence[c.ev].focus}):
            c.facet = "special"


def may_open(pool: list[F], query: Query | None, opening: set[int] | None) -> list[F]:
    """The candidates that may open an answer, each test kept only while some candidate passes it: those of the
    topics bearing the question's condition by name (`opening`, from `focus.named_topics`), not leaning on the
    sentence before ("If it is negative …"), and naming a drug the question asks about when it names one (a
    morphine-to-oxycodone question is not answered with the naloxone dose)."""
    # On the subject, though: a dexamethasone sentence from a spine card does not open an answer on brain metastases.
    top = max((getattr(c, "topic", 1.0) for c in pool), default=1.0)
    # … unless the question names no condition: then the drug is its subject ("Should metformin be reduced when
    # eGFR is below 45?" shares more words with the CKD cards than with the metformin card).
    if query is not None and not query.conditions:
        top = 0.0
    classes = _asked_classes(query)
    tests: list[Callable[[F], bool]] = [
        lambda c: opening is None or c.ev in opening,
        lambda c: not ANAPHORIC.match(c.text),
        # the patient's other condition before the drug: for atrial fibrillation with a mechanical valve, the
        # advice for people with a valve, not the general "usually with a DOAC"
        # (not when that condition is one the question asks about: "heart failure in CKD, SGLT2?" names two)
        lambda c: query is None or not _other_conditions(query) or "comorbidity" in c.matches,
        # the drug by name first ("opioid withdrawal" is of the opioid class, but names no morphine), then its class
        lambda c: query is None or not query.drugs or (names_drug_itself(c.text, query)
                                                       and getattr(c, "topic", 1.0) >= 0.9 * top),
        lambda c: query is None or not query.drugs or (names_asked_drug(c.text, query, own_class=True)
                                                       and getattr(c, "topic", 1.0) >= 0.9 * top),
        # … and a class named as the subject ("statin in CKD": the atorvastatin card, not the CKD summary)
        lambda c: not classes or any(p.search(c.text) for p in classes),
        # prophylaxis is for people who do not have the condition yet: "DVT in cancer, which anticoagulant?" is
        # about treating the clot, not preventing one (unless the question asks about prevention)
        lambda c: query is None or "prevention" in query.intents or bool(_PREVENTS.search(query.text))
        or not _PREVENTS.search(c.text) or prevents_complication(c.text, query),
    ]
    for keep in tests:
        pool = [c for c in pool if keep(c)] or pool
    # Never, even when nothing else is left: one patient's story ("green urine after propofol") or a study's aim
    # ("To investigate the safety of finerenone …") is no answer.
    return [c for c in pool if not _CASE_REPORT.search(c.text) and not states_setup(c.text)]


def _other_conditions(query: Query) -> set[str]:
    """The patient's comorbidities that are not themselves conditions the question asks about."""
    asked = {c.lower() for c in query.conditions}
    asked |= {short.lower() for short, long in query.corrections.items() if long.lower() in asked}  # "ckd"
    return {c for c in query.population.comorbidities if c.lower() not in asked}


_PREVENTS = re.compile(r"\b(?:thrombo)?prophyla\w+|\bto prevent\b|\bprevention of\b|\bprimary prevention\b",
                       re.IGNORECASE)
_CASE_REPORT = re.compile(r"\b(?:we|here we) (?:present|report|describe) (?:the |a |an )?(?:case|patient)\b|"
                          r"\bcase report\b", re.IGNORECASE)


def names_asked(c: Fitted, section: str, query: Query | None) -> bool:
    """Whether the sentence, or the title of its card (the last part of its heading path), names the question's
    condition whole, rather than reaching it only through its topic's names. True for every sentence when the
    question did not write its condition (one read from the library's topic names: "statin" → hyperlipidaemia),
    and for a specific ask, which is judged by what gives it ("A or B?" by its verdict)."""
    if query is None or set(query.intents) & SPECIFIC_ASKS \
            or not any(name.lower() in query.search_text.lower() for name in query.conditions):
        return True
    return names_condition(query, [c.text, section.split("›")[-1] if "›" in section else ""])


def safety_cue(text: str) -> bool:
    """A sentence that warns: a contraindication, a G6PD-type or pregnancy warning, a serious harm, or a
    co-prescription the drug needs (a laxative for everyone starting a strong opioid)."""
    return bool(SAFETY.search(text))


def why_chosen(c: Fitted, query: Query | None, role: str) -> str:
    """One line for --explain: the role, the intent it serves, and whom it applies to against the question."""
    parts = [role]
    if query is not None and query.intent:
        parts.append(f"asked: {query.intent.replace('_', ' ')}")
    who = describe(c.population)
    if query is not None and wanted(query.population):
        asked = describe(query.population)
        if c.matches:
            parts.append(f"applies to {who}, as asked" + (f" ({asked})" if asked else ""))
        else:
            parts.append(f"does not say it applies to {asked}" + (f" (it speaks of {who})" if who else ""))
    elif who:
        parts.append(f"applies to {who}")
    return "; ".join(parts)


def safety_statements(candidates: Sequence[F], shown: Sequence[F], query: Query | None) -> list[F]:
    """Warnings about the drugs the answer names (contraindications, G6PD-type and pregnancy warnings), and for a
    pregnant patient any drug's pregnancy warning on the subject, when the evidence has them and the answer does
    not already say them: at most two. Relevance to the question's words
    hardly matters here ("contraindicated in G6PD deficiency" shares none of "which drug prevents TLS"): the drug
    named and the evidence having passed the focus gate are what make it belong."""
    if query is None:
        return []
    said = " ".join(c.text for c in shown).lower()
    named = set(query.drugs) | {d for c in shown for d in drugs_in(c.text)}
    pregnant = query.population.pregnancy == "pregnant"
    if not named and not pregnant:
        return []
    extra: list[F] = []
    for c in sorted(candidates, key=lambda c: -c.relevance):
        if len(extra) >= 2:
            break
        if (any(c is s for s in shown) or c.relevance < 0.05 or c.text.lower() in said
                or not safety_cue(c.text) or (c.population.cancer and _cancer_is_someone_else(query))):
            continue  # (a warning for people with cancer is not one for the breastfeeding mother asked about)
        if set(drugs_in(c.text)) & named or any(d in c.text.lower() for d in named) \
                or any((rx := class_pattern(d)) is not None and rx.search(c.text) for d in query.drugs) \
                or (pregnant and "pregnancy" in c.matches and bool(drugs_in(c.text))):  # "no DOACs in pregnancy"
            c.facet = "_safety"  # filed under complications by `_assemble`, marked as a safety statement
            extra.append(c)
    return extra


def only_background_left(query: Query | None, bottom: Fitted | None, ruled_out: Sequence[Fitted]) -> bool:
    """A treatment question whose advice was all for other patients, leaving a bottom line that advises nothing
    ("Osteoporosis is low bone strength …" for treating it in men, when every treatment card is for women): that is
    an answer about someone else's treatment by omission; saying whom the sources are for is the honest one."""
    asks = set(query.intents) if query is not None else set()
    if query is None or bottom is None or not ruled_out or not asks & {"treatment", "first_line"} \
            or asks - {"treatment", "first_line"}:
        return False  # (a target, a threshold or a duration is worded without advice words)
    advising = [c for c in ruled_out if RECOMMENDS.search(c.text) or drugs_in(c.text)]
    return bool(advising) and not RECOMMENDS.search(bottom.text) and not drugs_in(bottom.text) \
        and not _ADVISES.search(bottom.text)


# Advice worded without "recommend" or "should": "NICE advises …", "… is the step 1 choice", "start …".
_ADVISES = re.compile(r"\badvis\w+|\bchoice\b|\bstart\w*|\bgive[ns]?\b|\bgiven\b|\buse[ds]?\b|\btreat\w*|"
                      r"\bmanag\w+|\bconsider\w*|\brefer\w*", re.IGNORECASE)


def allergy_note(query: Query | None, ruled_out: Sequence[Fitted]) -> str | None:
    """That advice naming a drug the patient's allergy rules out was left out, when some was."""
    if query is None or not any("allergy" in c.conflicts for c in ruled_out):
        return None
    allergy = next(a for a in query.population.comorbidities if a in ALLERGIES)
    return f"Advice naming a drug that {allergy} rules out was left out."


def notes(query: Query | None, bottom: Fitted | None, ruled_out: Sequence[Fitted], answer: Answer) -> list[str]:
    """What the reader must know about the fit: evidence left out as for other patients, a population no source
    speaks of, parts of the question the sources cannot answer."""
    if query is None or answer.abstained:
        return []
    out: list[str] = []
    asked = describe(query.population)
    if note := allergy_note(query, ruled_out):
        out.append(note)
    if ruled_out := [c for c in ruled_out if c.conflicts != ["allergy"]]:
        others = list(dict.fromkeys(d for c in ruled_out if (d := describe(c.population))))[:3]
        out.append(f"Statements for other patients ({'; '.join(others) or 'another population'}) were left out"
                     f" as not applying to {asked or 'this patient'}.")
    if asked and wanted(query.population) and (bottom is None or not bottom.matches):
        out.append(f"None of the statements below says it applies to {asked}; check before applying it.")
    said = " ".join([answer.summary, *(st.text for st in answer.statements())])
    out.extend(missing_parts(query, said))
    out.extend(g for g in answer.gaps if g not in out)  # a part named by `parts.gaps` (diagnosis, treatment)
    return out
