"""HTML pages: the main content only, cut into blocks by their h1–h4 heading path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag

from medoracle.errors import ReadError
from medoracle.types import TextBlock

from ._common import Record, join_blocks, make_document, read_text, squash

# Page furniture: never part of the clinical content.
_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "button",
              "select", "iframe", "svg", "canvas", "object", "embed", "dialog", "menu")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
               "td", "th", "thead", "tbody", "blockquote", "pre", "figure", "figcaption", "caption", "h5", "h6",
               "br", "hr", "address", "details", "summary"}
_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        if isinstance(tag, Tag):
            content = squash(str(tag.get("content") or ""))
            if content:
                return content
    return None


def _main_content(soup: BeautifulSoup) -> Tag:
    for found in (soup.find("main"), soup.find(None, {"role": "main"}), soup.find("article")):
        if isinstance(found, Tag):
            return found
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


def _strip_furniture(root: Tag) -> None:
    # inside <main>/<article> a <header> holds the article's own title and byline: keep it
    drop = _DROP_TAGS if root.name in ("body", "[document]") else tuple(t for t in _DROP_TAGS if t != "header")
    for tag in root.find_all(drop):
        if not tag.decomposed:
            tag.decompose()
    for tag in root.find_all(None, {"role": True}):
        if not tag.decomposed and str(tag.get("role")).lower() in _DROP_ROLES:
            tag.decompose()
    for tag in root.find_all(None, {"hidden": True}):
        if not tag.decomposed:
            tag.decompose()


def heading_blocks(root: Tag) -> list[TextBlock]:
    """Walk the content in order; h1–h4 set the heading path, block elements end a line of text."""
    blocks: list[TextBlock] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    words: list[str] = []

    def end_line() -> None:
        line = squash(" ".join(words))
        words.clear()
        if line:
            lines.append(line)

    def flush() -> None:
        end_line()
        if lines:
            blocks.append(TextBlock(path=[title for _, title in path], text="\n".join(lines)))
            lines.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                words.append(str(child))
            elif isinstance(child, Tag):
                level = _HEADINGS.get(child.name)
                if level:
                    flush()
                    title = squash(child.get_text(" "))
                    if title:
                        path[:] = [p for p in path if p[0] < level] + [(level, title)]
                elif child.name in _BLOCK_TAGS:
                    end_line()
                    walk(child)
                    end_line()
                else:
                    walk(child)

    walk(root)
    flush()
    return blocks


def read_html(path: Path) -> Iterator[Record]:
    """One Document per page; title from <title> or the first <h1>, date from the article metadata."""
    try:
        markup, encoding = read_text(path)
    except ReadError as e:
        yield e
        return
    soup = BeautifulSoup(markup, "lxml")
    title_tag = soup.find("title")
    title = squash(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else ""
    if not title:
        h1 = soup.find("h1")
        title = squash(h1.get_text(" ")) if isinstance(h1, Tag) else ""
    metadata: dict[str, Any] = {"file": path.name}
    for key, names in (("description", ("description", "og:description")), ("author", ("author", "citation_author")),
                       ("keywords", ("keywords",))):
        value = _meta(soup, *names)
        if value:
            metadata[key] = value
    if encoding not in ("utf-8", "utf-8-sig"):
        metadata["encoding"] = encoding
    published = _meta(soup, "article:published_time", "citation_publication_date", "citation_date", "dc.date",
                      "DC.date", "date")
    if not published:
        time = soup.find("time")
        if isinstance(time, Tag):
            published = squash(str(time.get("datetime") or time.get_text(" "))) or None
    if published:
        metadata["date"] = published
        m = _ISO_DATE.match(published.replace("/", "-"))
        published = m.group() if m else None
    canonical = soup.find("link", rel="canonical")
    url = (str(canonical.get("href")) if isinstance(canonical, Tag) and canonical.get("href") else None) \
        or _meta(soup, "og:url")
    source = _meta(soup, "og:site_name", "citation_publisher", "DC.publisher")

    root = _main_content(soup)
    _strip_furniture(root)
    blocks = heading_blocks(root)
    if not blocks:
        yield ReadError(path, None, "no text in the page's main content")
        return
    yield make_document(
        path, None, id=f"file:{path.stem}", text=join_blocks(blocks), title=title or path.stem, url=url,
        source=source, published=published, metadata=metadata, blocks=blocks)
