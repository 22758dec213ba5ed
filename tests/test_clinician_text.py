"""The clinician text of an answer stored for a student or patient, read back from the passages it cites
(`medoracle.clinician_text`), on real answers from the bundled knowledge base."""

from __future__ import annotations

import pytest

from medoracle.audience import CARE_TEAM_NOTE, tailor
from medoracle.clinician_text import clinician_text
from medoracle.compose.facets import title_of
from medoracle.text import collapse_space
from medoracle.types import Audience

QUESTIONS = ["What is the management of metastatic spinal cord compression?", "How is gout managed?",
             "What is the management of diabetic ketoacidosis?"]


@pytest.fixture(scope="module")
def answers(kb_clinic) -> list:  # noqa: ANN001
    return [kb_clinic.answer(q) for q in QUESTIONS]


def _cited(answer, citations: list[int]) -> str:  # noqa: ANN001
    return " ".join(collapse_space(q) for r in answer.references if r.n in citations for q in r.quotes)


def test_a_student_answer_gives_back_every_clinician_sentence(answers: list) -> None:
    for clinician in answers:
        student = tailor(clinician, Audience.student)
        assert [st.text for st in student.statements()] != [st.text for st in clinician.statements()]
        back = clinician_text(student)
        assert back.answer.audience is Audience.clinician and back.published_for is Audience.student
        assert back.traced == back.statements == len(clinician.statements()) + 1  # the bottom line too
        assert back.answer.summary == clinician.summary
        assert [st.text for st in back.answer.statements()] == [st.text for st in clinician.statements()]


def test_a_patient_answer_is_read_back_to_sentences_its_sources_hold(answers: list) -> None:
    for clinician in answers:
        patient = tailor(clinician, Audience.patient)
        back = clinician_text(patient)
        assert back.traced >= 0.8 * back.statements  # measured: 367 of 368 (benchmarks/clinician_text.py)
        said = {st.text for st in clinician.statements()} | {clinician.summary}
        for st, was in zip(back.answer.statements(), patient.statements()):
            assert st.citations == was.citations  # every statement keeps its sources
            if st.text != was.text:  # read back: the clinician sentence, or the whole card a plain text says
                assert st.text in said or st.text in _cited(patient, st.citations), st.text
        assert CARE_TEAM_NOTE not in back.answer.notes
        assert all(sec.title == title_of(sec.key) for sec in back.answer.sections
                   if sec.key in ("first_line", "assessment", "red_flags"))


def test_what_no_cited_passage_holds_is_kept_as_published(answers: list) -> None:
    student = tailor(answers[0], Audience.student)
    edited = student.sections[0].statements[0]
    edited.text, edited.written_by = "An editor's own sentence about something else entirely.", "ed"
    invented = student.sections[0].statements[-1]
    invented.text = "Give ten grams of something no source names, every hour."
    back = clinician_text(student)
    kept = [st.text for st in back.answer.sections[0].statements]
    assert edited.text in kept and invented.text in kept
    assert back.traced == back.statements - 2


def test_a_clinician_answer_is_returned_as_it_is(answers: list) -> None:
    back = clinician_text(answers[1])
    assert back.answer == answers[1] and back.traced == back.statements == 0
