"""Readers: each file format becomes `Document`s, and each bad record a `ReadError`, never an exception.

    read_path(path, fmt="auto")   yields Document | ReadError, continuing past bad records
    detect_format(path)           'jsonl' | 'medline' | 'ngc' | 'pdf' | 'html' | 'markdown' | 'medquad' |
                                  'pubmedqa' | 'bioasq' (raises ReadError when it cannot tell)
    FORMATS                       the registry by name; `register(name, reader, extensions=...)` adds a plugin
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from medoracle.errors import ReadError

from ._common import Reader, Record, first_json_keys
from .html import read_html
from .jsonl import read_bioasq, read_documents_jsonl, read_medquad, read_pubmedqa
from .markdown import read_markdown
from .medline import read_medline
from .ngc import read_ngc
from .pdf import read_pdf

__all__ = ["FORMATS", "EXTENSIONS", "Reader", "Record", "detect_format", "read_path", "register",
           "read_documents_jsonl", "read_medquad", "read_pubmedqa", "read_bioasq", "read_ngc", "read_medline",
           "read_pdf", "read_html", "read_markdown"]

FORMATS: dict[str, Reader] = {
    "jsonl": read_documents_jsonl,
    "medquad": read_medquad,
    "pubmedqa": read_pubmedqa,
    "bioasq": read_bioasq,
    "ngc": read_ngc,
    "medline": read_medline,
    "pdf": read_pdf,
    "html": read_html,
    "markdown": read_markdown,
}

# File name endings → format family; 'json' and 'xml' are then told apart by their content.
EXTENSIONS: dict[str, str] = {
    ".jsonl.gz": "json", ".json.gz": "json", ".ndjson.gz": "json", ".jsonl": "json", ".json": "json",
    ".ndjson": "json",
    ".xml.gz": "xml", ".xml": "xml",
    ".pdf": "pdf",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".md": "markdown", ".markdown": "markdown", ".txt": "markdown",
}

_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def register(name: str, reader: Reader, extensions: Iterable[str] = ()) -> None:
    """Add (or replace) a format; `extensions` such as '.ris' make auto-detection choose it."""
    FORMATS[name] = reader
    for ext in extensions:
        EXTENSIONS[ext.lower()] = name


def _json_format(path: Path) -> str:
    keys = first_json_keys(path)
    if "Guideline Title" in keys or "Major Recommendations" in keys:
        return "ngc"
    if {"qa_id", "answer"} <= keys:
        return "medquad"
    if {"pmid", "section", "text", "id"} <= keys:
        return "bioasq"
    if {"pmid", "question", "text"} <= keys:
        return "pubmedqa"
    return "jsonl"


def _xml_format(path: Path) -> str:
    import gzip

    try:
        with open(path, "rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            head = f.read(65536)
    except (OSError, EOFError) as e:
        raise ReadError(path, None, f"cannot read file: {e}") from None
    # skip the declaration, comments and DOCTYPE: the root is the first real element
    head = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", b"", head, flags=re.DOTALL)
    m = _XML_ROOT.search(head)
    if not m:
        raise ReadError(path, None, "empty file" if not head.strip() else "no XML root element found")
    root = m.group(1).decode("ascii", "replace").split(":")[-1]
    if root in ("PubmedArticleSet", "PubmedArticle", "MedlineCitationSet"):
        return "medline"
    if root.lower() == "html":
        return "html"
    raise ReadError(path, None, f"unknown XML format (root element <{root}>); known: PubmedArticleSet")


def detect_format(path: Path) -> str:
    """The format name for a file, by its extension and then its first record or root element."""
    path = Path(path)
    name = path.name.lower()
    family = next((fam for ext, fam in sorted(EXTENSIONS.items(), key=lambda kv: -len(kv[0]))
                   if name.endswith(ext)), None)
    if family == "json":
        return _json_format(path)
    if family == "xml":
        return _xml_format(path)
    if family is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise ReadError(path, None, f"unknown file type; known endings: {known}")
    return family


def read_path(path: Path, fmt: str = "auto") -> Iterator[Record]:
    """Documents from one file (or every known file under a folder), and a ReadError for each bad record.

    Never raises for bad input: a file that cannot be read at all gives one ReadError.
    """
    path = Path(path)
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            if fmt != "auto" or any(child.name.lower().endswith(ext) for ext in EXTENSIONS):
                yield from read_path(child, fmt)
        return
    if not path.exists():
        yield ReadError(path, None, "no such file")
        return
    if fmt == "auto":
        try:
            fmt = detect_format(path)
        except ReadError as e:
            yield e
            return
    reader = FORMATS.get(fmt)
    if reader is None:
        yield ReadError(path, None, f"unknown format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
        return
    try:
        yield from reader(path)
    except ReadError as e:
        yield e
    except Exception as e:  # noqa: BLE001 - one odd file must not stop a whole ingest; it is reported
        yield ReadError(path, None, f"{fmt} reader failed: {type(e).__name__}: {e}")
