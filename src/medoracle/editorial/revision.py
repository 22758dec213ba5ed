"""An editor's revision of an article: edited sentences checked like composed ones, and the word diff reviewers read.

`mark_revision` runs every new or changed sentence (bottom line included) through `medoracle.verify` against
the passages its citations point to, and marks it with who wrote it and, when no cited passage carries it,
why: such a sentence is the editor's own words, and the page and review screen say so. Unchanged sentences
keep the marks they had, so a mark stays until the sentence is rewritten or re-cited. Marks sent in by a
client are never trusted: every sentence's marks are recomputed here.

`hold_to_article` keeps what only the evidence may say (sources, their quotes, grades, patient wording) from
being rewritten by a client. `changes` lists which sentences differ between two versions, each with a word-level diff.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from medoracle.errors import BadInput
from medoracle.types import Answer, Evidence, Passage, Reference, Section, Statement
from medoracle.verify import verify

MAX_SENTENCE = 2000  # characters in one statement or bottom line: a sentence, not a page


class PassageSource(Protocol):
    """Where cited passages are read from (an evidence `Store`)."""

    def passages(self, ids: Sequence[str]) -> list[Passage]: ...


@dataclass(frozen=True)
class Check:
    written_by: str | None
    unsupported: str | None
    support: float | None


def _key(text: str, citations: Sequence[int]) -> tuple[str, tuple[int, ...]]:
    return " ".join(text.split()), tuple(citations)


def _cited(answer: Answer) -> Callable[[str, Sequence[int]], tuple[str, tuple[str, ...]]]:
    """A sentence's key by the documents it cites, not their numbers: renumbering the references must not let a
    sentence keep marks (or a grade) earned with another source."""
    docs = {r.n: r.doc_id for r in answer.references}

    def key(text: str, citations: Sequence[int]) -> tuple[str, tuple[str, ...]]:
        return " ".join(text.split()), tuple(docs.get(n, f"#{n}") for n in citations)

    return key


def _checker(answer: Answer, source: PassageSource | None):
    refs = {r.n: r for r in answer.references}
    texts: dict[str, str] = {}

    def evidence_for(cited: Sequence[int]) -> tuple[list[Reference], list[Evidence]]:
        mini_refs, evidence = [], []
        for n in dict.fromkeys(cited):
            ref = refs.get(n)
            if ref is None:
                continue
            ids = list(ref.passage_ids)
            missing = [p for p in ids if p not in texts]
            if missing and source is not None:
                for p in source.passages(missing):
                    texts[p.id] = p.text
            # The quoted passages stored with the reference stand in for passages no longer in the store.
            for i, quote in enumerate(ref.quotes):
                texts.setdefault(f"{ref.doc_id}#quote{i}", quote)
                ids.append(f"{ref.doc_id}#quote{i}")
            ids = [p for p in dict.fromkeys(ids) if p in texts]
            mini_refs.append(ref.model_copy(update={"passage_ids": ids}))
            evidence += [Evidence(passage=Passage(id=p, doc_id=ref.doc_id, text=texts[p])) for p in ids]
        return mini_refs, evidence

    def check(text: str, cited: Sequence[int], editor: str) -> Check:
        mini_refs, evidence = evidence_for(cited)
        probe = Answer(question=answer.question, references=mini_refs, sections=[
            Section(key="edit", title="edit", statements=[Statement(text=text, citations=list(cited))])])
        checked = verify(probe, evidence)
        if checked.dropped:
            return Check(editor, checked.dropped[0].reason, None)
        kept = checked.statements()
        return Check(editor, None, kept[0].support if kept else None)

    return check


class UnknownSource(BadInput):
    """An edit that cites a document the article does not."""


def hold_to_article(previous: Answer, revised: Answer) -> Answer:
    """A client's revision with what only the evidence may say taken from the article, never from the client.

    An editor writes sentences and chooses which of the article's references each cites (renumbered, dropped
    or re-cited at will). Everything else is the article's: each reference's title, link, passages and quoted
    text (by `doc_id`; a document the article does not cite is refused, since a reference sent with its own
    quote would "support" any sentence), the question, audience, follow-ups and notes. A sentence kept as it
    was (same text and citations) keeps everything it had; a new or changed one keeps a grade only when an
    earlier sentence citing the same references printed it, cites only its references' passages, and loses
    the patient wording and population that were checked for the old text.
    """
    known = {r.doc_id: r for r in previous.references}
    references = []
    for ref in revised.references:
        stored = known.get(ref.doc_id)
        if stored is None:
            raise UnknownSource(f"reference {ref.n} ({ref.doc_id!r}) is not one of the article's sources: an edit "
                                "may re-cite, renumber or drop the article's references, not add new ones "
                                "(re-answer the question to bring in new evidence)")
        references.append(stored.model_copy(update={"n": ref.n}))
    passages = {r.n: r.passage_ids for r in references}
    old_key, new_key = _cited(previous), _cited(revised)
    kept = {old_key(st.text, st.citations): st for st in previous.statements()}
    grades: dict[tuple[tuple[str, ...], str], Statement] = {}
    for st in previous.statements():
        if st.grade:
            grades.setdefault((old_key("", st.citations)[1], st.grade), st)

    def hold(st: Statement) -> Statement:
        same = kept.get(new_key(st.text, st.citations))
        if same is not None:
            return same.model_copy(update={"citations": list(st.citations)})  # renumbered, same documents
        graded = grades.get((new_key("", st.citations)[1], st.grade or ""))
        allowed = [p for n in dict.fromkeys(st.citations) for p in passages.get(n, [])]
        return Statement(text=st.text, citations=list(st.citations), facet=st.facet,
                         grade=graded.grade if graded else None, grade_norm=graded.grade_norm if graded else None,
                         passage_ids=[p for p in st.passage_ids if p in allowed] or allowed)

    sections = [sec.model_copy(update={"statements": [hold(st) for st in sec.statements]})
                for sec in revised.sections]
    same_summary = new_key(revised.summary, revised.summary_citations) == old_key(previous.summary,
                                                                                 previous.summary_citations)
    return previous.model_copy(update={
        "summary": revised.summary, "summary_citations": list(revised.summary_citations),
        "summary_grade": previous.summary_grade if same_summary else None,
        "summary_plain": previous.summary_plain if same_summary else None,
        "sections": sections, "references": references})


def mark_revision(previous: Answer, revised: Answer, editor: str, source: PassageSource | None = None) -> Answer:
    """`revised` with every sentence's marks set: carried over when unchanged, checked when new or changed."""
    before: dict[tuple[str, tuple[str, ...]], Check] = {}
    old_key, new_key = _cited(previous), _cited(revised)
    for st in previous.statements():
        before.setdefault(old_key(st.text, st.citations), Check(st.written_by, st.unsupported, st.support))
    if previous.summary:
        before.setdefault(old_key(previous.summary, previous.summary_citations),
                          Check(previous.summary_written_by, previous.summary_unsupported, None))
    check = _checker(revised, source)

    def marks(text: str, cited: Sequence[int]) -> Check:
        return before.get(new_key(text, cited)) or check(text, cited, editor)

    sections = []
    for sec in revised.sections:
        statements = []
        for st in sec.statements:
            m = marks(st.text, st.citations)
            statements.append(st.model_copy(update={"written_by": m.written_by, "unsupported": m.unsupported,
                                                    "support": m.support}))
        sections.append(sec.model_copy(update={"statements": statements}))
    summary = (marks(revised.summary, revised.summary_citations) if revised.summary.strip()
               else Check(None, None, None))
    return revised.model_copy(update={"sections": sections, "summary_written_by": summary.written_by,
                                      "summary_unsupported": summary.unsupported})


