"""Fit the answer to the patient and to the ask: whom each candidate sentence speaks of, which ones are for
someone else, what the bottom line must contain for the intent, and the safety statements about named drugs.

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
from medoracle.compose.sentences import ANAPHORIC
from medoracle.text import content_stems, has_dose
from medoracle.text.numbers import percent_fit
from medoracle.types import Answer, Evidence, Population, Query
from medoracle.understand.classes import PREGNANCY_AVOID, class_pattern, class_words, members_pattern
from medoracle.understand.describe import describe
from medoracle.understand.focus import names_condition
from medoracle.understand.population import conflicts, extract, manifestation_words, matches, merge, wanted
from medoracle.understand.vocab import drugs_in

__all__ = ["SOFT_SLOTS", "SPECIFIC_ASKS", "Fitted", "advises_avoided_in_pregnancy", "annotate", "class_aliases",
           "demote_cancer_only",
           "drugs_in", "fit_words", "for_everyone", "gives_verdict", "intent_value", "missing_parts", "narrower",
           "notes", "other_population", "safety_cue", "safety_statements", "satisfies", "unspoken_pregnancy",
           "verdicts", "wanted", "why_chosen"]

_DURATION = re.compile(r"\b(?:for|over|at least|up to|within|after)\s+(?:about\s+)?\d+(?:\s*(?:to|-|–)\s*\d+)?\s*"
                       r"(?:days?|weeks?|months?|years?|hours?)\b|\b\d+(?:\s*(?:to|-|–)\s*\d+)?[- ](?:day|week|month)"
                       r" (?:course|treatment)\b|\blifelong\b|\bindefinite\w*", re.IGNORECASE)
_LASTS = re.compile(r"\blast(?:s|ing)?\b|\bcontinu\w+|\bduration\b|\bbeyond \d|\b(?:treated|given|taken) for\b|"
                    r"\bfor (?:at least )?\d+(?:\s*(?:to|-|–)\s*\d+)?\s*(?:days?|weeks?|months?|years?)\b",
                    re.IGNORECASE)
# When to act: "within 1 hour", "immediately", "within 24 hours of presentation", "as soon as possible".
_TIMING = re.compile(r"\bwithin (?:about |the first )?\d+(?:\s*(?:to|-|–)\s*\d+)?\s*(?:hours?|minutes?|days?|weeks?)\b|"
                     r"\bimmediate(?:ly)?\b|\bas soon as\b|\burgent(?:ly)?\b|\bwithout delay\b|\bsame[- ]day\b|"
                     r"\bbefore \w+ (?:results|investigations)\b|\b\d+ (?:hours?|minutes?) (?:of|after|from)\b",
                     re.IGNORECASE)
# How a condition is diagnosed or assessed: a test, a scan, a score or criteria ("the two-level Wells score",
# "a D-dimer test", "CT pulmonary angiography", "a urine dipstick"); not "confirmed" or "suspected", which
# qualify a treatment as often ("confirmed PE is treated with …").
_DIAGNOSES = re.compile(r"\bdiagnos\w+|\btests?\b|\btesting\b|\bscan\w*|\bD-dimer\b|\bultraso\w+|\bCT\b|"
                        r"\bMRI\b|\bangiogra\w+|\bscores?\b|\bcriteria\b|\bimaging\b|\bX-ray\b|\bbiops\w+|"
                        r"\bECG\b|\belectrocardiogra\w+|\bechocardiogra\w+|\bdipstick\b|\bcultures?\b|"
                        r"\bexclude[sd]?\b|\brule[sd]? out\b|\bassess\w*|\bmeasur\w+",
                        re.IGNORECASE)
_ASKS_TARGET = re.compile(r"\btargets?\b|\baim(?:ed|ing)? (?:for|at)\b|\bgoal\b", re.IGNORECASE)
_GIVES_TARGET = re.compile(r"\btargets?\b(?! organ)|\baim(?:s|ed|ing)? (?:for|at)\b|\bgoal\b", re.IGNORECASE)
_THRESHOLD = re.compile(r"(?:≥|≤|>|<|\bat least\b|\bor (?:more|higher|above|over)\b|\babove\b|\bbelow\b|"
                        r"\bless than\b|\bmore than\b)\s*\d|\b\d+(?:\.\d+)?\s*(?:mmHg|mmol/L|%|or (?:more|higher|"
                        r"above|over))|\bwhen\b|\bif\b", re.IGNORECASE)
# Equipoise is a verdict too ("suggest either an indwelling catheter or pleurodesis"), though a weaker one than a
# preference where the sources give one.
_EQUIPOISE = re.compile(r"\beither\b.{0,60}\bor\b", re.IGNORECASE)
_COMPARES = re.compile(r"\bover\b|\brather than\b|\bin preference to\b|\bversus\b|\bvs\b|\bcompared with\b|"
                       r"\bsuperior\b|\binferior\b|\bnon-?inferior\b|\bbetter\b|\bpreferred\b|\binstead of\b|"
                       r"\bfirst[- ](?:line|choice)\b|\b(?:try|use|offer|give|start)\w* (?:\w+ ){1,3}first\b|"
                       r"\bif .{0,40} (?:unsuitable|not suitable|contraindicated)\b|" + _EQUIPOISE.pattern,
                       re.IGNORECASE)
# Preventing a condition is not treating the one asked about: "aspirin for women at high risk of pre-eclampsia"
# must not answer "how is hypertension in pregnancy treated?" unless prevention was asked.
_PREVENTS = re.compile(r"\b(?:at (?:high |increased |moderate )?risk (?:of|for)|to prevent|prevent(?:s|ion|ing)? "
                       r"(?:of )?|prophyla\w+|reduce the risk)\b", re.IGNORECASE)
_TREATMENT_OF = re.compile(r"\btreat(?:ment|ed|ing)? (?:of|for)\b", re.IGNORECASE)
# Finding the condition in people not known to have it is not treating it: "the USPSTF recommends screening adults
# for hypertension" recommends something, but no treatment.
_SCREENS = re.compile(r"\bscreen(?:ing|ed|s)?\b", re.IGNORECASE)
_SAFETY = re.compile(r"\bcontraindicat\w+|\bavoid\w*|\bdo not (?:use|give|offer|prescribe)\b|\bnot (?:be )?"
                     r"(?:used|given|recommended) (?:in|during|for|with)\b|\bG6PD\b|\bteratogen\w*|"
                     r"\bcongenital abnormalit\w+|\bcaution\b|\bwarning\b|\brisk of (?:bleeding|hypocalc\w+|"
                     r"osteonecrosis|hypoglyc\w+|fetal|foetal)|\bosteonecrosis\b|\bhypocalc\w+|\bstopped and "
                     r"replaced\b|\bunsafe\b|\bbleeding risk\b|"
                     # a co-prescription every patient on the drug needs: a laxative with a strong opioid
                     r"\bconstipation\b|\blaxatives?\b", re.IGNORECASE)


# Population slots that say where or when in a condition's course, not who: matching one does not outweigh the
# asked-for thing (see `opening.bottom_line`).
SOFT_SLOTS = frozenset({"phase", "setting", "line"})
# Intents that ask for one particular thing: the sentence that gives it beats a topic's summary card.
SPECIFIC_ASKS = frozenset({"comparison", "dose", "duration", "timing", "threshold", "risk_score"})


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
    return not _SAFETY.search(rest) and not _WARNS_OFF.search(rest)


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
    if query is None or not (query.population.manifestations or query.population.comorbidities):
        return frozenset()
    # … and the patient's standing condition ("sepsis fluids in heart failure"): fluids for sepsis are the subject
    words = frozenset(content_stems(" ".join([*manifestation_words(query.search_text),
                                              *query.population.comorbidities])))
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
               "setting": "setting", "line": "line", "manifestation": "manifestation", "sex": "age",
               "cancer type": "age", "origin": "origin", "comorbidity": "age", "cancer": "age",
               "qualifier": "qualifier"}
    out = [mapping.get(s, s) for s in conflict_slots]
    if "manifestation" in out:
        out.append("severity")
    return out


def intent_value(c: Fitted, query: Query | None) -> float:
    """How well a candidate gives what the question asks for first (for the bottom line)."""
    if query is None:
        return 0.0
    intents = set(query.intents)
    # a question with no stated aim is about managing its condition, not about preventing another one
    value = -0.5 if (not intents or intents & {"first_line", "treatment"}) and "prevention" not in intents \
        and _PREVENTS.search(c.text) else 0.0
    value += 0.3 * percent_fit(c.text, query.text)  # "8% 10-year risk": the 7.5%-to-10% sentence, not the 10%+
    if not intents:
        return value
    if query.drugs and _names_asked_drug(c.text, query):
        value += 0.2  # a question about pembrolizumab is answered by a sentence about it (or its class)
    if "first_line" in intents and c.population.line in ("second", "refractory", "recurrent") \
            and query.population.line not in ("second", "refractory", "recurrent"):
        value -= 0.4  # "the fourth drug in resistant hypertension" does not say what to start with
    if "dose" in intents and has_dose(c.text):
        value += 0.6
    if intents & {"first_line", "treatment", "dose"} and (query.drugs or "first_line" in intents):
        named = drugs_in(c.text)
        if named:
            value += 0.35 if "first_line" in intents else 0.15
            if query.drugs and set(named) & set(query.drugs):
                value += 0.15
    if "comparison" in intents and query.comparison is not None:
        low = c.text.lower()
        both = sum(_mentions(low, option, query) for option in query.comparison)
        verdict = bool(both and _COMPARES.search(c.text))
        value += 0.25 * both + (0.4 if verdict and both == 2 else 0.2 if verdict else 0.0)
    if "duration" in intents and _DURATION.search(c.text):
        value += 0.5 + (0.2 if _LASTS.search(c.text) else 0.0)  # how long treatment lasts, not a lead-in
    if "timing" in intents and _TIMING.search(c.text):
        value += 0.5
    if "threshold" in intents and _THRESHOLD.search(c.text):
        value += 0.3
        if _ASKS_TARGET.search(query.text) and _GIVES_TARGET.search(c.text):
            value += 0.3  # "what target?" is answered by the target, not by a threshold to start at
    if "safety" in intents and _SAFETY.search(c.text):
        value += 0.3
    return value


_TREATMENTS = re.compile(r"\bradiotherapy\b|\bsurgery\b|\bstent\w*|\bchemotherapy\b|\bradiosurgery\b|"
                         r"\bantibiotics? (?:such as|like)\b|\b(?:ACE inhibitor|ARB|calcium-channel blocker|CCB|"
                         r"thiazide\w*|antibiotic|antiviral|anticoagulant|"
                         r"diuretic|beta-blocker|statin|SSRI|corticosteroids?|steroids?|bronchodilator|LABA|LAMA|"
                         r"DOAC|LMWH|bisphosphonate|opioid|analgesic|analgesia|laxative|antidepressant|antipsychotic|"
                         r"antiemetic|NSAID|nonsteroidal anti-inflammatory drug|"
                         r"benzodiazepine|anticonvulsant|antiepileptic|antihistamine|vasopressor|antifungal|"
                         r"proton pump inhibitor|PPI|immunosuppressant|biologic|vaccine|insulin|oxygen)s?\b|"
                         r"\b(?:guided )?self-help\b|"
                         r"\bpsychological (?:therap\w+|interventions?|treatments?)|\btalking therap\w+|"
                         r"\bbehavioural activation\b|\bCBT\b|\bcognitive behavioural therapy\b|\bpsychotherapy\b|"
                         r"\bcounselling\b|\bmindfulness\b|\bactive monitoring\b|\bwatchful waiting\b|"
                         r"\bpulmonary rehabilitation\b|\bintravenous (?:fluids|hydration)\b", re.IGNORECASE)
# What a sentence says to do: "should be treated with", "is recommended", "offer", "the treatment of choice".
_ACTS = re.compile(r"\brecommend\w*|\bshould (?:be )?(?:given|treated|used|offered|started|administered|"
                   r"prescribed|receive)\b|\boffer\b|\btreat(?:ed|ment) with\b|\btreatments? (?:for .{0,40} )?"
                   r"(?:is|are|include)\b|\bof choice\b|\bfirst[- ]line\b|\bmainstay\b", re.IGNORECASE)


# Treatments that are not drugs, for questions that ask for one ("which inhaler", "what drug").
_NON_DRUG = re.compile(r"radiotherapy|surgery|stent\w*|radiosurgery|(?:guided )?self-help|psychological .*|"
                       r"talking therap\w*|behavioural activation|cbt|cognitive behavioural therapy|psychotherapy|"
                       r"counselling|mindfulness|active monitoring|watchful waiting|pulmonary rehabilitation|"
                       r"intravenous (?:fluids|hydration)", re.IGNORECASE)
_ASKS_DRUG = re.compile(r"\b(?:inhalers?|drugs?|medications?|medicines?|tablets?|antibiotics?|injections?)\b",
                        re.IGNORECASE)
_AFTERCARE = re.compile(r"\b(?:after|of|following) (?:their |hospital )?discharge\b", re.IGNORECASE)
_ADVISES_AGAINST = re.compile(r"\b(?:should|must) not be (?:given|prescribed|offered|used|started)\b|\bdo not "
                              r"(?:give|prescribe|offer|use|start)\b|\bnot (?:recommended|indicated)\b", re.IGNORECASE)


def _names_treatment(text: str) -> bool:
    """A treatment named or advised: a drug, a kind of treatment, or a sentence saying what to do."""
    return bool(drugs_in(text) or _treatments_given(text) or _ACTS.search(text))


# A treatment in the patient's history is a risk factor, not advice: "surgery in the previous 4 weeks" (a Wells
# score item), "after recent chemotherapy".
_HISTORY_BEFORE = re.compile(r"\b(?:previous|prior|recent|history of|after|following|post)\s+$", re.IGNORECASE)
_HISTORY_AFTER = re.compile(r"^\s+(?:in|within|during) the (?:previous|past|last|preceding)\b", re.IGNORECASE)


def _treatments_given(text: str) -> list[str]:
    """The kinds of treatment a sentence names as care, not as part of the patient's history."""
    return [m.group(0) for m in _TREATMENTS.finditer(text)
            if not _HISTORY_BEFORE.search(text[max(0, m.start() - 20):m.start()])
            and not _HISTORY_AFTER.search(text[m.end():m.end() + 30])]


