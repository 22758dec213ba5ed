"""Clinician shorthand spelled out: "svco mx - stent or rt?" → "superior vena cava obstruction (SVCO)
management - stent or radiotherapy (RT)?".

Two sources: the fixed list of note-writing shorthand below (mx, tx, dx, abx, yo, w/o …) and the curated
abbreviation table (`data/abbreviations.tsv`, through `vocab.expand_abbreviation`). The spelled-out text is what
the composer matches sentences against; the abbreviation is kept in brackets so retrieval still finds cards
that use it.
"""

from __future__ import annotations

import re

from medoracle.understand.vocab import abbreviation_entry

__all__ = ["SHORTHAND", "spell_out"]

# Note-writing shorthand with one meaning in a clinical question.
SHORTHAND: dict[str, str] = {
    "mx": "management", "tx": "treatment", "rx": "treatment", "dx": "diagnosis", "ddx": "differential diagnosis",
    "abx": "antibiotics", "pt": "patient", "pts": "patients", "hx": "history", "sx": "symptoms",
    "fx": "fracture", "fxs": "fractures", "mets": "metastases", "met": "metastasis", "ix": "investigations",
    "yo": "year old", "y.o.": "year old", "y/o": "year old", "yrs": "years", "yr": "year", "w/": "with",
    "w/o": "without", "vs": "versus", "vs.": "versus", "v.": "versus", "1st": "first", "2nd": "second",
    "3rd": "third", "approx": "approximately", "tmt": "treatment", "mgmt": "management", "prn": "as needed",
    "ppx": "prophylaxis", "proph": "prophylaxis", "sob": "shortness of breath", "cx": "complications",
    "f/u": "follow-up", "b/c": "because", "neuro": "neurological", "preg": "pregnancy",
    "wk": "week", "wks": "weeks", "hr": "hour", "hrs": "hours", "mins": "minutes", "inpt": "inpatient",
    "c/i": "contraindicated", "meds": "medicines", "bp": "blood pressure", "ci": "contraindication", "dose?": "dose?",
}
# Tokens: words with inner dots or slashes ("y.o.", "w/o"), or a lone "+" that joins two asks.
_TOKEN = re.compile(r"(?<![\w/])(?:[A-Za-z0-9]+(?:[./][A-Za-z0-9]*)*\.?|\+)(?![\w/])")
# Signs of the clinician register: then a lower-case "cap" is community-acquired pneumonia, not a hat.
_REGISTER = frozenset({"mx", "tx", "dx", "ddx", "abx", "pt", "hx", "sx", "rx", "yo", "y.o.", "ppx", "mgmt"})


def spell_out(text: str) -> tuple[str, dict[str, str]]:
    """The text with shorthand and known abbreviations spelled out, and what was read as what."""
    words = [m.group(0).lower() for m in _TOKEN.finditer(text)]
    clinical_register = any(w in _REGISTER for w in words)
    corrections: dict[str, str] = {}
    seen_long: set[str] = set()

    def replace(m: re.Match[str]) -> str:
        token = m.group(0)
        low = token.lower()
        if token == "+":
            corrections["+"] = "and"
            return "and"
        if low in SHORTHAND and SHORTHAND[low] != low:
            corrections[token] = SHORTHAND[low]
            return SHORTHAND[low]
        bare = token.rstrip(".")
        entry = abbreviation_entry(bare, case_free=clinical_register)
        if entry is None:
            return token
        abbreviation, long_form = entry
        if long_form in seen_long or long_form.lower() in text.lower():
            return token  # already spelled out in the question
        seen_long.add(long_form)
        corrections[bare] = long_form
        return f"{long_form} ({abbreviation})" + token[len(bare):]

    spelled = _TOKEN.sub(replace, text)
    # "1st line" → "first line": the number words above, then hyphenate the therapy line.
    spelled = re.sub(r"\b(first|second|third) line\b", r"\1-line", spelled, flags=re.IGNORECASE)
    spelled = re.sub(r"(?<=\d)\s*y\.?o\.?\b", " year old", spelled, flags=re.IGNORECASE)
    # "within 1h", "every 4 h": an hour spelled out, as sources write it
    spelled = re.sub(r"\b1\s*h\b", "1 hour", spelled)
    spelled = re.sub(r"\b(\d+)\s*h\b", r"\1 hours", spelled)
    return " ".join(spelled.split()), corrections
