"""Passages and document metadata kept by id for one version of a store's content (both backends use it).

A search reads the same ~150 passages and dozens of documents question after question; reading them back and
building them again cost more than the rest of the fusion (SQLite), and more again over PostgreSQL's wire. Each
store keeps a content version (`passages_version` in its `meta` table, bumped in the transaction of every write
to documents or passages, by whichever process writes) and asks for it before it looks here: what was kept for
another version is dropped, so nothing served is older than the version read.

The objects are built once per distinct row (`cached_passage`, `document_meta`: keyed by every value, so never
stale) and shared by every answer: nothing may change one.

`Pin` holds what a store reads to know whether its caches are current (the content version, the passage count,
the embedder, the vectors' version) for the length of one `with store.reading():` block in one thread: an answer
then reads that state once, not at every call (over PostgreSQL each read was a round trip: 7 or 8 of an ask's 16
statements). Rows fetched in the block are at least as new as the state read at its start, so nothing served is
older than the version read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from medoracle.store.base import DocumentMeta, grade_of
from medoracle.types import DocType, Passage

ROWS_KEPT = 8192  # passages (and, apart, documents) kept by id, as many as `cached_passage` keeps; then afresh
PASSAGE_COLUMNS = "id, doc_id, text, section, position, page, doc_type, published, grade, facet"
DOCUMENT_COLUMNS = "id, title, url, source, doc_type, published, grade, metadata"
T = TypeVar("T")


class RowCache:
    """Passages and documents by id, for one content version (thread-safe)."""

    def __init__(self, kept: int = ROWS_KEPT) -> None:
        self._lock = threading.Lock()
        self._kept = kept
        self._version: str | None = None
        self._passages: dict[str, Passage] = {}
        self._documents: dict[str, DocumentMeta] = {}

    def at(self, version: str) -> bool:
        """Serve `version` from now on; True when that dropped what was kept for another one (the store's own
        caches of the content, such as term counts, go then too)."""
        with self._lock:
            if version == self._version:
                return False
            self._passages, self._documents = {}, {}
            self._version = version
            return True

    def serves(self, version: str) -> bool:
        """Whether what is kept is for `version`."""
        return version == self._version

    def passages(self, version: str, ids: Sequence[str],
                 fetch: Callable[[list[str]], dict[str, Passage]]) -> list[Passage]:
        """The passages of `ids` that exist, in the order asked; `fetch` reads the missing ones (by id)."""
        known = self._passages
        fresh = self._fill(version, known, list(dict.fromkeys(ids)), fetch)
        return [p for i in ids if (p := known.get(i) or fresh.get(i)) is not None]

    def documents(self, version: str, ids: Sequence[str],
                  fetch: Callable[[list[str]], dict[str, DocumentMeta]]) -> dict[str, DocumentMeta]:
        known = self._documents
        unique = list(dict.fromkeys(ids))
        fresh = self._fill(version, known, unique, fetch)
        return {i: meta for i in unique if (meta := known.get(i) or fresh.get(i)) is not None}

    def _fill(self, version: str, known: dict[str, T], unique: list[str],
              fetch: Callable[[list[str]], dict[str, T]]) -> dict[str, T]:
        missing = [i for i in unique if i not in known]
        if not missing:
            return {}
        fresh = fetch(missing)
        with self._lock:
            # Kept only if no write moved the version on meanwhile: rows read before a write that another
            # thread has already seen would otherwise outlive it.
            if self._version == version and (known is self._passages or known is self._documents):
                if len(known) + len(fresh) > self._kept:
                    known.clear()
                known.update(fresh)
        return fresh


@dataclass(frozen=True)
class ReadState:
    """What a store reads before it trusts its caches, read in one go: `version` (`content_version`), `passages`
    (`passage_count`), `embedder` (`embedder_name`), `vectors` (the key its vector matrix is kept under) and
    `dimensions` (of the stored vectors, where the backend needs them)."""

    version: str
    passages: int
    embedder: str | None
    vectors: Hashable
    dimensions: int | None = None


class Pin:
    """A store's `ReadState`, held per thread inside `with store.reading():` (nested blocks share the outer one's),
    read at the first call in the block that needs it (a block that never asks costs nothing).

    Outside a block, or after this thread wrote through the store, nothing is held and every call reads afresh.
    A block never spans a `yield` of the answer's event stream: a generator left unfinished would otherwise
    leave its thread holding an old state.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self) -> ReadState | None:
        """The state held for this thread (read now if the block has not read it yet), or None outside a block."""
        local = self._local
        state = getattr(local, "state", None)
        if state is None and getattr(local, "read", None) is not None:
            state = local.state = local.read()
        return state

    @contextmanager
    def holding(self, read: Callable[[], ReadState]) -> Iterator[None]:
        local = self._local
        if getattr(local, "read", None) is not None:
            yield
            return
        local.read, local.state = read, None
        try:
            yield
        finally:
            local.read = local.state = None

    def drop(self) -> None:
        """Hold nothing more in this block (this thread is writing: its own write must be seen)."""
        self._local.read = self._local.state = None


@lru_cache(maxsize=ROWS_KEPT)
def cached_passage(row: tuple) -> Passage:
    """A search's passage, built once per distinct row (`PASSAGE_COLUMNS`, keyed by every value, so never stale):
    a server reads the same passages question after question. Passages are shared, so nothing may change one."""
    pid, doc_id, text, section, position, page, doc_type, published, grade, facet = row
    return Passage(id=pid, doc_id=doc_id, text=text, section=section, position=position, page=page,
                   doc_type=DocType(doc_type), published=published, grade=grade_of(grade), facet=facet)


@lru_cache(maxsize=4096)
def document_meta(row: tuple) -> DocumentMeta:
    """A document's citation metadata (`DOCUMENT_COLUMNS`, the metadata as JSON text), built once per distinct row
    (keyed by every value, so never stale)."""
    doc_id, title, url, source, doc_type, published, grade, metadata = row
    return DocumentMeta(doc_id, title, url, source, doc_type, published, grade, parsed_metadata(metadata))


@lru_cache(maxsize=4096)
def parsed_metadata(raw: str | None) -> dict:
    """A document's metadata JSON, parsed once per distinct text: every search reads the metadata of the dozens of
    documents on its shortlist, again and again on a server. Keyed by the text itself, so never stale; the dict is
    shared, and readers only read it."""
    return json.loads(raw or "{}")

