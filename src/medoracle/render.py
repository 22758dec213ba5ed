"""Answer → JSON, Markdown and web-template context (the terminal page is `terminal.py`). Pure functions.

Document text is untrusted. Markdown output escapes `<`, `>` and `&` so a passage cannot inject HTML into a
page that renders the Markdown; the web templates rely on Jinja autoescape for the same reason.
"""

from __future__ import annotations

import re
from typing import Any

from medoracle.types import Answer, Audience, Reference, Statement, year_of

__all__ = ["to_json", "to_markdown", "template_context", "escape_md", "summary_label", "web_url"]

# Shown instead of sources in a patient's closing note and abstentions: never given citations.
_NO_SOURCE_SECTION_KEYS = {"care_team", "note"}


# ---------------------------------------------------------------- JSON


def _grade_norm(st: Statement) -> dict[str, Any] | None:
    g = st.grade_norm
    if g is None:
        return None
    return {"printed": g.printed, "scheme": g.scheme, "strength": g.strength, "certainty": g.certainty}


def _reference_json(ref: Reference) -> dict[str, Any]:
    return {"n": ref.n, "doc_id": ref.doc_id, "title": ref.title, "url": ref.url, "source": ref.source,
            "published": ref.published, "doc_type": ref.doc_type.value}


def to_json(answer: Answer, qid: str | None = None, *, explain: bool = False) -> dict[str, Any]:
    """The stable JSON contract of DESIGN.md (keys may be added, never renamed).

    With `qid` the result is the `ask --json` line: `{"qid", "answer": {...}}`; without, the answer object.
    A statement carries `applies_to` when its source says whom it is for; with `explain`, also `why`, and the
    answer `understood` (how the question was read: conditions, population, intents …).
    """
    body: dict[str, Any] = {
        "question": answer.question,
        "summary": answer.summary,
        "summary_grade": answer.summary_grade,
        "sections": [
            {"title": sec.title,
             "key": sec.key,
             "statements": [_statement_json(st, explain) for st in sec.statements]}
            for sec in answer.sections
        ],
        "references": [_reference_json(r) for r in answer.references],
        "follow_ups": list(answer.follow_ups),
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "summary_citations": list(answer.summary_citations),
        "audience": answer.audience.value,
        "thread_id": answer.thread_id,
        "resolved_question": answer.resolved_question,
        "notes": list(answer.notes),
        "gaps": list(answer.gaps),
        "timings": dict(answer.timings),
    }
    if explain and answer.understood is not None:
        body["understood"] = answer.understood.model_dump(mode="json", exclude_defaults=True)
    if qid is None:
        return body
    return {"qid": qid, "answer": body}


def _statement_json(st: Statement, explain: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"text": st.text, "citations": list(st.citations), "grade": st.grade,
                           "grade_norm": _grade_norm(st)}
    if st.applies_to:
        out["applies_to"] = st.applies_to
    if explain and st.why:
        out["why"] = st.why
    return out


def explain_lines(answer: Answer) -> list[str]:
    """For `ask --explain`: how the question was read, then why each statement was chosen and whom it is for."""
    lines: list[str] = []
    q = answer.understood
    if q is not None:
        lines.append(f"Read as: {q.search_text}")
        bits = [f"conditions: {', '.join(q.conditions) or '—'}", f"intent: {', '.join(q.intents) or '—'}"]
        if not q.population.is_empty():
            bits.append("population: " + ", ".join(f"{k}={v}" for k, v in
                                                   q.population.model_dump(exclude_defaults=True).items()))
        if q.drugs:
            bits.append(f"drugs: {', '.join(q.drugs)}")
        if q.comparison:
            bits.append(f"comparison: {q.comparison[0]} vs {q.comparison[1]}")
        if q.corrections:
            bits.append("read " + ", ".join(f"{a!r} as {b!r}" for a, b in q.corrections.items()))
        lines.append("; ".join(bits))
    for sec in answer.sections:
        for st in sec.statements:
            lines.append(f"[{sec.title}] {st.text[:70]}… — {st.why or 'chosen'}"
                         + (f"; applies to {st.applies_to}" if st.applies_to and not st.why else ""))
    return lines


# ---------------------------------------------------------------- Markdown

_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_md(text: str | None) -> str:
    """Neutralise raw HTML in untrusted text; Markdown renderers pass `&lt;` through as a literal `<`."""
    if not text:
        return ""
    return re.sub(r"[&<>]", lambda m: _MD_ESCAPES[m.group(0)], text)


