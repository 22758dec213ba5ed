"""Drug allergies a question or a sentence names ("in penicillin allergy", "allergic to penicillin", "pen allergic"),
and whether a sentence advises a drug of that allergy's class.

An allergy is carried as one of the patient's comorbidities ("penicillin allergy"), so it is matched, described
and asked about like "with diabetes"; what it adds is the clash: flucloxacillin or amoxicillin advised to everyone
is not advice for a patient allergic to penicillin (`compose.fit.annotate`).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["ALLERGIES", "advises_allergen", "allergies"]

# allergy name → the drugs it rules out (generic names, as sentences write them)
ALLERGIES: dict[str, tuple[str, ...]] = {
    "penicillin allergy": (
        "penicillin", "penicillins", "amoxicillin", "amoxycillin", "ampicillin", "co-amoxiclav",
        "amoxicillin-clavulanate", "amoxicillin/clavulanate", "flucloxacillin", "dicloxacillin", "cloxacillin",
        "benzylpenicillin", "phenoxymethylpenicillin", "penicillin V", "penicillin G", "piperacillin",
        "piperacillin-tazobactam", "pivmecillinam", "temocillin", "nafcillin", "oxacillin"),
}

# allergy name → how a text names the allergen ("allergic to penicillin", "beta-lactam allergy")
_ALLERGENS: dict[str, str] = {"penicillin allergy": r"(?:penicillins?|pen|beta[- ]lactams?|β-lactams?)"}


def _named(allergen: str) -> re.Pattern[str]:
    """The patient's allergy: "allergic to X", "X allergy", "X-allergic", "hypersensitivity to X"."""
    return re.compile(r"(?<![\w-])(?:(?:allerg(?:y|ic)|hypersensitiv(?:e|ity))\s+to\s+(?:an?\s+)?" + allergen
                      + r"|" + allergen + r"[- ](?:allerg(?:y|ies|ic)|hypersensitivity))(?![\w-])", re.IGNORECASE)


_NAMED = {name: _named(allergen) for name, allergen in _ALLERGENS.items()}
# Not "no penicillin allergy", "non-allergic", and not a source's pointer to other advice ("with alternatives for
# penicillin allergy" is said of everyone).
_NOT_THE_PATIENTS = re.compile(
    r"(?:\b(?:no|not|without|non|unless|alternatives?\s+(?:for|in)|options?\s+(?:for|in)|choices?\s+for)"
    r"(?:\s+(?:people|patients|those|anyone|a|an|the|known|true|who\s+are|with))*[\s-]*)$", re.IGNORECASE)
_MEMBERS = {name: re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(d) for d in sorted(drugs, key=len, reverse=True))
                             + r")(?![\w-])", re.IGNORECASE)
            for name, drugs in ALLERGIES.items()}


@lru_cache(maxsize=16384)
def allergies(text: str) -> tuple[str, ...]:
    """The drug allergies the text says the patient has."""
    return tuple(name for name, rx in _NAMED.items()
                 if any(not _NOT_THE_PATIENTS.search(text[:m.start()][-60:]) for m in rx.finditer(text)))


def advises_allergen(text: str, patient: tuple[str, ...] | list[str]) -> bool:
    """The sentence names a drug the patient's allergy rules out (it is advice for someone else, unless the
    sentence itself is for people with that allergy: the caller checks its population)."""
    # ("allergic to penicillin" names the allergy, not a drug advised)
    return any(name in patient and rx.search(_NAMED[name].sub(" ", text)) for name, rx in _MEMBERS.items())
