"""The `medoracle` command as a user runs it: a real process, a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(*args, input_=None):
    return subprocess.run([sys.executable, "-m", "medoracle.cli", *args], capture_output=True, text=True,
                          input=input_, timeout=300)


def test_ingest_then_search_json_contract(tmp_path, clinical_jsonl):
    db = str(tmp_path / "c.db")
    r = run("ingest", str(clinical_jsonl), "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["added"] == 5 and summary["skipped"] == 0 and summary["embedded"] == summary["passages"]
    r = run("search", "febrile neutropenia antibiotics", "--db", db, "--json", "--k", "3")
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout)
    assert line["qid"] is None
    first = line["results"][0]
    assert set(first) == {"doc_id", "passage_id", "score", "text"}
    assert first["doc_id"] == "g2"
    assert isinstance(line["latency_ms"], float) and 0 < line["latency_ms"] < 60_000


def test_an_embedder_switch_is_refused_until_reembedded(tmp_path, clinical_jsonl):
    db = str(tmp_path / "c.db")
    assert run("ingest", str(clinical_jsonl), "--db", db, "--json").returncode == 0  # minilm-int8 vectors
    env_run = lambda *a: subprocess.run([sys.executable, "-m", "medoracle.cli", *a], capture_output=True,  # noqa: E731
                                        text=True, timeout=300, env={**os.environ, "MEDORACLE_EMBEDDER": "hashing"})
    r = env_run("search", "febrile neutropenia antibiotics", "--db", db, "--json")
    assert r.returncode == 1 and "embedded with 'minilm-int8'" in r.stderr and "--reembed" in r.stderr
    assert "Traceback" not in r.stderr
    r = env_run("ingest", "--reembed", "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["embedded"] > 0
    r = env_run("search", "febrile neutropenia antibiotics", "--db", db, "--json", "--k", "3")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["doc_id"] == "g2"
    r = run("ingest", "--db", db)
    assert r.returncode == 2 and "--reembed" in r.stderr


def test_search_questions_file_one_line_each(tmp_path, clinical_jsonl):
    db = str(tmp_path / "c.db")
    run("ingest", str(clinical_jsonl), "--db", db, "--no-embed")
    qs = tmp_path / "q.jsonl"
    qs.write_text('{"qid": "a", "question": "apixaban atrial fibrillation"}\n'
                  '{"qid": "b", "question": "what is the"}\n')
    r = run("search", "--questions", str(qs), "--db", db, "--json", "--explain")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["qid"] for x in lines] == ["a", "b"]
    assert lines[0]["results"][0]["doc_id"] == "o1" and "explain" in lines[0]["results"][0]
    assert lines[1]["results"] == [] and "common words" in lines[1]["error"]
    assert "lexical only" in r.stderr


def test_bad_input_exits_2_with_a_message(tmp_path):
    r = run("search", "", "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "error" in r.stderr and "Traceback" not in r.stderr
    r = run("ingest", str(tmp_path / "missing.jsonl"), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run("search", "x", "--filter", "colour=blue", "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "unknown filter" in r.stderr


def test_ingest_with_bad_records_exits_1_and_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "Asthma."}\nnot json\n')
    r = run("ingest", str(bad), "--db", str(tmp_path / "b.db"), "--no-embed")
    assert r.returncode == 1
    assert f"{bad}:2" in r.stderr.replace("\n", "")


def test_kb_lists_topics():
    r = run("kb", "--json")
    topics = json.loads(r.stdout)
    assert len(topics) >= 20 and sum(t["cards"] for t in topics) >= 150


def test_an_abstention_says_what_was_looked_for_and_what_to_ask_instead(tmp_path, clinical_jsonl):
    db = str(tmp_path / "c.db")
    assert run("ingest", str(clinical_jsonl), "--db", db, "--no-embed").returncode == 0
    question = "what is the treatment for lupus nephritis?"
    r = run("ask", question, "--db", db)  # piped: the plain page
    assert r.returncode == 0, r.stderr
    page = r.stdout
    assert "No answer:" in page and "Looked for: The management of lupus nephritis." in page
    assert "The library holds 5 documents: 2 guidelines, 1 consumer health page," in page  # counted by kind
    tries = page.split("Try asking", 1)[1].splitlines()[1:]
    assert len([t for t in tries if t.startswith("  • ")]) == 2
    assert all(line == line.rstrip() for line in page.splitlines())
    r = run("ask", question, "--db", db, "--json")
    gap = json.loads(r.stdout)["answer"]["gap"]
    assert gap["looked_for"] == "the management of lupus nephritis" and len(gap["rephrasings"]) == 2
    assert question.lower() not in (q.lower() for q in gap["rephrasings"])
