"""The library's own names for its topics, read as the condition of a question that names none of its own.

"What helps with stopping smoking?" holds no disease word, yet "stop smoking" is a name of the knowledge base's
smoking cessation topic; "PET aspirin" names pre-eclampsia by the acronym its topic lists. Without a condition
the relevance gate has nothing to hold the evidence to, and a COPD card that mentions smoking can open the
answer. The names come from the topic pages in the store (their `aliases`), so a database without the knowledge
base gets none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medoracle.text import content_stems
from medoracle.understand.population import extract

__all__ = ["TopicNames"]

# An acronym alias ("PET", "NRT", "CAP") is matched only as written in capitals: "pet" and "cap" are words.
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9-]*[A-Z0-9]$")
_WRITTEN_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9-]*[A-Z0-9]\b")


@dataclass(frozen=True)
class _Name:
    topic: str                       # the name the question is read as naming ("smoking cessation")
    stems: tuple[str, ...] = ()      # a worded alias, by content stems, in order
    acronym: str | None = None       # an acronym alias, as written
    whom: bool = False               # the alias names a group of patients ("hypertension in pregnancy")


class TopicNames:
    """Aliases of the library's topics → the topic's name, for questions that name no condition."""

    def __init__(self, topics: Iterable[tuple[str, Sequence[str]]]) -> None:
        """`topics`: (name, aliases) pairs; the name is what a matching question's condition becomes."""
        self._names: list[_Name] = []
        for topic, aliases in topics:
            for alias in dict.fromkeys([topic, *aliases]):
                if _ACRONYM.match(alias) and len(alias) <= 6:
                    self._names.append(_Name(topic, acronym=alias))
                elif stems := tuple(content_stems(alias)):
                    self._names.append(_Name(topic, stems=stems, whom=_names_whom(alias)))

    def __bool__(self) -> bool:
        return bool(self._names)

    def wider(self, text: str, condition: str, *, drugs: Sequence[str] = ()) -> str | None:
        """The topic whose alias, written in the text, holds the condition read from it and more: "cancer pain"
        for "cancer" in "How should cancer pain be managed?" (any cancer card names cancer; few speak of its
        pain). None when no alias is wider."""
        words, part = tuple(content_stems(text)), tuple(content_stems(condition))
        if not part:
            return None
        drug_stems = {s for d in drugs for s in content_stems(d)}
        # (not an alias for a group of its patients: "hypertension in pregnancy" is not pre-eclampsia)
        wider = [(len(n.stems), n.topic) for n in self._names if n.stems and not n.whom and _within(part, n.stems)
                 and not set(n.stems) <= drug_stems and _holds(words, n.stems)]
        return max(wider)[1] if wider else None

    def acronyms_in(self, text: str) -> dict[str, str]:
        """The topics' acronyms of three letters or more a text writes in capitals, each with its topic's name
        ("PET" → pre-eclampsia): spelled out in the question as shorthand is, since the sources write the name.
        (Two letters say too little to replace: "SE" of the epilepsy topic is status epilepticus, not epilepsy.)"""
        written = set(_WRITTEN_ACRONYM.findall(text))
        return {n.acronym: n.topic for n in self._names
                if n.acronym is not None and len(n.acronym) >= 3 and n.acronym in written}

    def named_in(self, text: str, *, drugs: Sequence[str] = ()) -> list[str]:
        """The topics a text names by one of their aliases, longest alias first; an alias that is a drug the
        text names ("bupropion") does not make the drug's topic the question's condition."""
        words = tuple(content_stems(text))
        written = set(_WRITTEN_ACRONYM.findall(text))
        drug_stems = {s for d in drugs for s in content_stems(d)}
        found: list[tuple[int, str]] = []
        for name in self._names:
            if name.acronym is not None:
                if name.acronym in written:
                    found.append((1, name.topic))
            elif not set(name.stems) <= drug_stems and _holds(words, name.stems):
                found.append((len(name.stems), name.topic))
        found.sort(key=lambda f: -f[0])
        return list(dict.fromkeys(topic for _, topic in found))


def _names_whom(alias: str) -> bool:
    """Whether an alias names a group of patients (pregnant women, children, an age), not a form of the disease."""
    p = extract(alias)
    return bool(p.pregnancy or p.age_groups or p.age_min is not None or p.age_max is not None or p.sex)


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    return len(part) < len(whole) and _holds(whole, part)


def _holds(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))
