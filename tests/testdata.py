"""Small documents and the PostgreSQL address shared by several test modules.

A module of its own rather than conftest.py: tests/browser has a conftest too, and `from conftest import …`
would find whichever of the two was imported first.
"""

from __future__ import annotations

import os

CLINICAL_DOCS = [
    {"id": "g1", "doc_type": "guideline", "source": "Example Oncology Society", "published": "2022",
     "title": "Management of metastatic spinal cord compression",
     "text": "Patients with suspected metastatic spinal cord compression should have an MRI of the whole spine "
             "within 24 hours. Dexamethasone 16 mg daily should be started unless contraindicated (Grade 1B). "
             "Radiotherapy is the first-line treatment for most patients who are not candidates for surgery."},
    {"id": "g2", "doc_type": "guideline", "source": "Example Haematology Group", "published": "2019",
     "title": "Febrile neutropenia: initial management",
     "text": "Patients with febrile neutropenia should receive empirical broad-spectrum antibiotics within one "
             "hour of presentation. Piperacillin-tazobactam monotherapy is recommended for high-risk patients."},
    {"id": "c1", "doc_type": "consumer", "source": "Example Health Pages", "published": "2015",
     "title": "Back pain and cancer",
     "text": "Back pain in people with cancer can be a sign that cancer has spread to the spine. "
             "Tell your care team at once if you have new back pain, weakness in the legs or numbness."},
    {"id": "t1", "doc_type": "trial", "source": "Example Journal", "published": "2021",
     "title": "Stereotactic body radiotherapy versus conventional radiotherapy for painful spinal metastases",
     "text": "Stereotactic body radiotherapy (SBRT) of 24 Gy in 2 fractions gave a higher complete pain response "
             "than conventional radiotherapy of 20 Gy in 5 fractions in patients with painful spinal metastases."},
    {"id": "o1", "doc_type": "other", "source": "Example Cardiology", "published": "2020",
     "title": "Anticoagulation in atrial fibrillation",
     "text": "Direct oral anticoagulants such as apixaban are preferred over warfarin for stroke prevention in "
             "atrial fibrillation in eligible patients without mechanical heart valves."},
]

PG_URL = os.environ.get("MEDORACLE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_url(schema: str) -> str:
    """A database URL whose connections use `schema` (libpq options: a deployment needs only its URL)."""
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}%2Cpublic"


def assert_answers_with(answer, pattern: str) -> None:
    """A knowledge-base question answered, not abstained: every statement cited to a listed reference, and the
    key fact (`pattern`) said somewhere in the bottom line or the statements."""
    import re

    assert not answer.abstained, answer.abstain_reason
    numbers = {r.n for r in answer.references}
    assert answer.summary and answer.summary_citations and set(answer.summary_citations) <= numbers
    for st in answer.statements():
        assert st.citations and set(st.citations) <= numbers, st
    text = " ".join([answer.summary, *(st.text for st in answer.statements())])
    assert re.search(pattern, text, re.IGNORECASE | re.DOTALL), text[:1500]
