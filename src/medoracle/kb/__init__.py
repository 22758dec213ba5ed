"""The bundled starter knowledge base: one folder per topic, one Markdown card per recommendation.

A card is YAML front matter (id, topic, title, facet, source …) and a short body in our own words.
This module only finds and checks cards; the ingest Markdown reader turns them into Documents.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medoracle.compose.sentences import clean_sentence
from medoracle.errors import ReadError
from medoracle.ingest.readers.markdown import TOPIC_PAGE, split_front_matter
from medoracle.text import numbers_of, sentence_spans

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

# Identifier forms: a DOI as Crossref prints it, a PubMed id, and a web address.
DOI_FORM = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_FORM = re.compile(r"^\d{1,9}$")
HTTPS_FORM = re.compile(r"^https://[^\s/]+\.[^\s]+$")
_WEB_FORM = re.compile(r"^https?://[^\s/]+\.[^\s]+$")

# Words that say a card's advice is for a subgroup, so answers can match it to the patient asked about.
SUBGROUP_WORDS = re.compile(
    r"\b(pregnan\w*|child\w*|infant\w*|bab(?:y|ies)|neonat\w*|adolescen\w*|older (?:adults?|people|patients)|"
    r"elderly|aged \d+|(?:under|over) (?:the age of )?\d+ (?:years?|months?)|frail\w*|breastfeed\w*)", re.IGNORECASE)


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
    # The extractive composer quotes whole sentences and drops those it cannot stand alone (too long, a
    # fragment, a table-like run of bare numbers): such a sentence in a card never reaches an answer.
    flat = " ".join(body.split())  # the Markdown reader joins hard-wrapped lines the same way
    unquotable = [flat[s:e] for s, e in sentence_spans(flat) if clean_sentence(flat[s:e], []) is None]
    if unquotable:
        problems.append(f"sentence cannot be quoted in an answer (too long, a fragment or a run of bare "
                        f"numbers); rewrite it: {unquotable[0][:80]!r}")
    problems += _checked_at_problems(meta)
    problems += _currency_link_problems(meta)
    problems += _plain_problems(meta.get("plain"), body)
    if _missing(meta.get("population")) and (facet == "special" or _names_subgroup(f"{meta.get('title')} {body}")):
        problems.append("missing population: the card's advice is for a subgroup")
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
    problems += _checked_at_problems(meta)
    problems += _plain_problems(meta.get("plain"), body)  # a topic page's summary can be a bottom line
    return problems


def _source_problems(source: Any) -> list[str]:
    if not isinstance(source, dict):
        return ["missing source block"]
    problems = [f"missing source.{key}" for key in ("organisation", "title", "year") if _missing(source.get(key))]
    if all(_missing(source.get(key)) for key in ("pmid", "doi", "url")):
        problems.append("source needs at least one of pmid, doi or url")
    problems += _identifier_problems(source)
    return problems


def _identifier_problems(source: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    doi, pmid, url = source.get("doi"), source.get("pmid"), source.get("url")
    if not _missing(doi) and not DOI_FORM.match(str(doi).strip()):
        problems.append(f"source.doi {doi!r} is not a DOI (10.NNNN/...)")
    if not _missing(pmid) and not PMID_FORM.match(str(pmid).strip()):
        problems.append(f"source.pmid {pmid!r} is not a PubMed id (digits only)")
    if not _missing(url) and not HTTPS_FORM.match(str(url).strip()):
        problems.append(f"source.url {url!r} is not an https address")
    return problems


def _checked_at_problems(meta: dict[str, Any]) -> list[str]:
    """`checked_at` is optional here (the tests decide who must have it) but must be well formed when present."""
    if "checked_at" not in meta:
        return []
    checked = meta["checked_at"]
    if not isinstance(checked, dict):
        return ["checked_at must be a mapping {url: ..., date: YYYY-MM-DD}"]
    problems = []
    if _missing(checked.get("url")) or not _WEB_FORM.match(str(checked.get("url")).strip()):
        problems.append("checked_at.url must be the web address where the facts were read")
    if _iso_date(checked.get("date")) is None:
        problems.append("checked_at.date must be a date (YYYY-MM-DD)")
    return problems


def _iso_date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _currency_link_problems(meta: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("supersedes", "superseded_by"):
        if key not in meta:
            continue
        ids = meta[key]
        if not isinstance(ids, list) or not ids:
            problems.append(f"{key} must be a non-empty list of source identifiers")
            continue
        for ident in ids:
            if not isinstance(ident, str) or not (DOI_FORM.match(ident) or PMID_FORM.match(ident)
                                                  or _WEB_FORM.match(ident)):
                problems.append(f"{key} entry {ident!r} is not a DOI, PMID or web address")
    return problems


# The people a sentence is about, as one key per group: "older adults" and "elderly people" are one group.
# Adults count too (not a subgroup for the `population:` rule): "adults with …" read as "people with …" would
# take in children.
_POPULATION_WORDS = re.compile(
    r"\b(?:(?P<pregnant>pregnan\w*)|(?P<child>child(?!bearing|birth)\w*|paediatric|pediatric)|(?P<infant>infant\w*|bab(?:y|ies)|"
    r"neonat\w*|newborns?)|(?P<adolescent>adolescen\w*|teenage\w*|young (?:people|persons?))|"
    r"(?P<older>older (?:adults?|people|patients|women|men)|elderly)|(?P<frail>frail\w*)|"
    r"(?P<breastfeeding>breastfeed\w*|breast-feed\w*)|(?P<adult>adults?))\b", re.IGNORECASE)


def subgroups_of(text: str) -> set[str]:
    """The groups of people a text names: {"pregnant", "child", "older", "adult", …}."""
    groups = {m.lastgroup for m in _POPULATION_WORDS.finditer(text) if m.lastgroup}
    # "older adults" is its own group; it does not also name adults in general.
    if "older" in groups and not re.search(r"(?<!older )\badults?\b", text, re.IGNORECASE):
        groups.discard("adult")
    return groups


def plain_problems(plain: str, body: str, *, whole: bool = True) -> list[str]:
    """What a plain-language text loses of the body it says plainly (a number by value, a group of people), or a
    number it adds (a plain text says the same thing, never more). `whole=False`: `body` is one sentence of the
    card, so the plain text may hold more numbers than it."""
    problems = []
    have = {value for value, _ in numbers_of(plain)}
    lost = sorted({value for value, _ in numbers_of(body)} - have)
    if lost:
        problems.append(f"plain loses the body's numbers: {', '.join(lost)}")
    added = sorted(have - {value for value, _ in numbers_of(body)}) if whole else []
    if added:
        problems.append(f"plain adds numbers the body does not have: {', '.join(added)}")
    gone = sorted(subgroups_of(body) - subgroups_of(plain))
    if gone:
        problems.append(f"plain loses the body's population: {', '.join(gone)}")
    return problems


def _plain_problems(plain: Any, body: str) -> list[str]:
    if plain is None:
        return []
    if not isinstance(plain, str) or not plain.strip():
        return ["plain is empty: omit the key or write the plain-language version"]
    return plain_problems(plain, body)


def _names_subgroup(text: str) -> bool:
    return bool(SUBGROUP_WORDS.search(text))


def source_ids(meta: dict[str, Any]) -> set[str]:
    """The card's source identifiers (DOI, PMID, URL), normalised so that two spellings of one source meet."""
    source = meta.get("source")
    if not isinstance(source, dict):
        return set()
    return {normal_id(str(source[k])) for k in ("doi", "pmid", "url") if not _missing(source.get(k))}


