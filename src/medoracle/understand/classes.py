"""The drug class a named drug belongs to: guidelines advise by class ("a checkpoint inhibitor", "an
intravenous bisphosphonate"), questions name the drug ("pembrolizumab", "zoledronic acid").

One direction only: a sentence about the class speaks of the drug, a sentence about one drug does not speak of
its class. Membership is pharmacology (BNF chapters, ATC codes), not a judgement of which drug is preferred.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PREGNANCY_AVOID", "class_pattern", "class_words", "classes_of", "members_pattern", "named_classes"]

# class phrases (as sentences write them) → members (generic names, lower case)
_CLASSES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("checkpoint inhibitor", "immunotherapy", "anti-PD-1", "anti-PD-L1", "anti-CTLA-4"): (
        "pembrolizumab", "nivolumab", "ipilimumab", "atezolizumab", "durvalumab", "avelumab", "cemiplimab",
        "dostarlimab", "tremelimumab", "relatlimab", "tislelizumab", "toripalimab", "retifanlimab"),
    ("bisphosphonate", "bone-modifying agent", "bone-targeted agent", "antiresorptive"): (
        "zoledronic acid", "pamidronate", "pamidronic acid", "alendronate", "alendronic acid", "risedronate",
        "risedronic acid", "ibandronate", "ibandronic acid", "clodronate", "sodium clodronate"),
    ("direct oral anticoagulant", "DOAC", "anticoagulant"): ("apixaban", "rivaroxaban", "edoxaban", "dabigatran"),
    ("low-molecular-weight heparin", "LMWH", "anticoagulant"): ("enoxaparin", "dalteparin", "tinzaparin"),
    ("vitamin K antagonist", "anticoagulant"): ("warfarin", "acenocoumarol", "phenindione"),
    ("ACE inhibitor",): ("ramipril", "lisinopril", "enalapril", "perindopril", "captopril", "trandolapril",
                         "quinapril", "fosinopril"),
    ("angiotensin II receptor blocker", "ARB"): ("losartan", "candesartan", "valsartan", "irbesartan",
                                                 "telmisartan", "olmesartan"),
    ("calcium-channel blocker",): ("amlodipine", "nifedipine", "felodipine", "lercanidipine", "diltiazem",
                                   "verapamil"),
    ("thiazide-like diuretic", "thiazide"): ("indapamide", "chlortalidone", "chlorthalidone",
                                             "bendroflumethiazide", "hydrochlorothiazide"),
    ("beta-blocker",): ("bisoprolol", "atenolol", "metoprolol", "carvedilol", "propranolol", "nebivolol",
                        "labetalol"),
    ("statin",): ("atorvastatin", "simvastatin", "rosuvastatin", "pravastatin", "fluvastatin"),
    ("SGLT2 inhibitor",): ("dapagliflozin", "empagliflozin", "canagliflozin", "ertugliflozin"),
    ("SSRI", "selective serotonin reuptake inhibitor", "antidepressant"): (
        "sertraline", "citalopram", "escitalopram", "fluoxetine", "paroxetine", "fluvoxamine"),
    ("corticosteroid", "steroid", "glucocorticoid"): ("prednisolone", "prednisone", "dexamethasone",
                                                      "methylprednisolone", "hydrocortisone"),
    ("opioid",): ("morphine", "oxycodone", "fentanyl", "hydromorphone", "codeine", "tramadol", "buprenorphine",
                  "methadone", "diamorphine"),
    ("5-HT3 receptor antagonist", "5-HT3 antagonist"): ("ondansetron", "granisetron", "palonosetron"),
    ("NK1 receptor antagonist", "NK1 antagonist"): ("aprepitant", "fosaprepitant", "netupitant", "rolapitant"),
    ("proton pump inhibitor", "PPI"): ("omeprazole", "lansoprazole", "pantoprazole", "esomeprazole"),
    ("RANKL inhibitor", "bone-targeted agent", "bone-modifying agent", "antiresorptive"): ("denosumab",),
}
# Phrases of more than one class ("anticoagulant", "bone-modifying agent"): they name no one class.
_SHARED = frozenset(p for phrases in _CLASSES for p in phrases
                    if sum(p in other for other in _CLASSES) > 1)
_MEMBERS: dict[str, tuple[str, ...]] = {}
for _phrases, _drugs in _CLASSES.items():
    for _drug in _drugs:
        _MEMBERS[_drug] = _MEMBERS.get(_drug, ()) + tuple(p for p in _phrases if p not in _MEMBERS.get(_drug, ()))


def classes_of(drug: str) -> tuple[str, ...]:
    """The class phrases a drug is spoken of by; () for a drug not listed."""
    return _MEMBERS.get(drug.lower().strip(), ())


@lru_cache(maxsize=512)
def members_pattern(name: str) -> re.Pattern[str] | None:
    """For a class named as an option ("LMWH or a DOAC?"), a pattern finding it by its own phrases or by one of
    its members ("apixaban"); phrases several classes share ("anticoagulant") do not count. None for no class."""
    low = name.lower()
    for phrases, members in _CLASSES.items():
        if low in (p.lower() for p in phrases):
            shared = {p for other, _ in _CLASSES.items() if other != phrases for p in other}
            return _phrase_pattern(tuple(p for p in phrases if p not in shared) + members)
    return None


@lru_cache(maxsize=1024)
def named_classes(text: str) -> tuple[re.Pattern[str], ...]:
    """For each drug class a text names by a phrase of its own ("statins", "a DOAC", "SGLT2 inhibitor"), the
    pattern of that class or its members (`members_pattern`); phrases several classes share do not count. (Cached:
    the composer asks it of one question several times.)"""
    return tuple(members for own, members in _own_class_patterns() if own.search(text))


@lru_cache(maxsize=1)
def _own_class_patterns() -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
    """Each class's own phrases as one pattern, with the pattern of the class or its members."""
    out = []
    for phrases in _CLASSES:
        own = tuple(p for p in phrases if p not in _SHARED)
        if own and (members := members_pattern(own[0])) is not None:
            out.append((_phrase_pattern(own), members))
    return tuple(out)


