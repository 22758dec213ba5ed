"""Whom a text speaks of: one extractor for questions and for source sentences, and the rules for a clash.

"in adults under 55", "for non-pregnant women", "grade 3 rash", "in children", "stable COPD": each becomes a
slot of a `Population`. The same function reads the question and every passage, so a question about "adults
≥55" and a sentence "for adults under 55" meet as two age ranges that do not overlap, and `conflicts` says so.
Rules are regular expressions over plain text: fast (tens of microseconds a sentence) and explainable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from medoracle.types import AgeGroup, Population
from medoracle.understand.ages import read_ages
from medoracle.understand.allergy import allergies

__all__ = ["conflicts", "contradiction", "extract", "impairment_words", "manifestation_words", "matches", "merge"]

_OPEN = 200.0  # no upper age
# Age groups as half-open ranges in years, for overlap tests. A child range includes infants and neonates:
# paediatric guidance covers them unless it says otherwise.
GROUP_AGES: dict[str, tuple[float, float]] = {
    "neonate": (0.0, 0.1), "infant": (0.0, 1.0), "child": (0.0, 18.0), "adolescent": (10.0, 18.0),
    "adult": (18.0, _OPEN), "older_adult": (65.0, _OPEN),
}
_GROUP_RULES: list[tuple[AgeGroup, str]] = [
    ("neonate", r"\bneonat\w*|\bnew-?borns?\b|\bpreterm\b"),
    ("infant", r"\binfants?\b|\bbab(?:y|ies)\b|\btoddlers?\b"),
    ("child", r"\bchild(?:ren|hood)?\b|\bp(?:a)?ediatric\w*|\bkids?\b|\bboys?\b|\bgirls?\b|\bschool-?age\b"),
    ("adolescent", r"\badolescen\w+|\bteen(?:ager)?s?\b|\byoung people\b"),
    ("adult", r"\badults?\b|\bgrown-?ups?\b"),
    ("older_adult", r"\b(?:older|elderly|frail) (?:adults?|people|patients|persons?|women|men)\b|\bthe elderly\b|"
                    r"\belderly\b|\bgeriatric\w*|\bolder age\b"),
]
_GROUPS: list[tuple[AgeGroup, re.Pattern[str]]] = [(g, re.compile(rx, re.IGNORECASE)) for g, rx in _GROUP_RULES]
_NOT_PREGNANT = re.compile(r"\bnon-?\s?pregnant\b|\bnot pregnant\b|\bnonpregnant\b|\bwho are not pregnant\b",
                           re.IGNORECASE)
_PREGNANT = re.compile(r"\bpregnan\w*|\bantenatal\b|\bgestation\w*|\bexpecting a baby\b|\bpre-?eclampsia\b|"
                       r"\btrimester\b|\bobstetric\w*", re.IGNORECASE)
_BREASTFEEDING = re.compile(r"\bbreast-?\s?feed\w*|\blactat\w+|\bnursing mothers?\b|\bpostpartum\b", re.IGNORECASE)
_FEMALE = re.compile(r"\bwom[ae]n\b|\bfemales?\b|\bgirls?\b|\bmothers?\b|\bpostmenopausal\b",
                     re.IGNORECASE)
_MALE = re.compile(r"\bm[ae]n\b|\bmales?\b|\bboys?\b", re.IGNORECASE)
_KIDNEY = re.compile(r"\b(?:renal|kidney) (?:impairment|insufficiency|failure|disease|dysfunction)\b|\bCKD\b|"
                     r"\bdialysis\b|\beGFR (?:falls |is |of )?(?:<|below|under|less)|"
                     r"\bcreatinine clearance (?:<|below|under|less)", re.I)
_LIVER = re.compile(r"\b(?:hepatic|liver) (?:impairment|insufficiency|failure|disease|dysfunction)\b|\bcirrho\w+|"
                    r"\bChild-Pugh\b", re.I)
# (A valve or mitral stenosis decides the anticoagulant in atrial fibrillation: a DOAC is advised only without them.)
_VALVES = (r"mechanical (?:heart |mitral |aortic |prosthetic )?valves?|"
           r"(?:(?:moderate(?: to severe)?|severe) )?(?:rheumatic )?mitral stenosis")
COMORBIDITIES = (r"(type [12] diabetes|diabetes|heart failure|CKD|chronic kidney disease|COPD|asthma|"
                 r"atrial fibrillation|coronary (?:artery|heart) disease|HIV|epilepsy|dementia|obesity|"
                 r"G6PD deficiency|" + _VALVES + r")\b")
_COMORBID = re.compile(r"\b(?:with|who have|who has|and|plus|known|hx of|history of)\s+(?:an?\s+)?"
                       + COMORBIDITIES, re.I)
# What a patient does not have: "without diabetes", "who do not have … mitral stenosis or a mechanical valve"
# (each condition of the list up to the next clause).
_WITHOUT = re.compile(r"\b(?:without|no|not (?:having|with)|(?:do|does) not have)\s+((?:(?!\b(?:who|with|but|whose)"
                      r"\b)[^.;:,()])+)", re.IGNORECASE)
_VALVE = re.compile(r"\b(?:" + _VALVES + r")\b", re.IGNORECASE)
# A list a negation governs to the end of its clause: "when there is no renal impairment, active cancer,
# antiphospholipid syndrome or haemodynamic instability" rules out every item, not only the first.
_NEGATED_LIST = re.compile(r"\b(?:no|without)\s+((?:(?!\b(?:who|with|but|whose|when|if|then|unless|those|in|for)\b)"
                           r"[^.;:()])+)", re.IGNORECASE)
_ABSENT = re.compile(r"\b(type [12] diabetes|diabetes|heart failure|CKD|chronic kidney disease|COPD|asthma|"
                     r"atrial fibrillation|" + _VALVES + r")\b", re.IGNORECASE)


def _condition_name(found: str) -> str:
    """One name for one condition however written: "mechanical valve" and "mechanical heart valves"."""
    return re.sub(r"\b(?:heart|mitral|aortic|prosthetic) (?=valve)|(?<=valve)s\b|^(?:moderate to severe |moderate "
                  r"|severe )?(?:rheumatic )?(?=mitral)", "", found.lower())
# Cancer ruled out: "Deep vein thrombosis (not cancer-associated)", "in people without cancer", "non-cancer pain".
_NO_CANCER = re.compile(r"\b(?:not|without|no|non-?)\s*(?:active\s+|known\s+)?(?:cancer|malignan\w+)(?:-associated|"
                        r"-related)?\b", re.IGNORECASE)
# Family origin, where a guideline's advice depends on it (NICE's step 1 for hypertension): "Black adults of
# African or African-Caribbean family origin", and its negation "not of Black African … origin".
_NOT_BLACK = re.compile(r"\b(?:not|non-?)\s*(?:of\s+)?Black\b|\bother than Black\b", re.IGNORECASE)
_BLACK = re.compile(r"\bBlack (?:adults?|people|patients?|persons?|wom[ae]n|m[ae]n|African\w*|Caribbean)\b|"
                    r"\bAfrican(?:-Caribbean)? (?:family )?(?:origin|descent|ancestry)\b", re.IGNORECASE)
_CANCER_TYPE = re.compile(r"\b(breast|lung|prostate|colorectal|bowel|colon|rectal|ovarian|pancreatic|gastric|"
                          r"oesophageal|esophageal|bladder|renal|kidney|cervical|endometrial|head and neck|thyroid|"
                          r"skin|liver|brain|testicular|blood) cancers?\b|\b(melanoma|myeloma|lymphoma|leuka?emia|"
                          r"glioblastoma|glioma|sarcoma|NSCLC|SCLC|mesothelioma)\b", re.IGNORECASE)
_CANCER = re.compile(r"\bcancers?\b|\bmalignan\w+|\bmetasta\w+|\btumou?rs?\b|\boncolog\w*|\bcarcinoma\w*|"
                     r"\bchemotherapy\b|\bmets\b", re.IGNORECASE)

# Severity on one ordinal scale: 1 mild, 2 moderate, 3 severe, 4 life-threatening (CTCAE grades 1–4 map to it).
_SEVERITY: list[tuple[re.Pattern[str], tuple[int, int]]] = [(re.compile(rx, re.IGNORECASE), span) for rx, span in [
    (r"\bmild(?:[- ]to[- ]|\s*-\s*|\s+or\s+)moderate\b", (1, 2)),
    (r"\bmoderate(?:[- ]to[- ]|\s*-\s*|\s+or\s+)severe\b", (2, 3)),
    (r"\bnon-?\s?severe\b|\bnot severe\b", (1, 2)),
    (r"\bless severe\b|\bmild\b|\bminor\b", (1, 1)),
    (r"\bmoderate(?:ly)?\b(?! (?:quality|certainty|evidence|strength|risk|intensity statin))", (2, 2)),
    (r"\bsevere(?:ly)?\b|\bserious\b", (3, 3)),
    (r"\blife-?threatening\b|\bcritical(?:ly ill)?\b", (4, 4)),
]]
# "grade 3", "grade 3 or 4", "grade 2-4", "grade ≥ 3", "G3": not evidence grades ("Grade 1B", "(Grade 2)").
_GRADE = re.compile(r"(?<!\()\b(?:CTCAE\s+)?(?:grades?|G)\s?([1-4])(?:\s*(?:-|–|to|or|and|/)\s*([1-4]))?"
                    r"(?![A-Da-d0-9+)/])(?:\s*(or (?:higher|above|more|worse)|\+))?|"
                    r"(?<!\()\bgrade\s*(?:≥|>=)\s*([1-4])\b", re.IGNORECASE)
_STAGE = re.compile(r"\bstage\s+(?:[0IV]{1,4}[ABC]?|[1-4][ABC]?)\b|\bmetastatic\b|\bearly[- ]stage\b|"
                    r"\blocally advanced\b|\badvanced\b", re.IGNORECASE)
_PHASES: list[tuple[str, re.Pattern[str]]] = [(p, re.compile(rx, re.IGNORECASE)) for p, rx in [
    # "an exacerbation", "COPD exacerbation", "exacerbation of asthma"; the plural ("few exacerbations") is a
    # history, not the episode being treated.
    ("exacerbation", r"\b(?:an?|the|this|acute|during|in|for|treat\w*|having|COPD|asthma)\s+(?:\w+\s+)?"
                     r"exacerbation\b(?!s)|\bexacerbation of\b|"
                     # the plural names the episode when it is what is treated: "for acute COPD exacerbations"
                     r"\b(?:for|during|in|treat(?:ing|ment of)|manag(?:ing|ement of)) acute (?:\w+\s+)?exacerbations\b|"
                     r"^exacerbation\b|\bflare(?:-?ups?)?\b|\b(?:an?|the|this|each) attack of\b|"
                     r"\b(?:asthma|acute) attacks?\b|\bAECOPD\b|\bacute(?:ly)? (?:worsening|deteriorat\w+)"),
    ("stable", r"(?<!haemodynamically )(?<!hemodynamically )(?<!clinically )(?<!medically )\bstable\b(?! angina)|"
               r"\bmaintenance (?:treatment|therapy)\b|\blong-term (?:treatment|management)\b"),
    ("acute", r"\bacute(?!ly)\b(?! (?:kidney|renal|coronary|myeloid|lymphoblastic|respiratory distress|"
              r"exacerbation|attack|worsening|phase reactions?|promyelocytic))"),
    ("chronic", r"\bchronic\b(?! (?:kidney|renal|obstructive|lymphocytic|myeloid|pain|hepatitis))"),
]]
_SETTINGS: list[tuple[str, re.Pattern[str]]] = [(s, re.compile(rx, re.IGNORECASE)) for s, rx in [
    ("icu", r"\bICU\b|\bintensive care\b|\bcritical care\b|\bcritically ill\b|\bHDU\b"),
    ("inpatient", r"\binpatients?\b|\bhospitali[sz]ed\b|\badmitted\b|\bin hospital\b|\bhospital admission\b|"
                  r"\bnon-ICU\b"),
    ("outpatient", r"\boutpatients?\b|\bambulatory\b|\bin the community\b|\bprimary care\b|\bat home\b|"
                   r"\bmanaged (?:at home|in the community)\b|\bnot (?:requiring|needing) (?:hospital|admission)\b"),
]]
_LINES: list[tuple[str, re.Pattern[str]]] = [(s, re.compile(rx, re.IGNORECASE)) for s, rx in [
    ("refractory", r"\brefractory\b|\bresistant to\b|\bfail(?:ed|s|ure of|ing) (?:to respond|first-line|initial)|"
                   r"\bnot controlled\b|\buncontrolled\b|\binadequate(?:ly)? (?:response|controlled)\b|"
                   # still ill after the first treatment: "still febrile after 2 to 3 days of …", "if it persists after"
                   r"\bstill (?:febrile|symptomatic)\b|\bpersists? (?:after|despite)\b|\bdoes not improve\b|"
                   r"\b(?:does|do|did|has|have) not (?:work|worked)\b|\bnot working\b|\bno improvement (?:after|on)\b"),
    ("recurrent", r"\brecurren\w+|\brelapse\w*|\bprogress(?:ion|ed) (?:after|on)\b|\bpreviously treated\b|"
                  r"\bre-?irradiat\w+"),
    ("second", r"\bsecond[- ]line\b|\b2nd[- ]line\b|\bthird[- ]line\b|\b3rd[- ]line\b|\bstep[- ]?(?:up|[234])\b|"
               r"\badd-on\b|\bsecond[- ]choices?\b|"
               # "weak opioids only if an NSAID is contraindicated, not tolerated or ineffective"
               r"\bonly (?:if|when) (?:an? |the )?[\w-]+(?: [\w-]+)? (?:is|are) (?:contraindicated|not tolerated|"
               r"ineffective|unsuitable|not suitable)\b"),
    ("first", r"\bfirst[- ]line\b|\b1st[- ]line\b|\btreatment-?na[iï]ve\b|\binitial (?:treatment|therapy)\b|"
              r"\bstep[- ]?1\b"),
]]
# Organ or toxicity named within a condition: immune-related colitis is not immune-related rash.
_MANIFESTATIONS: list[tuple[str, re.Pattern[str]]] = [(m, re.compile(rx, re.IGNORECASE)) for m, rx in [
    ("skin", r"\brash\w*|\bdermatitis\b|\bmaculopapular\b|\bpruritus\b|\bitch\w*|\bStevens-Johnson\b|"
             r"\bcutaneous\b|\bbullous\b"),
    ("colitis", r"\bcolitis\b|\bdiarrh?o?ea\b|\benterocolitis\b"),
    ("hepatitis", r"\bhepatitis\b|\bhepatotoxicity\b|\btransaminase\w*|\b(?:ALT|AST) (?:rise|elevation)"),
    ("pneumonitis", r"\bpneumonitis\b"),
    ("nephritis", r"\bnephritis\b"),
    ("endocrine", r"\bthyroiditis\b|\bhypophysitis\b|\bendocrinopath\w+|\badrenal insufficiency\b"),
    ("myocarditis", r"\bmyocarditis\b"),
    ("neurological", r"\bmyasthenia\b|\bGuillain-Barr[eé]\b|\bencephalitis\b"),
    # Heart failure by ejection fraction: the four drugs for a reduced one are not the treatment of a preserved one
    ("reduced ejection fraction", r"(?<!mildly )\breduced (?:left ventricular )?ejection fraction\b|\bHFrEF\b|"
                                  r"\bHF-?REF\b"),
    ("mildly reduced ejection fraction", r"\bmildly reduced (?:left ventricular )?ejection fraction\b|\bHFmrEF\b"),
    ("preserved ejection fraction", r"\bpreserved (?:left ventricular )?ejection fraction\b|\bHFpEF\b|"
                                    r"\bHF-?PEF\b"),
]]

# Qualifiers whose "non-" form is another patient or another drug: "non-expandable lung" is not the lung that
# re-expands, "non-small cell" is not small cell lung cancer, a non-dihydropyridine calcium-channel blocker is
# not amlodipine. Each is read for and against; a text that names both sides speaks of both.
_QUALIFIERS: list[tuple[str, str]] = [
    ("expandable", r"expandable lung"), ("small cell", r"small[- ]cell"),
    ("ST elevation", r"ST[- ]?(?:segment[- ])?elevation"), ("purulent", r"purulent"), ("valvular", r"valvular"),
    ("muscle invasive", r"muscle[- ]invasive"), ("proliferative", r"proliferative"), ("Hodgkin", r"Hodgkin"),
    ("dihydropyridine", r"dihydropyridine"), ("cirrhotic", r"cirrhotic"), ("alcoholic", r"alcoholic"),
]
_QUALIFIER_RX = [(name, re.compile(rf"\b(non[- ]?)?{rx}", re.IGNORECASE)) for name, rx in _QUALIFIERS]


def _qualifiers(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{'-' if m.group(1) else '+'}{name}" for name, rx in _QUALIFIER_RX
                               for m in rx.finditer(text)))


@lru_cache(maxsize=65536)
def extract(text: str) -> Population:
    """The population a question or a sentence names; an empty `Population` when it names none (cached by
    text: headings and card populations repeat across questions)."""
    if not text:
        return Population()
    groups = tuple(g for g, rx in _GROUPS if rx.search(text))
    if "older_adult" in groups and "adult" in groups:
        groups = tuple(g for g in groups if g != "adult" or re.search(r"(?<!older )(?<!frail )\badults?\b", text,
                                                                       re.IGNORECASE))
    age_min, age_max = read_ages(text)
    without = tuple(dict.fromkeys([*(_condition_name(a.group(1)) for m in _WITHOUT.finditer(text)
                                     for a in _ABSENT.finditer(m.group(1))),
                                   *(["cancer"] if _NO_CANCER.search(text) else [])]))
    ruled_out = [m.span(1) for m in _NEGATED_LIST.finditer(text)]

    def named(rx: re.Pattern[str]) -> bool:  # said of the patient, not in a list of what they do not have
        return any(not any(a <= m.start() < b for a, b in ruled_out) for m in rx.finditer(text))
    if any(_CANCER.search(text[a:b]) for a, b in ruled_out) and "cancer" not in without:
        without += ("cancer",)
    if any(_KIDNEY.search(text[a:b]) for a, b in ruled_out):
        without += ("kidney impairment",)
    # A valve named at all is the patient's, unless ruled out ("AF mechanical heart valve DOAC?")
    valves = [name for m in _VALVE.finditer(text) if (name := _condition_name(m.group(0))) not in without]
    return Population(
        age_groups=groups, age_min=age_min, age_max=age_max, pregnancy=_pregnancy(text), sex=_sex(text),
        kidney_impairment=named(_KIDNEY), liver_impairment=named(_LIVER),
        comorbidities=tuple(dict.fromkeys([*(_condition_name(m.group(1)) for m in _COMORBID.finditer(text)),
                                           *valves, *allergies(text)])),
        without=without,
        origin="not black african" if _NOT_BLACK.search(text) else "black african" if _BLACK.search(text) else None,
        cancer=() if "cancer" in without and not named(_CANCER) else _cancer(_NO_CANCER.sub(" ", text)),
        severity=_severity(text), stage=_stage(text),
        phase=next((p for p, rx in _PHASES if rx.search(text)), None),
        setting=next((s for s, rx in _SETTINGS if rx.search(text)), None),
        line=next((s for s, rx in _LINES if rx.search(text)), None),
        manifestations=tuple(m for m, rx in _MANIFESTATIONS if rx.search(text)), qualifiers=_qualifiers(text))


def impairment_words(text: str) -> list[str]:
    """The words that name kidney or liver impairment in a text ("kidney disease", "CKD", "cirrhosis")."""
    return [m.group(0) for rx in (_KIDNEY, _LIVER) for m in rx.finditer(text)]


def manifestation_words(text: str) -> list[str]:
    """The words of a text that name a manifestation ("rash", "colitis", "diarrhoea") of a condition named
    otherwise. Not heart failure's ejection fraction: "HFrEF" is the condition asked about itself."""
    return [m.group(0) for name, rx in _MANIFESTATIONS if "ejection fraction" not in name for m in rx.finditer(text)]


