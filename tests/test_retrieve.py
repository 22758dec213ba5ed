"""Retrieval on a real small database: fusion, priors, vocabulary expansion, filters, bad questions."""

from __future__ import annotations

import pytest

from medoracle.errors import BadQuestion
from medoracle.ingest.pipeline import embed_pending, ingest
from medoracle.retrieve import PRIOR_WEIGHT, _prior, lexical_query, retrieve
from medoracle.store import SearchFilters
from medoracle.understand.vocab import understand


@pytest.fixture
def loaded(store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], store)
    embed_pending(store, hashing_embedder)
    return store


def test_hybrid_results_explain_their_rank(loaded, hashing_embedder):
    found = retrieve("empirical antibiotics for febrile neutropenia", loaded, k=5, embedder=hashing_embedder)
    assert found.mode == "hybrid"
    top = found.evidence[0]
    assert top.doc_id == "g2"
    assert {"lexical_rank", "dense_rank", "rrf", "prior"} <= set(top.explain)
    assert top.title == "Febrile neutropenia: initial management"
    assert [e.score for e in found.evidence] == sorted((e.score for e in found.evidence), reverse=True)


def test_fusion_rewards_agreement_between_retrievers(loaded, hashing_embedder):
    found = retrieve("spinal cord compression MRI", loaded, k=5, embedder=hashing_embedder)
    both = [e for e in found.evidence if "lexical_rank" in e.explain and "dense_rank" in e.explain]
    assert both and found.evidence[0] in both


def test_abbreviation_expansion_finds_the_long_form(loaded):
    # the documents never say "MSCC"; only the vocabulary links it to the long form
    found = retrieve("MSCC imaging", loaded, k=5)
    assert found.evidence and found.evidence[0].doc_id == "g1"
    phrases = {c.phrase for c in lexical_query(understand("MSCC imaging")).clauses}
    assert "mscc" in phrases and any("metastatic" in p for p in phrases)


def test_brand_name_finds_the_generic(loaded):
    found = retrieve("Eliquis in atrial fibrillation", loaded, k=3)
    assert found.evidence[0].doc_id == "o1"


def test_priors_prefer_guidelines_and_recent_evidence():
    assert _prior("guideline", 2022, None) > _prior("consumer", 2022, None)
    assert _prior("trial", 2023, None) > _prior("trial", 2001, None)
    assert _prior("guideline", 2020, 0.9) > _prior("guideline", 2020, None)
    assert PRIOR_WEIGHT <= 0.3  # priors break near-ties, they do not override relevance


def test_priors_rank_guideline_over_consumer_page_when_relevance_is_close(loaded):
    found = retrieve("back pain spinal cancer spread", loaded, k=5)
    kinds = [e.passage.doc_type.value for e in found.evidence]
    assert "guideline" in kinds and "consumer" in kinds
    g = next(e for e in found.evidence if e.passage.doc_type.value == "guideline")
    c = next(e for e in found.evidence if e.passage.doc_type.value == "consumer")
    assert g.explain["prior"] > c.explain["prior"]


def test_filters(loaded, hashing_embedder):
    found = retrieve("spinal metastases radiotherapy", loaded, k=5, embedder=hashing_embedder,
                     filters=SearchFilters(doc_types=("trial",)))
    assert {e.doc_id for e in found.evidence} == {"t1"}
    found = retrieve("spinal metastases radiotherapy", loaded, k=5, filters=SearchFilters(since_year=2021))
    assert {e.doc_id for e in found.evidence} <= {"g1", "t1"}


def test_without_embeddings_search_is_lexical_and_says_so(store, clinical_jsonl, hashing_embedder):
    ingest([clinical_jsonl], store)
    found = retrieve("febrile neutropenia antibiotics", store, k=3, embedder=hashing_embedder)
    assert found.mode == "lexical"
    assert any("lexical only" in n for n in found.notes)
    assert found.evidence[0].doc_id == "g2"


@pytest.mark.parametrize("question", ["", "   ", "?!?", "...", "x" * 100_000])
def test_unusable_questions_get_a_clear_error(loaded, question):
    with pytest.raises(BadQuestion):
        retrieve(question, loaded)


def test_only_stop_words_is_a_clear_error(loaded):
    with pytest.raises(BadQuestion, match="common words"):
        retrieve("what is the", loaded)


@pytest.mark.parametrize("question", ['"unbalanced quote', "NEAR(spinal cord)", "spinal*", "AND( OR NOT",
                                      "radiotherapy'; DROP TABLE passages; --", "脊髄圧迫の治療", "{col}: x ^ y"])
