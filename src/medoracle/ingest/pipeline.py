"""Files → documents → passages → store, in resumable batches, with a summary of what happened.

Each batch is one transaction and documents are keyed by a hash of their id and content, so a killed
ingest leaves a consistent database and running the same command again finishes the job without
duplicates.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medoracle.errors import BadInput, ReadError
from medoracle.ingest.chunking import chunk
from medoracle.ingest.population import tag_document
from medoracle.types import Document, Grade, Passage

BATCH = 400

Progress = Callable[[str, int], None]  # (file name, documents read so far in it)


@dataclass
class IngestSummary:
    files: int = 0
    documents: int = 0
    added: int = 0
    unchanged: int = 0
    passages: int = 0
    errors: list[ReadError] = field(default_factory=list)
    seconds: float = 0.0
    embedded: int = 0
    collisions: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    _seen: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    @property
    def document_ids(self) -> list[str]:
        """Every document id the ingest read (added, replaced or unchanged), in order."""
        return list(self._seen)

    def as_dict(self) -> dict:
        return {"files": self.files, "documents": self.documents, "added": self.added,
                "unchanged": self.unchanged, "passages": self.passages, "skipped": self.skipped,
                "errors": [str(e) for e in self.errors], "seconds": round(self.seconds, 2),
                "embedded": self.embedded, "collisions": self.collisions, "replaced": self.replaced}


def content_hash(doc: Document) -> str:
    h = hashlib.sha256()
    for part in (doc.id, doc.title, doc.text, doc.url or "", doc.source or "", doc.doc_type.value,
                 doc.published or "", doc.grade or ""):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    # A card's plain-language text is shown to patients: a new or corrected `plain:` is a new version of the card.
    # Hashed only when present, so documents without one keep their hash (and databases are not re-ingested).
    plain = doc.metadata.get("plain")
    if isinstance(plain, str) and plain.strip():
        h.update(b"plain\x1f" + plain.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def grade_passage(text: str, doc: Document) -> Grade | None:
    """The grade printed in the passage itself, else the one printed for the whole document."""
    from medoracle.ingest import grading

    found = grading.find_grades(text)
    if found:
        return found[0][2]
    if doc.grade:
        return grading.parse_grade(doc.grade, doc.metadata.get("grade_scheme"))
    return None


def ingest(paths: Iterable[str | Path], store, *, fmt: str = "auto", strict: bool = False,
           progress: Progress | None = None) -> IngestSummary:
    """Ingest files into the store. With `strict`, any bad record aborts before anything is written."""
    from medoracle.ingest.readers import read_path

    started = time.perf_counter()
    summary = IngestSummary()
    files = [Path(p) for p in paths]
    for f in files:
        if not f.exists():
            raise BadInput(f"{f}: no such file or directory")
    if strict:
        docs = []
        for f in files:  # a folder goes to the readers whole: they know which files are documents
            summary.files += 1
            for item in read_path(f, fmt):
                if isinstance(item, ReadError):
                    raise BadInput(f"--strict: {item} (nothing was written)")
                docs.append(item)
        _write(iter(docs), store, summary, progress, "all files")
    else:
        for f in files:
            summary.files += 1
            _write(read_path(f, fmt), store, summary, progress, f.name)
    summary.seconds = time.perf_counter() - started
    return summary


def _write(items: Iterator, store, summary: IngestSummary, progress: Progress | None, name: str) -> None:
    batch: list[tuple[Document, list[Passage], str]] = []
    read = 0
    for item in items:
        if isinstance(item, ReadError):
            summary.errors.append(item)
            continue
        read += 1
        summary.documents += 1
        digest = content_hash(item)
        earlier = summary._seen.get(item.id)
        if earlier is not None and earlier[0] != digest:
            # two corpora (or one file twice) use the same id for different documents: the first one read
            # wins, so rerunning the same ingest keeps the same document instead of swapping them each time
            summary.collisions.append(f"document id {item.id!r} in {name} is already used by a different "
                                      f"document in {earlier[1]}; kept the one from {earlier[1]}")
            continue
        summary._seen.setdefault(item.id, (digest, name))
        if store.has_hash(digest):
            summary.unchanged += 1
        else:
            passages = chunk(item, grader=grade_passage)
            tag_document(item, passages)
            if passages:
                batch.append((item, passages, digest))
        if len(batch) >= BATCH:
            _flush(batch, store, summary)
            if progress:
                progress(name, read)
    _flush(batch, store, summary)
    if progress:
        progress(name, read)


def _flush(batch: list, store, summary: IngestSummary) -> None:
    if not batch:
        return
    stored = store.stored_hashes([d.id for d, _, _ in batch])
    summary.replaced += [d.id for d, _, h in batch if d.id in stored and stored[d.id] != h]
    added, unchanged = store.add_many(batch)
    summary.added += added
    summary.unchanged += unchanged
    # a document may be unchanged inside a batch when a file repeats itself; count only what went in
    summary.passages += (sum(len(p) for d, p, h in batch) if unchanged == 0
                         else store.count_passages([d.id for d, _, _ in batch]))
    batch.clear()


def embed_pending(store, embedder, *, batch: int = 64, progress: Callable[[int, int], None] | None = None) -> int:
    """Embed every passage that has no vector yet; resumable, since finished batches are committed.

    Refuses (EmbedderMismatch) to add vectors of another model to a database that already holds some."""
    from medoracle.embed import check_embedder

    check_embedder(store.embedder_name(), embedder)
    total = store.stats()
    remaining = total.passages - total.embedded
    done = 0
    while True:
        rows = store.unembedded(batch)
        if not rows:
            return done
        vectors = embedder.embed([text for _, text in rows])
        store.put_embeddings([r for r, _ in rows], vectors, embedder.name)
        done += len(rows)
        if progress:
            progress(done, remaining)
