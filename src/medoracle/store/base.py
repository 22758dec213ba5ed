"""The Store protocol: what retrieval, ingestion and the service need from the evidence database.

SQLite (the embedded default) and PostgreSQL (scale-out) implement it; callers never see SQL: search takes
a structured `LexicalQuery` that each backend translates (FTS5 MATCH, tsquery), and no connection leaves
the store. Editorial state (articles, users, threads, audit log) lives behind `medoracle.editorial`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from medoracle.store.query import LexicalQuery, SearchFilters
from medoracle.store.vectors import VectorIndex, exact_top
from medoracle.types import Document, Grade, Passage


@dataclass
class StoreStats:
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    embedder: str | None = None
    by_doc_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentMeta:
    """A document's citation metadata, without its text."""

    id: str
    title: str
    url: str | None
    source: str | None
    doc_type: str
    published: str | None
    grade: str | None
    metadata: dict


@lru_cache(maxsize=4096)
def grade_of(raw: str | None) -> Grade | None:
    """A stored grade (its JSON) as a Grade, parsed once per distinct value: a search reads ~150 passages and
    their grades are a few hundred distinct labels. Grades are frozen, so sharing one is safe."""
    return Grade.model_validate_json(raw) if raw else None


def embedding_text(title: str, section: str, text: str) -> str:
    """What gets embedded: the passage with its document title and section, so short passages keep context."""
    head = " — ".join(x for x in (title, section) if x)
    return f"{head}: {text}" if head else text


@runtime_checkable
class Store(Protocol):
    path: str
    """Where the store lives, fit for messages (a file path, or a URL without its password)."""

    def add(self, document: Document, passages: Sequence[Passage], content_hash: str) -> bool:
        """Store one document with its passages; False when identical content is already there."""

    def add_many(self, items: Iterable[tuple[Document, Sequence[Passage], str]]) -> tuple[int, int]:
        """Store a batch in one transaction; returns (added, unchanged).

        A document whose id is stored with other content replaces it (a new version of that document).
        """

    def has_hash(self, content_hash: str) -> bool: ...

    def stored_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc id → content hash of those of `doc_ids` already stored (to report id collisions)."""

    def lexical(self, query: LexicalQuery, k: int) -> list[tuple[str, float]]:
        """(passage_id, score, higher is better) for a structured query, honouring its filters."""

    def dense(self, vector: np.ndarray, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """(passage_id, cosine), best first, over stored embeddings: exact for small stores, else two-stage
        (`VectorIndex`) or an ANN index where there is one; the cosines returned are exact."""

    def passages(self, ids: Sequence[str]) -> list[Passage]: ...

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentMeta]: ...

    def content_version(self) -> str:
        """A token that changes with every write to documents or passages, by any process: what is cached from
        the content (passages by id, term counts, a question's reading) is kept for one version only."""

    def reading(self) -> AbstractContextManager[None]:
        """A block in which this thread reads the store's state (content version, passage count, embedder, the
        vectors' version) once, at its start: one answer reads one version of the library, and asks for it
        once rather than at every call. A write through the store in the block ends it for this thread."""

    def iter_passages(self, batch: int = 1000) -> Iterable[Passage]:
        """Every passage, in insertion order (for benchmarks and exports)."""

    def unembedded(self, limit: int) -> list[tuple[int, str]]:
        """(rowid, text) of passages without an embedding, for resumable embedding."""

    def put_embeddings(self, rowids: Sequence[int], vectors: np.ndarray, embedder: str) -> None: ...

    def reset_embeddings(self) -> None: ...

    def embedder_name(self) -> str | None:
        """The embedder the stored vectors came from, or None when there are none."""

    def document_passages(self, doc_id: str) -> list[Passage]: ...

    def remove(self, doc_ids: Sequence[str]) -> int:
        """Delete these documents with their passages and vectors, in one transaction; how many there were."""

    def count_passages(self, doc_ids: Sequence[str]) -> int: ...

    def passage_count(self) -> int:
        """An upper bound on the number of passages, cheap to compute (for term-frequency shares)."""

    def document_frequency(self, term: str) -> int:
        """How many passages contain the term."""

    def heading_frequency(self, term: str) -> int:
        """How many passages hold the term in their title or section heading (retrieval leaves a term common
        there to the coverage signal in a large store)."""

    def stats(self) -> StoreStats: ...

    def check(self) -> list[str]:
        """Problems an integrity check finds (empty when the database is sound)."""

    def close(self) -> None: ...


__all__ = ["DocumentMeta", "LexicalQuery", "SearchFilters", "Store", "StoreStats", "VectorIndex", "embedding_text",
           "exact_top", "grade_of"]
