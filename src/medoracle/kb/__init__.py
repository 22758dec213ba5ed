"""The bundled starter knowledge base: one folder per topic, one Markdown card per recommendation.

A card is YAML front matter (id, topic, title, facet, source …) and a short body in our own words.
This module only finds and checks cards; the ingest Markdown reader turns them into Documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medoracle.errors import ReadError
from medoracle.ingest.readers.markdown import TOPIC_PAGE, split_front_matter

FACETS: frozenset[str] = frozenset({
    "bottom_line", "assessment", "first_line", "adjunct", "procedures", "special",
    "complications", "emerging", "red_flags", "background",
})

GRADE_SCHEMES: frozenset[str] = frozenset({
    "GRADE", "ASCO", "ASTRO", "ESMO", "ESC", "ACC/AHA", "ADA", "GOLD", "GINA", "NCCN", "IDSA/ATS",
    "USPSTF", "SIGN", "NICE", "KDIGO", "MASCC/ESMO", "other",
})

DOC_TYPES: frozenset[str] = frozenset({
    "guideline", "systematic_review", "trial", "review", "consumer", "textbook",
})

# A card is one quotable recommendation; anything longer belongs in two cards.
MAX_BODY_CHARS = 600


@dataclass(frozen=True)
class TopicInfo:
    """One topic folder: its slug, human title, the synonyms people type, and how many cards it holds."""

    slug: str
    title: str
    aliases: tuple[str, ...]
    card_count: int
    path: Path


def kb_root() -> Path:
    """The folder that holds the topic folders (installed with the package)."""
    return Path(__file__).resolve().parent


def _topic_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / TOPIC_PAGE).is_file())


def topics(root: Path | None = None) -> list[TopicInfo]:
    """Every topic that has a `_topic.md`, sorted by slug."""
    found: list[TopicInfo] = []
    for folder in _topic_dirs(root or kb_root()):
        meta, _ = read_front_matter(folder / TOPIC_PAGE)
        aliases = meta.get("aliases") or []
        if not isinstance(aliases, list):
            raise ReadError(str(folder / TOPIC_PAGE), "aliases", "aliases must be a YAML list")
        cards = [p for p in folder.glob("*.md") if p.name != TOPIC_PAGE]
        found.append(TopicInfo(slug=folder.name, title=str(meta.get("title") or folder.name),
                               aliases=tuple(str(a) for a in aliases), card_count=len(cards), path=folder))
    return found


def card_paths(root: Path | None = None) -> list[Path]:
    """Every card and topic page of every topic, sorted (topic page first within its folder)."""
    paths: list[Path] = []
    for folder in _topic_dirs(root or kb_root()):
        paths.append(folder / TOPIC_PAGE)
        paths.extend(sorted(p for p in folder.glob("*.md") if p.name != TOPIC_PAGE))
    return paths


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """Split a card into (front matter as a dict, body text). Raises ReadError naming the file when malformed.

    The parsing is the Markdown reader's (`split_front_matter`); a card must have front matter."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ReadError(str(path), 1, "no YAML front matter: the file must start with a '---' line")
    try:
        meta, body = split_front_matter(text)
    except yaml.YAMLError as exc:
        raise ReadError(str(path), "front matter", f"malformed YAML: {exc}") from exc
    except ValueError as exc:
        raise ReadError(str(path), "front matter", f"front matter must be a YAML mapping ({exc})") from exc
    if not meta and body == text:
        raise ReadError(str(path), 1, "front matter is not closed by a second '---' line")
    return meta, body.strip()


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_card(path: Path) -> list[str]:
    """Problems with one card (empty list when it is fine). Topic pages are checked by `validate_topic_page`."""
    try:
        meta, body = read_front_matter(path)
    except ReadError as exc:
        return [str(exc)]
    problems = [f"missing {key}" for key in ("id", "topic", "title", "facet", "doc_type")
                if _missing(meta.get(key))]
    problems += _source_problems(meta.get("source"))
    if meta.get("reviewed") is not False:
        problems.append("reviewed must be false until a clinician reviews the card")
    facet = meta.get("facet")
    if not _missing(facet) and facet not in FACETS:
        problems.append(f"unknown facet {facet!r}; allowed: {', '.join(sorted(FACETS))}")
    doc_type = meta.get("doc_type")
    if not _missing(doc_type) and doc_type not in DOC_TYPES:
        problems.append(f"unknown doc_type {doc_type!r}")
    if "grade" in meta:
        if _missing(meta.get("grade")):
            problems.append("grade is empty: omit the key when the source does not grade")
        scheme = meta.get("grade_scheme")
        if _missing(scheme):
            problems.append("grade given without grade_scheme")
        elif scheme not in GRADE_SCHEMES:
            problems.append(f"unknown grade_scheme {scheme!r}")
    if not body:
        problems.append("empty body")
    elif len(body) > MAX_BODY_CHARS:
        problems.append(f"body is {len(body)} characters; keep a card under {MAX_BODY_CHARS}")
    return problems


def validate_topic_page(path: Path) -> list[str]:
    """Problems with one `_topic.md`: title, aliases, source, reviewed, body."""
    try:
        meta, body = read_front_matter(path)
    except ReadError as exc:
        return [str(exc)]
    problems = [f"missing {key}" for key in ("topic", "title", "doc_type") if _missing(meta.get(key))]
    aliases = meta.get("aliases")
    if not isinstance(aliases, list) or not aliases or any(_missing(a) for a in aliases):
        problems.append("aliases must be a non-empty list of synonyms")
    problems += _source_problems(meta.get("source"))
    if meta.get("reviewed") is not False:
        problems.append("reviewed must be false until a clinician reviews the page")
    if not body:
        problems.append("empty body")
    return problems


def _source_problems(source: Any) -> list[str]:
    if not isinstance(source, dict):
        return ["missing source block"]
    problems = [f"missing source.{key}" for key in ("organisation", "title", "year") if _missing(source.get(key))]
    if all(_missing(source.get(key)) for key in ("pmid", "doi", "url")):
        problems.append("source needs at least one of pmid, doi or url")
    return problems


__all__ = ["DOC_TYPES", "FACETS", "GRADE_SCHEMES", "MAX_BODY_CHARS", "TOPIC_PAGE", "TopicInfo", "card_paths",
           "kb_root", "read_front_matter", "topics", "validate_card", "validate_topic_page"]
