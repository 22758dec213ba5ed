"""Whether a sentence gives what the question asks for: a drug for "which drug?", a dose for "what dose?",
both options and a verdict for "A or B?", a duration, a time limit, a threshold (`satisfies`).

The intents come from `understand.form.read_intents`; a sentence is judged by its own words (and the drug
classes of `understand.classes`), never by how it was retrieved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from medoracle.text import has_dose
from medoracle.text.numbers import percent_fit
from medoracle.types import Query
from medoracle.understand.classes import class_pattern, class_words, members_pattern
from medoracle.understand.vocab import drugs_in

if TYPE_CHECKING:
    from medoracle.compose.fit import Fitted

F = TypeVar("F", bound="Fitted")

__all__ = ["SAFETY", "asked_treatments", "gives_dose", "gives_treatment", "gives_verdict", "intent_value",
           "missing_parts", "names_asked_drug", "names_drug_itself", "names_treatment", "prevents_complication",
           "prevents_instead", "satisfies", "verdicts"]

SAFETY = re.compile(r"\bcontraindicat\w+|\bavoid\w*|\bdo not (?:use|give|offer|prescribe)\b|\bnot (?:be )?"
                    r"(?:used|given|recommended) (?:in|during|for|with)\b|\bG6PD\b|\bteratogen\w*|"
                    r"\bcongenital abnormalit\w+|\bcaution\b|\bwarning\b|\brisk of (?:bleeding|hypocalc\w+|"
                    r"osteonecrosis|hypoglyc\w+|fetal|foetal)|\bosteonecrosis\b|\bhypocalc\w+|\bstopped and "
                    r"replaced\b|\bunsafe\b|\bbleeding risk\b|"
                    # a co-prescription every patient on the drug needs: a laxative with a strong opioid
                    r"\bconstipation\b|\blaxatives?\b", re.IGNORECASE)

_IN_PASSING = re.compile(r"\bunless (?:it is |otherwise )?contraindicated\b|\bunless there (?:is|are) (?:a )?"
                         r"contraindications?\b", re.IGNORECASE)
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
# The patients have the condition asked about: "In adults with atrial fibrillation, … anticoagulation to prevent
# stroke" prevents a complication of it, which is how it is managed (`prevents_complication`).
_HAVING = r"\b(?:with|has|have|having)\s+(?:[\w-]+\s+){0,3}"


def prevents_complication(text: str, query: Query | None) -> bool:
    """Whether a sentence prevents something in people who already have the question's condition (stroke in
    atrial fibrillation), rather than preventing that condition itself (aspirin for women at risk of
    pre-eclampsia, thromboprophylaxis for people with cancer asked about a clot): managing the condition."""
    if query is None:
        return False
    low = text.lower()
    prevented = _PREVENTS.search(low)
    return prevented is not None and any(
        re.search(_HAVING + re.escape(name) + r"\b", low) and name not in low[prevented.start():prevented.end() + 60]
        for name in (condition.lower() for condition in query.conditions))


_TREATMENT_OF = re.compile(r"\btreat(?:ment|ed|ing)? (?:of|for)\b", re.IGNORECASE)


def prevents_instead(text: str, query: Query | None) -> bool:
    """Whether a sentence is about preventing something rather than treating the question's condition: not
    "the initial treatment of osteoporosis to reduce the risk of fractures", nor stroke prevention in people with
    atrial fibrillation (`prevents_complication`)."""
    return bool(_PREVENTS.search(text)) and not _TREATMENT_OF.search(text) \
        and not prevents_complication(text, query)
# Finding the condition in people not known to have it is not treating it: "the USPSTF recommends screening adults
# for hypertension" recommends something, but no treatment.
_SCREENS = re.compile(r"\bscreen(?:ing|ed|s)?\b", re.IGNORECASE)

_TREATMENTS = re.compile(r"\bradiotherapy\b|\bsurgery\b|\bstent\w*|\bchemotherapy\b|\bradiosurgery\b|"
                         r"\bantibiotics? (?:such as|like)\b|\b(?:ACE inhibitor|ARB|calcium-channel blocker|CCB|"
                         r"thiazide\w*|antibiotic|antimicrobial|antiviral|anticoagulant|"
                         r"diuretic|beta-blocker|statin|antihypertensive|SSRI|corticosteroids?|steroids?|bronchodilator|LABA|LAMA|"
                         r"DOAC|LMWH|bisphosphonate|opioid|analgesic|analgesia|laxative|antidepressant|antipsychotic|"
                         r"antiemetic|NSAID|nonsteroidal anti-inflammatory drug|"
                         r"benzodiazepine|anticonvulsant|antiepileptic|antihistamine|vasopressor|antifungal|"
                         r"proton pump inhibitor|PPI|immunosuppressant|biologic|vaccine|insulin|oxygen)s?\b|"
                         r"\b(?:guided )?self-help\b|"
                         r"\bpsychological (?:therap\w+|interventions?|treatments?)|\btalking therap\w+|"
                         r"\bbehavioural activation\b|\bCBT\b|\bcognitive behavioural therapy\b|\bpsychotherapy\b|"
                         r"\bcounselling\b|\bmindfulness\b|\bactive monitoring\b|\bwatchful waiting\b|"
                         r"\bpulmonary rehabilitation\b|\bintravenous (?:fluids|hydration)\b|"
                         # procedures that treat ("spinal cord compression" is a condition, not compression therapy)
                         r"\bcompression (?:therapy|bandag\w+|stockings|hosiery|is used)\b|\bpleurodesis\b|"
                         r"\bthoracentesis\b|\bindwelling pleural catheters?\b|\bthromboly\w+|\bthrombectomy\b|"
                         r"\bcardioversion\b|\btransfusions?\b|"
                         # dialysis as care, not as a criterion ("AKI stage 3 is … renal replacement therapy")
                         r"\b(?:refer|start|offer)\w* (?:\w+ ){0,2}(?:for |on )?"
                         r"(?:renal replacement therapy|dialysis)\b|"
                         # fluids and sugar that treat: hyponatraemia, sepsis, a hypo
                         r"\bhypertonic saline\b|\bfluid restriction\b|\bcrystalloids?\b|"
                         r"\bquick-acting carbohydrate\b|\bglucose (?:tablets|gel)\b|"
                         # lifestyle as the treatment ("managed first with diet … exercise")
                         r"\b(?:with|changes to) diet\b|\bdiet(?:ary)? (?:and exercise|changes)\b",
                         re.IGNORECASE)
# What a sentence says to do: "should be treated with", "is recommended", "offer", "the treatment of choice".
_ACTS = re.compile(r"\brecommend\w*|\bshould (?:be )?(?:given|treated|used|offered|started|administered|"
                   r"prescribed|receive)\b|\boffers?\b|\btreat(?:ed|ment) with\b|\btreatments? (?:for .{0,40} )?"
                   r"(?:is|are|include)\b|\bof choice\b|\bfirst[- ]line\b|\bmainstay\b", re.IGNORECASE)


# Treatments that are not drugs, for questions that ask for one ("which inhaler", "what drug").
_NON_DRUG = re.compile(r"radiotherapy|surgery|stent\w*|radiosurgery|(?:guided )?self-help|psychological .*|"
                       r"talking therap\w*|behavioural activation|cbt|cognitive behavioural therapy|psychotherapy|"
                       r"counselling|mindfulness|active monitoring|watchful waiting|pulmonary rehabilitation|"
                       r"intravenous (?:fluids|hydration)", re.IGNORECASE)
_ASKS_DRUG = re.compile(r"\b(?:inhalers?|drugs?|medications?|medicines?|tablets?|antibiotics?|injections?)\b",
                        re.IGNORECASE)
_AFTERCARE = re.compile(r"\b(?:after|of|following) (?:their |hospital )?discharge\b|"
                        r"\b(?:after|following) (?:the )?(?:birth|delivery)\b|\bpostnatal\w*", re.IGNORECASE)
_ADVISES_AGAINST = re.compile(r"\b(?:should|must) not be (?:given|prescribed|offered|used|started)\b|\bdo not "
                              r"(?:give|prescribe|offer|use|start)\b|\bnot (?:recommended|indicated)\b", re.IGNORECASE)


def _names_treatment(text: str) -> bool:
    """A treatment named or advised: a drug, a kind of treatment, or a sentence saying what to do."""
    return bool(drugs_in(text) or _treatments_given(text) or _ACTS.search(text))


# Drugs named as what raises the risk, not as care: "drugs in the past week that raise AKI risk include NSAIDs".
_RAISES_RISK = re.compile(r"\b(?:raise|increase)s? (?:the )?(?:\w+ )?risk\b|\brisk factors?\b", re.IGNORECASE)


def _names_risks_only(text: str) -> bool:
    return bool(_RAISES_RISK.search(text)) and not _ACTS.search(text)


# A treatment in the patient's history is a risk factor, not advice: "surgery in the previous 4 weeks" (a Wells
# score item), "after recent chemotherapy".
_HISTORY_BEFORE = re.compile(r"\b(?:previous|prior|recent|history of|after|following|post)\s+$", re.IGNORECASE)
_HISTORY_AFTER = re.compile(r"^\s+(?:in|within|during) the (?:previous|past|last|preceding)\b", re.IGNORECASE)


@lru_cache(maxsize=16384)  # by text: the same source sentences are candidates answer after answer
def _treatments_given(text: str) -> tuple[str, ...]:
    """The kinds of treatment a sentence names as care, not as part of the patient's history."""
    return tuple(m.group(0) for m in _TREATMENTS.finditer(text)
                 if not _HISTORY_BEFORE.search(text[max(0, m.start() - 20):m.start()])
                 and not _HISTORY_AFTER.search(text[m.end():m.end() + 30]))


