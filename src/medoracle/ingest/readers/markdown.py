"""Markdown with optional YAML front matter; also the loader of the bundled knowledge-base cards.

A card (front matter with a `source:` mapping, see the kb format) becomes `kb:<id>`; a topic page
`_topic.md` becomes `kb:topic:<topic>` with its aliases written into the text so lexical search finds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from medoracle.errors import ReadError
from medoracle.types import TextBlock

from ._common import DOI_URL, Record, as_str, doc_type, join_blocks, make_document, pubmed_url, read_text

TOPIC_PAGE = "_topic.md"

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`)")
_LIST_MARK = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+")

try:  # the C loader is several times faster for the many small knowledge-base cards
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter mapping, body). Raises ValueError when the front matter is not a YAML mapping."""
    m = _FRONT.match(text)
    if not m:
        return {}, text
    loaded = yaml.load(m.group(1) or "", Loader=_Loader)  # noqa: S506 - a safe loader
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ValueError("front matter is not a mapping of fields")
    return loaded, text[m.end():]


def _inline(line: str) -> str:
    line = _IMAGE.sub(lambda m: m.group(1), line)
    line = _LINK.sub(lambda m: m.group(1), line)
    line = _LIST_MARK.sub("- ", line) if _LIST_MARK.match(line) else line
    return _EMPHASIS.sub("", line).strip()


def heading_blocks(body: str, base: list[str] | None = None) -> list[TextBlock]:
    """Blocks by #-heading path (under `base`); code fences are kept as text, never read as headings."""
    base = list(base or [])
    blocks: list[TextBlock] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        text = "\n".join(lines).strip()
        lines.clear()
        if text:
            blocks.append(TextBlock(path=base + [t for _, t in path], text=re.sub(r"\n{3,}", "\n\n", text)))

    for raw in body.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        m = None if in_fence else _HEADING.match(raw)
        if m:
            flush()
            level = len(m.group(1))
            path[:] = [p for p in path if p[0] < level] + [(level, _inline(m.group(2)))]
        else:
            lines.append(raw.rstrip() if in_fence else _inline(raw))
    flush()
    return blocks


@lru_cache(maxsize=256)
def _topic_title(folder: Path) -> str | None:
    """The human name of a kb topic, from the `_topic.md` beside a card; None when there is none."""
    page = folder / TOPIC_PAGE
    try:
        meta, _ = split_front_matter(page.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    return as_str(meta.get("title"))


@lru_cache(maxsize=256)
def _topic_aliases(folder: Path) -> list[str]:
    """The aliases of the topic a card's folder holds ([] without a readable topic page)."""
    page = folder / TOPIC_PAGE
    try:
        meta, _ = split_front_matter(page.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return []
    aliases = meta.get("aliases")
    return [str(a) for a in aliases] if isinstance(aliases, list) else []


def _source_fields(source: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """(organisation, title, year, url) of a card's source mapping; the url falls back to DOI, then PubMed."""
    doi, pmid = as_str(source.get("doi")), as_str(source.get("pmid"))
    url = as_str(source.get("url")) or (DOI_URL.format(doi) if doi else None) or pubmed_url(pmid)
    return as_str(source.get("organisation") or source.get("organization")), as_str(source.get("title")), \
        as_str(source.get("year")), url


def _card(path: Path, meta: dict[str, Any], body: str, encoding: str) -> Record:
    given = meta.get("source")
    source: dict[str, Any] = given if isinstance(given, dict) else {}
    organisation, source_title, year, url = _source_fields(source)
    is_topic = path.name == TOPIC_PAGE
    topic = as_str(meta.get("topic")) or path.parent.name
    if is_topic:
        doc_id = f"kb:topic:{topic}"
        topic_title = as_str(meta.get("title")) or topic
        base = [topic_title]
    else:
        card_id = as_str(meta.get("id"))
        if card_id is None:
            return ReadError(path, None, "knowledge-base card has no 'id' in its front matter")
        doc_id = f"kb:{card_id}"
        topic_title = _topic_title(path.parent.resolve()) or topic
        topic_aliases = _topic_aliases(path.parent.resolve())
        base = [topic_title, as_str(meta.get("title")) or card_id]
    blocks = heading_blocks(body, base)
    metadata: dict[str, Any] = {k: v for k, v in meta.items()
                                if k not in ("id", "title", "source", "doc_type", "grade")}
    metadata.update({"topic": topic, "topic_title": topic_title, "kb": True})
    if not is_topic and as_str(meta.get("title")):
        metadata["card_title"] = as_str(meta.get("title"))
    if not is_topic and topic_aliases:
        metadata["topic_aliases"] = list(topic_aliases)  # what the card's condition is also called, for its focus
    for key in ("pmid", "doi"):
        if as_str(source.get(key)):
            metadata[key] = as_str(source.get(key))
    if source_title:
        metadata["source_title"] = source_title
    if encoding not in ("utf-8", "utf-8-sig"):
        metadata["encoding"] = encoding
    aliases = meta.get("aliases")
    if is_topic and isinstance(aliases, list) and aliases:
        metadata["aliases"] = [str(a) for a in aliases]
        # aliases are what people type ("MSCC"): they must be in the searchable text, not only the metadata
        blocks.append(TextBlock(path=base, text="Also known as: " + "; ".join(str(a) for a in aliases) + "."))
    if not blocks:
        return ReadError(path, None, "card has no body text")
    return make_document(
        path, None, id=doc_id, text=join_blocks(blocks), title=source_title or topic_title,
        url=url, source=organisation, doc_type=doc_type(meta.get("doc_type")), published=year,
        grade=as_str(meta.get("grade")), metadata=metadata, blocks=blocks)


def read_markdown(path: Path) -> Iterator[Record]:
    """One Document per Markdown file (plain text files read the same way)."""
    try:
        text, encoding = read_text(path)
    except ReadError as e:
        yield e
        return
    try:
        meta, body = split_front_matter(text)
    except (ValueError, yaml.YAMLError) as e:
        reason = str(e).split("\n")[0] if isinstance(e, ValueError) else f"bad YAML front matter: {e}"
        yield ReadError(path, "front matter", reason)
        return
    if isinstance(meta.get("source"), dict) or (path.name == TOPIC_PAGE and meta.get("topic")):
        yield _card(path, meta, body, encoding)
        return
    blocks = heading_blocks(body)
    if not blocks:
        yield ReadError(path, None, "no text after the front matter" if meta else "empty file")
        return
    first_h1 = next((b.path[0] for b in blocks if b.path), None)
    metadata: dict[str, Any] = {k: v for k, v in meta.items()
                                if k not in ("id", "title", "url", "source", "doc_type", "published", "grade")}
    metadata["file"] = path.name
    if encoding not in ("utf-8", "utf-8-sig"):
        metadata["encoding"] = encoding
    yield make_document(
        path, None, id=as_str(meta.get("id")) or f"file:{path.stem}", text=join_blocks(blocks),
        title=as_str(meta.get("title")) or first_h1 or path.stem, url=as_str(meta.get("url")),
        source=as_str(meta.get("source")), doc_type=doc_type(meta.get("doc_type")),
        published=as_str(meta.get("published") or meta.get("date") or meta.get("year")),
        grade=as_str(meta.get("grade")), metadata=metadata, blocks=blocks)