def _names_drug_itself(text: str, query: Query) -> bool:
    """The sentence names a drug the question asks about, as written ("lenalidomide-based") or by another of its
    names ("adrenaline" is the epinephrine asked about)."""
    low = text.lower()
    return any(d.lower() in low for d in query.drugs) or \
        bool({d.lower() for d in drugs_in(text)} & {d.lower() for d in query.drugs})


def _names_asked_drug(text: str, query: Query) -> bool:
    """… or by its class ("a checkpoint inhibitor" for pembrolizumab)."""
    if _names_drug_itself(text, query):
        return True
    return any((pattern := class_pattern(drug)) is not None and pattern.search(text) for drug in query.drugs)


def satisfies(c: Fitted, query: Query | None, intent: str | None = None) -> bool:
    """Whether a candidate gives the main thing the question asks for (a dose for a dose question, a drug
    for a drug question, both options for "A or B?", a duration, a threshold), or the `intent` named (one part
    of a multi-part question); True when nothing is required."""
    if query is None or not query.intents:
        return True
    explicit = intent is not None
    intent = intent or query.intents[0]
    if intent == "dose":
        return gives_dose(c, query)
    if intent == "first_line":
        # The class asked with is the answer's class, named by a member: "IV diuretic for acute heart failure" is
        # answered by "loop diuretics", not by advice on nitrates (a treatment the question did not name) …
        if classes := class_words(query.search_text):
            low = c.text.lower()
            # … or advised against as a class ("oral antibiotics should not be prescribed": none of them).
            return any(members.search(c.text) or (word.rstrip("s") in low and (drugs_in(c.text)
                                                                               or _ADVISES_AGAINST.search(c.text)))
                       for word, members in classes.items())
        # A drug by name, or a class the question did not itself name ("antibiotics for CAP" wants which one).
        if drugs_in(c.text):
            return True
        asked = query.search_text.lower()
        found = _treatments_given(c.text)
        if _ASKS_DRUG.search(asked):  # "initial inhaler for COPD" wants a drug, not pulmonary rehabilitation
            found = [f for f in found if not _NON_DRUG.fullmatch(f)]
        named = [f.lower().rstrip("s") for f in found]
        # "Oral antibiotics should not be prescribed …" answers "which antibiotic?" too: none of that class.
        return any(n not in asked for n in named) or bool(named and _ADVISES_AGAINST.search(c.text))
    if intent == "comparison" and query.comparison is not None:
        low = c.text.lower()
        return all(_mentions(low, o, query) for o in query.comparison)
    if intent == "duration":
        return bool(_DURATION.search(c.text))
    if intent == "treatment":
        # What to do for the condition: a treatment named or advised, not a way to prevent it.
        # ("… as the initial treatment of osteoporosis to reduce the risk of fractures" is its treatment.)
        if "prevention" not in query.intents and _PREVENTS.search(c.text) and not _TREATMENT_OF.search(c.text):
            return False
        # Care after the episode ("rehabilitation within 4 weeks of discharge") is follow-up, not its treatment.
        if "monitoring" not in query.intents and _AFTERCARE.search(c.text):
            return False
        if _SCREENS.search(c.text) and not (drugs_in(c.text) or _treatments_given(c.text)):
            return False
        return _names_treatment(c.text)
    if intent == "timing":
        return bool(_TIMING.search(c.text))
    if intent == "diagnosis" and explicit:
        # Only as a part of "how is X diagnosed and treated?" (`parts.asked_parts`): alone, a diagnosis
        # question is answered by whatever the sources say about diagnosing X.
        return bool(_DIAGNOSES.search(c.text))
    return True  # a threshold or an indication ("when is X used?") is worded too many ways to require one