def class_pattern(drug: str, *, own: bool = False) -> re.Pattern[str] | None:
    """A pattern finding any of the drug's class phrases in a sentence (hyphens and spaces alike, plurals); with
    `own`, only the phrases no other class shares."""
    phrases = tuple(p for p in classes_of(drug) if not own or p not in _SHARED)
    if not phrases:
        return None
    alternatives = []
    for phrase in phrases:
        words = [re.escape(w) for w in re.split(r"[\s-]+", phrase)]
        alternatives.append(r"[\s-]+".join(words) + r"s?")
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


# Drugs and classes a pregnant patient should not be started on (BNF "Pregnancy" sections, MHRA advice): ACE
# inhibitors and ARBs (fetal renal damage), statins, warfarin (first trimester), valproate, retinoids,
# methotrexate, mycophenolate, tetracyclines, trimethoprim (first trimester, folate antagonist), the direct oral
# anticoagulants, thalidomide and its analogues, SGLT2 inhibitors and GLP-1 receptor agonists (manufacturers advise
# avoiding them; insulin and metformin are the drugs of pregnancy). A sentence advising one is not advice for a
# pregnant patient.
_PREGNANCY_AVOID = ("ACE inhibitor", "angiotensin II receptor blocker", "ARB", "angiotensin receptor blocker",
                    "statin", "warfarin", "valproate", "sodium valproate", "isotretinoin", "methotrexate",
                    "mycophenolate", "doxycycline", "tetracycline", "trimethoprim", "DOAC",
                    "direct oral anticoagulant", "thalidomide", "lenalidomide", "leflunomide", "misoprostol",
                    "SGLT2 inhibitor", "SGLT-2 inhibitor", "GLP-1 receptor agonist", "semaglutide", "liraglutide",
                    "dulaglutide", "exenatide", "tirzepatide")
_PREGNANCY_AVOID_ALL = _PREGNANCY_AVOID + tuple(
    drug for phrases, drugs in _CLASSES.items() for drug in drugs
    if set(phrases) & {"ACE inhibitor", "angiotensin II receptor blocker", "statin", "direct oral anticoagulant",
                       "SGLT2 inhibitor"})