def _pregnancy(text: str) -> str | None:
    if _NOT_PREGNANT.search(text):
        return "not_pregnant"
    if _PREGNANT.search(text):
        return "pregnant"
    return "breastfeeding" if _BREASTFEEDING.search(text) else None


def _sex(text: str) -> str | None:
    female, male = bool(_FEMALE.search(text)), bool(_MALE.search(text))
    return "female" if female and not male else "male" if male and not female else None


def _cancer(text: str) -> tuple[str, ...]:
    kinds = [" ".join((m.group(1) or m.group(2)).lower().split()) for m in _CANCER_TYPE.finditer(text)]
    if kinds:
        return tuple(dict.fromkeys(kinds))
    return ("cancer",) if _CANCER.search(text) else ()


def _severity(text: str) -> tuple[int, int] | None:
    spans: list[tuple[int, int]] = []
    for m in _GRADE.finditer(text):
        if m.group(4):
            spans.append((int(m.group(4)), 4))
            continue
        low = int(m.group(1))
        high = int(m.group(2)) if m.group(2) else (4 if m.group(3) else low)
        spans.append((min(low, high), max(low, high)))
    if not spans:
        taken: list[tuple[int, int]] = []
        rest = text
        for rx, span in _SEVERITY:
            if rx.search(rest):
                taken.append(span)
                rest = rx.sub(" ", rest)
        spans = taken
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _stage(text: str) -> str | None:
    m = _STAGE.search(text)
    return " ".join(m.group(0).lower().split()) if m else None


