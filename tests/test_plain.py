"""Patient pages show our plain-language card texts (`plain:`), checked to keep numbers and population."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medoracle.audience import tailor
from medoracle.kb import kb_root, plain_problems, read_front_matter, subgroups_of
from medoracle.plain import attach_plain, plain_for
from medoracle.text import collapse_space
from medoracle.types import Answer, Audience, DocType, Evidence, Passage, Section, Statement


def _card(rel: str) -> tuple[dict, str]:
    meta, body = read_front_matter(kb_root() / rel)
    return meta, collapse_space(body)


def _evidence(rel: str, plain: str | None = None) -> Evidence:
    meta, body = _card(rel)
    doc_id = f"kb:{meta['id']}"
    return Evidence(passage=Passage(id=f"{doc_id}#0", doc_id=doc_id, text=body, doc_type=DocType.guideline),
                    title=meta["source"]["title"], plain=meta.get("plain") if plain is None else plain)


CORRECTION = "hyponatraemia/hypona-correction-limits.md"
SEPSIS_MAP = "sepsis/sepsis-map-65-target.md"


def test_plain_text_of_the_card_a_statement_is_quoted_from():
    ev = _evidence(CORRECTION)
    sentence = _card(CORRECTION)[1].split(". ")[0] + "."
    assert plain_for(sentence, [ev], [ev.passage.id]) == collapse_space(ev.plain or "")
    # A paraphrase is not the card's own words: no plain text for it.
    assert plain_for("Sodium must rise slowly in hyponatraemia.", [ev]) is None


def test_plain_text_that_loses_a_number_is_not_used():
    ev = _evidence(CORRECTION)
    assert ev.plain and "18 mmol/L" in ev.plain
    lossy = _evidence(CORRECTION, plain=ev.plain.replace("18 mmol/L", "a little more"))
    sentence = _card(CORRECTION)[1]
    assert plain_for(sentence, [lossy]) is None
    assert plain_problems(lossy.plain or "", sentence) == ["plain loses the body's numbers: 18"]


def test_plain_text_that_loses_the_population_is_not_used():
    ev = _evidence(SEPSIS_MAP)
    assert "adult" in subgroups_of(ev.passage.text) and "adult" in subgroups_of(ev.plain or "")
    # "For adults with septic shock …" said as "If sepsis has caused shock …" would take in children.
    lossy = _evidence(SEPSIS_MAP, plain=re.sub(r"\b[Aa]dults\b", "People", ev.plain or ""))
    assert "adult" not in subgroups_of(lossy.plain or "")
    assert plain_for(ev.passage.text, [lossy]) is None
    assert plain_for(ev.passage.text, [ev]) == collapse_space(ev.plain or "")


def test_groups_of_people_are_read_as_one_key_each():
    assert subgroups_of("For older adults and elderly people") == {"older"}
    assert subgroups_of("Adults and young people aged 16 or over") == {"adult", "adolescent"}
    assert subgroups_of("pregnant women, breastfeeding mothers and babies") == {"pregnant", "breastfeeding", "infant"}


def _card_answer() -> tuple[Answer, list[Evidence]]:
    ev = _evidence(CORRECTION)
    first, second = (s if s.endswith(".") else s + "." for s in _card(CORRECTION)[1].split(". ", 1))
    other = Statement(text="Hyponatraemia with severe symptoms is treated at once with hypertonic saline.",
                      citations=[2], passage_ids=["doc-2#0"])
    answer = Answer(question="How fast should sodium be corrected?", summary=first, summary_citations=[1],
                    sections=[Section(key="complications", title="Complications and monitoring", statements=[
                        Statement(text=first, citations=[1], passage_ids=[ev.passage.id]),
                        Statement(text=second, citations=[1], passage_ids=[ev.passage.id]),
                        other])])
    return answer, [ev]


def test_patient_page_shows_each_card_plain_text_once_with_its_citations():
    answer, evidence = _card_answer()
    attach_plain(answer, evidence)
    plain = collapse_space(evidence[0].plain or "")
    assert answer.summary_plain == plain
    assert [st.plain for st in answer.statements()] == [plain, plain, None]
    patient = tailor(answer, Audience.patient)
    # The bottom line is the card's plain text; the two statements quoted from the same card say it again, so
    # they are not repeated; the statement from another source keeps its reworded text and its citation.
    assert patient.summary == plain and patient.summary_citations == [1]
    texts = [st.text for st in patient.statements()]
    assert plain not in texts and len(texts) == 1 and patient.statements()[0].citations == [2]
    page = " ".join([patient.summary, *texts])
    assert page.count(plain) == 1
    # Clinicians and students read the card's own words.
    for audience in (Audience.clinician, Audience.student):
        assert plain not in " ".join([tailor(answer, audience).summary,
                                      *(st.text for st in tailor(answer, audience).statements())])


def test_plain_text_survives_a_stored_article():
    answer, evidence = _card_answer()
    attach_plain(answer, evidence)
    stored = Answer.model_validate_json(answer.model_dump_json())
    assert tailor(stored, Audience.patient).summary == collapse_space(evidence[0].plain or "")


def test_statement_without_a_card_summary_plain_keeps_its_statements():
    answer, evidence = _card_answer()
    answer.summary = answer.sections[0].statements[2].text
    answer.summary_citations = [2]
    attach_plain(answer, evidence)
    assert answer.summary_plain is None
    patient = tailor(answer, Audience.patient)
    plain = collapse_space(evidence[0].plain or "")
    assert [st.text for st in patient.statements()].count(plain) == 1
    assert [st.citations for st in patient.statements() if st.text == plain] == [[1]]


@pytest.mark.parametrize("question", ["How is hyponatraemia treated?", "How is diabetic ketoacidosis managed?"])
def test_kb_patient_answer_uses_the_cards_plain_texts(kb_clinic, question):
    clinician = kb_clinic.answer(question)
    patient = kb_clinic.answer(question, audience="patient")
    cards = {collapse_space(str(read_front_matter(p)[0].get("plain", ""))): p
             for p in Path(kb_root()).glob("*/*.md") if p.name != "_topic.md"}
    page = [patient.summary, *(st.text for st in patient.statements())]
    shown = [t for t in page if t in cards]
    assert shown, page
    assert len(shown) == len(set(shown))  # once per card per page
    # Cited exactly as the clinician statements quoted from that card.
    by_plain = {st.plain: st.citations for st in clinician.statements() if st.plain}
    if clinician.summary_plain:
        by_plain.setdefault(clinician.summary_plain, clinician.summary_citations)
        assert patient.summary == clinician.summary_plain
        assert patient.summary_citations == clinician.summary_citations
    for st in patient.statements():
        if st.text in cards:
            assert st.citations == by_plain[st.text]
            meta, body = read_front_matter(cards[st.text])
            assert not plain_problems(st.text, collapse_space(body))


def test_a_corrected_plain_text_reaches_the_evidence_after_reingest(store, tmp_path):
    """A card whose only change is its `plain:` is a new version: the store must not keep the old text."""
    from medoracle.ingest.pipeline import ingest
    from medoracle.retrieve import retrieve

    card = tmp_path / "hypona-correction-limits.md"
    original = (kb_root() / CORRECTION).read_text(encoding="utf-8")
    card.write_text(original, encoding="utf-8")
    ingest([card], store, fmt="markdown")
    first = retrieve("sodium correction osmotic demyelination", store, k=3, embedder=None).evidence
    assert first and first[0].plain and "10 mmol/L" in first[0].plain
    card.write_text(original.replace("Your care team watches for this", "Your care team checks for this"),
                    encoding="utf-8")
    assert ingest([card], store, fmt="markdown").added == 1
    again = retrieve("sodium correction osmotic demyelination", store, k=3, embedder=None).evidence
    assert again[0].plain and "Your care team checks for this" in again[0].plain


def test_an_edited_statement_is_reworded_not_replaced_by_the_card_plain_text():
    answer, evidence = _card_answer()
    attach_plain(answer, evidence)
    edited = answer.sections[0].statements[0]
    edited.text = "Sodium should rise by no more than 8 mmol/L in the first 24 hours."
    edited.written_by = "editor"
    answer.summary_written_by = "editor"
    patient = tailor(answer, Audience.patient)
    plain = collapse_space(evidence[0].plain or "")
    assert patient.summary != plain
    assert "8 mmol/L" in patient.statements()[0].text


def test_every_topic_page_has_a_plain_text_that_keeps_its_numbers(tmp_path):
    from medoracle.kb import topics, validate_topic_page

    for topic in topics():
        meta, body = read_front_matter(topic.path / "_topic.md")
        assert meta.get("plain"), topic.slug
        assert not plain_problems(str(meta["plain"]), collapse_space(body)), topic.slug
    # A topic page's plain text is checked like a card's: one that loses a number is reported.
    page = (kb_root() / "hyponatraemia" / "_topic.md").read_text(encoding="utf-8")
    assert "below 135 mmol/L" in page.split("---")[1]
    broken = tmp_path / "hyponatraemia" / "_topic.md"
    broken.parent.mkdir()
    broken.write_text(page.replace("below 135 mmol/L. It is", "too low. It is", 1), encoding="utf-8")
    assert "plain loses the body's numbers: 135" in validate_topic_page(broken)


def test_a_topic_page_quoted_as_a_bottom_line_is_shown_as_its_plain_text(store):
    """The topic page is evidence too (its overview can be the bottom line): the patient reads its plain text."""
    from medoracle.ingest.pipeline import ingest
    from medoracle.retrieve import retrieve

    ingest([kb_root() / "hyponatraemia" / "_topic.md"], store, fmt="markdown")
    evidence = retrieve("hyponatraemia serum sodium hypertonic saline", store, k=3, embedder=None).evidence
    topic = next(ev for ev in evidence if ev.passage.doc_id == "kb:topic:hyponatraemia"
                 and not ev.passage.text.startswith("Also known as"))
    sentence = collapse_space(topic.passage.text).split(". ")[0] + "."
    answer = Answer(question="How is hyponatraemia treated?", summary=sentence, summary_citations=[1],
                    sections=[])
    attach_plain(answer, [topic])
    assert answer.summary_plain == collapse_space(topic.plain or "") and "135 mmol/L" in answer.summary_plain
    assert tailor(answer, Audience.patient).summary == answer.summary_plain
    # The page's "Also known as" passage carries the same plain text, but it holds none of its numbers: a sentence
    # quoted from it never gets it.
    aliases = next((ev for ev in evidence if ev.passage.text.startswith("Also known as")), None)
    if aliases is not None:
        assert plain_for(aliases.passage.text, [aliases]) is None


# Questions in a patient's own words, each with the topic it is about: the page must be answered from that topic's
# cards (its most-cited topic). Lay names are topic aliases ("underactive thyroid", "mini-stroke"); "What medicines
# help …", "the best way to …" frame the question and must not have to stand in the answering sentence.
LAY_QUESTIONS = [
    ("How is an underactive thyroid treated?", "hypothyroidism"),
    ("I have diabetes in pregnancy. How will it be treated?", "gestational-diabetes"),
    ("How is a mini-stroke treated?", "stroke-tia"),
    ("How is high potassium treated?", "hyperkalaemia"),
    ("How is a severe allergic reaction treated?", "anaphylaxis"),
    ("What medicines help a migraine attack?", "migraine"),
    ("What is the best way to stop smoking?", "smoking-cessation"),
    ("Should I take a blood thinner for atrial fibrillation?", "atrial-fibrillation-anticoagulation"),
]


@pytest.mark.parametrize("question,topic", LAY_QUESTIONS, ids=[q for q, _ in LAY_QUESTIONS])
def test_a_question_in_lay_words_reaches_its_topic(kb_clinic, question, topic):
    answer = kb_clinic.answer(question, audience="patient")
    assert not answer.abstained, answer.abstain_reason
    card_topic = {f"kb:{p.stem}": p.parent.name for p in Path(kb_root()).glob("*/*.md") if p.name != "_topic.md"}
    cited: dict[str, int] = {}
    for ref in answer.references:
        for pid in ref.passage_ids:
            doc = pid.split("#")[0]
            name = card_topic.get(doc) or doc.removeprefix("kb:topic:")
            cited[name] = cited.get(name, 0) + 1
    assert max(cited, key=lambda t: cited[t]) == topic, cited