PREGNANCY_AVOID = re.compile(r"(?<![\w-])(?:" + "|".join(
    r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", p)) + "s?" for p in _PREGNANCY_AVOID_ALL)
    + r")(?![\w-])", re.IGNORECASE)


# A class word a question asks with ("which antihypertensive", "which antibiotic") and the names a sentence
# gives its answer in: a sentence advising "a calcium-channel blocker" answers "which antihypertensive".
_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "antihypertensive": ("ACE inhibitor", "angiotensin II receptor blocker", "ARB", "calcium-channel blocker",
                         "CCB", "thiazide-like diuretic", "thiazide", "beta-blocker", "alpha-blocker",
                         "spironolactone", "labetalol", "nifedipine", "methyldopa", "amlodipine", "ramipril",
                         "lisinopril", "losartan", "candesartan", "indapamide"),
    "anticoagulant": ("DOAC", "direct oral anticoagulant", "low-molecular-weight heparin", "LMWH", "heparin",
                      "warfarin", "apixaban", "rivaroxaban", "edoxaban", "dabigatran", "enoxaparin", "dalteparin",
                      "tinzaparin", "fondaparinux"),
    "antiemetic": ("5-HT3 receptor antagonist", "NK1 receptor antagonist", "olanzapine", "dexamethasone",
                   "ondansetron", "granisetron", "palonosetron", "aprepitant", "metoclopramide", "prochlorperazine",
                   "cyclizine", "haloperidol", "levomepromazine"),
    "antidepressant": ("SSRI", "selective serotonin reuptake inhibitor", "sertraline", "citalopram",
                       "escitalopram", "fluoxetine", "mirtazapine", "venlafaxine", "duloxetine"),
    "bisphosphonate": ("zoledronic acid", "zoledronate", "pamidronate", "alendronate", "alendronic acid",
                       "risedronate", "ibandronate", "clodronate"),
    "steroid": ("corticosteroid", "glucocorticoid", "prednisolone", "prednisone", "dexamethasone",
                "methylprednisolone", "hydrocortisone"),
    "diuretic": ("loop diuretic", "thiazide", "thiazide-like diuretic", "furosemide", "bumetanide", "torasemide",
                 "indapamide", "bendroflumethiazide", "chlortalidone", "spironolactone", "eplerenone"),
    "inhaler": ("LAMA", "LABA", "ICS", "SABA", "inhaled corticosteroid", "salbutamol", "tiotropium",
                "formoterol", "budesonide", "beclometasone"),
    "antibiotic": ("amoxicillin", "co-amoxiclav", "nitrofurantoin", "trimethoprim", "pivmecillinam",
                   "fosfomycin", "doxycycline", "clarithromycin", "erythromycin", "azithromycin",
                   "flucloxacillin", "cefalexin", "ceftriaxone", "cefuroxime", "piperacillin", "gentamicin",
                   "vancomycin", "fidaxomicin", "metronidazole", "clindamycin", "meropenem", "levofloxacin",
                   "ciprofloxacin", "benzylpenicillin", "phenoxymethylpenicillin", "cefotaxime", "teicoplanin"),
}
_CLASS_WORD = re.compile(r"\b(" + "|".join(_CLASS_WORDS) + r")s?\b|\b(corticosteroid|anticoagulation)s?\b",
                         re.IGNORECASE)


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(
        r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", p)) + "s?" for p in phrases) + r")(?![\w-])",
        re.IGNORECASE)


def class_words(text: str) -> dict[str, re.Pattern[str]]:
    """The class words of a question ("antihypertensive", "antibiotics") with the pattern of what a sentence
    names as one of them."""
    out: dict[str, re.Pattern[str]] = {}
    for m in _CLASS_WORD.finditer(text):
        word = m.group(0).lower()
        key = (m.group(1) or {"corticosteroid": "steroid", "anticoagulation": "anticoagulant"}[
            m.group(2).lower()]).lower()
        out[word] = _member_pattern(key)
    return out


@lru_cache(maxsize=32)
def _member_pattern(key: str) -> re.Pattern[str]:
    return _phrase_pattern(_CLASS_WORDS[key])
