"""Ingestion into a real SQLite file: counts, dedupe on re-ingest, bad records, --strict, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from medoracle.errors import BadInput
from medoracle.ingest.chunking import chunk
from medoracle.ingest.pipeline import embed_pending, ingest
from medoracle.store import LexicalQuery, SQLiteStore
from medoracle.text import split_sentences
from medoracle.types import Document, TextBlock


def test_sentences_are_not_cut_at_clinical_abbreviations():
    text = "Give 8 Gy in a single fraction, e.g. For pain relief. Dr. Smith et al. Reported 2.5 mg vs. Placebo."
    assert split_sentences(text) == ["Give 8 Gy in a single fraction, e.g. For pain relief.",
                                     "Dr. Smith et al. Reported 2.5 mg vs. Placebo."]


def test_chunks_keep_heading_path_and_whole_sentences():
    sentence = "Radiotherapy relieves pain from bone metastases in most patients within four weeks. "
    doc = Document(id="d", text="x", blocks=[TextBlock(path=["Major Recommendations", "Radiotherapy"],
                                                       text=sentence * 12)])
    passages = chunk(doc)
    assert len(passages) >= 2
    for p in passages:
        assert p.section == "Major Recommendations › Radiotherapy"
        assert p.text.endswith("weeks.")
        assert len(p.text.split()) <= 170
    assert [p.position for p in passages] == list(range(len(passages)))


def test_markdown_headings_become_the_section_path():
    doc = Document(id="m", text="# Asthma\n## Treatment\nInhaled corticosteroids are the mainstay.\n")
    [p] = chunk(doc)
    assert p.section == "Asthma › Treatment"


def test_ingest_counts_and_reingest_adds_nothing(store, clinical_jsonl):
    first = ingest([clinical_jsonl], store)
    assert (first.documents, first.added, first.unchanged, first.skipped) == (5, 5, 0, 0)
    assert first.passages == store.stats().passages > 0
    again = ingest([clinical_jsonl], store)
    assert (again.added, again.unchanged) == (0, 5)
    assert store.stats().documents == 5


def test_changed_document_replaces_old_version(store, tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Old advice about asthma inhalers."}) + "\n")
    ingest([path], store)
    path.write_text(json.dumps({"id": "a", "text": "New advice about asthma inhalers and spacers."}) + "\n")
    summary = ingest([path], store)
    assert summary.added == 1
    [p] = store.document_passages("a")
    assert "spacers" in p.text
    assert [pid for pid, _ in store.lexical(LexicalQuery.of("old"), 5)] == []


def test_bad_lines_are_reported_and_the_rest_goes_in(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "ok1", "text": "Asthma is common."}\n{broken json\n'
                    '{"id": "ok2", "text": "COPD is common."}\n{"id": "notext"}\n', encoding="utf-8")
    summary = ingest([path], store)
    assert summary.added == 2
    assert summary.skipped == 2
    where = sorted(e.where for e in summary.errors)
    assert where == [2, 4]
    assert all(str(path) in str(e) for e in summary.errors)


def test_strict_aborts_with_nothing_written(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "ok1", "text": "Asthma is common."}\n{broken json\n', encoding="utf-8")
    with pytest.raises(BadInput, match="nothing was written"):
        ingest([path], store, strict=True)
    assert store.stats().documents == 0


def test_missing_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        ingest([tmp_path / "nope.jsonl"], store)


def test_embeddings_are_resumable(store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], store)
    total = store.stats().passages
    assert embed_pending(store, hashing_embedder, batch=2) == total
    assert embed_pending(store, hashing_embedder) == 0
    assert store.stats().embedded == total


def test_killed_ingest_leaves_a_consistent_database_and_resumes(tmp_path):
    n = 6000
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"d{i}", "title": f"Document {i}",
                                 "text": f"Record {i} describes hypertension follow-up. " * 8}) + "\n")
    db = tmp_path / "kill.db"
    cmd = [sys.executable, "-m", "medoracle.cli", "ingest", str(path), "--db", str(db), "--no-embed"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as c:
                    if c.execute("SELECT count(*) FROM documents").fetchone()[0] > 0:
                        break
            except sqlite3.OperationalError:
                pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = SQLiteStore(db)
    conn = sqlite3.connect(db)
    assert store.check() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = store.stats()
    assert partial.documents < n, "the kill came too late to test anything"
    orphans = conn.execute("SELECT count(*) FROM documents d WHERE NOT EXISTS "
                           "(SELECT 1 FROM passages p WHERE p.doc_id = d.id)").fetchone()[0]
    assert orphans == 0
    fts = conn.execute("SELECT count(*) FROM passages_fts").fetchone()[0]
    assert fts == partial.passages
    store.close()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = SQLiteStore(db)
    final = store.stats()
    assert final.documents == n
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(DISTINCT doc_id) FROM passages").fetchone()[0] == n
    assert conn.execute("SELECT count(*) FROM passages_fts").fetchone()[0] == final.passages


def test_printed_grades_of_a_guideline_survive_into_its_passages(store, tmp_path):
    record = {
        "id": "ngc-test-1",
        "Guideline Title": "Management of metastatic spinal cord compression.",
        "Guideline Developer(s)": "Example Oncology Society - Medical Specialty Society",
        "Date Released": "2014 Mar",
        "Major Recommendations": (
            "Radiotherapy\n Patients with metastatic spinal cord compression who are not surgical candidates "
            "should receive radiotherapy (Grade 1B).\n Corticosteroids\n Dexamethasone should be started at "
            "diagnosis unless contraindicated (Level A)."),
        "Rating Scheme for the Strength of the Evidence": "Level A: consistent randomised evidence.",
    }
    path = tmp_path / "ngc.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    summary = ingest([path], store, fmt="ngc")
    assert summary.added == 1 and summary.skipped == 0
    passages = store.document_passages("ngc-test-1")
    printed = {p.grade.printed for p in passages if p.grade}
    assert {"Grade 1B", "Level A"} & printed, printed
    graded = next(p for p in passages if p.grade)
    assert graded.grade.printed in graded.text
    assert graded.grade.strength in ("strong", "conditional", None)


def test_one_front_matter_parser_for_cards_and_markdown(tmp_path):
    from medoracle.errors import ReadError
    from medoracle.ingest.readers.markdown import split_front_matter
    from medoracle.kb import read_front_matter

    card = tmp_path / "card.md"
    card.write_text("---\nid: x\ntitle: T\n---\nBody text.\n", encoding="utf-8")
    assert read_front_matter(card) == ({"id": "x", "title": "T"}, "Body text.")
    assert split_front_matter(card.read_text(encoding="utf-8"))[0] == {"id": "x", "title": "T"}
    for bad, reason in [("no front matter\n", "no YAML front matter"), ("---\nid: x\nBody\n", "not closed"),
                        ("---\n- a\n- b\n---\nBody\n", "mapping"), ("---\nid: [x\n---\nBody\n", "malformed YAML")]:
        card.write_text(bad, encoding="utf-8")
        with pytest.raises(ReadError, match=reason):
            read_front_matter(card)