# ------------------------------------------------------------------------------------------- combining

# Populations are frozen (hashable) values, and a search meets a few dozen distinct ones: combining and comparing
# them is cached by their values, so each pair is worked out once (annotating ~30 candidates per answer did it
# afresh every time).

@lru_cache(maxsize=8192)
def age_range(p: Population) -> tuple[float, float] | None:
    """The ages a population covers, as one half-open range in years, or None when it says nothing of age."""
    low, high = None, None
    if p.age_groups:
        spans = [GROUP_AGES[g] for g in p.age_groups]
        low, high = min(s[0] for s in spans), max(s[1] for s in spans)
        # "500 mcg for adults and children over 12, 300 mcg for children aged 6 to 12": numbers of one band
        band, apart = (p.age_min or 0.0, p.age_max or _OPEN), [s for s in spans if s[0] >= (p.age_max or _OPEN)]
        if apart and (p.age_min is not None or p.age_max is not None):  # the band and the groups above it
            return (band[0], max(band[1], *(s[1] for s in apart)))
    if p.age_min is not None:
        low = p.age_min if low is None else max(low, p.age_min) if p.age_groups else p.age_min
    if p.age_max is not None:
        high = p.age_max if high is None else min(high, p.age_max) if p.age_groups else p.age_max
    if low is None and high is None:
        return None
    return (low or 0.0, _OPEN if high is None else high)


