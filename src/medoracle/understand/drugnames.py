"""Drug names (brand ↔ generic) from the drug-named-entity-recognition package, through a small cached index.

The dictionary of drug-named-entity-recognition is a 1.5 MB bz2 pickle (SMILES, formulas, MeSH trees …)
that takes 1–9 s to unpickle, which every CLI question used to pay. From it we derive, once per installed
version, a small SQLite index of only what `understand()` uses, kept in the user cache dir: a fresh process
opens it in milliseconds and looks up only the words of the question. Matching is the package's
`find_drugs(tokens, is_ignore_case=True)`: two-word names first, then single words that no two-word name
covered; a test compares both over thousands of names.
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
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medoracle.text import QUERY_STOP_WORDS as STOP_WORDS

__all__ = ["DrugIndex", "DrugMatch", "drug_cache_dir", "load_drug_index"]

log = logging.getLogger(__name__)

_MAX_DRUG_SYNONYMS = 3
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
        # Names the package lacks → a name it has ("adrenaline" → "epinephrine"): see `add_aliases`.
        self._aliases: dict[str, str] = {}

    def add_aliases(self, groups: Iterable[Sequence[str]]) -> None:
        """Teach the index the other names of a drug it knows by one name of each group (our synonyms table:
        British approved names, abbreviations such as GTN). A group with no known name, or naming two different
        drugs, teaches nothing: a lay phrase is never made a drug."""
        named = [[g.lower() for g in group if g and g.count(" ") <= 1] for group in groups]
        with self._lock:
            self._memo.clear()
        known = self._lookup({n for names in named for n in names})  # one pass over the index for every group
        with self._lock:
            for names in named:
                generics = {m[0] for n in names for m in known[n] or []}
                if len(generics) != 1:
                    continue
                target = next(n for n in names if known[n])
                for name in names:
                    if known[name] is None and len(name) >= 3 and name not in STOP_WORDS:
                        self._aliases[name] = target
                        self._memo.pop(name, None)  # looked up (and memoised as unknown) just above

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def names(self) -> list[str]:
        """The one-word names in the index (brand and generic), lower case."""
        with self._lock:
            rows = self._db.execute("SELECT name FROM variant WHERE name NOT LIKE '% %'").fetchall()
        return [r[0] for r in rows]

    def _lookup(self, names: set[str]) -> dict[str, list[tuple[str, list[str]]] | None]:
        with self._lock:
            if len(self._memo) > 200_000:
                self._memo.clear()
            missing = [n for n in names if n not in self._memo]
            for i in range(0, len(missing), _SQL_CHUNK):
                chunk = missing[i:i + _SQL_CHUNK]
                asked = [*chunk, *(self._aliases[n] for n in chunk if n in self._aliases)]
                marks = ",".join("?" * len(asked))
                rows = dict(self._db.execute(f"SELECT name, matches FROM variant WHERE name IN ({marks})", asked))
                for name in chunk:
                    name_in = name if name in rows else self._aliases.get(name, name)
                    self._memo[name] = [(g, s) for g, s in json.loads(rows[name_in])] if name_in in rows else None
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
