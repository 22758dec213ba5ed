"""The one numbering routine: first use, a thread's numbers, a standalone page, and a composer's bibliography."""

from __future__ import annotations

from medoracle.compose.references import Bibliography, continue_numbers, number_by_first_use, number_from_one, renumber
from medoracle.types import Answer, DocType, Evidence, Passage, Reference, Section, Statement


def ref(n: int, doc: str) -> Reference:
    return Reference(n=n, doc_id=doc, title=f"T {doc}", url=f"https://example.org/{doc}")


def answer(summary_citations: list[int], *citations: list[int], refs: list[Reference]) -> Answer:
    statements = [Statement(text=f"s{i}", citations=c) for i, c in enumerate(citations)]
    return Answer(question="q", summary="b", summary_citations=summary_citations,
                  sections=[Section(key="first_line", title="First", statements=statements)], references=refs)


def numbers(a: Answer) -> tuple[list[int], list[list[int]], list[tuple[int, str]]]:
    return a.summary_citations, [s.citations for s in a.statements()], [(r.n, r.doc_id) for r in a.references]


def test_first_use_drops_uncited_and_numbers_from_one():
    a = answer([3], [1, 3], [9], refs=[ref(1, "a"), ref(2, "b"), ref(3, "c")])
    assert numbers(number_by_first_use(a)) == ([1], [[2, 1], []], [(1, "c"), (2, "a")])


def test_renumber_moves_citations_with_references_and_drops_unknown():
    a = answer([1], [2, 1, 2], refs=[ref(1, "a"), ref(2, "b")])
    assert numbers(renumber(a, {1: 5, 2: 4})) == ([5], [[4, 5]], [(4, "b"), (5, "a")])
    assert numbers(renumber(a, {2: 1})) == ([], [[1]], [(1, "b")])


def test_a_thread_keeps_its_numbers_and_a_page_starts_at_one():
    earlier = [ref(1, "a"), ref(2, "b")]
    follow_up = answer([1], [2], refs=[ref(1, "c"), ref(2, "b")])
    threaded = continue_numbers(follow_up, earlier)
    assert numbers(threaded) == ([3], [[2]], [(2, "b"), (3, "c")])
    assert numbers(number_from_one(threaded)) == ([2], [[1]], [(1, "b"), (2, "c")])


def test_bibliography_gives_one_number_per_source_in_order_of_citation():
    def ev(pid: str, doc: str) -> Evidence:
        return Evidence(passage=Passage(id=pid, doc_id=doc, text=f"text {pid}", doc_type=DocType.guideline),
                        title=f"T {doc}", url=f"https://example.org/{doc}")

    b = Bibliography()
    assert b.cite_all([ev("x#0", "x"), ev("y#0", "y"), ev("x#1", "x")]) == [1, 2]
    assert b.cite(ev("z#0", "z")) == 3
    refs = b.references()
    assert [(r.n, r.doc_id, r.passage_ids) for r in refs] == [(1, "x", ["x#0", "x#1"]), (2, "y", ["y#0"]),
                                                             (3, "z", ["z#0"])]