def gives_verdict(c: Fitted, query: Query | None) -> bool:
    """A sentence that names both options of "A or B?" and says which is preferred ("denosumab rather than an
    intravenous bisphosphonate"): what the comparison asks for."""
    if query is None or query.comparison is None:
        return False
    low = c.text.lower()
    named = any(o.lower() in low.replace("-", " ") for o in query.comparison)  # one by name, not only by class
    return named and all(_mentions(low, o, query) for o in query.comparison) and bool(_COMPARES.search(c.text))


def verdicts(pool: Sequence[F], query: Query | None, best: float) -> list[F]:
    """The candidates close enough to the question that give the verdict of its "A or B?", those stating a
    preference first; [] when none does."""
    found = [c for c in pool if gives_verdict(c, query) and c.relevance >= 0.6 * best and c.facet != "red_flags"]
    preferring = [c for c in found if _COMPARES.search(_EQUIPOISE.sub(" ", c.text))]
    return preferring or found


def _mentions(low: str, option: str, query: Query) -> int:
    low = low.replace("-", " ")
    option = option.lower()
    if option in low:
        return 1
    long_form = query.corrections.get(option) or query.corrections.get(option.upper())
    if long_form and long_form.lower().replace("-", " ") in low:
        return 1
    pattern = class_pattern(option)  # "zoledronic acid" is compared as "an intravenous bisphosphonate"
    if pattern is not None and pattern.search(low):
        return 1
    members = members_pattern(option)  # "a DOAC" is named by "apixaban or rivaroxaban"
    return int(members is not None and bool(members.search(low)))


