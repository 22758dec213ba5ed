"""Reference numbering, in one place: composers number sources in order of first citation, the verifier
renumbers after dropping statements, a thread keeps earlier numbers, a published article starts at 1.

Every renumbering goes through `renumber`, which moves references and every citation together and drops a
citation whose reference does not exist (it could not be resolved anyway).
"""

from __future__ import annotations

from collections.abc import Iterable

from medoracle.types import Answer, Evidence, Reference, citation_key

__all__ = ["Bibliography", "renumber", "number_by_first_use", "number_from_one", "continue_numbers",
           "reference_key", "evidence_key"]


def evidence_key(ev: Evidence) -> str:
    """Which source a passage comes from: passages of one source share one reference number."""
    return citation_key(ev.url, ev.title, ev.source, ev.doc_id)


def reference_key(ref: Reference) -> str:
    return citation_key(ref.url, ref.title, ref.source, ref.doc_id)


class Bibliography:
    """The references of one answer as a composer cites them: one per source, numbered from 1 by first citation."""

    def __init__(self) -> None:
        self._refs: dict[str, Reference] = {}

    def cite(self, ev: Evidence) -> int:
        """The number of the passage's source (a new one the first time); the passage is recorded under it."""
        key = evidence_key(ev)
        ref = self._refs.get(key)
        if ref is None:
            ref = self._refs[key] = Reference(
                n=len(self._refs) + 1, doc_id=ev.doc_id, title=ev.title, url=ev.url, source=ev.source,
                published=ev.passage.published, doc_type=ev.passage.doc_type)
        if ev.passage.id not in ref.passage_ids:
            ref.passage_ids.append(ev.passage.id)
            ref.quotes.append(ev.passage.text)
        return ref.n

    def cite_all(self, evidence: Iterable[Evidence]) -> list[int]:
        """The numbers of several passages' sources, each once, in order."""
        return list(dict.fromkeys(self.cite(ev) for ev in evidence))

    def references(self) -> list[Reference]:
        return sorted(self._refs.values(), key=lambda r: r.n)


def renumber(answer: Answer, mapping: dict[int, int]) -> Answer:
    """A copy of `answer` with reference n renumbered mapping[n]; references not in `mapping` are dropped, and so
    are citations to them. Citations keep their order, each number once."""
    def remap(ns: list[int]) -> list[int]:
        return list(dict.fromkeys(mapping[n] for n in ns if n in mapping))

    sections = [sec.model_copy(update={"statements": [
        st.model_copy(update={"citations": remap(st.citations)}) for st in sec.statements]})
        for sec in answer.sections]
    refs = sorted((r.model_copy(update={"n": mapping[r.n]}) for r in answer.references if r.n in mapping),
                  key=lambda r: r.n)
    return answer.model_copy(update={"sections": sections, "references": refs,
                                     "summary_citations": remap(answer.summary_citations)})


def number_by_first_use(answer: Answer) -> Answer:
    """References no statement cites are dropped; the rest are numbered from 1 in order of first citation."""
    known = {r.n for r in answer.references}
    order: dict[int, int] = {}
    for n in list(answer.summary_citations) + [n for s in answer.statements() for n in s.citations]:
        if n in known and n not in order:
            order[n] = len(order) + 1
    return renumber(answer, order)


def number_from_one(answer: Answer) -> Answer:
    """Numbered 1, 2, 3 … in the existing order: a thread's follow-up (15, 16 …) published on its own page."""
    mapping = {r.n: i for i, r in enumerate(sorted(answer.references, key=lambda r: r.n), start=1)}
    if all(old == new for old, new in mapping.items()):
        return answer
    return renumber(answer, mapping)


def continue_numbers(answer: Answer, earlier: Iterable[Reference]) -> Answer:
    """A source cited before (in `earlier`, e.g. a thread's previous answers) keeps its number; a new one
    continues after the highest number used so far."""
    known: dict[str, int] = {}
    for ref in earlier:
        known.setdefault(reference_key(ref), ref.n)
    next_n = max(known.values(), default=0)
    mapping: dict[int, int] = {}
    for ref in sorted(answer.references, key=lambda r: r.n):
        key = reference_key(ref)
        if key not in known:
            next_n += 1
            known[key] = next_n
        mapping[ref.n] = known[key]
    return renumber(answer, mapping)
