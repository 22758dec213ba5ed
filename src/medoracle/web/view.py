"""What the templates and the JSON views show: pure functions from articles and answers to plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from medoracle.editorial.users import User
from medoracle.render import template_context, to_json, web_url
from medoracle.types import Answer, Article, ArticleStatus, Audience

S = ArticleStatus

AUDIENCES = [
    ("clinician", "Healthcare professional", "Technical language, as in the guidelines."),
    ("student", "Medical student", "The same answer, with terms and abbreviations explained."),
    ("patient", "Patient or caregiver", "Plain language, with what it means for you."),
]

STATUS_LABELS = {
    S.submitted: "Submitted", S.under_review: "Under review", S.changes_requested: "Changes requested",
    S.approved: "Approved", S.rejected: "Rejected", S.retracted: "Retracted",
}

DISCLAIMERS = {
    "clinician": ("Professional medical disclaimer",
                  "This page is meant for healthcare professionals and supports, but never replaces, clinical "
                  "judgement. Check every statement against the cited source and current local practice before "
                  "acting on it for a patient. The software and its authors accept no liability for clinical "
                  "decisions based on it."),
    "student": ("Educational disclaimer",
                "This page is a study aid built from published guidelines. It is not a substitute for your "
                "teachers, your clinical supervisors or the primary sources it cites."),
    "patient": ("Important",
                "This page explains what published medical guidance says. It is not medical advice for you. "
                "Talk to your doctor, nurse or pharmacist before you change any treatment, and get urgent help "
                "if you feel very unwell."),
}


def parse_audience(value: str | None, default: str = "clinician") -> Audience:
    try:
        return Audience((value or default).strip().lower())
    except ValueError:
        return Audience(default)


def sentence(message: str) -> str:
    """'the question is empty' → 'The question is empty.': the core's messages are lower-case clauses."""
    message = str(message).strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message[-1] in ".!?" else message + "."


def long_date(iso: str | None) -> str:
    """'2025-09-13T…' → 'September 13, 2025' (as on the example page)."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:10]
    return f"{when:%B} {when.day}, {when.year}"


def status_steps(status: ArticleStatus) -> list[dict[str, str]]:
    """The three steps of the review bar, each done / current / todo."""
    reached = {S.submitted: 0, S.under_review: 1, S.changes_requested: 1, S.approved: 2,
               S.rejected: 1, S.retracted: -1}[status]
    labels = ["Submitted", "Under Review", "Approved"]
    steps = []
    for i, label in enumerate(labels):
        state = "done" if i < reached or (i == reached == 2) else "current" if i == reached else "todo"
        if i == 1 and status in (S.changes_requested, S.rejected):
            label = STATUS_LABELS[status]
        steps.append({"label": label, "state": state})
    return steps


def answer_view(answer: Answer) -> dict[str, Any]:
    """render.template_context plus the first quote of each reference for citation hover text."""
    ctx = template_context(answer)
    first_quote = {r["n"]: (r["quotes"][0] if r["quotes"] else r["title"]) for r in ctx["references"]}
    for sec in ctx["sections"]:
        for st in sec["statements"]:
            for c in st["citations"]:
                c["hint"] = first_quote.get(c["n"], "")[:300]
    for c in ctx["summary_citations"]:
        c["hint"] = first_quote.get(c["n"], "")[:300]
    # An edited sentence no cited passage carries is the editor's own words, and says so wherever it is shown.
    for sec_view, sec in zip(ctx["sections"], answer.sections):
        for st_view, st in zip(sec_view["statements"], sec.statements):
            st_view["own_words"] = st.unsupported
            st_view["written_by"] = st.written_by
    # Which statements cite each source, for the reference list's links back to them ("Cited by").
    cited_by: dict[int, list[dict[str, str]]] = {}
    for c in ctx["summary_citations"]:
        cited_by.setdefault(c["n"], []).append({"anchor": "summary-text", "label": ctx["summary_label"]})
    for sec in ctx["sections"]:
        for i, st in enumerate(sec["statements"], start=1):
            for c in st["citations"]:
                cited_by.setdefault(c["n"], []).append({"anchor": f"{sec['anchor']}-{i}",
                                                        "label": f"{sec['title']}, statement {i}"})
    for r in ctx["references"]:
        r["cited_by"] = cited_by.get(r["n"], [])
    ctx["summary_own_words"] = answer.summary_unsupported
    ctx["summary_written_by"] = answer.summary_written_by
    return ctx


def reviewer_view(user: User | None, username: str) -> dict[str, str]:
    """A reviewer as pages and public JSON show them: by display name, never by login name."""
    if user is None:
        return {"name": username, "credentials": "", "disclosures": ""}
    return {"name": user.display_name or user.username, "credentials": user.credentials,
            "disclosures": user.disclosures or "None declared."}


def public_answer_json(answer: Answer) -> dict[str, Any]:
    """`to_json` without the thread the answer was asked in: a published article is not a way into it."""
    out = to_json(answer)
    out.pop("thread_id", None)
    return out


def article_json(article: Article, *, approvals: list[str], approvals_required: int,
                 reviewers: list[dict[str, str]], url: str, author: str = "anonymous") -> dict[str, Any]:
    """The `.json` view of an article page and the API's article object (people by display name)."""
    return {
        "slug": article.slug, "url": url, "question": article.question, "status": article.status.value,
        "version": article.version, "author": author, "created_at": article.created_at,
        "updated_at": article.updated_at, "approvals": len(approvals), "approvals_required": approvals_required,
        "reviewers": reviewers if article.status is S.approved else [],
        "answer": public_answer_json(article.answer),
    }


def article_summary_json(article: Article, url: str) -> dict[str, Any]:
    return {"slug": article.slug, "url": url, "question": article.question, "status": article.status.value,
            "version": article.version, "updated_at": article.updated_at, "summary": article.answer.summary}


def medical_webpage_jsonld(article: Article, *, url: str, reviewers: list[dict[str, str]],
                           reviewed_at: str | None) -> dict[str, Any]:
    """schema.org MedicalWebPage. The template embeds it with `tojson`, which escapes `<`, `>` and `&`."""
    answer = article.answer
    audience = {"clinician": "Clinician", "student": "Medical student", "patient": "Patient"}[answer.audience.value]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "url": url,
        "name": article.question,
        "headline": article.question,
        "description": answer.summary,
        "inLanguage": "en",
        "dateCreated": article.created_at,
        "dateModified": article.updated_at,
        "audience": {"@type": "MedicalAudience", "audienceType": audience},
        "creativeWorkStatus": STATUS_LABELS[article.status],
        "version": article.version,
        "citation": [
            {k: v for k, v in {"@type": "CreativeWork", "name": r.title or r.doc_id, "url": web_url(r.url),
                               "publisher": r.source, "datePublished": r.published}.items() if v}
            for r in answer.references
        ],
    }
    if article.status is S.approved:
        data["lastReviewed"] = reviewed_at
        data["reviewedBy"] = [{"@type": "Person", "name": r["name"],
                               **({"jobTitle": r["credentials"]} if r["credentials"] else {})} for r in reviewers]
    return data
