"""Numbers with their comparator, range and unit: "≥ 140 mmHg", "adults over 80", "10–20 mg", "at least 2 weeks".

One unit list and one comparator table for the whole code: the verifier compares quantities by them, the
composer tells sentences apart by them, and tailoring checks that none is lost in rewording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Quantity", "quantities", "numbers_of", "numbers_as_written", "has_dose", "fold_unit", "UNITS",
           "UNIT_PATTERN", "DOSE_UNITS", "COUNTED", "COMPARATORS", "percent_fit"]

# Canonical unit → the ways it is written (matched case-insensitively, longest first, never inside a word).
UNITS: dict[str, tuple[str, ...]] = {
    "%": ("%", "percent", "per cent"),
    "mmhg": ("mmHg", "mm Hg"),
    "mmol/mol": ("mmol/mol",), "mmol/l": ("mmol/L", "mmol/litre", "mmol/liter"), "mmol": ("mmol",),
    "meq/l": ("mEq/L",), "mg/dl": ("mg/dL",), "g/dl": ("g/dL",), "g/l": ("g/L", "g/litre"),
    "mg/l": ("mg/L", "mg/litre"), "ng/l": ("ng/L", "ng/litre", "ng/liter"), "pmol/l": ("pmol/L", "pmol/litre"),
    "micromol/l": ("micromol/L", "micromol/litre", "µmol/L", "μmol/L"), "ng/ml": ("ng/mL", "ng/ml"),
    "pg/ml": ("pg/mL",), "ml/min/1.73m2": ("mL/min/1.73 m2", "mL/min/1.73m2", "mL/min/1.73 m²", "mL/min/1.73m²"),
    "mg/kg": ("mg/kg",), "mcg/kg": ("mcg/kg", "µg/kg", "μg/kg"),
    "mg/m2": ("mg/m2", "mg/m²"), "kg/m2": ("kg/m2", "kg/m²"), "ml/min": ("mL/min", "ml/min"),
    "mg": ("mg", "milligrams", "milligram"), "mcg": ("mcg", "µg", "μg", "micrograms", "microgram"),
    "ng": ("ng",), "g": ("g", "grams", "gram"), "kg": ("kg", "kilograms", "kilogram"),
    "ml": ("mL", "millilitres", "milliliters", "millilitre", "milliliter"), "l": ("L", "litres", "liters"),
    "gy": ("Gy",), "cgy": ("cGy",), "iu": ("IU",), "unit": ("units", "unit"),
    "h": ("h", "hr", "hrs", "hours", "hour"), "d": ("d", "days", "day"), "wk": ("wk", "wks", "weeks", "week"),
    "mo": ("mo", "months", "month"), "y": ("y", "yr", "yrs", "years", "year"),
    "min": ("min", "mins", "minutes", "minute"), "s": ("s", "sec", "seconds", "second"),
    "cm": ("cm",), "mm": ("mm",), "bpm": ("bpm", "beats per minute"), "°c": ("°C",),
    "times": ("times",), "fold": ("fold",), "fraction": ("fractions", "fraction"), "dose": ("doses", "dose"),
    "cycle": ("cycles", "cycle"), "tablet": ("tablets", "tablet"), "puff": ("puffs", "puff"),
}
# Things counted rather than measured: part of a quantity for the verifier, but a plain rewording may name them
# differently ("2 fractions" → "2 sessions"), so `numbers_as_written` keeps only the number.
COUNTED = frozenset({"times", "fold", "fraction", "dose", "cycle", "tablet", "puff"})
_FOLD = {v.lower(): canonical for canonical, written in UNITS.items() for v in written}
_UNIT = "|".join(re.escape(v) for v in sorted(_FOLD, key=len, reverse=True))
# Every written unit as one regular-expression alternation (match it case-insensitively, then `(?![A-Za-z])`).
UNIT_PATTERN = _UNIT
# Units a dose is given in: "16 mg", "8 Gy", "5000 units".
DOSE_UNITS = frozenset({"mg", "mcg", "g", "gy", "unit", "iu", "mmol", "ml", "mg/kg", "mg/m2", "mcg/kg"})

# Canonical comparator → the words and signs that say it. A comparator after the number ("80 years or over")
# is listed with a leading "+".
COMPARATORS: dict[str, tuple[str, ...]] = {
    "≥": ("≥", ">=", "=>", "⩾", "at least", "no less than", "not less than", "no fewer than", "not fewer than",
          "greater than or equal to", "more than or equal to", "a minimum of", "minimum of", "minimum",
          "+or more", "+or greater", "+or higher", "+or above", "+or over", "+or older", "+or longer", "+and over",
          "+and above", "+and older", "++"),
    "≤": ("≤", "<=", "=<", "⩽", "at most", "no more than", "not more than", "no greater than", "not greater than",
          "no higher than", "less than or equal to", "up to", "within", "a maximum of", "maximum of", "maximum",
          "+or less", "+or fewer", "+or lower", "+or below", "+or under", "+or younger", "+or shorter",
          "+and under", "+and below", "+and younger"),
    ">": (">", "more than", "greater than", "higher than", "longer than", "older than", "over", "above",
          "exceeding", "exceeds", "exceed", "in excess of", "over the age of", "above the age of"),
    "<": ("<", "less than", "fewer than", "lower than", "shorter than", "younger than", "under", "below",
          "under the age of", "below the age of"),
}
_SIGNS = {w: c for c, ws in COMPARATORS.items() for w in ws if not w[0].isalpha() and not w.startswith("+")}
_BEFORE_WORDS = {w: c for c, ws in COMPARATORS.items() for w in ws if w[0].isalpha()}
_AFTER_WORDS = {w[1:]: c for c, ws in COMPARATORS.items() for w in ws if w.startswith("+")}

_VALUE = r"\d+(?:[.,]\d+)*(?:/\d+(?:[.,]\d+)*)?"
_SIGN = "|".join(re.escape(s) for s in sorted(_SIGNS, key=len, reverse=True))
_NUMBER = re.compile(
    r"(?:(?P<sign>" + _SIGN + r")\s?)?(?<![\w.,/])(?P<value>" + _VALUE + r")"
    r"(?:\s?(?:[–—-]|to)\s?(?P<upper>" + _VALUE + r")(?![\w.,/]))?"
    r"(?:\s?(?P<unit>" + _UNIT + r")(?![A-Za-z]))?", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+(?P<value>" + _VALUE + r")(?:\s?(?P<unit1>" + _UNIT + r")(?![A-Za-z]))?"
                      r"\s+and\s+(?P<upper>" + _VALUE + r")(?:\s?(?P<unit>" + _UNIT + r")(?![A-Za-z]))?",
                      re.IGNORECASE)
_BEFORE = re.compile(r"\b(?P<words>" + "|".join(re.escape(w) for w in sorted(_BEFORE_WORDS, key=len, reverse=True))
                     + r")\s*$", re.IGNORECASE)
_AFTER = re.compile(r"\s*(?P<words>" + "|".join(
    re.escape(w) if w == "+" else re.escape(w) + r"\b" for w in sorted(_AFTER_WORDS, key=len, reverse=True))
    + r")", re.IGNORECASE)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


@dataclass(frozen=True)
class Quantity:
    """One number as a statement uses it: value (and range end), unit and comparator, folded to one spelling."""

    value: str                      # "1000" for "1,000"; "2.5" for "2.50"
    unit: str | None = None         # canonical: "mg", "h", "%", "mmhg" (see UNITS)
    comparator: str | None = None   # "≥", "≤", ">" or "<" (see COMPARATORS); None for a plain number
    upper: str | None = None        # the range's upper end: "10–20 mg" → value "10", upper "20"
    text: str = field(default="", compare=False)   # as written, comparator words included
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    def __str__(self) -> str:
        head = f"{self.comparator} " if self.comparator else ""
        number = f"{self.value}–{self.upper}" if self.upper else self.value
        return f"{head}{number}{' ' + self.unit if self.unit else ''}"


def fold_unit(unit: str | None) -> str | None:
    """The canonical spelling of a unit ("hours" → "h", "µg" → "mcg"), or None."""
    return _FOLD.get(unit.lower(), unit.lower()) if unit else None


def _value(raw: str) -> str:
    if _THOUSANDS.fullmatch(raw):
        return raw.replace(",", "")
    if re.fullmatch(r"\d+\.\d+", raw):
        raw = raw.rstrip("0").rstrip(".")
    return raw


def _comparator(text: str, start: int, end: int, sign: str | None) -> tuple[str | None, int, int]:
    if sign:
        return _SIGNS[sign.lower()], start, end
    before = _BEFORE.search(text, max(0, start - 40), start)
    after = _AFTER.match(text, end)
    if before:  # "over 80 or under 18": the words before a number are its own
        return _BEFORE_WORDS[before.group("words").lower()], before.start(), end
    if after and (after.group("words") != "+" or not re.match(r"\s*\d", text[after.end():])):
        return _AFTER_WORDS[after.group("words").lower()], start, after.end()
    return None, start, end


def quantities(text: str) -> list[Quantity]:
    """Every number in `text` with its comparator, range and unit, in order."""
    found: list[Quantity] = []
    covered: list[tuple[int, int]] = []
    for m in _BETWEEN.finditer(text):
        unit = fold_unit(m.group("unit") or m.group("unit1"))
        found.append(Quantity(_value(m.group("value")), unit, None, _value(m.group("upper")), m.group(0),
                              m.start(), m.end()))
        covered.append((m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        if any(a <= m.start("value") < b for a, b in covered):
            continue
        comparator, start, end = _comparator(text, m.start(), m.end(), m.group("sign"))
        upper = m.group("upper")
        found.append(Quantity(_value(m.group("value")), fold_unit(m.group("unit")), comparator,
                              _value(upper) if upper else None, text[start:end], start, end))
    found.sort(key=lambda q: q.start)
    return found


def has_dose(text: str) -> bool:
    """Whether the text gives a dose: a number with a unit from DOSE_UNITS."""
    return any(q.unit in DOSE_UNITS for q in quantities(text))


def numbers_of(text: str) -> set[tuple[str, str | None]]:
    """The (value, unit) pairs of a text, e.g. {("8", "gy"), ("24", "h")}; a range gives both ends."""
    out: set[tuple[str, str | None]] = set()
    for q in quantities(text):
        out.add((q.value, q.unit))
        if q.upper:
            out.add((q.upper, q.unit))
    return out


def numbers_as_written(text: str) -> list[str]:
    """Every number with its sign, range and unit as written, e.g. ['24 Gy', '2', '≥ 50%']: what a rewording
    must keep, character for character."""
    out = []
    for m in _NUMBER.finditer(text):
        end = m.start("unit") if m.group("unit") and fold_unit(m.group("unit")) in COUNTED else m.end()
        out.append(text[m.start():end].strip())
    return out


@lru_cache(maxsize=256)
def _asked_percents(question: str) -> tuple[float, ...]:
    """The plain percentages a question gives ("an 8% 10-year risk"), read once per question, not per sentence."""
    return tuple(float(q.value) for q in quantities(question) if q.unit == "%" and q.comparator is None)


def percent_fit(text: str, question: str) -> int:
    """+1 when the percentage range a sentence states holds a percentage the question gives, −1 when it leaves it
    out, 0 when either says none ("risk of 7.5% to less than 10%" holds "8%"; "10% or more" does not)."""
    asked = _asked_percents(question)
    if not asked:
        return 0
    stated = [q for q in quantities(text) if q.unit == "%"]
    low = [float(q.value) for q in stated if q.comparator in ("≥", ">")]
    high = [float(q.upper or q.value) for q in stated if q.comparator in ("<", "≤")]
    # "7.5% to less than 10%": a plain number that opens a range whose end has the comparator
    low += [float(a.value) for a, b in zip(stated, stated[1:]) if a.comparator is None and b.comparator in ("<", "≤")
            and re.fullmatch(r"\s*(?:to|-|–)\s*", text[a.end:b.start])]
    if not (low or high):
        return 0
    inside = all(max(low, default=-1.0) <= x and (not high or x < min(high)) for x in asked)
    return 1 if inside else -1
