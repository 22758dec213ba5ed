"""Acronyms that stand for a question's words, both ways: "MSCC" in a source credits "metastatic spinal cord
compression" in the question, and an acronym in the question credits the sentences that spell it out."""

from __future__ import annotations

import re

from medoracle.text import content_stems
from medoracle.types import Evidence

__all__ = ["ACRONYM", "acronym_aliases", "spelled_out"]

ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")


def _long_form(acronym: str) -> re.Pattern[str] | None:
    """A pattern for an acronym spelled out: "MSCC" → "metastatic spinal cord compression" (one filler word)."""
    letters = acronym.lower()
    if not letters.isalpha() or len(letters) < 2:
        return None
    return re.compile(r"\b" + r"\w*[\s-]+(?:(?:of|the|and|in|to|for)[\s-]+)?".join(re.escape(ch) for ch in letters)
                      + r"\w*", re.IGNORECASE)


def spelled_out(acronym: str, text: str) -> bool:
    rx = _long_form(acronym)
    return rx is not None and rx.search(text) is not None


def acronym_aliases(question: str, weights: dict[str, float],
                     evidence: list[Evidence]) -> dict[str, tuple[set[str], re.Pattern[str] | None]]:
    """Acronyms that stand for question words, both ways.

    An acronym in the evidence whose letters start the question's words ("MSCC" for "metastatic spinal cord
    compression") credits those words; an acronym in the question credits the sentences that spell it out.
    """
    aliases: dict[str, tuple[set[str], re.Pattern[str] | None]] = {}
    seen: set[str] = set()
    for ev in evidence[:50]:
        for acronym in ACRONYM.findall(ev.passage.text):
            if acronym in seen:
                continue
            seen.add(acronym)
            rx = _long_form(acronym)
            m = rx.search(question) if rx is not None else None
            own = content_stems(acronym)
            if m and own:  # "NO" or "AS" are stop words, not aliases
                stems = {t for t in content_stems(m.group(0)) if t in weights}
                if stems:
                    aliases[own[0]] = (stems, None)
    for acronym in ACRONYM.findall(question):
        stem = content_stems(acronym)
        rx = _long_form(acronym)
        if stem and stem[0] in weights and rx is not None:
            aliases[stem[0]] = ({stem[0]}, rx)
    return aliases