def missing_parts(query: Query | None, said: str, parts: Sequence[str] = ()) -> list[str]:
    """Notes naming each part of the question the answer could not give; a diagnosis or a treatment only when
    `parts` (the question's parts, `parts.asked_parts`) names it, as one part of several."""
    if query is None:
        return []
    out = []
    if "diagnosis" in parts and not _DIAGNOSES.search(said):
        out.append("The sources found do not say how this is diagnosed.")
    if "treatment" in parts and not _names_treatment(said):
        out.append("The sources found do not say how this is treated.")
    if "dose" in query.intents and not has_dose(said):
        out.append("The sources found give no dose for this; check a formulary or the full guideline.")
    if "duration" in query.intents and not _DURATION.search(said):
        out.append("The sources found do not say how long to continue.")
    if "timing" in query.intents and not _TIMING.search(said):
        out.append("The sources found do not say how soon this should be done.")
    if "first_line" in query.intents and not drugs_in(said) and not _treatments_given(said):
        out.append("The sources found name no specific drug for this.")
    if "comparison" in query.intents and query.comparison is not None:
        low = said.lower()
        absent = [o for o in query.comparison if not _mentions(low, o, query)]
        if absent:
            out.append(f"The sources found say nothing about {' or '.join(absent)} here, so the answer "
                       "cannot compare the two.")
    return out


