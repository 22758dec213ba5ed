"""Answers over research abstracts (`compose.abstracts`): findings, not aims and methods, from several abstracts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from medoracle.compose.abstracts import finding_value, is_research, reply_length
from medoracle.compose.extractive import ExtractiveComposer
from medoracle.compose.sentences import quotable
from medoracle.ingest.pipeline import ingest
from medoracle.retrieve import retrieve
from medoracle.store import SQLiteStore
from medoracle.types import DocType, Evidence, Passage
from medoracle.verify import verify

# Written for this test after the CRASH-2 trial (Lancet 2010;376:23-32, doi:10.1016/S0140-6736(10)60835-5) and
# the Cochrane review of antifibrinolytics in trauma (doi:10.1002/14651858.CD004896.pub4); not their wording.
CRASH = [
    ("crash2#0", "Abstract › Background",
     "Tranexamic acid can reduce bleeding in patients undergoing elective surgery. We assessed the effects of "
     "early administration of a short course of tranexamic acid on death in adult trauma patients with, or at "
     "risk of, significant bleeding."),
    ("crash2#1", "Abstract › Methods",
     "The aim of this trial was to determine whether tranexamic acid reduces death in bleeding trauma patients. "
     "Adult trauma patients with significant haemorrhage were randomly assigned to tranexamic acid or matching "
     "placebo within 8 hours of injury."),
    ("crash2#2", "Abstract › Findings",
     "All-cause mortality was significantly reduced with tranexamic acid, 14.5% against 16.0% with placebo. "
     "The risk of death due to bleeding was significantly reduced, 4.9% against 5.7%."),
    ("crash2#3", "Abstract › Interpretation",
     "Tranexamic acid safely reduced the risk of death in bleeding trauma patients in this study."),
]
REVIEW = [
    ("cochrane#0", "Abstract",
     "We searched for randomised controlled trials of antifibrinolytic drugs in acute traumatic injury. "
     "Given within three hours of injury, tranexamic acid reduces death due to bleeding in trauma patients, "
     "with no increase in vascular occlusive events."),
]
GUIDELINE = [
    ("nice#0", "Major Recommendations",
     "Use intravenous tranexamic acid as soon as possible in adults with major trauma and active or suspected "
     "active bleeding."),
]


def _evidence(rows: list[tuple[str, str, str]], doc_type: str, score: float, title: str) -> list[Evidence]:
    return [Evidence(passage=Passage(id=pid, doc_id=pid.split("#")[0], text=text, section=section,
                                     doc_type=DocType(doc_type)),
                     title=title, url=f"https://pubmed.ncbi.nlm.nih.gov/{pid.split('#')[0]}/", score=score - 0.01 * i)
            for i, (pid, section, text) in enumerate(rows)]


def abstracts() -> list[Evidence]:
    return (_evidence(CRASH, "trial", 0.9, "Tranexamic acid in bleeding trauma patients (CRASH-2)")
            + _evidence(REVIEW, "systematic_review", 0.8, "Antifibrinolytic drugs for acute traumatic injury"))


def test_a_finding_outweighs_an_aim_or_a_method() -> None:
    aim = "The aim of this trial was to determine whether tranexamic acid reduces death in bleeding trauma patients."
    found = "All-cause mortality was significantly reduced with tranexamic acid, 14.5% against 16.0% with placebo."
    assert finding_value(aim, "Abstract › Methods") < 0 < finding_value(found, "Abstract › Findings")
    assert finding_value("These results suggest that tranexamic acid reduces death.", "Abstract") > 0
    assert finding_value("We enrolled 20,211 adult trauma patients in 274 hospitals.", "Abstract") < 0
    assert finding_value("To review the safety of the vaccine in young children.", "Abstract") < 0
    assert finding_value("Here we exposed mouse organoids to the toxin for five months.", "Abstract") < 0


def test_research_is_told_from_the_kind_of_evidence() -> None:
    assert is_research(abstracts())
    assert not is_research(_evidence(GUIDELINE * 3, "guideline", 0.9, "Major trauma"))
    cards = [e.model_copy(update={"passage": e.passage.model_copy(update={"facet": "first_line"})})
             for e in abstracts()]
    assert not is_research(cards)  # a knowledge-base card is our own summary, not a study
    assert not is_research([])
    # The best places count most: two abstracts first and six guideline passages after them are research …
    guideline = _evidence(GUIDELINE * 6, "guideline", 0.5, "Major trauma")
    assert is_research(abstracts()[:2] + guideline)
    # … six abstracts after two guideline passages are not.
    assert not is_research(guideline[:2] + abstracts() + abstracts()[:1])


def test_yes_no_question_gets_the_finding_that_answers_it_verified() -> None:
    question = "Does tranexamic acid reduce death in bleeding trauma patients?"
    evidence = abstracts()
    answer = ExtractiveComposer().compose(question, evidence)
    assert not answer.abstained
    checked = verify(answer, evidence)
    assert not checked.dropped
    said = [checked.summary] + [st.text for st in checked.statements()]
    assert not any(s.startswith(("The aim", "We assessed", "Adult trauma patients")) for s in said)
    # The bottom line restates the claim as a finding; neighbouring findings would only dilute it.
    assert "reduce" in checked.summary and "death" in checked.summary and "trauma patients" in checked.summary
    assert not checked.statements()


def test_an_account_gathers_the_findings_of_several_abstracts() -> None:
    evidence = abstracts()
    answer = verify(ExtractiveComposer().compose("Describe the effect of tranexamic acid in bleeding trauma "
                                                 "patients.", evidence), evidence)
    assert not answer.abstained and not answer.dropped
    said = [answer.summary] + [st.text for st in answer.statements()]
    assert len(said) >= 3
    assert not any(s.startswith(("The aim", "We assessed", "Adult trauma patients")) for s in said)
    assert {r.doc_id for r in answer.references} == {"crash2", "cochrane"}  # more than the best abstract


def test_how_much_is_said_follows_what_was_asked() -> None:
    assert reply_length("List the genes mutated in Sanfilippo syndrome.", 4) == 4
    assert reply_length("What is the role of IFIT1 in lupus?", 3) == 3
    assert reply_length("How does erenumab work?", 3) == 3
    assert reply_length("What is ferroptosis?", 3) == 1  # its definition, and one more finding
    assert reply_length("Is Pim-1 a protein phosphatase?", 3) == 0
    assert reply_length("Which disease is caused by de novo VPS4A mutations?", 3) == 0
    assert reply_length("What is the role of IFIT1 in lupus?", 1) == 1  # never more than the composer allows


def test_guideline_evidence_is_composed_as_before() -> None:
    """Advice keeps its own selection: a guideline's recommendation is its bottom line."""
    evidence = _evidence(GUIDELINE, "guideline", 0.95, "Major trauma: assessment and initial management") + abstracts()
    answer = ExtractiveComposer().compose("Should tranexamic acid be given in major trauma with bleeding?", evidence)
    assert answer.summary.startswith("Use intravenous tranexamic acid")


