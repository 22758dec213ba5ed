"""The understanding stage: question (+ thread) → one typed `Query` that retrieval and composition read.

`read_query` is the entry point. Beneath it: `shorthand` (mx, abx, y.o., w/o …), `spelling` (tolerance for
misspelt vocabulary terms), `vocab` (abbreviations, synonyms, British/American spellings, negation, drug names
through `drugnames`), `population` (whom a text speaks of, the same for questions and passages, and the rules
for a clash; `describe` says it in words), `topic` (the condition phrase) and `form` (broad page or focused
reply, and the intents).
"""

from __future__ import annotations

from medoracle.understand.describe import describe
from medoracle.understand.population import conflicts, matches
from medoracle.understand.population import extract as extract_population
from medoracle.understand.query import read_query

__all__ = ["conflicts", "describe", "extract_population", "matches", "read_query"]
