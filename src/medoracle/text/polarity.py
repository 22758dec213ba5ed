"""Negation and direction words: what turns a statement into its opposite ("not", "increase" ↔ "decrease",
"before" ↔ "after", "with" ↔ "without", "positive" ↔ "negative").

They are content: "Do not offer X" and "Offer X" share every other word. Comparators attached to a number
("no more than 4 g", "over 80") are read with the number (`numbers.quantities`), not here.
"""

from __future__ import annotations

import re

from medoracle.text.numbers import quantities
from medoracle.text.wordlists import FILLER_WORDS
from medoracle.text.words import stem

__all__ = ["has_negation", "directions", "flipped_directions", "without_quantities", "DIRECTION_AXES"]

_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|cannot|without|avoid(?:ed|s)?|unless)\b|n[’']t\b",
                       re.IGNORECASE)

# axis → (one side, the other side). A statement that says one side where its source says only the other is
# the source turned round.
DIRECTION_AXES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "amount": (
        frozenset("""increase increases increased increasing raise raises raised raising rise rises rising higher
                  highest high more greater elevated elevation above over exceed exceeds exceeded exceeding
                  maximum up""".split()),
        frozenset("""decrease decreases decreased decreasing reduce reduces reduced reducing reduction reductions
                  lower lowers lowered lowering lowest low less fewer lesser below under drop drops dropped fall
                  falls fell decline declines declined minimum down""".split())),
    "time": (frozenset("before earlier prior".split()), frozenset("after later".split())),
    "presence": (frozenset({"with"}), frozenset({"without"})),
    "course": (
        frozenset("""start starts started starting begin begins initiate initiated initiating continue continues
                  continued continuing""".split()),
        frozenset("""stop stops stopped stopping discontinue discontinues discontinued discontinuing withhold
                  withheld withdraw withdrawn cease ceased""".split())),
    "result": (frozenset({"positive"}), frozenset({"negative"})),
}
_SIDE = {w: (axis, i) for axis, sides in DIRECTION_AXES.items() for i, side in enumerate(sides) for w in side}
_WORD = re.compile(r"[A-Za-z]+")


def without_quantities(text: str) -> str:
    """`text` with every number and its comparator words blanked ("no more than 4 g" → "")."""
    parts, last = [], 0
    for q in quantities(text):
        if q.start >= last:
            parts.append(text[last:q.start])
            last = q.end
    parts.append(text[last:])
    return " ".join(parts)


def has_negation(text: str) -> bool:
    """Whether the text negates something ("not", "no", "never", "without", "avoid", "n't" …), comparators
    such as "no more than 4 g" aside."""
    return bool(_NEGATION.search(without_quantities(text)))


def directions(text: str) -> frozenset[tuple[str, int]]:
    """The (axis, side) pairs the text's direction words say, numbers' comparators aside."""
    return frozenset(_SIDE[w] for w in (m.group(0).lower() for m in _WORD.finditer(without_quantities(text)))
                     if w in _SIDE)


def _aimed(text: str) -> frozenset[tuple[str, int, str]]:
    """(axis, side, stem of the word it is about): "reduce the dose" → ("amount", 1, "dose"); "potassium rises" →
    ("amount", 0, "potassi"). The word about is the nearest content word after it, else before it (4 words)."""
    words = [m.group(0).lower() for m in _WORD.finditer(without_quantities(text))]
    content = [w not in FILLER_WORDS and w not in _SIDE and len(w) > 1 for w in words]
    out = set()
    for i, w in enumerate(words):
        if w not in _SIDE:
            continue
        after = [j for j in range(i + 1, min(len(words), i + 5)) if content[j]]
        before = [j for j in range(i - 1, max(-1, i - 5), -1) if content[j]]
        if after or before:
            out.add((*_SIDE[w], stem(words[(after or before)[0]])))
    return frozenset(out)


def flipped_directions(statement: str, source: str) -> list[str]:
    """The axes on which the statement says one side where the source says only the other, e.g. ["amount"]; or says
    it of the same thing the source says the other side of ("increase the dose" against "reduce the dose if
    potassium rises")."""
    said, have = directions(statement), directions(source)
    flipped = {axis for axis, side in said if (axis, side) not in have and (axis, 1 - side) in have}
    aimed = _aimed(source)
    flipped |= {axis for axis, side, about in _aimed(statement)
                if (axis, 1 - side, about) in aimed and (axis, side, about) not in aimed}
    return sorted(flipped)