def test_an_excerpt_opening_mid_sentence_is_quoted_as_cut() -> None:
    snippet = "posttranslational modifications of Gata3 that control the regulation of IFNγ expression in memory cells."
    assert quotable(snippet) == ()  # in a guideline: a fragment we cut, left out
    assert quotable(snippet, True)[0][0] == snippet  # in a curated excerpt of an abstract: the source's cut


def test_real_pubmed_abstracts_answer_from_results_or_conclusions(tmp_path: Path, shared_data: Path) -> None:
    """Twenty PubMedQA abstracts, each asked its own title question: the bottom line is a finding."""
    rows = []
    with gzip.open(shared_data / "corpora" / "pubmedqa_abstracts.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append({"pmid": r["pmid"], "question": r["question"], "text": r["text"],
                         "contexts": r["contexts"], "labels": r["labels"]})
            if len(rows) == 20:
                break
    path = tmp_path / "abstracts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    store = SQLiteStore(tmp_path / "a.db")
    ingest([path], store, fmt="pubmedqa")
    composer = ExtractiveComposer()
    findings = answered = 0
    for r in rows:
        evidence = retrieve(r["question"], store, k=composer.wants_passages).evidence
        answer = verify(composer.compose(r["question"], evidence), evidence)
        if answer.abstained:
            continue
        answered += 1
        assert not answer.dropped
        findings += _part_of(answer.summary, rows) in ("RESULTS", "CONCLUSIONS")
    store.close()
    assert answered >= 16
    assert findings >= 0.7 * answered


def _part_of(sentence: str, rows: list[dict]) -> str:
    """The printed label of the abstract part holding a sentence; what follows the last part is the conclusions."""
    for r in rows:
        for part, label in zip(r["contexts"], r["labels"]):
            if sentence in part:
                return "RESULTS" if "RESULT" in label.upper() or "FINDING" in label.upper() else label.upper()
        if sentence in r["text"]:
            return "CONCLUSIONS"
    return ""


def test_the_kind_asked_for_is_not_a_word_the_study_must_say() -> None:
    from medoracle.compose.shape import asked_kind

    assert asked_kind("What disease is treated with emicizumab?") == {"diseas"}
    assert asked_kind("Name 3 drugs tested in the trial.") == {"drug"}
    assert asked_kind("Does tranexamic acid reduce death?") == set()
    # Over a study that names the condition but never says "disease", the question is still covered.
    evidence = _evidence([("hemo#0", "Abstract", "Emicizumab prophylaxis reduced bleeding in people with "
                                                 "haemophilia A with or without factor VIII inhibitors.")],
                         "trial", 0.9, "Emicizumab prophylaxis in haemophilia A")
    answer = ExtractiveComposer().compose("What disease is treated with emicizumab?", evidence)
    assert not answer.abstained and "haemophilia A" in answer.summary


def test_only_a_biomedical_kind_is_named_without_its_word() -> None:
    # "Which genes …?" is answered by a sentence naming BRCA1, not the word "gene"; "Which planets have rings?"
    # must name planets (over PubMed it was answered from ring chromosome 14 syndrome).
    from medoracle.compose.shape import asked_kind
    assert asked_kind("Which genes are mutated in cystic fibrosis?") == {"gene"}
    assert asked_kind("Which drugs treat hepatitis C?") == {"drug"}
    assert asked_kind("Which planets have rings?") == set()
