"""The bundled knowledge base: every card well formed, sourced, unique; and the checker itself."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from medoracle.errors import ReadError
from medoracle.kb import (
    GRADE_SCHEMES,
    TOPIC_PAGE,
    card_paths,
    kb_root,
    read_front_matter,
    topics,
    validate_card,
    validate_topic_page,
)

ALL_PATHS = card_paths()
CARDS = [p for p in ALL_PATHS if p.name != TOPIC_PAGE]
TOPIC_PAGES = [p for p in ALL_PATHS if p.name == TOPIC_PAGE]


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.parametrize("path", CARDS, ids=_label)
def test_card_is_well_formed(path: Path) -> None:
    assert validate_card(path) == []


@pytest.mark.parametrize("path", CARDS, ids=_label)
def test_card_sits_in_its_topic_folder(path: Path) -> None:
    meta, _ = read_front_matter(path)
    assert meta["topic"] == path.parent.name
    assert meta["id"] == path.stem, "file name must be the card id"


@pytest.mark.parametrize("path", CARDS, ids=_label)
def test_graded_card_names_a_known_scheme(path: Path) -> None:
    meta, _ = read_front_matter(path)
    if "grade" in meta:
        assert meta.get("grade_scheme") in GRADE_SCHEMES


@pytest.mark.parametrize("path", TOPIC_PAGES, ids=_label)
def test_topic_page_has_title_and_aliases(path: Path) -> None:
    assert validate_topic_page(path) == []
    meta, _ = read_front_matter(path)
    assert meta["topic"] == path.parent.name
    assert str(meta["title"]).strip()
    assert meta["aliases"]


def test_card_ids_are_unique() -> None:
    ids = Counter(read_front_matter(p)[0].get("id") for p in CARDS)
    assert [i for i, n in ids.items() if n > 1] == []


def test_no_statement_appears_twice() -> None:
    bodies = Counter(_normalise(read_front_matter(p)[1]) for p in CARDS)
    assert [b[:80] for b, n in bodies.items() if n > 1] == []


def test_every_topic_has_a_page_and_cards() -> None:
    folders = sorted(p.name for p in kb_root().iterdir() if p.is_dir() and any(p.glob("*.md")))
    assert folders == sorted(t.slug for t in topics()), "a topic folder lacks _topic.md"
    assert all(t.card_count >= 1 for t in topics())


def test_knowledge_base_is_large_enough() -> None:
    assert len(topics()) >= 20
    assert len(CARDS) >= 150


# The checker itself, on small cards written here.

GOOD_CARD = """---
id: htn-test-card
topic: hypertension
title: A test card
facet: first_line
grade: "Class I, Level A"
grade_scheme: ESC
doc_type: guideline
source:
  organisation: Test Society
  title: A test guideline
  year: 2024
  url: https://example.org/guideline
reviewed: false
---
In adults with hypertension, this is a test statement.
"""


def _write(tmp_path: Path, text: str, name: str = "card.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_checker_accepts_a_good_card(tmp_path: Path) -> None:
    assert validate_card(_write(tmp_path, GOOD_CARD)) == []


@pytest.mark.parametrize("change, problem", [
    (("  url: https://example.org/guideline\n", ""), "source needs at least one of pmid, doi or url"),
    (("grade_scheme: ESC\n", ""), "grade given without grade_scheme"),
    (("grade_scheme: ESC", "grade_scheme: made-up"), "unknown grade_scheme 'made-up'"),
    (("facet: first_line", "facet: treatment"), "unknown facet 'treatment'"),
    (("reviewed: false", "reviewed: true"), "reviewed must be false"),
    (("title: A test card\n", ""), "missing title"),
    (("  year: 2024\n", ""), "missing source.year"),
    (("In adults with hypertension, this is a test statement.\n", ""), "empty body"),
    (("this is a test statement.", "x" * 700), "body is"),
])
def test_checker_names_each_problem(tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    old, new = change
    assert old in GOOD_CARD
    problems = validate_card(_write(tmp_path, GOOD_CARD.replace(old, new)))
    assert any(p.startswith(problem) for p in problems), problems


def test_malformed_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "---\nid: [unclosed\n---\nBody.\n", "broken.md")
    with pytest.raises(ReadError, match="broken.md"):
        read_front_matter(path)
    assert "broken.md" in validate_card(path)[0]


def test_card_without_front_matter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no YAML front matter"):
        read_front_matter(_write(tmp_path, "Just a body.\n", "plain.md"))


def test_topics_are_read_from_folders(tmp_path: Path) -> None:
    folder = tmp_path / "hypertension"
    folder.mkdir()
    _write(folder, "---\ntopic: hypertension\ntitle: High blood pressure\naliases: [HTN, high BP]\n---\nText.\n",
           TOPIC_PAGE)
    _write(folder, GOOD_CARD, "htn-test-card.md")
    (tmp_path / "empty-folder").mkdir()
    [info] = topics(tmp_path)
    assert (info.slug, info.title, info.aliases, info.card_count) == (
        "hypertension", "High blood pressure", ("HTN", "high BP"), 1)
    assert [p.name for p in card_paths(tmp_path)] == [TOPIC_PAGE, "htn-test-card.md"]