def _markers(citations: list[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


def _reference_line(ref: Reference) -> str:
    title = (ref.title or ref.doc_id).rstrip(". ")  # the line adds its own full stops
    parts = [f"**{escape_md(title)}**"]
    if ref.source:
        parts.append(escape_md(ref.source))
    year = year_of(ref.published)
    if year:
        parts.append(str(year))
    line = f"{ref.n}. " + ". ".join(parts) + "."
    if web_url(ref.url):
        line += f" <{web_url(ref.url)}>"
    return line


def web_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link; document metadata may hold `javascript:` or worse, which must
    never become a link."""
    if url and re.match(r"^https?://[^\s<>\"']+$", url.strip()):
        return url.strip()
    return None


def summary_label(answer: Answer) -> str:
    """What the bottom line is called for this reader."""
    return "What this means for you" if answer.audience is Audience.patient else "Bottom line"


def to_markdown(answer: Answer) -> str:
    """Markdown with a bottom line, sections of bullet statements ending in [n] markers, and references."""
    out: list[str] = [f"# {escape_md(answer.question)}", ""]
    if answer.resolved_question:  # a follow-up, read in the light of its thread
        out += [f"*Answered as: {escape_md(answer.resolved_question)}*", ""]
    if answer.abstained:
        out += ["> **No answer.** Nothing could be said that the sources support with citations.", ""]
        if answer.abstain_reason:
            out += [f"Reason: {escape_md(answer.abstain_reason)}", ""]
        for note in answer.notes:
            out += [f"*{escape_md(note)}*", ""]
        return "\n".join(out).rstrip() + "\n"
    if answer.summary:
        marks = _markers(answer.summary_citations)
        grade = f" *({escape_md(answer.summary_grade)})*" if answer.summary_grade else ""
        out += [f"**{summary_label(answer)}:** {escape_md(answer.summary)}{(' ' + marks) if marks else ''}{grade}", ""]
    for sec in answer.sections:
        out += [f"## {escape_md(sec.title)}", ""]
        for st in sec.statements:
            line = f"- {escape_md(st.text)}"
            if st.citations:
                line += " " + _markers(st.citations)
            if st.grade:
                line += f" *({escape_md(st.grade)})*"
            out.append(line)
        out.append("")
    for note in answer.notes:
        out += [f"*{escape_md(note)}*", ""]
    if answer.references:
        out += ["## References", ""]
        out += [_reference_line(r) for r in answer.references]
        out.append("")
    if answer.follow_ups:
        out += ["## Follow-up questions", ""]
        out += [f"- {escape_md(q)}" for q in answer.follow_ups]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- terminal (rich)


# ---------------------------------------------------------------- web template context


def _ref_anchor(n: int) -> str:
    return f"ref-{n}"


def template_context(answer: Answer) -> dict[str, Any]:
    """Plain data for the Jinja templates (autoescaped there): sections, citation links, anchored references."""
    known = {r.n for r in answer.references}

    def cites(ns: list[int]) -> list[dict[str, Any]]:
        return [{"n": n, "href": f"#{_ref_anchor(n)}"} for n in ns if n in known]

    sections = []
    for sec in answer.sections:
        sections.append({
            "key": sec.key,
            "title": sec.title,
            "anchor": f"sec-{sec.key}",
            "sourced": sec.key not in _NO_SOURCE_SECTION_KEYS,
            "statements": [{"text": st.text, "citations": cites(st.citations), "grade": st.grade,
                            "strength": st.grade_norm.strength if st.grade_norm else None,
                            "certainty": st.grade_norm.certainty if st.grade_norm else None}
                           for st in sec.statements],
        })
    references = []
    for r in answer.references:
        year = year_of(r.published)
        references.append({
            "n": r.n, "anchor": _ref_anchor(r.n), "doc_id": r.doc_id, "title": r.title or r.doc_id,
            "source": r.source or "", "year": year, "published": r.published,
            "url": web_url(r.url), "doc_type": r.doc_type.value,
            "quotes": list(r.quotes),
        })
    return {
        "question": answer.question,
        "resolved_question": answer.resolved_question,
        "summary": answer.summary,
        "summary_label": summary_label(answer),
        "summary_grade": answer.summary_grade,
        "summary_citations": cites(answer.summary_citations),
        "sections": sections,
        "references": references,
        "follow_ups": list(answer.follow_ups),
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "audience": answer.audience.value,
        "thread_id": answer.thread_id,
        "notes": list(answer.notes),
        "gaps": list(answer.gaps),
        "timings": dict(answer.timings),
    }