def asked_treatments(query: Query | None) -> tuple[str, ...]:
    """The kinds of treatment a question names ("COPD exacerbation antibiotics": antibiotic), singular, lower case."""
    if query is None:
        return ()
    return tuple(dict.fromkeys(t.lower().rstrip("s") for t in _treatments_given(query.search_text)))


def names_treatment(text: str, query: Query) -> bool:
    """Whether a sentence names a kind of treatment the question names (`asked_treatments`), by that word or by a
    member of its class ("clarithromycin as the alternative" names an antibiotic)."""
    low = text.lower()
    return any(kind in low for kind in asked_treatments(query)) or any(
        members.search(text) for members in class_words(query.search_text).values())


def names_drug_itself(text: str, query: Query) -> bool:
    """The sentence names a drug the question asks about, as written ("lenalidomide-based") or by another of its
    names ("adrenaline" is the epinephrine asked about)."""
    low = text.lower()
    return any(d.lower() in low for d in query.drugs) or \
        bool({d.lower() for d in drugs_in(text)} & {d.lower() for d in query.drugs})


def names_asked_drug(text: str, query: Query, *, own_class: bool = False) -> bool:
    """… or by its class ("a checkpoint inhibitor" for pembrolizumab); with `own_class`, only by a phrase of its
    own class ("a DOAC" for apixaban, not "an oral anticoagulant", which names warfarin as well)."""
    if names_drug_itself(text, query):
        return True
    return any((pattern := class_pattern(drug, own=own_class)) is not None and pattern.search(text)
               for drug in query.drugs)


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
    if intent in ("first_line", "treatment") and _names_risks_only(c.text):
        return False
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
        found: Sequence[str] = _treatments_given(c.text)
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
        return gives_treatment(c.text, query)
    if intent == "timing":
        return bool(_TIMING.search(c.text))
    if intent == "diagnosis" and explicit:
        # Only as a part of "how is X diagnosed and treated?" (`parts.asked_parts`): alone, a diagnosis
        # question is answered by whatever the sources say about diagnosing X.
        return bool(_DIAGNOSES.search(c.text))
    return True  # a threshold or an indication ("when is X used?") is worded too many ways to require one


