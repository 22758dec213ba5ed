"""Hyphen repair: a word broken at a line end ("first-\\nline", "first- line") is one word again ("first-line").

A suspended hyphen keeps its space: "thalidomide- or lenalidomide-based", "pre- and post-operative".
"""

from __future__ import annotations

import re

__all__ = ["repair_hyphens"]

# A hyphen right after a word, then a line break or spaces, then a word that is not a conjunction. In the
# corpora, 1,093 of 1,181 "word- word" runs are suspended hyphens ("pre- and"); the rest are broken lines.
_BROKEN = re.compile(r"(?<=[A-Za-z0-9])-(?:[ \t]*\n[ \t]*|[ \t]+)(?=[A-Za-z0-9])(?!(?:and|or|nor|to|as|vs|versus|"
                     r"than|but|then|and/or)\b)")


def repair_hyphens(text: str) -> str:
    """`text` with line-break hyphens joined up; see the module docstring."""
    if "-" not in text:
        return text

    def join(m: re.Match[str]) -> str:
        # Joined after a line break ("NT-\nproBNP", "COVID-\n19"); after spaces only before a lower-case letter.
        if "\n" in m.group(0) or text[m.end():m.end() + 1].islower():
            return "-"
        return m.group(0)  # "grade 2- Refer": before a capital, spaces after a hyphen may be a dash

    return _BROKEN.sub(join, text)
