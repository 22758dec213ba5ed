"""PDF files through pypdf's text layer: one block per page, the page number kept for citations."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medoracle.errors import ReadError
from medoracle.types import TextBlock

from ._common import DOI_URL, Record, clean_lines, join_blocks, make_document

# pypdf logs every recoverable oddity of a malformed file; a bad PDF is reported once, as a ReadError
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")


def _meta(info: Any, key: str) -> str | None:
    try:
        value = info.get(key) if info is not None else None
    except Exception:  # noqa: BLE001 - a broken info dictionary is not worth losing the text over
        return None
    value = str(value).strip() if value is not None else ""
    return value or None


def read_pdf(path: Path) -> Iterator[Record]:
    """Each page's text as a TextBlock; pages without text (scans, blanks) are skipped silently."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            yield ReadError(path, None, "encrypted PDF: a password is needed to read it")
            return
        pages = list(reader.pages)
    except FileNotDecryptedError:
        yield ReadError(path, None, "encrypted PDF: a password is needed to read it")
        return
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError, NotImplementedError) as e:
        # pypdf raises a range of exceptions on broken files; all mean the same thing here
        reason = "empty file" if path.exists() and path.stat().st_size == 0 else f"cannot parse PDF: {e}"
        yield ReadError(path, None, reason)
        return
    except Exception as e:  # noqa: BLE001 - e.g. a missing AES provider for an encrypted file
        yield ReadError(path, None, f"cannot parse PDF: {type(e).__name__}: {e}")
        return

    blocks: list[TextBlock] = []
    for number, page in enumerate(pages, 1):
        try:
            raw = page.extract_text() or ""
        except Exception as e:  # noqa: BLE001 - one damaged page must not cost the others
            yield ReadError(path, f"page {number}", f"cannot extract text: {type(e).__name__}: {e}")
            continue
        lines = clean_lines(raw)
        if lines:
            blocks.append(TextBlock(path=[], text="\n".join(lines), page=number))
    if not blocks:
        yield ReadError(path, None, "no text layer in any page (scanned PDF?)")
        return

    info = None
    try:
        info = reader.metadata
    except Exception:  # noqa: BLE001
        pass
    title = _meta(info, "/Title") or blocks[0].text.split("\n", 1)[0][:300]
    metadata: dict[str, Any] = {"pages": len(pages), "file": path.name}
    for key, name in (("/Author", "author"), ("/Subject", "subject"), ("/Keywords", "keywords"),
                      ("/Producer", "producer")):
        value = _meta(info, key)
        if value:
            metadata[name] = value
    created = _PDF_DATE.match(_meta(info, "/CreationDate") or "")
    if created:
        metadata["created"] = "-".join(g for g in created.groups() if g)
    doi = _meta(info, "/DOI") or _meta(info, "/doi")
    if doi:
        metadata["doi"] = doi
    doc_id = _meta(info, "/Identifier") or _meta(info, "/ID") or f"file:{path.stem}"
    yield make_document(
        path, None, id=doc_id, text=join_blocks(blocks), title=title, url=DOI_URL.format(doi) if doi else None,
        source=_meta(info, "/Publisher"), metadata=metadata, blocks=blocks)
