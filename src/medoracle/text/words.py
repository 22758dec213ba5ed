"""Tokens and stems: the one stemmer, its light plural fold, content words, and the quotation test."""

from __future__ import annotations

import re
from functools import lru_cache

from medoracle.text.wordlists import FILLER_WORDS

__all__ = ["tokens", "stem", "singular", "content_stems", "normal_words", "quoted_in", "word_count"]

TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
# Suffixes folded so "metastasis", "metastases" and "metastatic" meet; longest first.
_SUFFIXES = ("ations", "ation", "ically", "ities", "ical", "ity", "ies", "ing", "es", "ic", "al", "ed", "ly", "s")
_WORD_COUNT = re.compile(r"[A-Za-z0-9][\w'’/-]*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; "cancer-associated" and "don't" stay one token."""
    return TOKEN.findall(text.lower())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A short stem of one lower-case word, for matching what two texts say.

    Deliberately coarse: "metastasis", "metastases" and "metastatic" meet ("metasta"), as do "irradiated" and
    "irradiation", "spine" and "spinal", "haemorrhage" and "hemorrhage". Cut to 7 letters, so it is a key, not a word.
    """
    # "-ate" verbs meet their "-ation" nouns: "irradiated" and "irradiation", "indicated" and "indication"
    ate_verb = word.endswith(("ated", "ate", "ating", "ates")) and len(word) >= 8
    # British and American spellings meet: "haemorrhage"/"hemorrhage", "oedema"/"edema", "tumour"/"tumor".
    if len(word) > 4:
        word = word.replace("ae", "e").replace("oe", "e").replace("our", "or")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
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


def normal_words(text: str) -> str:
    """The words of a text, lower-cased, one space apart: case, spacing and punctuation set aside."""
    return " ".join(TOKEN.findall(text.lower()))


def quoted_in(statement: str, passage: str) -> bool:
    """True when the statement is the passage's own words (case, spacing and punctuation aside)."""
    words = normal_words(statement)
    return bool(words) and f" {words} " in f" {normal_words(passage)} "


def word_count(text: str) -> int:
    """Words as a reader counts them: "8 Gy" is two, "first-line" and "mg/kg" one."""
    return len(_WORD_COUNT.findall(text))
