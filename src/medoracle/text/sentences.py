"""Sentence spans of clinical text: the one splitter the chunker, composer, verifier and readability use.

A sentence ends at ". ", "! " or "? " (after any closing quote or bracket) when the next sentence starts with a
capital, a digit, a bullet or a dash — not after abbreviations clinicians write with a full stop ("e.g.", "vs.",
"Dr.", "et al.", "Fig. 2"), not inside decimals ("2.5 mg"), not after an initial ("J. Smith"). A grade printed in
brackets right after the full stop ("Offer X. (Grade 1A)") stays with its sentence. A blank line or a new list item
ends a sentence too; a single line break (hard-wrapped text) does not.
"""

from __future__ import annotations

import re
from functools import lru_cache

from medoracle.text.hyphens import repair_hyphens

__all__ = ["sentence_spans", "split_sentences", "collapse_space", "NEVER_END", "END_UNLESS_DIGIT"]

# A full stop after these never ends a sentence: titles, Latin abbreviations, "et al.", "U.S.".
NEVER_END = frozenset({
    "e.g", "i.e", "eg", "ie", "vs", "v", "dr", "drs", "al", "mr", "mrs", "ms", "prof", "st", "cf", "ca", "approx",
    "viz", "resp", "incl", "u.s", "u.k", "jr", "sr", "dept", "univ", "sp", "spp", "esp", "ext",
})
# These end a sentence only when the next word is not a number: "Fig. 2", "No. 5", "p. 12", "(max. 20 mg)".
END_UNLESS_DIGIT = frozenset({
    "no", "nos", "fig", "figs", "ref", "refs", "vol", "pp", "p", "max", "min", "tab", "tabs", "eq", "eqs", "sec",
    "ch", "chap", "art", "para", "n",
})

_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
# What may start the next sentence: optionally an opening quote or bracket, then a capital, digit, bullet or dash.
_STARTS = re.compile(r"[\"'“‘(\[]?\s?[A-Z0-9•\-–]")
# Paragraph breaks and list items are sentence breaks whatever the punctuation.
_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*|\n(?=[ \t]*(?:[-•*]|\d+[.)])\s)")
# "(Grade 1A)", "[B]", "(Strong recommendation; moderate-quality evidence)", "(Level of evidence: II)".
_GRADE_BRACKET = re.compile(
    r"\s*(?:\((?:[^()]{0,80}?)\)|\[(?:[^\[\]]{0,80}?)\])\.?(?=\s|$)")
_GRADE_WORDS = re.compile(
    r"^[(\[]\s*(?:(?i:grade|level|class|strength|strong|weak|conditional|evidence|recommendation|good practice|"
    r"gpp|expert opinion|consensus|loe|sor|quality|not applicable|neither for)\b|"
    r"(?:[A-D]|[1-3][A-Da-d]?|I{1,3}V?[a-cA-C]?|IV|V)\s*[)\]])")
_SPACE = re.compile(r"\s+")
# Capitalised words that name a letter rather than a first name: "Grade B. Offer", "Vitamin D. Check".
_LABELS_BEFORE_A_LETTER = frozenset("""grade grades level levels class type stage phase category group vitamin hepatitis
factor protein appendix table figure option arm schedule part section annex evidence recommendation""".split())


def _word_before(text: str, lo: int, stop: int) -> str | None:
    m = _WORD_BEFORE.search(text, max(lo, stop - 12), stop + 1)
    return m.group(1) if m else None


def _keeps_going(text: str, seg_start: int, stop: int, nxt: int) -> bool:
    """Whether the full stop at `stop` is part of the sentence (an abbreviation or an initial), not its end."""
    if text[stop] != ".":
        return False
    word = _word_before(text, seg_start, stop)
    if word is None:
        return False
    low = word.lower()
    if low in NEVER_END:
        return True
    if low in END_UNLESS_DIGIT and nxt < len(text) and text[nxt].isdigit():
        return True
    # "Michael J. Goldberg", "A. B. Jones": a lone capital after a name or another initial is an initial; after
    # a lower-case word it ends the sentence ("vitamin K. For", "hepatitis B. All": 380 such in the corpora).
    start = stop - len(word)
    if len(word) == 1 and word.isupper() and (start == seg_start or text[start - 1] in " \t\n(\"'“"):
        before = re.search(r"(\S+)\s+$", text[max(seg_start, start - 40):start])
        if before is None:
            return True
        prev = before.group(1)
        return prev[:1].isupper() and prev.lower().strip("(") not in _LABELS_BEFORE_A_LETTER
    return False


def _segments(text: str) -> list[tuple[int, int]]:
    out = []
    start = 0
    for m in _BREAK.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _next_word(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of `text`, in order, whitespace trimmed; see the module docstring."""
    spans: list[tuple[int, int]] = []
    for seg_start, seg_end in _segments(text):
        start = seg_start
        pos = seg_start
        while True:
            m = _END.search(text, pos, seg_end)
            if m is None:
                break
            end = pos = m.end()
            nxt = _next_word(text, end)
            if nxt >= seg_end:
                break
            if _keeps_going(text, seg_start, m.start() + len(m.group(0).rstrip("\"'”’)]")) - 1, nxt):
                continue
            grade = _GRADE_BRACKET.match(text, end, seg_end)
            if grade and _GRADE_WORDS.match(text[nxt:grade.end()]):
                # The grade printed after the full stop belongs to the sentence before it.
                end = pos = grade.end()
                nxt = _next_word(text, end)
                if nxt >= seg_end:
                    break
            if not _STARTS.match(text, nxt):
                continue
            _push(text, start, end, spans)
            start = end
        _push(text, start, seg_end, spans)
    return spans


@lru_cache(maxsize=16384)
def collapse_space(text: str) -> str:
    """One space between words, line-break hyphens repaired ("first-\\nline" → "first-line"), ends trimmed.
    Cached by text: every answer collapses the same passages' sentences again."""
    return _SPACE.sub(" ", repair_hyphens(text)).strip()


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its whitespace collapsed (see `collapse_space`), in order."""
    return [s for s in (collapse_space(text[a:b]) for a, b in sentence_spans(text)) if s]