@lru_cache(maxsize=16384)
def merge(specific: Population, general: Population) -> Population:
    """Slot by slot: what the specific text (a sentence) says, else what its context (heading, document) says."""
    if general.is_empty():
        return specific
    if specific.is_empty():
        return general
    values = {}
    for name in Population.model_fields:
        own = getattr(specific, name)
        values[name] = own if own not in (None, (), False) else getattr(general, name)
    if specific.age_groups or specific.age_min is not None or specific.age_max is not None:
        values.update(age_groups=specific.age_groups, age_min=specific.age_min, age_max=specific.age_max)
    return Population(**values)


def contradiction(p: Population) -> str | None:
    """Why a question's population cannot hold ("a child aged 70"), or None."""
    ages = [a for a in (p.age_min, p.age_max) if a is not None]
    young = [g for g in p.age_groups if g in ("neonate", "infant", "child")]
    if young and ages and min(ages) >= 19:
        return f"it names a {young[0].replace('_', ' ')} and an age of {int(min(ages))}"
    if "older_adult" in p.age_groups and ages and max(ages) <= 18:
        return f"it names an older adult and an age of {int(max(ages))}"
    if p.pregnancy == "pregnant" and p.sex == "male":
        return "it names pregnancy and a man"
    return None


def conflicts(question: Population, passage: Population) -> list[str]:
    """How a passage's population rules it out for the question's patient; [] when it may apply."""
    return list(_conflicts(question, passage))