def unspoken_pregnancy(query: Query | None, bottom: Fitted | None) -> str | None:
    """For a question about a pregnant patient whose bottom line does not speak of pregnancy: the sentence that
    says so. General adult advice is often what a pregnant patient must not have (a DOAC, warfarin, an ACE
    inhibitor), so such a question is answered from evidence about pregnancy or not at all; other patients (an
    age, a setting) are well served by general advice with the note that it does not name them."""
    if query is None or query.population.pregnancy != "pregnant" or bottom is None or "pregnancy" in bottom.matches:
        return None
    return ("The sources found do not say what to do in pregnancy; general advice for adults may not be safe for "
            "a pregnant patient.")


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
    """Not advice only for pregnancy or for children when the question names neither: the general advice is the
    bottom line ("in a woman" is not "in pregnancy"), the subgroup's a statement. (Another condition beside the
    one asked about only weighs against: "in black adults of African family origin" or "with type 2 diabetes" is
    often the sentence that also gives the general choice.)"""
    return not {"pregnancy", "children", "qualifier"} & set(narrower(c.population, query))


def may_open(pool: list[F], query: Query | None, opening: set[int] | None) -> list[F]:
    """The candidates that may open an answer, each test kept only while some candidate passes it: those of the
    topics bearing the question's condition by name (`opening`, from `focus.named_topics`), not leaning on the
    sentence before ("If it is negative …"), and naming a drug the question asks about when it names one (a
    morphine-to-oxycodone question is not answered with the naloxone dose)."""
    # On the subject, though: a dexamethasone sentence from a spine card does not open an answer on brain metastases.
    top = max((getattr(c, "topic", 1.0) for c in pool), default=1.0)
    tests: list[Callable[[F], bool]] = [
        lambda c: opening is None or c.ev in opening,
        lambda c: not ANAPHORIC.match(c.text),
        # the drug by name first ("opioid withdrawal" is of the opioid class, but names no morphine), then its class
        lambda c: query is None or not query.drugs or (_names_drug_itself(c.text, query)
                                                       and getattr(c, "topic", 1.0) >= 0.9 * top),
        lambda c: query is None or not query.drugs or (_names_asked_drug(c.text, query)
                                                       and getattr(c, "topic", 1.0) >= 0.9 * top),
    ]
    for keep in tests:
        pool = [c for c in pool if keep(c)] or pool
    # Never, even when nothing else is left: one patient's story ("green urine after propofol") or a study's aim
    # ("To investigate the safety of finerenone …") is no answer.
    return [c for c in pool if not _CASE_REPORT.search(c.text) and not states_setup(c.text)]


