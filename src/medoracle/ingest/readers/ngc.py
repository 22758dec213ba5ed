"""National Guideline Clearinghouse summaries (JSONL, one guideline per line, ~47 named fields)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medoracle.errors import ReadError
from medoracle.types import DocType, TextBlock

from ._common import Record, as_str, clean_lines, fix_mojibake, join_blocks, json_lines, make_document

RECOMMENDATIONS = "Major Recommendations"

# Clinical fields that become searchable blocks, in reading order (the recommendations first).
BLOCK_FIELDS = (
    RECOMMENDATIONS,
    "Disease/Condition(s)",
    "Other Disease/Condition(s) Addressed",
    "Guideline Objective(s)",
    "Target Population",
    "Interventions and Practices Considered",
    "Major Outcomes Considered",
    "Potential Benefits",
    "Potential Harms",
    "Contraindications",
    "Qualifying Statements",
    "FDA Warning/Regulatory Alert",
)

# Fields kept, under their NGC names, as metadata: the rating schemes are what the grader reads.
METADATA_FIELDS = (
    "Rating Scheme for the Strength of the Evidence",
    "Rating Scheme for the Strength of the Recommendations",
    "Methods Used to Assess the Quality and Strength of the Evidence",
    "Type of Evidence Supporting the Recommendations",
    "Bibliographic Source(s)",
    "Guideline Status",
    "Guideline Category",
    "Clinical Specialty",
    "Intended Users",
    "Date Released",
    "Guideline Developer(s)",
    "Guideline Endorser(s)",
    "Adaptation",
)

# Where the guideline's own link is most likely; any other field is tried after these.
URL_FIELDS = ("Guideline Availability", "Availability of Companion Documents", "Copyright Statement",
              "Patient Resources")

_EMPTY = {"none provided", "not stated", "none available", "not applicable", "none", "n/a",
          "no electronic copies available"}
_URL = re.compile(r"https?://[^\s\"'<>)\]]+")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DATE = re.compile(r"\b(\d{4})(?:\s+([A-Za-z]{3})[a-z]*\.?(?:\s+(\d{1,2})\b)?)?")
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
                "with", "vs", "versus", "per", "via", "without", "within", "after", "before", "during", "among",
                "between", "under", "over", "who", "is", "are", "not", "than", "that", "&"}
# A line that names a grade stays text, so the grader sees it, even when it looks like a heading.
_GRADE_LIKE = re.compile(
    r"\b(level|grade|class|category|LOE|COR)\s*[:=]?\s*([A-D]|[1-5][a-c]?|I{1,3}[a-c]?|IV|V|[1-5]\+{1,2})\b"
    r"|\[[A-D1-5I]+[^\]]{0,10}\]", re.IGNORECASE)
_GRADE_WORDS = re.compile(
    r"^(strong|weak|moderate|high|low|very low|conditional|insufficient|intermediate|good|fair|poor|optional|"
    r"expert opinion|consensus|recommended|not recommended|imperative|varies|[A-D][+-]?|I{1,3}|IV|V)"
    r"(\s+(quality|evidence|recommendation|grade))?$", re.IGNORECASE)
_TOP_LEVEL = {"definitions", "definition", "abbreviations", "references", "key", "notes"}


def heading_candidate(line: str) -> bool:
    """Title Case, short, no sentence punctuation, no grade label: 'Induction of Labour in Specific Circumstances'."""
    s = line.rstrip(" :").strip()
    if not s or len(s) > 100 or s[-1] in ".;,?!" or ":" in s:
        return False
    words = s.split()
    if len(words) > 12 or not s[0].isupper() or not any(sum(c.isalpha() for c in w) >= 3 for w in words):
        return False
    if s.count("(") != s.count(")") or words[-1].lower() in _SMALL_WORDS:
        return False
    if _GRADE_LIKE.search(s) or all(_GRADE_WORDS.match(p) for p in re.split(r"\s*[,;/]\s*", s) if p):
        return False
    for word in words[1:]:
        core = word.strip("()[]\"'“”‘’-–—/,")
        if core and core.lower() not in _SMALL_WORDS and core[0].isalpha() and core[0].islower():
            return False
    return True


def _is_prose(line: str) -> bool:
    return len(line.split()) >= 6 or line.rstrip().endswith((".", ":", "?"))


def heading_flags(lines: list[str]) -> list[bool]:
    """Which lines are headings: a run of one to three candidates that leads into prose.

    Longer runs are the header rows of tables (ACR rating tables), and a candidate followed by another short
    line is a table cell or a list item: both stay text.
    """
    candidate = [heading_candidate(line) for line in lines]
    flags = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not candidate[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and candidate[j]:
            j += 1
        if j - i <= 3 and j < len(lines) and _is_prose(lines[j]):
            flags[i:j] = [True] * (j - i)
        i = j
    return flags


def recommendation_blocks(text: str, field: str = RECOMMENDATIONS) -> list[TextBlock]:
    """Cut a recommendations text at its sub-headings; every other line is kept as printed.

    Plain text has no heading levels, so they are guessed: a run of k headings replaces the innermost k
    levels (one heading is a sibling, 'Definitions' then 'Grades of Evidence' a section and its child).
    """
    blocks: list[TextBlock] = []
    stack: list[str] = []
    run: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            blocks.append(TextBlock(path=[field, *stack], text="\n".join(lines)))
            lines.clear()

    all_lines = clean_lines(text)
    for line, is_heading in zip(all_lines, heading_flags(all_lines)):
        if is_heading:
            flush()
            run.append(line.rstrip(" :").strip())
            continue
        if run:
            if run[0].lower() in _TOP_LEVEL:
                stack = run[:3]
            else:
                stack = (stack[:max(0, len(stack) - len(run))] + run)[-3:]
            run = []
        lines.append(line)
    flush()
    return blocks


def released(value: str | None) -> str | None:
    """'2000 Jul (reaffirmed 2014 Aug 9)' → '2000-07'; a revision date wins over the first release."""
    if not value:
        return None
    revised = re.search(r"revised\s+([^)]*)", value, re.IGNORECASE)
    m = _DATE.search(revised.group(1)) if revised else None
    m = m or _DATE.search(value)
    if not m:
        return None
    year, month, day = m.group(1), _MONTHS.get((m.group(2) or "").lower()), m.group(3)
    if not month:
        return year
    if day and 1 <= int(day) <= 31:
        return f"{year}-{month:02d}-{int(day):02d}"
    return f"{year}-{month:02d}"


def developers(value: str | None) -> str | None:
    """'American Academy of Neurology - Medical Specialty Society' → 'American Academy of Neurology'."""
    if not value:
        return None
    names = [line.rsplit(" - ", 1)[0].strip() for line in value.split("\n") if line.strip()]
    return "; ".join(n for n in names if n) or None


def _useful(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = fix_mojibake(value).strip()
    return value if value and value.lower().rstrip(".") not in _EMPTY else None


def _first_url(record: dict[str, Any]) -> str | None:
    keys = [*URL_FIELDS, *(k for k in record if k not in URL_FIELDS)]
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and "http" in value:
            m = _URL.search(value)
            if m:
                return m.group().rstrip(".,;")
    return None


def read_ngc(path: Path) -> Iterator[Record]:
    """One guideline document per NGC summary; the clinical fields become blocks with their field names."""
    seen: dict[str, int] = {}
    for n, obj, encoding in json_lines(path):
        if isinstance(obj, ReadError):
            yield obj
            continue
        doc_id = as_str(obj.get("id"))
        title = _useful(obj.get("Guideline Title"))
        if doc_id is None:
            yield ReadError(path, n, "missing required field 'id'")
            continue
        if title is None:
            yield ReadError(path, n, f"guideline {doc_id!r}: missing 'Guideline Title'")
            continue
        if doc_id in seen:
            yield ReadError(path, n, f"duplicate id {doc_id!r} (first on line {seen[doc_id]})")
            continue
        seen[doc_id] = n
        blocks: list[TextBlock] = []
        for field in BLOCK_FIELDS:
            value = _useful(obj.get(field))
            if value is None:
                continue
            if field == RECOMMENDATIONS:
                blocks.extend(recommendation_blocks(value))
            else:
                blocks.append(TextBlock(path=[field], text="\n".join(clean_lines(value))))
        blocks = [b for b in blocks if b.text.strip()]
        if not blocks:
            yield ReadError(path, n, f"guideline {doc_id!r}: no recommendations or clinical text")
            continue
        metadata: dict[str, Any] = {k: v for k in METADATA_FIELDS if (v := _useful(obj.get(k))) is not None}
        if encoding not in ("utf-8", "utf-8-sig"):
            metadata["encoding"] = encoding
        yield make_document(
            path, n, id=doc_id, text=join_blocks(blocks), title=" ".join(title.split()),
            url=_first_url(obj), source=developers(_useful(obj.get("Guideline Developer(s)"))),
            doc_type=DocType.guideline, published=released(obj.get("Date Released")),
            metadata=metadata, blocks=blocks)