# -- what changed ------------------------------------------------------------------------------------
_WORD = re.compile(r"\S+\s*")


@dataclass
class Change:
    """One sentence added, removed or changed between two versions, with its word diff."""

    where: str  # the section title, or "Bottom line"
    kind: str  # added | removed | changed | recited
    old: str
    new: str
    words: list[tuple[str, str]] = field(default_factory=list)  # (same|add|del, text)
    old_citations: list[int] = field(default_factory=list)
    new_citations: list[int] = field(default_factory=list)
    written_by: str | None = None
    unsupported: str | None = None


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(same|add|del, text) runs that turn `old` into `new`, word by word (spaces kept with their words)."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    out: list[tuple[str, str]] = []
    # Words are compared without their trailing space, so a sentence's last word still matches once more
    # text follows it.
    matcher = difflib.SequenceMatcher(a=[w.rstrip() for w in a], b=[w.rstrip() for w in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("add", "".join(b[j1:j2])))
    return out


def _rows(answer: Answer) -> list[tuple[str, Statement]]:
    rows = [("Bottom line", Statement(text=answer.summary, citations=answer.summary_citations,
                                      written_by=answer.summary_written_by,
                                      unsupported=answer.summary_unsupported))] if answer.summary else []
    return rows + [(sec.title, st) for sec in answer.sections for st in sec.statements]


def changes(old: Answer, new: Answer) -> list[Change]:
    """Every sentence that differs from `old` to `new`, in the new version's order (removed ones where they were)."""
    a, b = _rows(old), _rows(new)
    keys_a = [(w, _key(s.text, s.citations)) for w, s in a]
    keys_b = [(w, _key(s.text, s.citations)) for w, s in b]
    out: list[Change] = []
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            o = olds[k][1] if k < len(olds) else None
            n = news[k][1] if k < len(news) else None
            where = (news[k] if n is not None else olds[k])[0]
            if o is None and n is not None:
                out.append(Change(where, "added", "", n.text, [("add", n.text)], [], n.citations, n.written_by,
                                  n.unsupported))
            elif n is None and o is not None:
                out.append(Change(where, "removed", o.text, "", [("del", o.text)], o.citations, []))
            elif o is not None and n is not None:
                kind = "recited" if _key(o.text, [])[0] == _key(n.text, [])[0] else "changed"
                out.append(Change(where, kind, o.text, n.text, word_diff(o.text, n.text), o.citations,
                                  n.citations, n.written_by, n.unsupported))
    return out
