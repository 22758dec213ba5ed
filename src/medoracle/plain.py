"""Our plain-language texts (a knowledge-base card's `plain:`) attached to the statements they say plainly.

The patient page shows a card's `plain:` instead of rewording the clinician sentence word by word. It is used only
when the statement is quoted from that card and the plain text keeps every number and every group of people of the
card's own text (checked here, at answer time, as `medoracle.kb.validate_card` checks it when cards are written).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from medoracle.kb import plain_problems
from medoracle.text import collapse_space, quoted_in
from medoracle.types import Answer, Evidence

__all__ = ["attach_plain", "plain_for", "keeps_numbers_and_population"]


@lru_cache(maxsize=8192)
def keeps_numbers_and_population(plain: str, clinical: str, *, whole: bool = True) -> bool:
    """The plain text keeps every number (by value) and every group of people of the clinical text; with `whole`
    (the clinical text is the whole card) it adds no number either. Cached: a pure function of its texts, asked
    of the same cards and sentences answer after answer."""
    return not plain_problems(plain, clinical, whole=whole)


def plain_for(text: str, evidence: Sequence[Evidence], passage_ids: Sequence[str] = ()) -> str | None:
    """The plain text of the card `text` is quoted from, or None (no such card, or its plain text loses something).

    `passage_ids`: the statement's cited passages, looked at first; without them every evidence passage is.
    """
    by_id = {ev.passage.id: ev for ev in evidence}
    cited = [by_id[p] for p in passage_ids if p in by_id]
    for ev in cited or list(evidence):
        plain = (ev.plain or "").strip()
        if not plain or not quoted_in(text, ev.passage.text):
            continue
        card = collapse_space(ev.passage.text)
        # The card's own text and the sentence quoted from it: a plain text that lost a number or a group of
        # people of either is not the same advice.
        if keeps_numbers_and_population(plain, card) and keeps_numbers_and_population(plain, text, whole=False):
            return collapse_space(plain)
        return None
    return None


def attach_plain(answer: Answer, evidence: Sequence[Evidence]) -> Answer:
    """Set `plain` on each statement (and `summary_plain`) quoted from a card that has a plain text; in place."""
    if answer.abstained or not any(ev.plain for ev in evidence):
        return answer
    if answer.summary:
        answer.summary_plain = plain_for(answer.summary, evidence)
    for st in answer.statements():
        st.plain = plain_for(st.text, evidence, st.passage_ids)
    return answer
