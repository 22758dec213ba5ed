"""The structured lexical query every store takes: weighted terms and phrases, optional fields, filters.

Retrieval builds a `LexicalQuery`; each store translates it into its own dialect (FTS5 MATCH for SQLite,
tsquery for PostgreSQL). Words are kept as plain `\\w+` tokens, so nothing a user typed can ever be read as
query syntax by either backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = ("title", "section", "text")


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions a clinician can put on evidence: kinds of document and how recent."""

    doc_types: tuple[str, ...] = ()
    since_year: int | None = None

    @property
    def empty(self) -> bool:
        return not self.doc_types and self.since_year is None

_WORD = re.compile(r"\w+", re.UNICODE)


def words_of(text: str) -> tuple[str, ...]:
    """The lower-cased word tokens of `text` (the only characters a clause may hold)."""
    return tuple(_WORD.findall((text or "").lower()))


@dataclass(frozen=True)
class Clause:
    """One term (one word) or phrase (adjacent words, in order) that a passage may match.

    `fields` restricts where it must occur (empty: anywhere); `weight` multiplies its share of the score.
    """

    words: tuple[str, ...]
    weight: float = 1.0
    fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        clean = tuple(w for word in self.words for w in words_of(word))
        object.__setattr__(self, "words", clean)
        unknown = set(self.fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}; a clause may name {', '.join(FIELDS)}")

    @property
    def phrase(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class LexicalQuery:
    """Passages matching any clause, ranked by the clauses they match; restricted by `filters`."""

    clauses: tuple[Clause, ...] = ()
    filters: SearchFilters = field(default_factory=SearchFilters)

    @classmethod
    def of(cls, *texts: str, filters: SearchFilters | None = None) -> LexicalQuery:
        """One phrase clause per text (a convenience for tests and tools)."""
        return cls(tuple(Clause(words_of(t)) for t in texts if words_of(t)), filters or SearchFilters())

    @property
    def empty(self) -> bool:
        return not any(c.words for c in self.clauses)

    def unique_clauses(self) -> list[Clause]:
        """Clauses with words, each (words, fields) once, first weight kept."""
        seen: dict[tuple[tuple[str, ...], tuple[str, ...]], Clause] = {}
        for c in self.clauses:
            if c.words and (c.words, tuple(sorted(c.fields))) not in seen:
                seen[(c.words, tuple(sorted(c.fields)))] = c
        return list(seen.values())
