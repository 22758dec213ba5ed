"""What every reader needs: opening (gzip, encodings), building a Document safely, cleaning text."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from medoracle.errors import ReadError
from medoracle.types import DocType, Document, TextBlock

Record = Document | ReadError
Reader = Callable[[Path], Iterator[Record]]

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"
DOI_URL = "https://doi.org/{}"

_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def pubmed_url(pmid: str | int | None) -> str | None:
    pmid = str(pmid or "").strip()
    return PUBMED_URL.format(pmid) if pmid.isdigit() else None


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip. Raises ReadError for the whole file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReadError(path, None, f"cannot read file: {e.strerror or e}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise ReadError(path, None, f"broken gzip file: {e}") from None
    if not data.strip():
        raise ReadError(path, None, "empty file")
    return data


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode text bytes as (text, encoding): utf-8, utf-8-sig, utf-16 (BOM), then cp1252/latin-1.

    The single-byte fallback never fails, so binary content is rejected first by its NUL and control bytes.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    head = data[:8192]
    if b"\x00" in head or sum(head.count(bytes([c])) for c in _CONTROL) > len(head) * 0.05:
        raise ReadError(path, None, "binary content, not a text file")
    if data[:3] == b"\xef\xbb\xbf":
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte
        return data.decode("latin-1"), "latin-1"


def read_text(path: Path) -> tuple[str, str]:
    return decode_text(read_bytes(path), path)


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | ReadError, str]]:
    """(line number, parsed object or ReadError, encoding) for each non-blank line of a JSONL file."""
    text, encoding = read_text(path)
    # split on "\n" only: str.splitlines would also cut at U+2028 inside JSON strings
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield n, ReadError(path, n, f"malformed JSON: {e.msg} at column {e.colno}"), encoding
            continue
        if not isinstance(obj, dict):
            yield n, ReadError(path, n, f"expected a JSON object, got {type(obj).__name__}"), encoding
            continue
        yield n, obj, encoding


def first_json_keys(path: Path) -> set[str]:
    """Keys of the first parseable record, for format detection; empty when there is none."""
    try:
        with open(path, "rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            for _, raw in zip(range(20), f):
                if raw.strip():
                    obj = json.loads(raw.decode("utf-8", errors="replace"))
                    return set(obj) if isinstance(obj, dict) else set()
    except (OSError, EOFError, zlib.error, ValueError):
        pass
    return set()


def make_document(path: Path, where: str | int | None, **fields: Any) -> Record:
    """A Document, or a ReadError saying which field was bad."""
    if "metadata" in fields:
        fields["metadata"] = jsonable(fields["metadata"])
    try:
        return Document(**fields)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "document"
        return ReadError(path, where, f"invalid {field}: {err['msg']}")


def jsonable(value: Any) -> Any:
    """Metadata safe for json.dumps: YAML dates become ISO strings, unknown objects their str()."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def as_str(value: Any) -> str | None:
    """A scalar as a stripped string; None for missing or empty."""
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def doc_type(value: Any) -> DocType:
    return DocType.parse(as_str(value))


_MOJIBAKE = re.compile("[\xc2-\xf4][\x80-\xbf]+")


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as latin-1 somewhere upstream ('caseâ\\x80\\x93control' → 'case–control')."""
    if not _MOJIBAKE.search(text):
        return text

    def repair(m: re.Match[str]) -> str:
        try:
            return m.group().encode("latin-1").decode("utf-8")
        except UnicodeError:
            return m.group()

    return _MOJIBAKE.sub(repair, text)


_SPACES = re.compile(r"[ \t\u00a0\u2009\u200b]+")
_ENDS_SENTENCE = tuple(".:;!?)]\"'”")


def clean_lines(text: str) -> list[str]:
    """Lines stripped of padding, blank ones dropped, and hard-wrapped lines joined back together.

    A line is a continuation when the previous one does not end a sentence and it starts in lower case.
    """
    out: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        if out and line[0].islower() and not out[-1].endswith(_ENDS_SENTENCE):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def squash(text: str) -> str:
    """One paragraph: all whitespace runs become one space."""
    return " ".join(text.split())


def join_blocks(blocks: list[TextBlock]) -> str:
    return "\n\n".join(b.text for b in blocks if b.text.strip())
