"""Over the real shared corpora, a question about one condition does not cite documents about another: it
answers from on-topic documents or abstains (issue 15: hyperkalaemia from tumour lysis syndrome, migraine
prophylaxis from cholera vaccine, cellulitis from herpetic whitlow).

The store holds the real records of MedQuAD, NGC and PubMedQA that mention any of the competing topics, so
every off-topic neighbour the issue met is there to be wrongly cited.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from medoracle.ingest.pipeline import ingest
from medoracle.service import Clinic
from medoracle.settings import Settings
from medoracle.store import SQLiteStore

pytestmark = pytest.mark.corpus

_COMPETITORS = re.compile(r"hyperkal|potassium|tumou?r lysis|pseudohypoaldosteron|migraine|prophyla|cholera|"
                          r"cellulitis|whitlow|erysipelas", re.IGNORECASE)
_CORPORA = {"medquad.jsonl.gz": "medquad", "ngc_guidelines.jsonl.gz": "ngc", "pubmedqa_abstracts.jsonl.gz": "pubmedqa"}


@pytest.fixture(scope="module")
def corpus_clinic(tmp_path_factory) -> Clinic:
    root = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"
    if not root.is_dir():
        pytest.skip(f"{root} is not present")
    tmp = tmp_path_factory.mktemp("focus-corpus")
    store = SQLiteStore(tmp / "corpus.db")
    for name, fmt in _CORPORA.items():
        kept = tmp / name.replace(".gz", "")
        with gzip.open(root / name, "rt", encoding="utf-8") as src, open(kept, "w", encoding="utf-8") as out:
            for line in src:
                if _COMPETITORS.search(line):
                    out.write(line)
        ingest([kept], store, fmt=fmt)
    settings = Settings(data_dir=str(tmp), db=str(tmp / "corpus.db"))
    return Clinic.build(settings, store=store, embedder=None)


def _about(ref, pattern: str) -> bool:
    return bool(re.search(pattern, f"{ref.title} {ref.doc_id}", re.IGNORECASE))


@pytest.mark.parametrize("question, topic", [
    ("How is hyperkalaemia treated?", r"hyperkal|potassium"),
    ("What drugs are used for migraine prophylaxis?", r"migraine|headache"),
    ("Which antibiotics are used for cellulitis?", r"cellulitis|skin|soft tissue|erysipelas"),
])
def test_answers_cite_on_topic_documents_or_abstain(corpus_clinic: Clinic, question: str, topic: str) -> None:
    answer = corpus_clinic.answer(question)
    if answer.abstained:
        return
    cited = {n for st in answer.statements() for n in st.citations} | set(answer.summary_citations)
    refs = [r for r in answer.references if r.n in cited]
    store = corpus_clinic.store
    metas = store.documents([r.doc_id for r in refs])
    off = [r.title for r in refs if not _about(r, topic)
           and not re.search(topic, json.dumps(metas[r.doc_id].metadata), re.IGNORECASE)]
    assert not off, f"{question!r} cited off-topic documents: {off}"


def test_a_condition_the_corpus_lacks_abstains(corpus_clinic: Clinic) -> None:
    answer = corpus_clinic.answer("What is the first-line treatment for pheochromocytoma?")
    assert answer.abstained


# Questions whose bottom line must give the asked-for treatment, over the real records that compete for it: the
# gout pages and guidelines (where an adverse-reaction list and CKD prevention advice also name "flare" and
# "attacks"), the COPD guidelines (where an exacerbation's antibiotic advice sits beside its steroid advice) and
# the status epilepticus guidelines (where benzodiazepines appear only as what refractory seizures failed).
_TREATMENTS = re.compile(r"gout|COPD exacerbation|exacerbations? of COPD|status epilepticus", re.IGNORECASE)


@pytest.fixture(scope="module")
def treatment_clinic(tmp_path_factory) -> Clinic:
    root = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"
    if not root.is_dir():
        pytest.skip(f"{root} is not present")
    tmp = tmp_path_factory.mktemp("treatment-corpus")
    store = SQLiteStore(tmp / "corpus.db")
    for name, fmt in _CORPORA.items():
        kept = tmp / name.replace(".gz", "")
        with gzip.open(root / name, "rt", encoding="utf-8") as src, open(kept, "w", encoding="utf-8") as out:
            out.writelines(line for line in src if _TREATMENTS.search(line))
        ingest([kept], store, fmt=fmt)
    settings = Settings(data_dir=str(tmp), db=str(tmp / "corpus.db"))
    return Clinic.build(settings, store=store, embedder=None)


@pytest.mark.parametrize("question, gives, never", [
    ("Treatment of an acute gout flare", r"NSAID|non-steroidal|colchicine|corticosteroid|prednis",
     r"adverse reactions|prevention of new attacks"),
    ("Systemic corticosteroids for an acute exacerbation of COPD", r"corticosteroid|prednis", r"procalcitonin"),
])
def test_the_bottom_line_gives_the_treatment_asked_for(treatment_clinic: Clinic, question: str, gives: str,
                                                       never: str) -> None:
    answer = treatment_clinic.answer(question)
    assert not answer.abstained, answer.abstain_reason
    assert re.search(gives, answer.summary, re.IGNORECASE), answer.summary
    assert not re.search(never, answer.summary, re.IGNORECASE), answer.summary


def test_a_drug_question_the_sources_cannot_answer_abstains_or_names_a_drug(treatment_clinic: Clinic) -> None:
    answer = treatment_clinic.answer("First-line drug for status epilepticus")
    if answer.abstained:
        assert "name no specific drug" in (answer.abstain_reason or "")
    else:
        assert re.search(r"benzodiazepine|lorazepam|diazepam|midazolam", answer.summary, re.I), \
            [answer.summary, *(s.text for s in answer.statements())]