_CASE_REPORT = re.compile(r"\b(?:we|here we) (?:present|report|describe) (?:the |a |an )?(?:case|patient)\b|"
                          r"\bcase report\b", re.IGNORECASE)


def gives_dose(c: Fitted, query: Query | None) -> bool:
    """A dose, and of the drug the question names if it names one ("24 Gy" is no dexamethasone dose), or of a
    member of the class it names ("mscc steroid dose": dexamethasone or prednisolone, not a radiotherapy dose)."""
    if not has_dose(c.text) or query is None:
        return bool(has_dose(c.text))
    if query.drugs:
        return _names_asked_drug(c.text, query)
    classes = class_words(query.search_text)
    return not classes or any(members.search(c.text) or word.rstrip("s") in c.text.lower()
                              for word, members in classes.items())


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
    return bool(_SAFETY.search(text))


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


def notes(query: Query | None, bottom: Fitted | None, ruled_out: Sequence[Fitted], answer: Answer) -> list[str]:
    """What the reader must know about the fit: evidence left out as for other patients, a population no source
    speaks of, parts of the question the sources cannot answer."""
    if query is None or answer.abstained:
        return []
    out: list[str] = []
    asked = describe(query.population)
    if ruled_out:
        others = list(dict.fromkeys(d for c in ruled_out if (d := describe(c.population))))[:3]
        out.append(f"Statements for other patients ({'; '.join(others) or 'another population'}) were left out"
                     f" as not applying to {asked or 'this patient'}.")
    if asked and wanted(query.population) and (bottom is None or not bottom.matches):
        out.append(f"None of the statements below says it applies to {asked}; check before applying it.")
    said = " ".join([answer.summary, *(st.text for st in answer.statements())])
    out.extend(missing_parts(query, said))
    out.extend(g for g in answer.gaps if g not in out)  # a part named by `parts.gaps` (diagnosis, treatment)
    return out
