"""Moved to `medoracle.text` (QUERY_STOP_WORDS, NEGATION_WORDS); this name stays for importers not yet moved."""

from __future__ import annotations

from medoracle.text.wordlists import NEGATION_WORDS
from medoracle.text.wordlists import QUERY_STOP_WORDS as STOP_WORDS

__all__ = ["STOP_WORDS", "NEGATION_WORDS"]
