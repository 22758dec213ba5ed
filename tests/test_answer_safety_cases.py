"""The answer-safety benchmark's cases are well formed, and every knowledge-base case asks for what the cards say."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from medoracle.kb import card_paths

CASES = Path(__file__).resolve().parents[1] / "benchmarks" / "answer_safety_cases.yaml"
CATEGORIES = {"population", "intent", "shorthand", "typo", "noise", "comparison", "multi-part", "safety"}
KEYS = {"id", "db", "category", "q", "any", "all", "not", "where", "abstain", "abstain_ok"}


def _cases() -> list[dict]:
    return yaml.safe_load(CASES.read_text(encoding="utf-8"))


def _card_text() -> str:
    bodies = []
    for path in card_paths():
        text = path.read_text(encoding="utf-8")
        bodies.append(text.split("---", 2)[-1])
    return re.sub(r"\s+", " ", " ".join(bodies)).lower()


def test_cases_are_well_formed():
    cases = _cases()
    assert len(cases) >= 80
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert set(case) <= KEYS, case
        assert case["db"] in {"kb", "corpora"} and case["category"] in CATEGORIES, case
        assert case["q"].strip(), case
        # A case either must abstain or says what the bottom line must (not) contain.
        assert case.get("abstain") or case.get("any") or case.get("all"), case
        assert case.get("where", "bottom_line") in {"bottom_line", "answer"}, case
    assert {c["category"] for c in cases} == CATEGORIES


def test_knowledge_base_cases_expect_what_the_cards_say():
    cards = _card_text()
    for case in _cases():
        if case["db"] != "kb" or case.get("abstain"):
            continue
        for group in ([case["any"]] if case.get("any") else []) + list(case.get("all") or []):
            assert any(str(term).lower() in cards for term in group), (case["id"], group)
