"""Whom a `Population` speaks of, in words for the reader: "pregnant women", "adults aged 55 or over",
"grade 3 colitis" (the abstention notes and the explanations of each statement say it this way)."""

from __future__ import annotations

from collections.abc import Iterable

from medoracle.types import Population

__all__ = ["describe"]

_GROUP_WORDS = {"neonate": "neonates", "infant": "infants", "child": "children", "adolescent": "adolescents",
                "adult": "adults", "older_adult": "older adults"}
_SEVERITY_WORDS = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening"}


def _age_words(years: float) -> str:
    """An age as a reader says it: "55", "3 months", "6 weeks"."""
    if years >= 1 or years == 0:
        return str(int(years))
    if years * 12 >= 1 and abs(years * 12 - round(years * 12)) < 0.05:
        return f"{round(years * 12)} months"
    return f"{max(1, round(years * 52))} weeks"


def describe(p: Population, slots: Iterable[str] | None = None) -> str:
    """A short phrase for the reader: 'pregnant women', 'adults aged 55 or over', 'grade 3 colitis'."""
    only = set(slots) if slots is not None else None

    def want(slot: str) -> bool:
        return only is None or slot in only

    parts: list[str] = []
    if want("severity") and p.severity:
        low, high = p.severity
        parts.append(f"grade {low}" if low == high and p.manifestations else
                     _SEVERITY_WORDS[low] if low == high else f"{_SEVERITY_WORDS[low]} to {_SEVERITY_WORDS[high]}")
    if want("phase") and p.phase:
        parts.append({"exacerbation": "during an exacerbation", "stable": "stable disease"}.get(p.phase, p.phase))
    if want("qualifier") and p.qualifiers:
        parts.append(" or ".join(("non-" if q[0] == "-" else "") + q[1:] for q in p.qualifiers))
    if want("manifestation") and p.manifestations:
        parts.append(" or ".join({"skin": "rash"}.get(m, m) for m in p.manifestations))
    who = ""
    if want("pregnancy") and p.pregnancy:
        who = {"pregnant": "pregnant women", "not_pregnant": "non-pregnant women",
               "breastfeeding": "breastfeeding women"}[p.pregnancy]
    elif want("age"):
        groups = [g for g in p.age_groups if not (g == "adult" and "older_adult" in p.age_groups)]
        who = " and ".join(_GROUP_WORDS[g] for g in groups)
        if p.age_min is not None and p.age_max is not None and p.age_max - p.age_min <= 1 \
                and (p.age_min >= 1 or p.age_max - p.age_min < 0.1):
            who = f"{who or 'people'} aged {_age_words(p.age_min)}"
        elif p.age_min is not None and p.age_max is not None:
            who = f"{who or 'people'} aged {_age_words(p.age_min)} to {_age_words(p.age_max)}"
        elif p.age_min is not None:
            who = f"{who or 'people'} aged {_age_words(p.age_min)} or over"
        elif p.age_max is not None:
            who = f"{who or 'people'} under {_age_words(p.age_max)}"
    if want("sex") and p.sex and not who:
        who = {"female": "women", "male": "men"}[p.sex]
    if want("kidney") and p.kidney_impairment:
        who = f"{who or 'people'} with kidney impairment"
    if want("liver") and p.liver_impairment:
        who = f"{who or 'people'} with liver impairment"
    if want("comorbidity") and p.comorbidities:
        who = f"{who or 'people'} with {' and '.join(p.comorbidities)}"
    if want("origin") and p.origin:
        who = f"{who or 'people'} " + ("not of Black African or African-Caribbean family origin"
                                       if p.origin.startswith("not") else
                                       "of Black African or African-Caribbean family origin")
    if want("setting") and p.setting:
        who = f"{who or 'patients'} " + {"icu": "in intensive care", "inpatient": "in hospital",
                                         "outpatient": "treated outside hospital"}[p.setting]
    if want("line") and p.line and p.line != "first":  # "first-line" is what is advised, not whom
        parts.append({"first": "first-line", "second": "second-line", "refractory": "refractory disease",
                      "recurrent": "recurrent disease"}[p.line])
    text = " ".join(x for x in [", ".join(parts) if parts and not who else "", who] if x)
    if parts and who:
        text = f"{who} ({', '.join(parts)})"
    return text.strip()
