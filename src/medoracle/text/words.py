"""Tokens and stems: the one stemmer, its light plural fold, content words, and the quotation test."""

from __future__ import annotations

import re
from functools import lru_cache

from medoracle.text.wordlists import FILLER_WORDS

__all__ = ["tokens", "stem", "singular", "content_stems", "normal_words", "quoted_in", "word_count", "has_verb",
           "outside_brackets", "FINITE_VERB"]

TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
# Suffixes folded so "metastasis", "metastases" and "metastatic" meet; longest first.
_SUFFIXES = ("ations", "ation", "ically", "ities", "ical", "ity", "ies", "ing", "es", "ic", "al", "ed", "ly", "s")
_WORD_COUNT = re.compile(r"[A-Za-z0-9][\w'’/-]*")
# A finite verb (or a subject pronoun) from a short list: the strict test, for telling a clause from a phrase.
# The list is closed on purpose: "treatments" or "recommendation" must not count.
FINITE_VERB = re.compile(
    r"\b(?:should|can|may|must|will|would|could|might|is|are|was|were|has|have|do|does|need|needs|"
    r"advises?|advised|recommends?|suggests?|supports?|offer|give|use|consider|start|treat|take|"
    r"think|refer|screen|check|measure|monitor|manage|assess|avoid|includes?|causes?|reduces?|"
    r"lowers?|improves?|helps?|shows?|says?|asks?|goes|gets?|depends?|remains?|becomes?|seems?|"
    r"occurs?|happens?|works?|leads?|prevents?|increases?|relieves?|treats?|makes?|comes?|"
    r"provides?|allows?|affects?|signals?|guides?|requires?|controls?|starts?|gives?|rests?|"
    r"combines?|showed|gave|did|reached|occurred|appeared|added|enrolled|regained|"
    r"they|it|we|you|there)\b")
# A verb-like word: the loose test, for telling a sentence from a heading, a list of outcomes or a table row.
_VERB = re.compile(r"\b(?:is|are|was|were|be|been|being|should|must|may|can|could|might|will|would|shall|has|have|had|"
                   r"do|does|did|recommend\w*|suggest\w*|offer\w*|consider\w*|use[sd]?|give[sn]?|avoid\w*|need\w*|"
                   r"improv\w+|reduc\w+|increas\w+|decreas\w+|caus\w+|includ\w+|occur\w*|help\w*|requir\w+|"
                   r"show\w*|found|provid\w+|appear\w*|remain\w*|lead\w*|led|result\w*|develop\w*|affect\w*|"
                   r"prevent\w*|treat\w*|refer\w*|check\w*|take[sn]?|stop\w*|start\w*|receiv\w+|seek|call|get|"
                   r"go|ask|tell|make[s]?|keep[s]?|report\w*|indicat\w+|associat\w+|compar\w+|"
                   r"gave|got|made|fell|rose|achiev\w+|produc\w+|prolong\w+|extend\w+|"
                   # the verbs our knowledge-base cards use to say what a guideline says ("NICE advises ...")
                   r"advis\w+|defin\w+|list[sed]*|prefer\w*|add(?:s|ed)|point\w*|diagnos\w+|support[sed]*|"
                   r"aim[sed]*|grade[sd]?)\b",
                   re.IGNORECASE)
_ED_ES = re.compile(r"\b\w+(?:ed|es)\b")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; "cancer-associated" and "don't" stay one token."""
    return TOKEN.findall(text.lower())


# Plurals no suffix rule reaches; the population words among them decide whether a card for "pregnant women"
# or "children" matches a question about a pregnant woman or a child.
IRREGULAR_PLURALS: dict[str, str] = {
    "women": "woman", "men": "man", "children": "child", "feet": "foot", "teeth": "tooth", "mice": "mouse",
    "people": "person", "geese": "goose", "lice": "louse",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A short stem of one lower-case word, for matching what two texts say.

    Deliberately coarse: "metastasis", "metastases" and "metastatic" meet ("metasta"), as do "irradiated" and
    "irradiation", "spine" and "spinal", "haemorrhage" and "hemorrhage". Cut to 7 letters, so it is a key, not a word.
    """
    word = IRREGULAR_PLURALS.get(word, word)
    # "-ate" verbs meet their "-ation" nouns: "irradiated" and "irradiation", "indicated" and "indication"
    ate_verb = word.endswith(("ated", "ate", "ating", "ates")) and len(word) >= 8
    # British and American spellings meet: "haemorrhage"/"hemorrhage", "oedema"/"edema", "tumour"/"tumor".
    if len(word) > 4:
        word = word.replace("ae", "e").replace("oe", "e").replace("our", "or")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed", "al") and word[-1] == word[-2] and word[-1] not in "aeioulsfz":
                word = word[:-1]  # "stopping" meets "stop", "referred" "referral" (not "swelling" "swel")
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "spine" meets "spinal", "dose" meets "doses"
    if ate_verb and word.endswith("at"):
        word = word[:-2]
    return word[:7]


def singular(word: str) -> str:
    """The light fold of `stem`: simple plurals only, still a word-like key (metastases ≈ metastasis,
    infections ≈ infection, therapies ≈ therapy). For phrase lookup, where `stem` would merge too much."""
    word = word.lower()
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("is"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def content_stems(text: str) -> list[str]:
    """Content words of a text, lower-cased and stemmed, filler words removed, in order."""
    return list(_stems(text))


@lru_cache(maxsize=8192)
def _stems(text: str) -> tuple[str, ...]:
    # The same passages are read by the composer and the verifier for every question: stem each text once.
    # Hyphenated words count by their parts: "cancer-associated" must meet "associated with cancer".
    words = (w for t in TOKEN.findall(text.lower()) for w in t.split("-"))
    return tuple(stem(w) for w in words if w and w not in FILLER_WORDS and (len(w) > 1 or w.isdigit()))


# Comparison signs are words here: "SBP ≤ 140 mmHg" is not a quotation of "SBP ≥ 140 mmHg".
_QUOTE_TOKEN = re.compile(TOKEN.pattern + r"|[≤≥<>=±+%⩽⩾]")


@lru_cache(maxsize=16384)
def normal_words(text: str) -> str:
    """The words (and comparison signs) of a text, lower-cased, one space apart: case, spacing and other
    punctuation set aside. Cached by text: the verifier and the plain-text check read the same cards' passages
    answer after answer."""
    return " ".join(_QUOTE_TOKEN.findall(text.lower()))


def quoted_in(statement: str, passage: str) -> bool:
    """True when the statement is the passage's own words (case, spacing and punctuation aside)."""
    words = normal_words(statement)
    return bool(words) and f" {words} " in f" {normal_words(passage)} "


def word_count(text: str) -> int:
    """Words as a reader counts them: "8 Gy" is two, "first-line" and "mg/kg" one."""
    return len(_WORD_COUNT.findall(text))


def outside_brackets(text: str) -> str:
    """The text with its (innermost) bracketed asides removed."""
    return re.sub(r"\([^()]*\)", "", text)


def has_verb(text: str, *, strict: bool = False) -> bool:
    """Whether the text states something rather than naming things (a heading, a list of outcomes, a table row).

    Loose (default): any verb-like word. Strict: a finite verb from `FINITE_VERB` outside brackets, or an "-ed" or
    "-es" form, so that "Selection of suitable treatments for …" has none."""
    if strict:
        return bool(FINITE_VERB.search(outside_brackets(text)) or _ED_ES.search(text))
    return bool(_VERB.search(text))
