"""Population and condition-focus tagging at ingest: whom each passage speaks of, what each document is about.

The population extractor is the question's own (`medoracle.understand.population`), so a passage headed "In
children" and a question about adults meet on one scale. Tags live in the document's metadata JSON (no schema
change): `focus` (condition phrases: knowledge-base topic and aliases, MedQuAD `focus`, MeSH terms, NGC
"Disease/Condition(s)", the title), `applies_to` (the document's declared population) and
`passage_populations` (passage position → population, for passages whose heading or text names one).
Databases ingested before this still work: `focus_of` and `population_of` derive the same from what they hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medoracle.types import Document, Passage, Population
from medoracle.understand.population import extract, merge

__all__ = ["focus_of", "passage_population", "population_of", "tag_document"]

_CONDITION_BLOCKS = ("Disease/Condition(s)",)
_MAX_FOCUS = 12


def focus_of(title: str | None, metadata: Mapping[str, Any]) -> list[str]:
    """The conditions a document is about, most specific first; [] when it says nothing."""
    stored = metadata.get("focus_terms")
    if isinstance(stored, list):
        return [str(s) for s in stored]
    found: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str) and value.strip():
            found.append(" ".join(value.split()))
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(v)

    # A card's own title first: "Bone-targeted therapy in multiple myeloma" is about myeloma, whatever its topic.
    for key in ("card_title", "topic_title", "topic", "aliases", "topic_aliases", "focus", "mesh", "conditions"):
        add(metadata.get(key))
    if isinstance(metadata.get("topic"), str):
        found.append(metadata["topic"].replace("-", " "))
    add(title)
    return list(dict.fromkeys(found))[:_MAX_FOCUS * 3]


def population_of(title: str | None, metadata: Mapping[str, Any]) -> Population:
    """The population a whole document declares (a card's `population`, else its title)."""
    stored = metadata.get("applies_to")
    if isinstance(stored, dict):
        try:
            return Population.model_validate(stored)
        except ValueError:
            pass
    declared = metadata.get("population")
    if isinstance(declared, str) and declared.strip():
        # A card's own population is more specific than its guideline's title ("COPD in over 16s").
        return merge(extract(declared), extract(str(metadata.get("card_title") or "")))
    return extract(title or "")


def passage_population(passage: Passage, document: Population,
                       stored: Mapping[str, Any] | None = None) -> Population:
    """Whom a passage speaks of: its heading path, over its document's declared population."""
    if stored is not None:
        raw = stored.get(str(passage.position))
        if isinstance(raw, dict):
            try:
                return merge(Population.model_validate(raw), document)
            except ValueError:
                pass
    return merge(extract(passage.section), document)


def tag_document(doc: Document, passages: Sequence[Passage]) -> None:
    """Record focus and populations in `doc.metadata` (in place) before the document is stored."""
    conditions = [b.text for b in doc.blocks if b.path and b.path[-1] in _CONDITION_BLOCKS]
    focus = focus_of(doc.title, {**doc.metadata, "conditions": conditions[:1]})
    doc.metadata["focus_terms"] = focus
    declared = population_of(doc.title, doc.metadata)
    if not declared.is_empty():
        doc.metadata["applies_to"] = declared.model_dump(exclude_defaults=True)
    tagged = {}
    for p in passages:
        own = extract(p.section)
        if not own.is_empty():
            tagged[str(p.position)] = own.model_dump(exclude_defaults=True)
    if tagged:
        doc.metadata["passage_populations"] = tagged
