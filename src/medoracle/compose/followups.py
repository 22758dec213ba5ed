"""Suggested next questions, built from the understood question's slots (condition, population, intent).

Each suggestion is a whole question written from a template around a condition phrase, so it reads as
English ("What is the first-line treatment for community acquired pneumonia?"), never pastes a heading or a
field name ("… about title?"), and is never the question just asked or the section it asked for.
"""

from __future__ import annotations

import re

from medoracle.compose.facets import FACET_ORDER
from medoracle.types import Evidence, Query
from medoracle.understand.topic import extract_topic

__all__ = ["follow_ups"]

_BY_FACET = {
    "red_flags": "Which warning signs in {c} need urgent care?",
    "assessment": "How is {c} assessed and diagnosed?",
    "first_line": "What is the first-line treatment for {c}?",
    "adjunct": "Which supportive or add-on treatments help in {c}?",
    "procedures": "When are surgery or procedures needed for {c}?",
    "special": "How does management of {c} change in pregnancy, older age or after earlier treatment?",
    "complications": "What are the complications of {c} and how are they monitored?",
    "emerging": "Which new approaches to {c} are being studied?",
}
# What a clinician asks next after each kind of question.
_AFTER_INTENT = {
    "first_line": ["What dose is used for {c}?", "What if first-line treatment for {c} fails?"],
    "dose": ["How long should treatment for {c} continue?", "What should be monitored during treatment for {c}?"],
    "diagnosis": ["What is the first-line treatment for {c}?"],
    "comparison": ["What are the side effects of the treatments for {c}?"],
    "treatment": ["What should be monitored during treatment for {c}?"],
}
_INTENT_FACET = {"first_line": "first_line", "dose": "first_line", "diagnosis": "assessment",
                 "risk_score": "assessment", "monitoring": "complications", "safety": "complications",
                 "prevention": "adjunct"}
_BAD_PHRASE = re.compile(r"^(?:this|that|it|title|section|text|question)$|[?:;]")


def _condition(query: Query | None, question: str, evidence: list[Evidence]) -> str | None:
    phrases = list(query.conditions) if query is not None else []
    phrases.append(extract_topic(question))
    for ev in evidence[:3]:
        phrases.extend(ev.focus[:1])
    for phrase in phrases:
        phrase = " ".join((phrase or "").split()).strip(" -,.")
        phrase = re.sub(r"^(?:acute|suspected|severe|grade \d)\s+(?=\w+\s+\w+)", "", phrase)  # the condition itself
        if phrase and len(phrase.split()) <= 6 and not _BAD_PHRASE.search(phrase.lower()):
            return phrase if phrase.isupper() and len(phrase) <= 6 else phrase[0].lower() + phrase[1:]
    return None


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def follow_ups(query: Query | None, question: str, covered: set[str], mentioned: set[str],
               evidence: list[Evidence]) -> list[str]:
    """Up to three next questions: sections the evidence touches but the answer left out, what a clinician
    asks after this kind of question, then other sections."""
    condition = _condition(query, question, evidence)
    if condition is None:
        return []
    asked = {_norm(question)} | ({_norm(query.text), _norm(query.search_text)} if query is not None else set())
    asked_facet = _INTENT_FACET.get(query.intent or "", "") if query is not None else ""
    out: list[str] = []

    def add(template: str) -> None:
        text = template.format(c=condition)
        if _norm(text) not in asked and text not in out and len(out) < 3:
            out.append(text)

    order = [k for k in FACET_ORDER if k in _BY_FACET and k != asked_facet]
    for key in order:
        if key in mentioned and key not in covered:
            add(_BY_FACET[key])
    for intent in (query.intents if query is not None else []):
        for template in _AFTER_INTENT.get(intent, []):
            add(template)
    for key in sorted(order, key=lambda k: k in covered):
        add(_BY_FACET[key])
    return out