def normal_id(ident: str) -> str:
    """`https://www.nice.org.uk/guidance/CG191/` and `http://nice.org.uk/guidance/cg191` are one source."""
    text = ident.strip().lower()
    text = re.sub(r"^https?://(www\.)?", "", text)
    text = re.sub(r"^(dx\.)?doi\.org/", "", text)
    return text.rstrip("/")


def superseded_citations(paths: Iterable[Path]) -> list[str]:
    """Cards that cite a source which another card (or the card itself) marks as superseded.

    A source is superseded when any card lists it under `supersedes`, or a card citing it says `superseded_by`.
    """
    metas = []
    for path in paths:
        try:
            metas.append((path, read_front_matter(path)[0]))
        except ReadError:
            continue
    old: dict[str, str] = {}
    for path, meta in metas:
        for ident in meta.get("supersedes") or []:
            old[normal_id(str(ident))] = f"{path.parent.name}/{path.stem}"
        if meta.get("superseded_by"):
            for ident in source_ids(meta):
                old[ident] = f"{path.parent.name}/{path.stem} (superseded_by)"
    problems = []
    for path, meta in metas:
        for ident in sorted(source_ids(meta) & old.keys()):
            problems.append(f"{path.parent.name}/{path.stem} cites {ident}, superseded according to {old[ident]}")
    return problems


__all__ = ["DOC_TYPES", "DOI_FORM", "FACETS", "GRADE_SCHEMES", "HTTPS_FORM", "MAX_BODY_CHARS", "PMID_FORM",
           "SUBGROUP_WORDS", "TOPIC_PAGE", "TopicInfo", "card_paths", "kb_root", "normal_id", "read_front_matter",
           "plain_problems", "source_ids", "subgroups_of", "superseded_citations", "topics", "validate_card", "validate_topic_page"]
