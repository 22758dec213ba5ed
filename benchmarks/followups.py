"""Follow-up questions in a thread: does an elliptical follow-up retrieve evidence about the thread's condition?

24 scripted two-turn threads (written for this benchmark, about topics of the bundled knowledge base and the
NGC guidelines): a first question, then a follow-up that does not name the condition ("and the dose?").
For each follow-up we retrieve the top 5 passages twice, as the service would: once for the question as
asked (no thread) and once for the question resolved against the thread (`resolve_followup`). A passage is
"about the condition" when its title, section or text matches the thread's condition patterns; a follow-up
counts as on-topic when at least 3 of its top 5 passages are. Target: ≥ 90% on-topic with the thread.

    python benchmarks/followups.py [--verbose] [--dense]

Retrieval is lexical + priors by default (embedding all NGC passages takes over an hour on 2 cores); with
`--dense` every passage is embedded first (resumable) and retrieval is the full hybrid.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, median, table  # noqa: E402
from guideline_store import guideline_store  # noqa: E402

from medoracle.editorial import repository_beside  # noqa: E402
from medoracle.editorial.threads import ThreadStore, resolve_followup  # noqa: E402
from medoracle.embed import get_embedder  # noqa: E402
from medoracle.retrieve import retrieve  # noqa: E402
from medoracle.types import Answer  # noqa: E402

TOP = 5
ON_TOPIC_MIN = 3

# (first question, elliptical follow-up, patterns that ALL must match for a passage to be about the condition)
THREADS: list[tuple[str, str, list[str]]] = [
    ("What are the management options for spinal metastasis?", "what about if it has already been irradiated?",
     [r"spin|vertebr|epidural", r"metasta|cancer|tumou?r|malignan"]),
    ("How should hypertension be treated in adults?", "and in pregnancy?", [r"hypertens|blood pressure"]),
    ("What is the first-line drug for type 2 diabetes?", "what if it is not tolerated?",
     [r"diabet|glyc|metformin"]),
    ("How is asthma managed in adults?", "what about children?", [r"asthma"]),
    ("What is the treatment for exacerbations of COPD?", "and are antibiotics needed?",
     [r"copd|chronic obstructive"]),
    ("What antibiotics are recommended for community-acquired pneumonia?", "and for how long?",
     [r"pneumonia"]),
    ("Which drugs are recommended for heart failure with reduced ejection fraction?", "what about the doses?",
     [r"heart failure|ejection fraction|cardiac failure"]),
    ("When is anticoagulation recommended in atrial fibrillation?", "what about people at high bleeding risk?",
     [r"atrial fibrillation|\bAF\b"]),
    ("What is the first-line treatment for depression in adults?", "and what if it does not work?",
     [r"depress"]),
    ("How should febrile neutropenia be managed?", "when can they be treated at home?", [r"neutropeni"]),
    ("How is tumour lysis syndrome prevented?", "what about children?", [r"tumou?r lysis"]),
    ("What is the treatment for hypercalcaemia of malignancy?", "and if it comes back?",
     [r"hypercalc|calcium"]),
    ("How is superior vena cava obstruction managed?", "is stenting better than radiotherapy?",
     [r"vena cava|\bSVC"]),
    ("What are the treatment options for brain metastases?", "what about steroids?",
     [r"brain|cerebral|intracranial", r"metasta|tumou?r|cancer"]),
    ("How is venous thromboembolism treated in people with cancer?", "for how long?",
     [r"thrombo|embol|\bVTE\b|\bDVT\b"]),
    ("How should cancer pain be managed?", "and which opioid is the first choice?",
     [r"cancer|malignan|palliative", r"pain|opioid|analges"]),
    ("How is chemotherapy-induced nausea and vomiting prevented?", "what about delayed symptoms?",
     [r"nausea|vomit|emesis|antiemetic"]),
    ("What antibiotic treats lower urinary tract infection in women?", "and in pregnancy?",
     [r"urinary|\bUTI|cystitis|bacteriuria"]),
    ("How is malignant pleural effusion managed?", "what about if it recurs?", [r"pleural"]),
    ("How are immune-related adverse events from checkpoint inhibitors managed?",
     "when can treatment be restarted?", [r"checkpoint|immune-related|immunotherapy|ipilimumab|nivolumab|"
                                          r"pembrolizumab"]),
    ("How is Clostridium difficile infection treated in adults?", "and what about recurrence?",
     [r"difficile"]),
    ("How can acute kidney injury be prevented?", "and what about children?", [r"kidney|renal|\bAKI\b"]),
    ("What drug therapies are recommended for relapsing-remitting multiple sclerosis?",
     "are they safe in pregnancy?", [r"sclerosis"]),
    ("What treatments work for painful diabetic neuropathy?", "and which is first line?", [r"neuropath"]),
    ("How is localised prostate cancer treated?", "what about active surveillance?", [r"prostat"]),
    ("What corticosteroid treatment is recommended for Duchenne muscular dystrophy?",
     "and what are the side effects?", [r"duchenne|muscular dystroph"]),
]


def about(evidence, patterns: list[str]) -> bool:
    text = " ".join([evidence.title or "", evidence.passage.section or "", evidence.passage.text])
    return all(re.search(p, text, re.I) for p in patterns)


def main() -> None:
    verbose = "--verbose" in sys.argv
    dense = "--dense" in sys.argv
    store = guideline_store(dense=dense)
    embedder = get_embedder("minilm-int8") if dense else None
    threads = ThreadStore(repository_beside(store))
    rows_out = []
    counts = {"without": [], "with": []}
    share = {"without": [], "with": []}
    rewritten = 0
    ms = []
    for first, follow, patterns in THREADS:
        tid = threads.create()
        threads.append(tid, Answer(question=first))  # the first turn: only its question matters for the topic
        thread = threads.get(tid)
        t0 = time.perf_counter()
        resolved = resolve_followup(follow, thread)
        ms.append((time.perf_counter() - t0) * 1000)
        rewritten += resolved != follow
        for label, q in (("without", follow), ("with", resolved)):
            found = retrieve(q, store, k=TOP, embedder=embedder).evidence[:TOP]
            n_on = sum(about(e, patterns) for e in found)
            counts[label].append(n_on >= ON_TOPIC_MIN)
            share[label].append(n_on / TOP)
            if verbose:
                print(f"[{label:7}] {n_on}/{TOP}  {q}")
                for e in found:
                    print(f"           {'+' if about(e, patterns) else '-'} {e.title[:90]}")
        rows_out.append((thread.topic, follow, resolved))
    n = len(THREADS)
    print(f"# Follow-up resolution — {n} scripted two-turn threads, kb + NGC guidelines, top {TOP} passages, "
          f"{'hybrid' if dense else 'lexical'} retrieval")
    print(machine())
    print()
    print(table(["follow-up asked", f"on-topic (≥{ON_TOPIC_MIN}/{TOP} about the condition)",
                 "mean share of top 5 on the condition"], [
        ["without the thread", f"{sum(counts['without'])}/{n} = {sum(counts['without']) / n:.0%}",
         f"{sum(share['without']) / n:.0%}"],
        ["with the thread (resolved)", f"{sum(counts['with'])}/{n} = {sum(counts['with']) / n:.0%}",
         f"{sum(share['with']) / n:.0%}"],
    ]))
    print()
    print(f"follow-ups rewritten: {rewritten}/{n}; resolution time median {median(ms):.2f} ms")
    if verbose:
        print()
        print(table(["thread topic", "follow-up", "resolved"], [list(r) for r in rows_out]))
    target = sum(counts["with"]) / n >= 0.9
    print(f"target ≥ 90% with the thread: {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
