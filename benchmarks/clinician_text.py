"""Articles stored as student or patient text, read back to their clinician text (`medoracle.clinician_text`).

The knowledge-base questions of `audience.py` (every bundled topic) are answered once (clinician) on a fresh
bundled knowledge base, tailored for a student and for a patient, and read back. A statement counts as traced
right when it comes back as the clinician sentence it was worded from (for a card's plain text: the card's whole
text, which the plain text says), wrong when it comes back as any other text, and kept when it stays as
published. Each patient statement is matched to its clinician original as `audience.kept_pairs` does (any
statement quoting the same passage with the same citations counts as it: that pairing cannot tell them apart).

    python benchmarks/clinician_text.py [--show]     # --show: print each statement traced wrong
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, table  # noqa: E402
from audience import KB_QUESTIONS, kept_pairs  # noqa: E402

from medoracle.audience import tailor  # noqa: E402
from medoracle.clinician_text import clinician_text  # noqa: E402
from medoracle.service import Clinic  # noqa: E402
from medoracle.settings import Settings  # noqa: E402
from medoracle.text import collapse_space  # noqa: E402


def _cards(answer) -> dict[str, str]:  # noqa: ANN001
    return {pid: collapse_space(q) for r in answer.references for pid, q in zip(r.passage_ids, r.quotes)}


def main() -> None:
    clinic = Clinic.build(Settings(data_dir=tempfile.mkdtemp(prefix="medoracle-ct-")))
    rows = {"student": [0, 0, 0, 0], "patient": [0, 0, 0, 0]}  # statements, right, wrong, kept as published
    ms: list[float] = []
    for _, q in KB_QUESTIONS:
        a = clinic.answer(q)
        if a.abstained:
            continue
        cards = _cards(a)
        for aud in ("student", "patient"):
            t = tailor(a, aud)
            t0 = time.perf_counter()
            back = clinician_text(t)
            ms.append((time.perf_counter() - t0) * 1000)
            originals = [o for o, _ in kept_pairs(a, t)] if aud == "patient" else a.statements()
            pairs = list(zip(originals, back.answer.statements(), t.statements()))
            row = rows[aud]
            row[0] += 1
            right = back.answer.summary == a.summary or (
                t.summary == a.summary_plain and back.answer.summary in set(cards.values()))
            row[1 if right else 3 if back.answer.summary == t.summary else 2] += 1
            for orig, rec, shown in pairs:
                row[0] += 1
                plain = orig.plain and shown.text == orig.plain
                card = {cards[p] for p in orig.passage_ids if p in cards} if plain else set()
                # Several statements may quote one passage with the same citations: any of them is its original.
                twins = {o.text for o in a.statements() if (o.passage_ids, o.citations) == (orig.passage_ids,
                                                                                           orig.citations)}
                if rec.text == orig.text or rec.text in card or (aud == "patient" and rec.text in twins):
                    row[1] += 1
                elif rec.text == shown.text:
                    row[3] += 1
                else:
                    row[2] += 1
                    if "--show" in sys.argv:
                        print(f"{aud} WRONG\n  was:  {orig.text}\n  shown: {shown.text}\n  back: {rec.text}")
    print(machine())
    print(table(["published for", "statements", "traced right", "traced wrong", "kept as published"],
                [[aud, r[0], r[1], r[2], r[3]] for aud, r in rows.items()]))
    print(f"read back in {sorted(ms)[len(ms) // 2]:.1f} ms median per answer")


if __name__ == "__main__":
    main()
