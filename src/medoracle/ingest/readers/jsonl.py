"""JSON-lines readers: our documents format, MedQuAD, PubMedQA abstracts and BioASQ snippets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medoracle.errors import ReadError
from medoracle.types import DocType, TextBlock

from ._common import Record, as_str, doc_type, json_lines, make_document, pubmed_url, squash

DOCUMENT_FIELDS = ("id", "text", "title", "url", "source", "doc_type", "published", "grade")


def _with_encoding(metadata: dict[str, Any], encoding: str) -> dict[str, Any]:
    if encoding not in ("utf-8", "utf-8-sig"):
        metadata["encoding"] = encoding
    return metadata


def _records(path: Path, id_field: str, text_field: str,
             what: str) -> Iterator[ReadError | tuple[int, dict[str, Any], str, str, str]]:
    """Each JSON line whose id and text are present, as (line, object, encoding, id, text); otherwise a
    ReadError naming the line and the missing field."""
    for n, obj, encoding in json_lines(path):  # noqa: B007 - the last line's encoding is used after the loop
        if isinstance(obj, ReadError):
            yield obj
            continue
        key, text = as_str(obj.get(id_field)), obj.get(text_field)
        if key is None:
            yield ReadError(path, n, f"missing required field {id_field!r}")
        elif not isinstance(text, str) or not text.strip():
            yield ReadError(path, n, f"{what} {key!r}: missing or empty required field {text_field!r}")
        else:
            yield n, obj, encoding, key, text


def read_documents_jsonl(path: Path) -> Iterator[Record]:
    """The stable documents format: `id` and `text` required, other known fields typed, the rest metadata."""
    seen: dict[str, int] = {}
    for record in _records(path, "id", "text", "document"):
        if isinstance(record, ReadError):
            yield record
            continue
        n, obj, encoding, doc_id, text = record
        if doc_id in seen:
            yield ReadError(path, n, f"duplicate id {doc_id!r} (first on line {seen[doc_id]})")
            continue
        seen[doc_id] = n
        given = obj.get("metadata")
        metadata = dict(given) if isinstance(given, dict) else {}
        metadata.update({k: v for k, v in obj.items() if k not in DOCUMENT_FIELDS and k != "metadata"})
        yield make_document(
            path, n, id=doc_id, text=text, title=as_str(obj.get("title")) or "", url=as_str(obj.get("url")),
            source=as_str(obj.get("source")), doc_type=doc_type(obj.get("doc_type")),
            published=as_str(obj.get("published")), grade=as_str(obj.get("grade")),
            metadata=_with_encoding(metadata, encoding))


def read_medquad(path: Path) -> Iterator[Record]:
    """MedQuAD question–answer pairs: one consumer-health document per answer.

    MedQuAD reuses a `qa_id` for answers about different conditions of one page (16,407 records, 12,133
    ids), so the second and later records with an id get `<qa_id>~<n>`; `metadata["qa_id"]` keeps the original.
    """
    counts: dict[str, int] = {}
    for record in _records(path, "qa_id", "answer", "record"):
        if isinstance(record, ReadError):
            yield record
            continue
        n, obj, encoding, qa_id, answer = record
        counts[qa_id] = counts.get(qa_id, 0) + 1
        doc_id = qa_id if counts[qa_id] == 1 else f"{qa_id}~{counts[qa_id]}"
        metadata = {k: obj[k] for k in ("focus", "qtype", "collection", "doc_id", "pid") if obj.get(k) is not None}
        metadata["qa_id"] = qa_id
        yield make_document(
            path, n, id=doc_id, text=answer.strip(), title=as_str(obj.get("question")) or "",
            url=as_str(obj.get("url")), source=as_str(obj.get("source")), doc_type=DocType.consumer,
            metadata=_with_encoding(metadata, encoding))


def read_pubmedqa(path: Path) -> Iterator[Record]:
    """PubMedQA abstracts. The id is the bare PMID, as the benchmark's gold answers name it.

    The data set's answer fields (`long_answer`, `final_decision`) are dropped: they are the benchmark's
    gold labels, not part of the article as a reader would find it.
    """
    seen: set[str] = set()
    for record in _records(path, "pmid", "text", "PMID"):
        if isinstance(record, ReadError):
            yield record
            continue
        n, obj, encoding, pmid, text = record
        if pmid in seen:
            yield ReadError(path, n, f"duplicate PMID {pmid}")
            continue
        seen.add(pmid)
        metadata: dict[str, Any] = {"pmid": pmid}
        if isinstance(obj.get("mesh"), list):
            metadata["mesh"] = [str(m) for m in obj["mesh"]]
        blocks = _labelled_sections(text, obj.get("contexts"), obj.get("labels"))
        yield make_document(
            path, n, id=pmid, text=text.strip(), title=as_str(obj.get("question")) or "", url=pubmed_url(pmid),
            published=as_str(obj.get("year")), doc_type=DocType.other, metadata=_with_encoding(metadata, encoding),
            blocks=blocks)


def _labelled_sections(text: str, contexts: Any, labels: Any) -> list[TextBlock]:
    """PubMedQA's abstract parts with their printed labels (BACKGROUND, METHODS …) as blocks.

    The data set's `text` is the whole abstract; its `contexts` stop before the conclusions, so what follows
    the last context becomes a Conclusions block. Without labelled contexts there are no blocks.
    """
    if not isinstance(contexts, list) or not isinstance(labels, list) or len(contexts) != len(labels):
        return []
    blocks = []
    end = 0
    for part, label in zip(contexts, labels):
        if isinstance(part, str) and part.strip():
            name = str(label or "").strip()
            path = ["Abstract", name.capitalize() if name.isupper() else name] if name else ["Abstract"]
            blocks.append(TextBlock(path=path, text=squash(part)))
            found = text.find(part.strip(), end)
            end = found + len(part.strip()) if found >= 0 else end
    rest = squash(text[end:]) if end else ""
    if rest:
        blocks.append(TextBlock(path=["Abstract", "Conclusions"], text=rest))
    return blocks


def read_bioasq(path: Path) -> Iterator[Record]:
    """BioASQ gold snippets grouped into one document per PMID (the file is not sorted by PMID)."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    encoding = "utf-8"
    for n, obj, encoding in json_lines(path):  # noqa: B007 - the last line's encoding is used after the loop
        if isinstance(obj, ReadError):
            yield obj
            continue
        pmid, text = as_str(obj.get("pmid")), obj.get("text")
        if pmid is None:
            yield ReadError(path, n, "missing required field 'pmid'")
            continue
        if not isinstance(text, str) or not text.strip():
            yield ReadError(path, n, f"snippet {obj.get('id')!r} of PMID {pmid}: empty 'text'")
            continue
        groups.setdefault(pmid, []).append((n, obj))
    for pmid, snippets in groups.items():
        title = ""
        sections: dict[str, list[str]] = {}
        kept: list[str] = []
        for _, obj in snippets:
            text = squash(obj["text"])
            section = as_str(obj.get("section")) or "abstract"
            if section == "title" and not title:
                title = text
            # a snippet that repeats, or sits inside, one already kept adds nothing
            if any(text in k for k in kept):
                continue
            kept = [k for k in kept if k not in text] + [text]
            sections.setdefault(section, []).append(text)
        blocks = [TextBlock(path=[name.replace("_", " ").capitalize()], text=" ".join(t for t in texts if t in kept))
                  for name, texts in sections.items() if name != "title"]
        blocks = [b for b in blocks if b.text]
        if not blocks and title:
            blocks = [TextBlock(path=["Title"], text=title)]
        metadata: dict[str, Any] = {"pmid": pmid, "snippet_ids": [o.get("id") for _, o in snippets if o.get("id")]}
        yield make_document(
            path, snippets[0][0], id=pmid, text="\n\n".join(b.text for b in blocks), title=title,
            url=pubmed_url(pmid), doc_type=DocType.other, blocks=blocks, metadata=_with_encoding(metadata, encoding))
