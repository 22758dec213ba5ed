"""Cut documents into passages that keep their heading path and never cut a sentence in half.

Sentences are `medoracle.text`'s, so the composer and verifier later find the same sentences in a passage.
Passages aim at ~110 words: long enough to carry a recommendation with its grade, short enough that
MiniLM (256-token window) sees all of it and BM25 is not diluted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from medoracle.text import split_sentences
from medoracle.types import SECTION_SEPARATOR, Document, Grade, Passage, TextBlock

TARGET_WORDS = 110
MAX_WORDS = 170

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def blocks_of(doc: Document) -> list[TextBlock]:
    """The document's blocks, or blocks found from Markdown-style headings in its text."""
    if doc.blocks:
        return doc.blocks
    blocks: list[TextBlock] = []
    path: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            blocks.append(TextBlock(path=list(path), text=body))
        lines.clear()

    for line in doc.text.splitlines():
        m = _MD_HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            path[:] = path[: level - 1] + [m.group(2)]
        else:
            lines.append(line)
    flush()
    return blocks or [TextBlock(path=[], text=doc.text)]


def chunk(doc: Document, grader: Callable[[str, Document], Grade | None] | None = None) -> list[Passage]:
    """Passages of one document. `grader(text, doc) -> Grade | None` reads printed grades."""
    passages: list[Passage] = []
    facet = doc.metadata.get("facet") if isinstance(doc.metadata.get("facet"), str) else None
    for block in blocks_of(doc):
        section = SECTION_SEPARATOR.join(p.strip() for p in block.path if p and p.strip())
        for text in _pack(split_sentences(block.text)):
            grade: Grade | None = grader(text, doc) if grader else None
            passages.append(Passage(
                id=f"{doc.id}#{len(passages)}", doc_id=doc.id, text=text, section=section,
                position=len(passages), page=block.page, doc_type=doc.doc_type, published=doc.published,
                grade=grade, facet=facet))
    return passages


def _pack(sentences: list[str]) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in sentences:
        n = len(sentence.split())
        if current and words + n > TARGET_WORDS and (words >= TARGET_WORDS // 2 or words + n > MAX_WORDS):
            chunks.append(" ".join(current))
            current, words = [], 0
        current.append(sentence)
        words += n
    if current:
        # a short tail joins the previous passage rather than standing alone without context
        if chunks and words < 25 and len(chunks[-1].split()) + words <= MAX_WORDS:
            chunks[-1] = chunks[-1] + " " + " ".join(current)
        else:
            chunks.append(" ".join(current))
    return chunks
