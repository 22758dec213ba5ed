"""The same answers for three readers: readability per audience, and what patient mode must never lose.

One question for every topic of the bundled knowledge base (hypertension and spinal metastases twice; the run
stops if a topic has none), most asked as a patient or carer would ask them, and 16 on NGC guideline topics, are
answered by the service once (clinician), then tailored for student and patient. We report the median
Flesch–Kincaid grade and long-sentence share (> 25 words) per audience, both for the whole page and for the
statements and bottom line alone; per bundled topic, that grade, the share of statements whose numbers and
population match the clinician text, and whether the page cites the topic's cards. We check that every patient
statement keeps its citations, every number (as written, or by value for our plain texts) and the groups of people
the clinician statement names, and that the clinician answer is unchanged by `tailor`.

Target: the patient page's statements and bottom line alone at median grade ≤ 8, for every bundled topic. That is
the figure that matters: what the reader is told, without the word explanations and notes (short sentences that
average the grade down). A statement quoted from a knowledge-base card is shown as the card's own plain text
(`plain:`); others are reworded. The patient page may leave out statements that are too technical (trial
statistics, evidence talk, licensing, a guideline's aims), never the lead statement of the main-treatment or
urgent-signs section (another section of evidence talk only is left out); each kept statement is
matched to its original (same cited passages and citations, in order).

    python benchmarks/audience.py [--dense | --kb] [--show N]

(--kb: the bundled knowledge base alone, as a new user with no --db gets it; the other runs add the NGC
guideline summaries, whose passages have no plain text and are reworded.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, machine, median, table  # noqa: E402
from guideline_store import guideline_store  # noqa: E402

from medoracle import service  # noqa: E402
from medoracle.audience import EDITORIAL_LABEL, answer_text, numbers_in, readability, tailor  # noqa: E402
from medoracle.kb import card_paths, subgroups_of, topics  # noqa: E402
from medoracle.render import to_json, to_markdown  # noqa: E402
from medoracle.service import Clinic  # noqa: E402
from medoracle.settings import Settings  # noqa: E402
from medoracle.text import numbers_of  # noqa: E402

# One question per bundled topic, asked as a patient or a carer would ask it (the first 32, from before the plain
# texts, as clinicians ask them), each with the topic it is about; `main` checks that every topic is here.
KB_QUESTIONS = [
    ("spinal-metastases", "What are the management options for spinal metastasis?"),
    ("spinal-metastases", "What is the recommended management of metastatic spinal cord compression?"),
    ("hypertension", "How is hypertension diagnosed in adults?"),
    ("hypertension", "Which drug should be used first for hypertension?"),
    ("type-2-diabetes", "What is the first-line drug treatment for type 2 diabetes?"),
    ("asthma", "How should an acute asthma attack be treated?"),
    ("copd", "What is the treatment for an exacerbation of COPD?"),
    ("community-acquired-pneumonia", "Which antibiotics are recommended for community-acquired pneumonia?"),
    ("heart-failure", "What drugs are recommended for heart failure with reduced ejection fraction?"),
    ("atrial-fibrillation-anticoagulation", "When should anticoagulation be offered in atrial fibrillation?"),
    ("depression", "How should depression be treated in adults?"),
    ("febrile-neutropenia", "How is febrile neutropenia managed?"),
    ("tumour-lysis-syndrome", "How can tumour lysis syndrome be prevented?"),
    ("hypercalcaemia-of-malignancy", "How is hypercalcaemia of malignancy treated?"),
    ("superior-vena-cava-obstruction", "What is the management of superior vena cava obstruction?"),
    ("brain-metastases", "What are the treatment options for brain metastases?"),
    ("cancer-associated-vte", "How should venous thromboembolism be treated in people with cancer?"),
    ("cancer-pain", "How should cancer pain be managed?"),
    ("chemotherapy-induced-nausea-vomiting", "How can nausea and vomiting from chemotherapy be prevented?"),
    ("lower-urinary-tract-infection", "What antibiotic is recommended for a lower urinary tract infection in women?"),
    ("anaphylaxis", "How is anaphylaxis treated?"),
    ("bacterial-meningitis", "How is bacterial meningitis managed?"),
    ("diabetic-ketoacidosis", "How is diabetic ketoacidosis treated?"),
    ("hyperkalaemia", "How is acute hyperkalaemia treated?"),
    ("hypoglycaemia", "How should hypoglycaemia be treated in adults with diabetes?"),
    ("hyponatraemia", "How is hyponatraemia treated?"),
    ("obesity", "How is obesity assessed in adults?"),
    ("sepsis", "How soon should antibiotics be given in sepsis?"),
    ("hyperlipidaemia", "When should a statin be offered for primary prevention?"),
    ("malignant-pleural-effusion", "How is a malignant pleural effusion managed?"),
    ("bone-metastases", "How are painful bone metastases treated?"),
    ("immune-checkpoint-inhibitor-toxicity", "How is immune checkpoint inhibitor colitis treated?"),
    # the other topics, in a patient's or carer's words, with the name of the condition they were told (questions
    # in lay words alone are tested in tests/test_plain.py; some still miss their topic, see the README)
    ("acute-coronary-syndrome", "What is the treatment for acute coronary syndrome?"),
    ("acute-heart-failure", "How is acute heart failure treated in hospital?"),
    ("acute-kidney-injury", "My mum has acute kidney injury. Will she need dialysis?"),
    ("alcohol-withdrawal", "What medicine helps with alcohol withdrawal when I stop drinking?"),
    ("anxiety-disorders", "I worry all the time. What treatments help generalised anxiety?"),
    ("bronchiolitis", "When should a baby with bronchiolitis go to hospital?"),
    ("cellulitis", "What antibiotic will I get for cellulitis on my leg?"),
    ("chronic-kidney-disease", "I have chronic kidney disease. What should my blood pressure be?"),
    ("clostridioides-difficile", "What is the treatment for C. difficile infection?"),
    ("deep-vein-thrombosis", "How is a blood clot in the leg (DVT) treated?"),
    ("delirium", "My grandmother has delirium in hospital. What can help her?"),
    ("dementia", "Which drugs treat Alzheimer's disease?"),
    ("epilepsy", "My son has had a seizure lasting 5 minutes. What should we do?"),
    ("fever-in-under-5s", "My child under 5 has a fever. When is it serious?"),
    ("gestational-diabetes", "I have gestational diabetes. How will it be treated?"),
    ("gout", "How is a gout flare treated?"),
    ("hypothyroidism", "How is hypothyroidism treated?"),
    ("migraine", "What medicines help a migraine attack?"),
    ("opioid-overdose", "How is an opioid overdose treated?"),
    ("osteoporosis", "I am postmenopausal with osteoporosis. Which treatment should I have?"),
    ("pre-eclampsia", "I have pre-eclampsia. How will it be treated?"),
    ("pulmonary-embolism", "How is a blood clot in the lung treated?"),
    ("smoking-cessation", "What is the best way to stop smoking?"),
    ("stroke-tia", "What should happen after a mini-stroke (TIA)?"),
    ("upper-gi-bleeding", "I have an upper GI bleed. What happens in hospital?"),
    ("venous-leg-ulcers", "How is a venous leg ulcer treated?"),
    ("acute-sore-throat", "Do I need antibiotics for a sore throat?"),
    ("acute-sinusitis", "How is sinusitis treated?"),
    ("low-back-pain-sciatica", "What can I do about low back pain?"),
    ("iron-deficiency-anaemia", "How is iron deficiency anaemia treated?"),
]

QUESTIONS = [
    *(q for _, q in KB_QUESTIONS),
    # NGC guideline topics
    "How is Clostridium difficile infection treated?",
    "How can acute kidney injury be prevented in hospital?",
    "Which drugs are recommended for relapsing-remitting multiple sclerosis?",
    "What treatments are effective for painful diabetic neuropathy?",
    "What are the treatment options for localised prostate cancer?",
    "What corticosteroid treatment is recommended for Duchenne muscular dystrophy?",
    "How should neck pain be managed?",
    "How is anaemia managed in chronic kidney disease?",
    "What is the management of delirium in older adults?",
    "How should low back pain be treated?",
    "What is the recommended treatment for gout?",
    "How is osteoporosis treated in postmenopausal women?",
    "What is the management of bronchiolitis in children?",
    "How should head injury be assessed in the emergency department?",
    "What is the treatment of chancroid?",
    "How is obstructive sleep apnoea treated?",
]


def kept_pairs(original, tailored) -> list:
    """Each patient statement with the clinician statement it came from (some may be left out, none reordered).

    Several statements can quote the same passage with the same citations, so among the next statements with the
    same passages and citations the first whose numbers all survive is taken; if none, the first (a failure).
    """
    pairs, todo = [], list(original.statements())
    for new in tailored.statements():
        same = [i for i, o in enumerate(todo) if o.passage_ids == new.passage_ids and o.citations == new.citations]
        if not same:
            raise SystemExit(f"patient statement without its original: {new.text!r}")
        # A card's plain text holds the numbers of all its sentences: matched by the plain text itself.
        kept = [i for i in same if not todo[i].plain
                and all(n in new.text for n in numbers_in(EDITORIAL_LABEL.sub("", todo[i].text)))]
        pick = next((i for i in same if todo[i].plain and todo[i].plain == new.text), (kept or same)[0])
        pairs.append((todo[pick], new))
        todo = todo[pick + 1:]
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dense", action="store_true",
                        help="hybrid retrieval as users get it (lexical + dense); every passage is embedded first, "
                             "the NGC ones borrowed from the retrieval benchmark's database when it has them")
    parser.add_argument("--kb", action="store_true",
                        help="the bundled knowledge base alone, as a new user gets it with no --db (built into a "
                             "fresh data directory, default embedder): the bundled topics' questions only")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N patient pages")
    args = parser.parse_args()
    dense, show = args.dense or args.kb, args.show
    questions = QUESTIONS[:len(KB_QUESTIONS)] if args.kb else QUESTIONS
    if args.kb:
        settings = Settings(data_dir=tempfile.mkdtemp(prefix="medoracle-audience-"))
        store, embed = Clinic.build(settings).store, {}
    else:
        store = guideline_store(dense=dense)
        settings = Settings(db=str(CACHE / "guidelines.db"), embedder="minilm-int8" if dense else "none")
        embed = {} if dense else {"embedder": None}
    grades: dict[str, list[float]] = {"clinician": [], "student": [], "patient": []}
    longs: dict[str, list[float]] = {"clinician": [], "student": [], "patient": []}
    own: dict[str, list[float]] = {"clinician": [], "student": [], "patient": []}
    statements = cites_kept = numbers_kept = originals = sections_kept = pipes = 0
    same_facts = plain_statements = plain_summaries = 0
    missing = sorted({t.slug for t in topics()} - {slug for slug, _ in KB_QUESTIONS})
    if missing:
        raise SystemExit(f"bundled topics without a question: {', '.join(missing)}")
    card_topic = {f"kb:{path.stem}": path.parent.name for path in card_paths() if path.name != "_topic.md"}
    # Per bundled-topic question: topic, question, grade, statements whose facts match, statements, topic reached.
    per_topic: list[tuple[str, str, float | None, int, int, bool]] = []
    unchanged = abstained = 0
    tailor_ms: list[float] = []
    answered = 0
    for i, q in enumerate(questions):
        a = service.answer(q, settings=settings, store=store, **embed)
        if a.abstained:
            abstained += 1
            if i < len(KB_QUESTIONS):  # a bundled topic the service could not answer: listed, never met
                per_topic.append((KB_QUESTIONS[i][0], q, None, 0, 0, False))
            continue
        answered += 1
        unchanged += json.dumps(to_json(tailor(a, "clinician"))) == json.dumps(to_json(a))
        for aud in ("clinician", "student", "patient"):
            t0 = time.perf_counter()
            t = tailor(a, aud)
            tailor_ms.append((time.perf_counter() - t0) * 1000)
            r = readability(answer_text(t))
            grades[aud].append(r.fk_grade)
            # The same without the notes and word explanations: the statements and bottom line alone.
            bare = re.sub(r"\s*\([^():]{1,60}: [^()]*\.\)", "",
                          " ".join([t.summary, *(st.text for st in t.statements())]))
            own[aud].append(readability(bare).fk_grade)
            bare_grade = readability(bare).fk_grade
            longs[aud].append(r.long_sentence_share)
            if aud == "patient":
                pairs = kept_pairs(a, t)
                originals += len(a.statements())
                sections_kept += sum(bool(sec.statements) for sec in t.sections) == len(a.sections)
                pipes += "|" in answer_text(t)
                matched = 0
                plain_summaries += bool(a.summary_plain) and t.summary == a.summary_plain
                for orig, new in pairs:
                    statements += 1
                    plain_statements += bool(orig.plain) and new.text == orig.plain
                    cites_kept += new.citations == orig.citations and bool(new.citations)
                    # Reworded text keeps every number as written; our plain text says the card's numbers in
                    # its own words ("≥ 50%" as "50% or more"), so both are checked by value, with the groups
                    # of people the clinician statement names.
                    # (A dated editorial label, "[new 2015]", is left out: its year is not a clinical number.)
                    said = EDITORIAL_LABEL.sub("", orig.text)
                    numbers_kept += all(n in new.text for n in numbers_in(said)) or bool(orig.plain)
                    same = _values(said) <= _values(new.text) and subgroups_of(orig.text) <= subgroups_of(new.text)
                    same_facts += same
                    matched += same
                if i < len(KB_QUESTIONS):
                    topic = KB_QUESTIONS[i][0]
                    # The page is about the topic asked of when it cites one of the topic's cards.
                    cited = {card_topic.get(pid.split("#")[0]) for ref in a.references for pid in ref.passage_ids}
                    per_topic.append((topic, q, bare_grade, matched, len(pairs), topic in cited))
                if i < show:
                    print(to_markdown(t))
    print(f"# Audience — {len(questions)} questions ({answered} answered, {abstained} abstained), "
          f"{'the bundled knowledge base alone' if args.kb else 'kb + NGC guidelines'}, "
          f"{'hybrid' if dense else 'lexical'} retrieval, extractive composer")
    print(machine())
    print()
    print(table(["audience", "median FK grade", "median long-sentence share (>25 words)",
                 "median FK grade, statements + bottom line only"], [
        [aud, f"{median(grades[aud]):.1f}", f"{median(longs[aud]):.0%}", f"{median(own[aud]):.1f}"] for aud in grades]))
    print()
    print(table(["patient-mode check", "result"], [
        ["statements shown (of the clinician answer's)", f"{statements}/{originals}"],
        ["answers keeping every section", f"{sections_kept}/{answered}"],
        ["answers with a '|' in the text", f"{pipes}/{answered}"],
        ["statements keeping their citations", f"{cites_kept}/{statements}"],
        ["statements keeping every number and unit (as written; plain texts by value)",
         f"{numbers_kept}/{statements}"],
        ["statements whose numbers (by value) and population match the clinician text",
         f"{same_facts}/{statements} ({same_facts / max(statements, 1):.0%})"],
        ["statements shown as the card's own plain text", f"{plain_statements}/{statements}"],
        ["bottom lines shown as the card's own plain text", f"{plain_summaries}/{answered}"],
        ["clinician answers unchanged by tailor", f"{unchanged}/{answered}"],
        ["tailor time, median", f"{median(tailor_ms):.1f} ms"],
    ]))
    print()
    print(table(["bundled topic", "question (patient page)", "FK grade, statements + bottom line only",
                 "statements whose numbers and population match", "cites the topic's cards"],
                [[topic, q, "abstained" if g is None else f"{g:.1f}", f"{m}/{n} ({m / max(n, 1):.0%})",
                  "yes" if reached else "NO"] for topic, q, g, m, n, reached in per_topic]))
    # A topic asked about twice meets the target only when both of its pages do; an abstention never does.
    worst: dict[str, float] = {}
    for topic, _, g, *_rest in per_topic:
        grade = float("inf") if g is None else g
        worst[topic] = max(grade, worst.get(topic, grade))
    over = sorted(topic for topic, g in worst.items() if g > 8)
    topic_grades = [g for _, _, g, *_rest in per_topic if g is not None]
    print()
    print(f"patient median FK grade, whole page: {median(grades['patient']):.1f}; statements + bottom line only: "
          f"{median(own['patient']):.1f} (target ≤ 8: {'met' if median(own['patient']) <= 8 else 'NOT met'})")
    print(f"bundled topics: {len(worst) - len(over)}/{len(worst)} with statements + bottom line at grade ≤ 8 "
          f"(median over their pages {median(topic_grades):.1f}; pages citing their topic's cards "
          f"{sum(r[5] for r in per_topic)}/{len(per_topic)})" + (" — above 8: " + ", ".join(over) if over else ""))


def _values(text: str) -> set[str]:
    return {value for value, _ in numbers_of(text)}


if __name__ == "__main__":
    main()
