"""The same answers for three readers: readability per audience, and what patient mode must never lose.

48 questions (32 on the topics of the bundled knowledge base, every topic at least once; 16 on NGC guideline
topics) are answered by the service once (clinician), then tailored for student and patient. We report the median
Flesch–Kincaid grade and long-sentence share (> 25 words) per audience, both for the whole page and for the
statements and bottom line alone, and per bundled topic; and we check that every patient statement keeps its
citations, every number (as written, or by value for our plain texts) and the groups of people the clinician
statement names, and that the clinician answer is unchanged by `tailor`.

Target: the patient page's statements and bottom line alone at median grade ≤ 8, for every bundled topic. That is
the figure that matters: what the reader is told, without the word explanations and notes (short sentences that
average the grade down). A statement quoted from a knowledge-base card is shown as the card's own plain text
(`plain:`); others are reworded. The patient page may leave out statements that are too technical (trial
statistics, evidence talk, licensing, a guideline's aims), never a section's lead statement; each kept statement is
matched to its original (same cited passages and citations, in order).

    python benchmarks/audience.py [--dense] [--show N]
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, machine, median, table  # noqa: E402
from guideline_store import guideline_store  # noqa: E402

from medoracle import service  # noqa: E402
from medoracle.audience import DATED_LABEL, answer_text, numbers_in, readability, tailor  # noqa: E402
from medoracle.kb import subgroups_of  # noqa: E402
from medoracle.render import to_json, to_markdown  # noqa: E402
from medoracle.settings import Settings  # noqa: E402
from medoracle.text import numbers_of  # noqa: E402

KB_QUESTIONS = 32  # the first 32 questions: every bundled topic (hypertension and spinal metastases twice)

QUESTIONS = [
    # bundled knowledge base topics
    "What are the management options for spinal metastasis?",
    "What is the recommended management of metastatic spinal cord compression?",
    "How is hypertension diagnosed in adults?",
    "Which drug should be used first for hypertension?",
    "What is the first-line drug treatment for type 2 diabetes?",
    "How should an acute asthma attack be treated?",
    "What is the treatment for an exacerbation of COPD?",
    "Which antibiotics are recommended for community-acquired pneumonia?",
    "What drugs are recommended for heart failure with reduced ejection fraction?",
    "When should anticoagulation be offered in atrial fibrillation?",
    "How should depression be treated in adults?",
    "How is febrile neutropenia managed?",
    "How can tumour lysis syndrome be prevented?",
    "How is hypercalcaemia of malignancy treated?",
    "What is the management of superior vena cava obstruction?",
    "What are the treatment options for brain metastases?",
    "How should venous thromboembolism be treated in people with cancer?",
    "How should cancer pain be managed?",
    "How can nausea and vomiting from chemotherapy be prevented?",
    "What antibiotic is recommended for a lower urinary tract infection in women?",
    "How is anaphylaxis treated?",
    "How is bacterial meningitis managed?",
    "How is diabetic ketoacidosis treated?",
    "How is acute hyperkalaemia treated?",
    "How should hypoglycaemia be treated in adults with diabetes?",
    "How is hyponatraemia treated?",
    "How is obesity assessed in adults?",
    "How soon should antibiotics be given in sepsis?",
    "When should a statin be offered for primary prevention?",
    "How is a malignant pleural effusion managed?",
    "How are painful bone metastases treated?",
    "How is immune checkpoint inhibitor colitis treated?",
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
                and all(n in new.text for n in numbers_in(DATED_LABEL.sub("", todo[i].text)))]
        pick = next((i for i in same if todo[i].plain and todo[i].plain == new.text), (kept or same)[0])
        pairs.append((todo[pick], new))
        todo = todo[pick + 1:]
    return pairs


def main() -> None:
    dense = "--dense" in sys.argv
    show = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 0
    store = guideline_store(dense=dense)
    settings = Settings(db=str(CACHE / "guidelines.db"), embedder="minilm-int8" if dense else "none")
    embed = {} if dense else {"embedder": None}
    grades: dict[str, list[float]] = {"clinician": [], "student": [], "patient": []}
    longs: dict[str, list[float]] = {"clinician": [], "student": [], "patient": []}
    own: dict[str, list[float]] = {"clinician": [], "student": [], "patient": []}
    statements = cites_kept = numbers_kept = originals = sections_kept = pipes = 0
    same_facts = plain_statements = plain_summaries = 0
    per_topic: list[tuple[str, float]] = []
    unchanged = abstained = 0
    tailor_ms: list[float] = []
    answered = 0
    for i, q in enumerate(QUESTIONS):
        a = service.answer(q, settings=settings, store=store, **embed)
        if a.abstained:
            abstained += 1
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
            if aud == "patient" and i < KB_QUESTIONS:
                per_topic.append((q, readability(bare).fk_grade))
            longs[aud].append(r.long_sentence_share)
            if aud == "patient":
                pairs = kept_pairs(a, t)
                originals += len(a.statements())
                sections_kept += sum(bool(sec.statements) for sec in t.sections) == len(a.sections)
                pipes += "|" in answer_text(t)
                plain_summaries += bool(a.summary_plain) and t.summary == a.summary_plain
                for orig, new in pairs:
                    statements += 1
                    plain_statements += bool(orig.plain) and new.text == orig.plain
                    cites_kept += new.citations == orig.citations and bool(new.citations)
                    # Reworded text keeps every number as written; our plain text says the card's numbers in
                    # its own words ("≥ 50%" as "50% or more"), so both are checked by value, with the groups
                    # of people the clinician statement names.
                    # (A dated editorial label, "[new 2015]", is left out: its year is not a clinical number.)
                    said = DATED_LABEL.sub("", orig.text)
                    numbers_kept += all(n in new.text for n in numbers_in(said)) or bool(orig.plain)
                    same_facts += (_values(said) <= _values(new.text)
                                   and subgroups_of(orig.text) <= subgroups_of(new.text))
                if i < show:
                    print(to_markdown(t))
    print(f"# Audience — {len(QUESTIONS)} questions ({answered} answered, {abstained} abstained), kb + NGC "
          f"guidelines, {'hybrid' if dense else 'lexical'} retrieval, extractive composer")
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
    print(table(["bundled-topic question (patient)", "FK grade, statements + bottom line only"],
                [[q, f"{g:.1f}"] for q, g in per_topic]))
    over = [q for q, g in per_topic if g > 8]
    print()
    print(f"patient median FK grade, whole page: {median(grades['patient']):.1f}; statements + bottom line only: "
          f"{median(own['patient']):.1f} (target ≤ 8: {'met' if median(own['patient']) <= 8 else 'NOT met'})")
    print(f"bundled-topic questions with statements + bottom line above grade 8: {len(over)}/{len(per_topic)}"
          + (" — " + "; ".join(over) if over else ""))


def _values(text: str) -> set[str]:
    return {value for value, _ in numbers_of(text)}


if __name__ == "__main__":
    main()
