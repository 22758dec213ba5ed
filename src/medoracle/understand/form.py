"""What kind of answer a question wants: the whole page, or a focused reply about one aspect.

"What are the management options for spinal metastasis?" asks for everything a clinician weighs: red flags,
assessment, first-line treatment, add-ons, surgery, special situations, complications. "Does X reduce Y?" or
"Which drug is first line for Z?" asks for one thing, and a page of it would bury the answer. The form is read
from the question's wording, never from where the question came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["QuestionForm", "read_intents", "read_question"]

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
    ("assessment", r"(?<!newly )(?<!been )(?<!recently )\bdiagnos(?!ed with\b)\w*|"
                   r"\btests?\b|\btesting\b|\bimaging\b|\binvestigat\w+|\bscreen\w*|\bwork-?up\b|"
                   r"\bassess\w*|\bscores?\b|\bstratif\w+|\bMRI\b|\bCT\b|\bstag(?:es|ing)\b|\bclassif\w+|"
                   r"\bcriteria\b|\bdefinition\b|\bdefines?\b|\bwhat (?:\w+ )?levels? (?:is|are|counts? as|means)\b"),
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


# What a question asks for, by its wording; a multi-part question ("which drug and what dose?") has several.
_ASKS: list[tuple[str, re.Pattern[str]]] = [(key, re.compile(rx, re.IGNORECASE)) for key, rx in [
    ("dose", r"\bdos(?:e|es|ing|age)\b|\bhow much\b|\bhow many (?:mg|milligrams|units|fractions)\b|\bwhat mg\b|"
             r"\bconver(?:t|sion)\b|\b(?:insulin|infusion|drip) rate\b|\brate of (?:insulin|infusion)\b"),
    ("first_line", r"\bfirst[- ]line\b|\bof choice\b|\bwhich (?:drugs?|antibiotics?|medications?|medicines?|"
                   r"regimens?|anticoagulants?|agents?|treatments?)\b|\bwhat (?:drugs?|antibiotics?|medications?|"
                   r"regimens?|agents?)\b|\bbest (?:drug|treatment|antibiotic)\b|\bempiric\w*|\bantibiotics for\b|"
                   r"\binitial (?:treatment|therapy|drug|inhaler|antibiotic)\b|\bstep 1\b|\bfirst (?:choice|drug)\b|"
                   r"\b(?:which|what) anti\w+|\bstart(?:ed|ing)? (?:on|with)\b|\b(?:which|what) \w+ should "
                   r".{0,40}\bstart\b|"
                   # "Antihypertensive for a 60-year-old", "IV diuretic for acute heart failure", "COPD inhaler
                   # for a breathless patient" (the condition spelled out: "… (COPD) inhaler for"): which one
                   r"^(?:(?!(?:how|what|which|when|why|is|are|do|does|should|can|long)\b)[\w-]+ (?:\([^)]*\) )?){0,5}"
                   r"(?:anti\w+|(?:cortico)?steroids?|diuretics?|inhalers?|analgesics?|painkillers?|drugs?|"
                   r"medications?|medicines?|meds|tablets?|pills?)(?: \([^)]*\))?\s+for\b"),
    ("comparison", r"\bvs\.?\b|\bversus\b|\bcompared (?:with|to)\b|\bbetter than\b|\bor\b.{0,40}\?\s*$|"
                   r"\bdifference between\b"),
    ("duration", r"\bhow long\b|\bduration\b|\bfor how many (?:days|weeks|months)\b|\bcourse length\b|"
                 r"\bhow many (?:days|weeks|months)\b|\bwhen (?:to|should|can) (?:i |we )?stop\b"),
    ("timing", r"\bhow (?:soon|fast|quickly)\b|\btiming\b|\bwithin \d+ ?(?:hours?|minutes?|h|mins?)\b|"
               r"\bhow long (?:before|until|after)\b"),
    # "When should X be given?" asks in whom or in what circumstances (an indication) more often than how soon,
    # so it is not read as timing: requiring a time limit would make it abstain on indication sentences.
    ("threshold", r"\bwhen (?:to|should|do|does|is|are|can) .{0,40}(?:start|treat|offer|begin|initiat|refer)\w*|"
                  r"\bthreshold\b|\bat what (?:level|value|point|blood pressure)\b|\btarget\b"),
    ("diagnosis", r"(?<!newly )(?<!been )(?<!recently )\bdiagnos(?!ed with\b)\w*|\btests?\b|"
                  r"\btesting\b|\bimaging\b|\binvestigat\w+|\bwork-?up\b|\bdifferential\b|"
                  r"\bscan\b|\bMRI\b|\bCT\b|\bstag(?:es|ing)\b|\bclassif\w+|\bcriteria\b|\bdefinition\b|"
                  r"\bdefines?\b|\bwhat (?:\w+ )?levels? (?:is|are|counts? as|means)\b"),
    ("risk_score", r"\bscores?\b|\brisk (?:stratification|assessment|tool|calculator)\b|\bCHA2DS2|\bCURB-?65\b|"
                   r"\bWells\b|\bMASCC\b|\bORBIT\b|\bHAS-?BLED\b"),
    ("prognosis", r"\bprognos\w+|\bsurvival\b|\boutlook\b|\blife expectancy\b|\bmortality\b"),
    ("monitoring", r"\bmonitor\w*|\bfollow[- ]up\b|\bhow often\b|\breview\b|\bcheck(?:ed|ing)?\b"),
    ("prevention", r"\bprevent\w*|\bprophyla\w+|\bscreen\w*|\bvaccin\w+|\breduce the risk\b"),
    ("safety", r"\bsafe(?:ty)?\b|\bcontraindicat\w+|\bside[- ]effects?\b|\badverse\b|\bavoid\w*|\binteract\w*|"
               r"\bwarnings?\b|\bG6PD\b|\bcaution\b|\btoxicit\w+|\bhypocalc\w+\?|\brisks?\b\?|"
               # "which antidepressants should not be used in children?" asks what to avoid
               r"\b(?:should|must) not be (?:used|given|prescribed)\b"),
    ("treatment", r"\btreat\w*|\bmanag\w+|\btherap\w+|\bdrugs?\b|\bmedication\w*|\bstent\w*|\bsurgery\b|"
                  r"\bradiotherapy\b|\bwhat (?:to do|should be done)\b|\boptions?\b|"
                  # "what helps with X?", "what can help me quit?": what to do for it
                  r"\bwhat (?:helps|can help|will help|would help)\b|"
                  r"\bhow (?:to|do i|can i) (?:get rid of|ease|relieve)\b"),
    ("background", r"\bwhat (?:is|are) (?:a |an |the )?\w+\??$|\bcauses?\b|\bsymptoms?\b|\bsigns\b|\bhow common\b"),
]]


def read_intents(text: str) -> list[str]:
    """What the question asks for, most specific first: dose, first-line choice, comparison, duration …"""
    found = [(rx.search(text), key) for key, rx in _ASKS]
    hits = [key for m, key in found if m is not None]
    if "first_line" in hits and "treatment" in hits:
        hits.remove("treatment")
    return hits
