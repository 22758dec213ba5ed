"""Other words for a question's words. Acronyms, both ways: "MSCC" in a source credits "metastatic spinal cord
compression" in the question, and an acronym in the question credits the sentences that spell it out. Synonyms
of the vocabulary: "antimicrobials" in a source credits "antibiotics" in the question."""

from __future__ import annotations

import re

from medoracle.text import content_stems
from medoracle.types import Evidence
from medoracle.understand.vocab import understand

__all__ = ["ACRONYM", "acronym_aliases", "add_synonyms", "spelled_out"]

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


def add_synonyms(aliases: dict[str, tuple[set[str], re.Pattern[str] | None]], question: str,
                 weights: dict[str, float]) -> None:
    """Credit a one-word question term to a sentence that uses one of its vocabulary synonyms (the SSC says
    "antimicrobials within 1 hour" of a question asking how soon antibiotics are given), beside any alias the
    term has already (a drug's class: "checkpoint inhibitor" for pembrolizumab)."""
    for word, alternatives in understand(question).expansions.items():
        stems = content_stems(word)
        if len(stems) != 1 or stems[0] not in weights or not alternatives:
            continue
        synonyms = r"\b(?:" + "|".join(r"[\s-]+".join(re.escape(w) for w in alt.split())
                                       for alt in alternatives) + r")(?:s|es)?\b"
        stands_for, pattern = aliases.get(stems[0], (set(), None))
        either = f"(?:{pattern.pattern})|{synonyms}" if pattern is not None else synonyms
        aliases[stems[0]] = (stands_for, re.compile(either, re.IGNORECASE))
