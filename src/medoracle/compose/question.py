"""What kind of answer a question wants: the whole page, or a focused reply about one aspect.

"What are the management options for spinal metastasis?" asks for everything a clinician weighs: red flags,
assessment, first-line treatment, add-ons, surgery, special situations, complications. "Does X reduce Y?" or
"Which drug is first line for Z?" asks for one thing, and a page of it would bury the answer. The form is read
from the question's wording, never from where the question came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["QuestionForm", "read_question"]

_BROAD = re.compile(
    r"\b(?:management|managing|manage[ds]?|treatment options?|therapeutic options?|options? for|approach(?:es)? to|"
    r"overview|care of|work-?up and treatment|how (?:is|are|should|do|does|to|can|would) .{0,80}?"
    r"(?:treated|managed|handled|cared for|treat|manage)|(?:recommended|current) (?:treatment|therapy|care)|"
    r"what (?:is|are) the (?:treatments?|therapies) (?:of|for))\b", re.IGNORECASE)
_YES_NO = re.compile(r"^\s*(?:is|are|does|do|did|can|could|should|was|were|has|have|had|will|would|may|might)\b",
                     re.IGNORECASE)
# Facet keys a question may single out, with the wording that asks for them.
_INTENTS: list[tuple[str, re.Pattern[str]]] = [(key, re.compile(rx, re.IGNORECASE)) for key, rx in [
    ("red_flags", r"\bwarning (?:signs?|symptoms?)\b|\bred[- ]flags?\b|\bwhen (?:to|should) .{0,30}(?:seek|refer|"
                  r"go to|call)|\bemergency\b|\burgent(?:ly)?\b"),
    ("first_line", r"\bfirst[- ]line\b|\binitial (?:treatment|therapy|drug|antibiotic)|\b(?:drug|treatment|"
                   r"antibiotic) of choice\b|\bwhich (?:drugs?|antibiotics?|medications?|medicines?|regimens?|"
                   r"anticoagulants?)\b|\bwhat (?:drugs?|antibiotics?|dose|regimen)\b|\bdos(?:e|es|ing)\b"),
    ("assessment", r"\bdiagnos\w*|\btests?\b|\btesting\b|\bimaging\b|\binvestigat\w+|\bscreen\w*|\bwork-?up\b|"
                   r"\bassess\w*|\bscores?\b|\bstratif\w+|\bMRI\b|\bCT\b"),
    ("procedures", r"\bsurg\w+|\bprocedures?\b|\boperat\w+|\bstent\w*|\bdrain\w*|\bpleurodesis\b|\bablation\b"),
    ("complications", r"\bcomplications?\b|\bside[- ]effects?\b|\badverse\b|\btoxicit\w+|\bmonitor\w*|"
                      r"\bfollow[- ]up\b"),
    ("special", r"\bpregnan\w+|\bchildren\b|\bpaediatric|\bpediatric|\belderly\b|\bolder (?:adults|people)\b|"
                r"\brenal impairment\b|\bre-?irradiat\w+|\brefractory\b|\brecurren\w+|\bstep[- ]up\b|"
                r"\bsecond[- ]line\b|\bnot controlled\b|\buncontrolled\b"),
    ("adjunct", r"\bsupportive\b|\badjunct\w*|\badd-on\b|\bprophyla\w+|\bprevent\w*"),
    ("emerging", r"\bemerging\b|\bnew (?:treatments?|therapies|approaches)\b|\bfuture\b|\bunder investigation\b"),
]]


@dataclass(frozen=True)
class QuestionForm:
    """`broad`: the question asks for the whole management page; `intent`: the one section it singles out."""

    broad: bool
    intent: str | None = None
    yes_no: bool = False


def read_question(question: str) -> QuestionForm:
    """The form of a question, from its wording."""
    yes_no = bool(_YES_NO.match(question))
    intent = next((key for key, rx in _INTENTS if rx.search(question)), None)
    broad = not yes_no and bool(_BROAD.search(question)) and intent in (None, "first_line", "adjunct")
    if broad and intent == "first_line" and re.search(r"\bfirst[- ]line\b|\bof choice\b|\bwhich\b|\bdos",
                                                      question, re.IGNORECASE):
        broad = False  # "What is the first-line management of X?" singles out one section
    return QuestionForm(broad=broad, intent=None if broad else intent, yes_no=yes_no)
