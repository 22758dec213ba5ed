"""Ages a text names, in years: bounds ("over 65", "under 3 months"), spans ("aged 18 to 25") and exact ages
("62-year-old", "6 week old baby"), for `population.extract`.

Numbers are ages only where the text speaks of people or age: "a Khorana score of 2 or more", "for at least 6
months" and "AUC 4 or more" are not.
"""

from __future__ import annotations

import re

__all__ = ["read_ages"]

_NUM = r"(\d{1,3}(?:\.\d)?)(?!\d|[.,]\d)"
# An age's unit: years unless it says months, weeks or days ("a 6 week old baby", "infants under 3 months").
_UNIT = r"(?:\s*-?\s*(years?|yrs?|y|months?|mos?|weeks?|wks?|days?)\b(?:\s*of age|[- ]old)?)"
_YEARS = _UNIT + "?"
_NOT_A_QUANTITY = (r"(?!\s*(?:mg|g|kg|%|mmol|mmhg|ml|units?|cm|µ|mcg|/|points?|doses?|cycles?|fractions?|gy|°|kpa|bpm|"
                   r"beats|breaths|times|x\b))")
_AGE_MIN = re.compile(
    rf"(?:\b(aged|age|ages)\s+)?{_NUM}{_YEARS}\s*(?:\+|(?:years?\s+)?(?:or|and)\s+(over|older|above|more))|"
    rf"(?:\b(aged|age|ages|adults?|patients?|people|persons?|wom[ae]n|m[ae]n|child(?:ren)?|bab(?:y|ies)|infants?|"
    rf"someone|somebody|anyone|those|individuals?)\s*)?"
    rf"(?:over|older than|above|"
    rf"at least|more than|>=?|≥|=>)\s*{_NUM}{_YEARS}{_NOT_A_QUANTITY}", re.IGNORECASE)
_AGE_MAX = re.compile(
    rf"(?:\b(aged|age|ages|adults?|patients?|people|persons?|child(?:ren)?|bab(?:y|ies)|infants?|wom[ae]n|m[ae]n|"
    rf"someone|somebody|anyone|those|individuals?)\s+)?"
    rf"(?:under|younger than|"
    rf"below|less than|<|≤|<=)\s*{_NUM}{_YEARS}{_NOT_A_QUANTITY}", re.IGNORECASE)
# "aged 18 to 25", "ages 3 months to 5 years", "between 16 and 25 years" ("between" needs its unit)
_AGE_SPAN = re.compile(rf"\b(?:aged|ages)\s+{_NUM}{_YEARS}\s*(?:-|–|to|and)\s*{_NUM}{_YEARS}(?!\s*(?:mg|%|kg|g\b))|"
                       rf"\bbetween\s+{_NUM}{_YEARS}\s*(?:-|–|to|and)\s*{_NUM}{_UNIT}", re.IGNORECASE)
_AGE_EXACT = re.compile(rf"\b{_NUM}\s*(?:-?\s*(years?|yrs?|y|months?|weeks?|days?)[- ]old|(yo)\b|(y\.o)\.?|(y/o)\b|"
                        rf"(yr)-old)|\baged\s+{_NUM}{_YEARS}(?!\s*(?:years?\s*)?(?:\+|-|–|to\b|or\b|and\b))",
                        re.IGNORECASE)
# A bare "65 or over" is an age only after a word for people ("adults 65 or over"): "a Khorana score of 2 or
# more" and "AUC 4 or more" are not ages.
_PEOPLE_BEFORE = re.compile(r"\b(?:adults?|patients?|people|persons?|women|men|children|those|individuals|someone|"
                            r"somebody|anyone)\s*$", re.IGNORECASE)
# Where a bare comparator is an age: only when the text speaks of age at all ("adults >55", "aged ≥ 65").
_AGE_CONTEXT = re.compile(r"\b(?:aged?|ages|years?|yrs?|yo|old|older|younger|adults?|patients?|people|women|men|"
                          r"children|babies|infants|pt|pts)\b", re.IGNORECASE)


def _in_years(value: str, unit: str | None) -> float:
    """An age in years from its number and unit (years when none is written)."""
    u, n = (unit or "y").lower(), float(value)
    if u.startswith("mo"):
        return n / 12
    if u.startswith("w"):
        return n / 52
    if u.startswith("d"):
        return n / 365
    return n


def _bound_is_age(aged: bool, who: str | None, unit: str | None) -> bool:
    """Whether "over/under N [unit]" is an age: in years, when the text speaks of age at all ("adults >55"); in
    months or weeks only after a word for people or age ("babies under 3 months", not "for at least 6 months")."""
    if unit and unit[0].lower() in "mwd":
        return who is not None
    return aged or who is not None or bool(unit)


def read_ages(text: str) -> tuple[float | None, float | None]:
    """The youngest and oldest age a text names, in years ("adults 65 or over", "aged 18 to 25", "a 6 week old
    baby"); None for a side it leaves open. Bounds, spans and exact ages are read in that order, each span of text
    once."""
    lows: list[float] = []
    highs: list[float] = []
    bounded: list[tuple[int, int]] = []  # "> 55 yo" is a bound, not an exact age
    for m in _AGE_SPAN.finditer(text):
        low, low_unit, high, high_unit = m.groups()[:4] if m.group(1) else m.groups()[4:8]
        lows.append(_in_years(low, low_unit or high_unit))
        highs.append(_in_years(high, high_unit) + (1 if not high_unit or high_unit[0].lower() == "y" else 0))
        bounded.append(m.span())
    aged = bool(_AGE_CONTEXT.search(text))
    for m in _AGE_MIN.finditer(text):
        if any(s <= m.start() < e for s, e in bounded):
            continue
        if m.group(2) is not None:  # "65 or over": an age when the text says so, not "a score of 2 or more"
            value, unit = m.group(2), m.group(3)
            people = m.group(1) or _PEOPLE_BEFORE.search(text[:m.start()])
            if unit and unit[0].lower() in "mwd":
                said = bool(people)  # "expected to live 4 weeks or more" is not an age
            else:
                said = bool(people or unit or (m.group(4) or "").lower() == "older")
            if not said:
                continue
        else:
            value, unit = m.group(6), m.group(7)
            if not _bound_is_age(aged, m.group(5), unit):
                continue
        if float(value) >= 1 or unit:
            lows.append(_in_years(value, unit))
            bounded.append(m.span())
    for m in _AGE_MAX.finditer(text):
        if any(s <= m.start() < e for s, e in bounded):
            continue
        if _bound_is_age(aged, m.group(1), m.group(3)) and (float(m.group(2)) >= 1 or m.group(3)):
            highs.append(_in_years(m.group(2), m.group(3)))
            bounded.append(m.span())
    for m in _AGE_EXACT.finditer(text):
        if any(s <= m.start() < e or s < m.end() <= e for s, e in bounded):
            continue
        value = m.group(1) or m.group(7)
        unit = m.group(2) if m.group(1) else m.group(8)
        age = _in_years(value, unit)
        lows.append(age)
        highs.append(age + (1 if not unit or unit[0].lower() == "y" else _in_years("1", unit)))
    return (min(lows) if lows else None), (max(highs) if highs else None)
