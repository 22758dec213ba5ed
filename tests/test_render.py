"""render: the JSON contract, Markdown with citations and escaping, the rich terminal view, template context."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from medoracle.render import escape_md, template_context, to_json, to_markdown, to_terminal
from medoracle.types import Answer, Audience, DocType, Grade, Reference, Section, Statement


def spinal_answer() -> Answer:
    return Answer(
        question="What are the management options for spinal metastasis?",
        summary="External beam radiotherapy is the first-line treatment for painful spinal metastases.",
        summary_citations=[1],
        sections=[
            Section(key="assessment", title="Assessment and diagnosis", statements=[
                Statement(text="MRI of the whole spine is the imaging of choice for suspected spinal cord "
                               "compression.", citations=[2])]),
            Section(key="first_line", title="First-line treatment", statements=[
                Statement(text="A single fraction of 8 Gy relieves pain as well as longer courses.",
                          citations=[1, 3], grade="Grade 1A",
                          grade_norm=Grade(printed="Grade 1A", scheme="GRADE", strength="strong",
                                           certainty="high"))]),
        ],
        references=[
            Reference(n=1, doc_id="astro-bone-2017", title="Palliative radiation therapy for bone metastases",
                      url="https://example.org/astro", source="ASTRO", published="2017-03-01",
                      doc_type=DocType.guideline),
            Reference(n=2, doc_id="nice-ng234", title="Spinal metastases and MSCC", source="NICE",
                      published="2023", url="https://www.nice.org.uk/guidance/ng234", doc_type=DocType.guideline),
            Reference(n=3, doc_id="pmid:1", title="A trial", source="Journal", published=None,
                      url="javascript:alert(1)", doc_type=DocType.trial),
        ],
        follow_ups=["What if the spine was irradiated before?"],
    )


def test_json_contract_keys_and_values():
    doc = to_json(spinal_answer())
    for key in ("question", "summary", "sections", "references", "follow_ups", "abstained"):
        assert key in doc
    assert doc["abstained"] is False
    sec = doc["sections"][1]
    assert set(sec) >= {"title", "statements"}
    st = sec["statements"][0]
    assert set(st) >= {"text", "citations", "grade"}
    assert st["citations"] == [1, 3] and st["grade"] == "Grade 1A"
    assert st["grade_norm"]["strength"] == "strong"
    ref = doc["references"][0]
    assert set(ref) >= {"n", "doc_id", "title", "url", "source", "published", "doc_type"}
    assert ref["doc_type"] == "guideline" and ref["n"] == 1
    cited = {n for s in doc["sections"] for st in s["statements"] for n in st["citations"]}
    assert cited <= {r["n"] for r in doc["references"]}


def test_json_with_qid_wraps_the_answer():
    line = to_json(spinal_answer(), qid="q7")
    assert line["qid"] == "q7" and line["answer"]["question"].startswith("What are")


def test_json_is_serialisable():
    import json
    assert json.loads(json.dumps(to_json(spinal_answer())))["references"][1]["source"] == "NICE"


def test_markdown_has_bottom_line_sections_markers_grades_and_references():
    md = to_markdown(spinal_answer())
    assert md.startswith("# What are the management options for spinal metastasis?")
    assert "**Bottom line:** External beam radiotherapy" in md and "[1]" in md
    assert "## First-line treatment" in md
    assert "- A single fraction of 8 Gy relieves pain as well as longer courses. [1][3] *(Grade 1A)*" in md
    assert "## References" in md
    assert "1. **Palliative radiation therapy for bone metastases**. ASTRO. 2017. <https://example.org/astro>" in md
    # A javascript: URL from document metadata never becomes a link.
    assert "javascript:" not in md


def test_markdown_escapes_html_from_documents():
    a = spinal_answer()
    a.sections[0].statements[0].text = "Give <script>alert('x')</script> & rest."
    a.references[0].title = "<img src=x onerror=alert(1)>"
    md = to_markdown(a)
    assert "<script>" not in md and "<img" not in md
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; rest." in md
    assert escape_md("a < b > c & d") == "a &lt; b &gt; c &amp; d"


def test_markdown_abstention_is_explicit():
    a = Answer(question="What is the capital of France?", abstained=True,
               abstain_reason="no passage about this question")
    md = to_markdown(a)
    assert "No answer" in md and "no passage about this question" in md
    assert "## References" not in md
    assert to_json(a)["abstained"] is True and to_json(a)["abstain_reason"] == "no passage about this question"


def test_patient_answer_is_labelled_what_this_means_for_you():
    a = spinal_answer().model_copy(update={"audience": Audience.patient})
    assert "**What this means for you:**" in to_markdown(a)
    assert template_context(a)["summary_label"] == "What this means for you"


def test_terminal_rendering_shows_citations_grades_and_reference_table():
    buf = io.StringIO()
    console = Console(file=buf, width=160, color_system=None)
    to_terminal(spinal_answer(), console)
    out = buf.getvalue()
    assert "Bottom line" in out and "[1][3]" in out and "(Grade 1A)" in out
    assert "References" in out and "ASTRO" in out and "2017" in out


def test_terminal_does_not_interpret_markup_in_document_text():
    a = spinal_answer()
    a.sections[0].statements[0].text = "[bold red]not markup[/bold red]"
    buf = io.StringIO()
    to_terminal(a, Console(file=buf, width=160, color_system=None))
    assert "[bold red]not markup[/bold red]" in buf.getvalue()


def test_template_context_links_citations_to_reference_anchors():
    ctx = template_context(spinal_answer())
    st = ctx["sections"][1]["statements"][0]
    assert [c["href"] for c in st["citations"]] == ["#ref-1", "#ref-3"]
    assert ctx["references"][0]["anchor"] == "ref-1" and ctx["references"][0]["year"] == 2017
    assert ctx["references"][2]["url"] is None  # unsafe URL dropped
    assert st["strength"] == "strong"


@pytest.mark.parametrize("bad", [[99]])
def test_template_context_drops_citations_to_unknown_references(bad):
    a = spinal_answer()
    a.sections[0].statements[0].citations = bad
    assert template_context(a)["sections"][0]["statements"][0]["citations"] == []


def test_a_follow_up_says_how_it_was_read():
    from medoracle.render import to_markdown
    from medoracle.types import Answer

    a = Answer(question="and the dose?", resolved_question="Spinal metastasis: and the dose?", abstained=True,
               abstain_reason="nothing found")
    assert "*Answered as: Spinal metastasis: and the dose?*" in to_markdown(a)