def gives_treatment(text: str, query: Query) -> bool:
    """What to do for the condition: a treatment named or advised, not a way to prevent it, follow-up care or
    screening ("… as the initial treatment of osteoporosis to reduce the risk of fractures" is its treatment)."""
    if "prevention" not in query.intents and prevents_instead(text, query):
        return False
    # Care after the episode ("rehabilitation within 4 weeks of discharge") is follow-up, not its treatment.
    if "monitoring" not in query.intents and _AFTERCARE.search(text):
        return False
    if _SCREENS.search(text) and not (drugs_in(text) or _treatments_given(text)):
        return False
    return _names_treatment(text)


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



def gives_dose(c: Fitted, query: Query | None) -> bool:
    """A dose, and of the drug the question names if it names one ("24 Gy" is no dexamethasone dose), or of a
    member of the class it names ("mscc steroid dose": dexamethasone or prednisolone, not a radiotherapy dose)."""
    if not has_dose(c.text) or query is None:
        return bool(has_dose(c.text))
    if query.drugs:
        return names_asked_drug(c.text, query)
    classes = class_words(query.search_text)
    return not classes or any(members.search(c.text) or word.rstrip("s") in c.text.lower()
                              for word, members in classes.items())


def intent_value(c: Fitted, query: Query | None) -> float:
    """How well a candidate gives what the question asks for first (for the bottom line)."""
    if query is None:
        return 0.0
    intents = set(query.intents)
    # a question with no stated aim is about managing its condition, not about preventing another one
    value = -0.5 if (not intents or intents & {"first_line", "treatment"}) and "prevention" not in intents \
        and prevents_instead(c.text, query) else 0.0
    value += 0.3 * percent_fit(c.text, query.text)  # "8% 10-year risk": the 7.5%-to-10% sentence, not the 10%+
    if not intents:
        return value
    if query.drugs and names_asked_drug(c.text, query):
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
    if "safety" in intents and SAFETY.search(_IN_PASSING.sub(" ", c.text)):
        value += 0.3  # (not "aspirin … unless contraindicated": a contraindication named in passing)
    return value


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