@lru_cache(maxsize=16384)
def _conflicts(question: Population, passage: Population) -> tuple[str, ...]:
    out: list[str] = []
    if question.pregnancy and passage.pregnancy and question.pregnancy != passage.pregnancy \
            and "not_pregnant" in (question.pregnancy, passage.pregnancy):
        out.append("pregnancy")
    q_ages, p_ages = age_range(question), age_range(passage)
    if q_ages and p_ages and (q_ages[1] <= p_ages[0] or p_ages[1] <= q_ages[0]) \
            and not (question.origin == passage.origin == "black african"):
        # ("for adults aged 55 or over, and for Black adults of African … origin": either clause is a patient
        # it is for, so a Black 50-year-old meets the second whatever the first says)
        out.append("age")
    if question.sex and passage.sex and question.sex != passage.sex and not question.pregnancy:
        out.append("sex")
    if question.severity and passage.severity and (question.severity[1] < passage.severity[0]
                                                   or passage.severity[1] < question.severity[0]):
        out.append("severity")
    pairs = {frozenset(("stable", "exacerbation")), frozenset(("acute", "chronic")),
             frozenset(("stable", "acute"))}
    if question.phase and passage.phase and frozenset((question.phase, passage.phase)) in pairs:
        out.append("phase")
    if question.setting and passage.setting and "outpatient" in (question.setting, passage.setting) \
            and question.setting != passage.setting:
        out.append("setting")
    later = {"second", "refractory", "recurrent"}
    # Only a later line in the question rules out first-line advice; "first-line" in a question is what it asks
    # for (the intent), and step-up advice is not for another patient.
    if question.line in later and passage.line == "first":
        out.append("line")
    if question.manifestations and passage.manifestations \
            and not set(question.manifestations) & set(passage.manifestations):
        out.append("manifestation")
    if question.origin and passage.origin and question.origin != passage.origin \
            and not _shares_comorbidity(question.comorbidities, passage.comorbidities):
        # "for those with type 2 diabetes, or under 55 and not of Black African origin": the clause for the
        # question's comorbidity applies to them whatever the other clause says.
        out.append("origin")
    if _shares_comorbidity(question.comorbidities, passage.without):
        out.append("comorbidity")  # "without type 2 diabetes" is not for a patient with diabetes
    if question.cancer and "cancer" in passage.without:
        out.append("cancer")  # "DVT (not cancer-associated)" is not the advice for a clot in cancer
    if question.kidney_impairment and "kidney impairment" in passage.without:
        out.append("kidney")  # "apixaban … when there is no renal impairment" is not for a patient with CKD
    if _opposed(question.qualifiers, passage.qualifiers):
        out.append("qualifier")  # "suspected expandable lung" is not advice for a non-expandable one
    specific = [c for c in question.cancer if c != "cancer"]
    theirs = [c for c in passage.cancer if c != "cancer"]
    if specific and theirs and not set(specific) & set(theirs):
        out.append("cancer type")
    return tuple(out)


