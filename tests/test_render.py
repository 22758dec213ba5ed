"""render: the JSON contract, Markdown with citations and escaping, template context; the terminal page."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from medoracle.render import escape_md, template_context, to_json, to_markdown
from medoracle.terminal import to_terminal
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


def _page(answer: Answer, width: int = 80, **kw) -> list[str]:
    buf = io.StringIO()
    to_terminal(answer, Console(file=buf, width=width, color_system=None), **kw)
    return buf.getvalue().splitlines()


def _long_answer() -> Answer:
    a = spinal_answer()
    a.sections[1].statements[0].text = ("In adults with painful uncomplicated bone metastases, a single fraction of "
                                        "8 Gy relieves pain as well as longer courses of radiotherapy and is more "
                                        "convenient for patients, although retreatment is needed more often.")
    a.sections[1].statements[0].grade = "I, A"
    a.references[0].url = "https://www.astro.org/patient-care-and-research/clinical-practice-statements/" \
                          "clinical-practice-guidelines/bone-metastases-palliative-radiotherapy-update"
    return a


@pytest.mark.parametrize("width", [50, 64, 80, 100])
def test_terminal_page_wraps_like_a_page(width):
    lines = _page(_long_answer(), width)
    url = _long_answer().references[0].url
    assert all(line == line.rstrip() for line in lines), "no line ends in a space"
    assert all(len(line) <= width or url in line for line in lines)
    bullet = next(i for i, line in enumerate(lines) if line.startswith("  • In adults"))
    # every wrapped line of the bullet hangs under its text, not at column 0
    follow = lines[bullet + 1:]
    cont = follow[:next(i for i, line in enumerate(follow) if not line.startswith("    "))]
    assert cont and all(line.startswith("    ") and not line.startswith("     ") for line in cont)
    text = " ".join(line.strip() for line in [lines[bullet], *cont])
    assert "(I, A)" in text and "[1][3] (I, A)" in text  # the grade is never split, and stays with its citation
    assert not any(line.strip().startswith(("[1][3]", "(I, A)")) for line in lines)
    assert any(line.strip() == url or line.endswith(url) for line in lines)  # the link is whole
    assert "  • What if the spine was irradiated before?" in lines and "  ? " not in "\n".join(lines)
    references = lines.index("References")
    assert lines[references - 1] == ""


def test_brief_view_keeps_the_bottom_line_and_the_cited_sources_only():
    a = _long_answer()
    a.sections[0].statements += [Statement(text=f"Extra assessment point {i}.", citations=[2]) for i in range(12)]
    full, brief = _page(a), _page(a, brief=True)
    assert len(brief) < len(full)
    assert any(line.startswith("Bottom line:") for line in brief)
    assert sum(line.startswith("  • ") for line in brief) - 1 == 5  # five statements and one follow-up
    assert any("statements shown" in line for line in brief)
    assert any("First-line treatment" == line for line in brief)  # every section keeps its lead statement


def test_abstention_explains_itself_and_offers_rephrasings():
    a = Answer(question="gout?", abstained=True, abstain_reason="the library has no card about gout.",
               follow_ups=["What is the first-line treatment for an acute gout flare?"])
    lines = _page(a)
    assert lines[2].startswith("No answer: the library has no card about gout.")
    assert "Try asking" in lines
    from medoracle.types import Gap
    a.gap = Gap(looked_for="the management of gout", library="The library holds 3 documents.",
                topics=["asthma", "gout flares"], rephrasings=["What is the management of gout flares?",
                                                              "What tests are used to diagnose gout?"])
    lines = _page(a)
    assert "Looked for: The management of gout." in lines and "The library holds 3 documents." in lines
    tries = lines[lines.index("Try asking") + 1:]
    assert tries == ["  • What is the management of gout flares?", "  • What tests are used to diagnose gout?"]
    assert "Topics: asthma, gout flares." in lines and "medoracle kb lists them." in _page(a, brief=True)


def test_a_number_keeps_its_unit_on_its_line():
    a = _long_answer()
    a.sections[1].statements[0].text = "ASTRO recommends 8 Gy in 1 fraction, 16 Gy in 2 fractions, 20 Gy in 5 " \
                                       "fractions or 30 Gy in 10 fractions for most patients with MSCC."
    for width in (40, 50, 60, 72, 80):
        lines = _page(a, width)
        pairs = zip(lines, lines[1:])
        assert not any(re.search(r"\d$", a) and re.match(r"\s*(Gy|fractions?)\b", b) for a, b in pairs), lines


def test_a_grade_written_out_in_words_wraps_by_word_and_keeps_its_first_word_with_the_citation():
    a = _long_answer()
    a.sections[1].statements[0].grade = "Strength of recommendation: strong; Quality of evidence: high"
    lines = _page(a, 80)
    url = a.references[0].url
    assert all(len(line) <= 80 or url in line for line in lines)
    assert any("[1][3] (Strength" in line for line in lines)
    assert not any(line.strip().startswith(("[1][3]", "(Strength")) for line in lines)