def test_query_syntax_characters_are_plain_text(loaded, question):
    found = retrieve(question, loaded, k=3)  # must not raise: FTS operators are quoted away
    assert isinstance(found.evidence, list)
    assert loaded.stats().passages > 0


def test_very_common_terms_count_only_in_titles_and_headings(store, tmp_path):
    import json

    path = tmp_path / "many.jsonl"
    rows = [{"id": f"d{i}", "title": f"Note {i}", "text": f"Patients in clinic {i} were seen for follow-up."}
            for i in range(60)]
    rows.append({"id": "fn", "title": "Febrile neutropenia", "text": "Patients with febrile neutropenia need "
                 "antibiotics within one hour."})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ingest([path], store)
    query = lexical_query(understand("antibiotics for patients with febrile neutropenia"), store)
    fields = {c.phrase: c.fields for c in query.clauses}
    assert fields["patients"] == ("title", "section")
    assert fields["neutropenia"] == () and fields["antibiotics"] == ()
    assert retrieve("antibiotics for patients with febrile neutropenia", store, k=3).evidence[0].doc_id == "fn"


def test_in_a_large_store_terms_common_in_headings_are_left_to_coverage(store, tmp_path):
    import json

    path = tmp_path / "many.jsonl"
    rows = [{"id": f"d{i}", "title": f"Patients in clinic {i}", "text": f"Patients in clinic {i} were seen."}
            for i in range(60)]
    rows.append({"id": "fn", "title": "Febrile neutropenia", "text": "Patients with febrile neutropenia need "
                 "antibiotics within one hour."})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ingest([path], store)
    assert store.heading_frequency("patients") == 60 and store.heading_frequency("febrile") == 1
    assert store.heading_frequency("hour") == 0 and store.document_frequency("hour") == 1
    question = understand("antibiotics for patients with febrile neutropenia")
    # a store this small keeps the term, in headings only; a large one (here: from 0 passages) leaves it out
    assert "patients" in {c.phrase for c in lexical_query(question, store).clauses}
    lean = {c.phrase for c in lexical_query(question, store, lean_from=0).clauses}
    assert "patients" not in lean and {"antibiotics", "febrile", "neutropenia"} <= lean
    # with only two rarer terms it stays: it may be what tells two answers about one condition apart
    short = lexical_query(understand("patients with febrile neutropenia"), store, lean_from=0)
    assert {c.phrase: c.fields for c in short.clauses}["patients"] == ("title", "section")


def test_in_a_large_store_a_long_question_searches_its_six_rarest_terms(store, tmp_path):
    import json

    words = ["fever", "cough", "rash", "nausea", "headache", "fatigue", "dizziness", "wheeze"]
    rows = [{"id": f"f{i}", "title": f"Note {i}", "text": f"Seen in clinic {i}."} for i in range(200)]
    # the i-th word is in i + 1 passages: "fever" is the rarest, "wheeze" the most common (none over 5%)
    rows += [{"id": f"w{i}-{j}", "title": f"Symptom {i} {j}", "text": f"A patient with {word}."}
             for i, word in enumerate(words) for j in range(i + 1)]
    path = tmp_path / "symptoms.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ingest([path], store)
    question = understand(" ".join(words))
    assert set(words) <= set(question.terms)
    assert set(words) <= {c.phrase for c in lexical_query(question, store).clauses}  # a small store: all
    lean = {c.phrase for c in lexical_query(question, store, lean_from=0).clauses}
    assert set(words[:6]) <= lean and not {"dizziness", "wheeze"} & lean


def test_coverage_weighs_the_question_words_a_passage_holds(loaded):
    from medoracle.retrieve import Coverage

    query = understand("MSCC imaging in cancer")
    coverage = Coverage(query, loaded)
    assert coverage.of("", "", "MRI imaging of metastatic spinal cord compression in cancer") == pytest.approx(1.0)
    assert coverage.of("", "", "Nothing relevant here.") == 0.0
    # a word spelled out counts ("MSCC" → metastatic spinal cord compression); a heading or title counts too
    partial = coverage.of("Metastatic spinal cord compression", "Imaging", "")
    assert 0.0 < partial < 1.0
    # rarer words weigh more than common ones: each share is an IDF weight
    weights = dict(zip([t for t in query.terms], [w for w, _ in coverage.terms]))
    assert set(weights) == {"mscc", "imaging", "cancer"}
    assert Coverage(understand("the of and"), loaded).of("", "", "the of and") == 0.0


def test_coverage_is_in_the_explanation(loaded, hashing_embedder):
    found = retrieve("spinal cord compression MRI", loaded, k=5, embedder=hashing_embedder)
    assert all(0.0 <= e.explain["coverage"] <= 1.0 for e in found.evidence)
    assert max(e.explain["coverage"] for e in found.evidence) > 0.5