def _opposed(ours: tuple[str, ...], theirs: tuple[str, ...]) -> list[str]:
    """Qualifiers one side names only for and the other only against."""
    def only(signed: tuple[str, ...], sign: str) -> set[str]:
        return {q[1:] for q in signed if q[0] == sign} - {q[1:] for q in signed if q[0] != sign}
    return sorted((only(ours, "+") & only(theirs, "-")) | (only(ours, "-") & only(theirs, "+")))


def _agreed(ours: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """A qualifier both sides name on the same side only: a text naming both sides prefers neither."""
    return any(q in theirs and f"{'+' if q[0] == '-' else '-'}{q[1:]}" not in theirs for q in ours)


def _shares_comorbidity(ours: Iterable[str], theirs: Iterable[str]) -> bool:
    """One condition named on both sides, at any precision ("diabetes" and "type 2 diabetes")."""
    return any(a == b or a in b or b in a for a in ours for b in theirs)


def matches(question: Population, passage: Population) -> list[str]:
    """The question's population slots that the passage names too, compatibly (for preferring it)."""
    return list(_matches(question, passage))


@lru_cache(maxsize=16384)
def _matches(question: Population, passage: Population) -> tuple[str, ...]:
    if _conflicts(question, passage):
        return ()
    out: list[str] = []
    if question.pregnancy and passage.pregnancy == question.pregnancy:
        out.append("pregnancy")
    if question.pregnancy == "pregnant" and passage.pregnancy == "breastfeeding":
        out.append("pregnancy")
    if age_range(question) and age_range(passage) and _asks_age(question) and _speaks_of_age(passage):
        out.append("age")
        if _same_bound(question, passage):
            out.append("age band")  # "aged 55 or over" for ">55": the band the question names, not one holding it
    if question.severity and passage.severity:
        out.append("severity")
    for slot in ("phase", "setting", "line"):
        if getattr(question, slot) and getattr(question, slot) == getattr(passage, slot):
            if slot == "line" and question.line == "first":
                continue  # "first-line" in a question is what it asks for, not whom (see `conflicts`)
            out.append(slot)
    if set(question.manifestations) & set(passage.manifestations):
        out.append("manifestation")
    if question.kidney_impairment and passage.kidney_impairment:
        out.append("kidney")
    if question.liver_impairment and passage.liver_impairment:
        out.append("liver")
    if set(_specific_cancers(question)) & set(_specific_cancers(passage)):
        out.append("cancer type")
    elif question.cancer and passage.cancer:
        out.append("cancer")  # "PE in cancer": the advice for clots in cancer, not the general one
    if question.origin and passage.origin == question.origin:
        out.append("origin")
    if _agreed(question.qualifiers, passage.qualifiers):
        out.append("qualifier")
    if _shares_comorbidity(question.comorbidities, passage.comorbidities):
        out.append("comorbidity")  # "AF with a mechanical valve": the sentence for people with one
    return tuple(out)


def _specific_cancers(p: Population) -> list[str]:
    return [c for c in p.cancer if c != "cancer"]


def _asks_age(p: Population) -> bool:
    """The question makes a point of age: a number, or a group narrower than adults."""
    return p.age_min is not None or p.age_max is not None or bool(set(p.age_groups) - {"adult"})


def _same_bound(question: Population, passage: Population) -> bool:
    """The passage speaks of the question's age band: its band starts or ends where the question's does (within a
    year); for an exact age, a narrow closed band holding it ("infants under 3 months" for a 6-week-old, "aged 18
    to 25" for a 20-year-old), not an open one ("aged 55 or over" holds a 60-year-old among many others)."""
    if question.age_min is not None and question.age_max is not None and question.age_max - question.age_min <= 1:
        age, theirs = question.age_min, age_range(passage)
        if passage.age_min is None and passage.age_max is None:
            return False  # "in 90% of infants" names a group, not a band
        if theirs is None or not theirs[0] <= age < theirs[1]:
            return False
        return theirs[1] < _OPEN and theirs[1] - theirs[0] <= max(1.0, 0.5 * age)
    return any(q is not None and p is not None and abs(q - p) <= 1
               for q, p in ((question.age_min, passage.age_min), (question.age_max, passage.age_max)))


def _speaks_of_age(p: Population) -> bool:
    """A passage that names an age band ("aged 55 or over", "in children"), not adults in general: for a
    question about a 62-year-old, a card for all adults applies but does not speak of that patient ("aged 18 or
    older" is all adults too)."""
    all_adults = p.age_min is not None and p.age_min <= 19 and p.age_max is None
    return (p.age_min is not None and not all_adults) or p.age_max is not None or bool(set(p.age_groups) - {"adult"})


def wanted(question: Population) -> list[str]:
    """The slots a question's population makes a point of (what `matches` can return for it)."""
    out: list[str] = []
    if question.pregnancy:
        out.append("pregnancy")
    if _asks_age(question):
        out.append("age")
    if question.severity:
        out.append("severity")
    out += [s for s in ("phase", "setting", "line") if getattr(question, s) and not (s == "line" and
                                                                                      question.line == "first")]
    if question.manifestations:
        out.append("manifestation")
    if question.kidney_impairment:
        out.append("kidney")
    if question.liver_impairment:
        out.append("liver")
    if _specific_cancers(question):
        out.append("cancer type")
    elif question.cancer:
        out.append("cancer")
    if question.origin:
        out.append("origin")
    if question.qualifiers:
        out.append("qualifier")
    if question.comorbidities:
        out.append("comorbidity")
    return out
