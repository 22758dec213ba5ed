"""The same evidence worded for three readers: clinician, student, patient.

For patients, a statement quoted from a knowledge-base card is shown as the card's own plain text (`plain:`, attached
and checked by `medoracle.plain`), once per page; other evidence is reworded, never given a new clinical claim.
Definitions come from our glossary (`data/glossary.tsv`): they explain words, not the patient's situation. Every
number and unit in a reworded statement survives tailoring (checked in code: a statement that would lose one keeps
its original wording), and every statement keeps its citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from medoracle.errors import BadInput
from medoracle.splitting import LONG_SENTENCE_WORDS, split_long_sentence, split_text
from medoracle.text import has_verb, split_sentences, word_count
from medoracle.types import Answer, Audience, Section, Statement
from medoracle.wording import Glossary, GlossEntry, Reworder, load_glossary, numbers_in, numbers_kept

__all__ = ["tailor", "readability", "EDITORIAL_LABEL", "Readability", "Glossary", "GlossEntry", "load_glossary",
           "numbers_in", "answer_text", "CARE_TEAM_NOTE", "LONG_SENTENCE_WORDS", "split_long_sentence"]


CARE_TEAM_NOTE = ("This page tells you what the cited sources say. It is not advice about your own care. "
                  "Talk to your doctor, nurse or care team before you make a choice.")

# Plain titles for the patient; keys are the composer's facet keys.
PATIENT_TITLES = {
    "bottom_line": "The short answer",
    "red_flags": "When to get help urgently",
    "assessment": "How it is diagnosed",
    "diagnosis": "How it is diagnosed",
    "first_line": "Main treatment",
    "adjunct": "Other treatments that can help",
    "adjunctive": "Other treatments that can help",
    "supportive": "Other treatments that can help",
    "surgery": "Surgery and other procedures",
    "procedures": "Surgery and other procedures",
    "special": "Special situations",
    "complications": "Possible problems and check-ups",
    "monitoring": "Check-ups",
    "emerging": "Newer approaches",
    "prevention": "Prevention",
    "lifestyle": "Everyday changes that help",
}

# Words that name a symptom: a red-flag statement that uses one is reworded "Seek urgent care if …".
_SYMPTOM_WORDS = re.compile(
    r"\b(pain|ache|numb\w*|tingl\w*|weak\w*|confus\w*|bleed\w*|fever|breathless\w*|short of breath|"
    r"vision|headache|difficult\w*|loss of|swell\w*|vomit\w*|faint\w*|seizure\w*|fits?|collapse|"
    r"unconscious\w*|drows\w*|rash|symptoms?|signs?|incontinen\w*|retention|walking|chest)\b", re.I)


# ---------------------------------------------------------------- red flags


def _is_red_flag(section: Section, st: Statement) -> bool:
    """A statement in the red-flags section that lists symptoms (two different symptom words or more)."""
    facet = st.facet or section.key
    if facet != "red_flags":
        return False
    return len({m.group(0).lower()[:5] for m in _SYMPTOM_WORDS.finditer(st.text)}) >= 2


_SYMPTOM_LIST = re.compile(r"^(?P<head>[^.;]*?\b(?:symptoms?|signs?|features?)\b[^.;]*?)\s+"
                           r"(?:include|includes|are|such as)\s*:?\s+(?P<body>.+?)\.?$", re.I | re.S)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _urgent(text: str, *, first_in_section: bool) -> str | None:
    """'Seek urgent care if …' wording of a symptom statement, keeping all its content; None to leave it."""
    m = _SYMPTOM_LIST.match(text.strip())
    if m and "." not in m.group("body").rstrip(".)"):
        return f"Seek urgent care if you have any of these {_lower_first(m.group('head'))}: {m.group('body')}."
    if first_in_section:
        return f"Seek urgent care if this applies to you. {text}"
    return None


# ---------------------------------------------------------------- tailoring


# Statements a patient page leaves out (the clinician view keeps them): trial statistics, evidence talk,
# licensing and cost, a guideline's aims ("To improve …") and pointers to other guidelines.
_TECHNICAL = re.compile(
    r"(?i:\b(?:p\s?[<=>≤]\s?0|confidence intervals?|hazard ratios?|odds ratios?|relative risks?|numbers? needed to|"
    r"statistical(?:ly)?|randomi[sz]ed|placebo|meta-analys[ie]s|cohorts?|trials?|stud(?:y|ies)|participants|"
    r"versus|sensitivity|specificity|predictive value|marketing authori[sz]ation|manufacturer|access scheme|"
    r"cost[- ]effective(?:ness)?|QALYs?|quality of (?:the )?evidence|level of evidence|evidence (?:is|was)|"
    r"(?:low|moderate|high)[- ]quality evidence|(?:see|in line with) (?:the )?(?:NICE )?guideline|"
    r"this guideline|literature|et al|showed|ha(?:s|ve) been shown|concluded|reviews?|series|data|evidence)\b)"
    r"|\b(?:CI|HR|OR|RR|NNT|vs\.?)(?![\w-])|^\s*To\s|\b\d+ of \d+\b|\bn\s?=\s?\d")
# A kept statement harder than this (FK grade, after rewording) is left out too, unless it is its section's lead.
PATIENT_MAX_STATEMENT_GRADE = 13.0
OMITTED_NOTE = ("Some details for doctors, such as study results, are left out to keep this page easy to read. "
                "The version for doctors shows them.")

# Labels that help a clinician scan a guideline but mean nothing to a patient: "[IIB]", "Remark:",
# "(Strong recommendation, low-quality evidence)". Only removed when they hold no number.
_GRADE_LABEL = re.compile(r"\s*\[[^\]\d]{1,40}\]|\s*\(\s*[^()\d]*\b(?:recommendation|evidence|consensus|"
                          r"advice|good practice)\b[^()\d]*\)|\s*\(\s*(?:study )?design\s*:[^()\d]*\)"
                          # a strength printed alone: "( Weak )", "(Not Graded)", "(Strong for)"
                          r"|\s*\(\s*(?:not graded|ungraded|weak|strong|conditional)(?:\s+(?:for|against))?\s*\)", re.I)
_LEAD_LABEL = re.compile(r"^\s*(?:Remark|Recommendations?|Advice|Note|Good practice point|Key point|Summary|√|"
                         r"[A-D]|[IV]{1,3}[A-C]?)\s*[:–-]\s+(?=[A-Z])")


# Editorial labels that hold no clinical number: NICE's dates of a recommendation ("[new 2015]", "[2011, amended
# 2019]"), a guideline's numbering of it ("Recommendation 1.3:", "Recommendation No. 8:" leading a sentence) and a
# grade printed alone in brackets at the end of a clause ("( 1B )", "(2C)", "( I-C )", "( II-2L )": GRADE's strength
# and quality, the Canadian Task Force's levels), whose digit is a grade, not a dose or a count ("stage (2A)" stays).
# A patient page leaves them out, and no number check counts them.
EDITORIAL_LABEL = re.compile(r"\s*\[(?:(?:new|updated?|amended|revised|\d{4})[, ]*)+(?:\d{4})?\]"
                             r"|^\s*(?:\([^()\d]*\)\s*)?Recommendations?\s+(?:No\.?\s*)?\d+(?:\.\d+)*[a-z]?"
                             r"\s*[:–-]\s*(?=[A-Z])"
                             r"|(?<!stage)(?<!stage )(?<!grade)(?<!grade )(?<!type)(?<!type )(?<!class)(?<!class )"
                             r"\s*[(\[]\s*(?-i:[1-3][A-D]|I{1,3}-(?:[1-3][A-Z]?|[A-EL]))\s*[)\]]"
                             r"(?=\s*(?:[.;,]|$))",
                             re.I)


def _patient_clean(text: str) -> str:
    return _LEAD_LABEL.sub("", _GRADE_LABEL.sub("", EDITORIAL_LABEL.sub("", text))).strip()


# "NICE advises offering X" → "NICE says to offer X": the same instruction in shorter words.
_GERUNDS = {"offering": "offer", "starting": "start", "adding": "add", "using": "use", "giving": "give",
            "taking": "take", "considering": "consider", "thinking": "think", "screening": "screen",
            "checking": "check", "treating": "treat", "continuing": "continue", "stopping": "stop",
            "measuring": "measure", "discussing": "discuss", "referring": "refer", "avoiding": "avoid",
            "confirming": "confirm", "having": "have", "making": "make", "testing": "test", "trying": "try",
            "prescribing": "prescribe", "keeping": "keep", "repeating": "repeat", "switching": "switch",
            "reducing": "reduce", "lowering": "lower", "increasing": "increase", "monitoring": "monitor"}
_ADVISES_GERUND = re.compile(r"\b(?P<verb>advises|advise|recommends|recommend|suggests|suggest)\s+(?P<neg>against\s+)?"
                             r"(?P<ger>" + "|".join(_GERUNDS) + r")\b")


def _says_to(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        # "advises checking X and estimating Y": a second gerund would be left without its "to".
        if re.match(r"[^.;]*\band\b[^.;]{0,30}?\b[a-z]{3,}ing\b", text[m.end():]):
            return m.group(0)
        # "advises continuing to offer" as "says to continue to offer" says "to" twice over.
        if text[m.end():].startswith(" to "):
            return m.group(0)
        says = "says" if m.group("verb").endswith("s") else "say"
        return f"{says} {'not ' if m.group('neg') else ''}to {_GERUNDS[m.group('ger')]}"
    return _ADVISES_GERUND.sub(sub, text)


# A sentence that tells a clinician what to do ("Offer …", "Refer straight away …", "Consider …"), read from the
# patient's side: "Your care team should offer …". "Consider" keeps its weaker force ("may consider").
_CLINICIAN_VERBS = ("offer|give|refer|start|prescribe|arrange|measure|treat|assess|consider|think about|admit|"
                    "discuss|review|monitor|perform|obtain|ensure|explain|advise|record|reassess|investigate|send|"
                    "escalate|recheck|confirm|provide|inform|involve|seek specialist advice|titrate|be aware|switch")
# Not "Check your …", "Stop smoking", "Avoid alcohol": a consumer page's advice to the reader stays as it is.
_INSTRUCTION = re.compile(r"(?:(?<=^)|(?<=[.!?] ))(?P<neg>(?:Do not|Don't|Never)\s+)?(?P<verb>(?i:" + _CLINICIAN_VERBS
                          + r"))\b(?=\s+[\w(])(?!\s+(?:your|you|yourself)\b)")


# "Explain to patients with X that they should seek advice if …": what the patient is to be told is the advice
# itself, so the page says it to them ("People with X should seek advice if …"); the carers who are told too are
# not the ones who act, so that aside goes.
_TELL_THAT = re.compile(
    r"(?:(?<=^)|(?<=[.!?] ))(?:Explain|Tell|Advise|Inform|Remind)\s+(?:to\s+)?"
    r"(?P<who>(?:patients|people|women|men|adults|parents|carers|everyone|anyone)\b[^.;:]*?),?\s+"
    r"that\s+(?:they|he or she|she|he)\s+(?P<modal>should|must|need to|needs to|can|may)\s")
_TOLD_TOO = re.compile(r",\s+and\s+(?:(?:when|if|where)\s+(?:appropriate|suitable)\s+)?their\s+"
                       r"(?:families|family members|family)(?:\s+(?:or|and)\s+carers)?,?\s*$")


# "Tell men that there is a small increase in …": a fact the patient is to be told, said as told to them, with the
# group it is for kept ("Men should be told that …").
_TELL_FACT = re.compile(
    r"(?:(?<=^)|(?<=[.!?] ))(?:Explain to|Tell|Inform|Advise|Remind)\s+"
    r"(?P<who>(?:patients|people|women|men|adults|parents|carers|everyone|anyone)\b[^.;:]*?),?\s+that\s")


def _told_as_advice(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        who = _TOLD_TOO.sub("", m.group("who")).strip().rstrip(",")
        who = re.sub(r"^patients\b", "people", who)
        return f"{who[:1].upper()}{who[1:]} {m.group('modal')} "

    def told(m: re.Match[str]) -> str:
        who = re.sub(r"^patients\b", "people", m.group("who").strip().rstrip(","))
        return f"{who[:1].upper()}{who[1:]} should be told that "
    return _TELL_FACT.sub(told, _TELL_THAT.sub(sub, text))


# "Clinicians should be aware of …", "Physicians must …": the same instruction, named from the patient's side.
_CLINICIANS = re.compile(r"(?:(?<=^)|(?<=[.!?] ))(?:(?:The )?(?:treating |prescribing )?(?:clinicians?|physicians?|"
                         r"doctors?|practitioners?|prescribers?|health ?care (?:professionals?|providers?|"
                         r"practitioners?)|providers?))\s+(?P<modal>should|must|need to|can|may)\b", re.I)


def _care_team(text: str) -> str:
    """Each sentence that starts with an instruction to a clinician, told from the patient's side."""
    def sub(m: re.Match[str]) -> str:
        verb = m.group("verb").lower()
        if m.group("neg"):
            return f"Your care team should not {verb}"
        return f"Your care team may {verb}" if verb in ("consider", "think about") else f"Your care team should {verb}"
    text = _CLINICIANS.sub(lambda m: f"Your care team {m.group('modal').lower()}", text)
    return _INSTRUCTION.sub(sub, _told_as_advice(text))


def _tailor_text(rw: Reworder, text: str, *, patient: bool) -> str:
    seen = set(rw.explained)
    new = rw.reword(_care_team(_says_to(_patient_clean(text))) if patient else text)
    glosses = rw.take_glosses()
    if patient:
        new = _care_team(split_text(new))
    # Text from documents may hold table pipes ("a|b"); a reader sees words, not markup.
    new = re.sub(r"\s*\|\s*", " / ", new) if "|" in new and "|" not in text else new
    # Two swaps meeting ("anticoagulation therapy" → "blood-thinning treatment treatment") say a word twice.
    new = re.sub(r"\b(\w{4,}) \1\b", lambda m: m.group(0) if m.group(0) in text else m.group(1), new)
    if not numbers_kept(EDITORIAL_LABEL.sub("", text) if patient else text, new):
        rw.explained = seen  # nothing of this rewording is shown, so nothing counts as explained
        return text  # a number or unit was lost: the original wording is the only safe one
    return f"{new} {glosses}" if glosses else new


def _too_technical(st: Statement, g: Glossary) -> bool:
    if _TECHNICAL.search(st.text):
        return True
    # A heading-like fragment with no verb ("Selection of suitable treatments for …") is a guideline's aim.
    if not has_verb(st.text, strict=True):
        return True
    trial = _tailor_text(Reworder(g, Audience.patient), st.text, patient=True)
    # Judged on the statement's own sentences: the short word explanations after it must not average it down.
    own = re.sub(r"\s*\([^():]{1,60}: [^()]*\.\)", "", trial)
    # A grade formula says little about a five-word sentence ("Radiotherapy can be repeated." scores 15).
    return word_count(own) >= 15 and readability(own).fk_grade > PATIENT_MAX_STATEMENT_GRADE


# A run of author-year references ("Miller et al., 2012; Black et al., 2007; …") is a document's reference list
# caught as a sentence: it tells a reader nothing, so a patient page never shows it, not even as a section's lead.
_REFERENCE_RUN = re.compile(r"(?:[A-Z][\w'’-]+(?:,? (?:&(?:amp;)? |and )?[A-Z][\w'’-]+)*(?: et al\.?)?,? "
                            r"(?:19|20)\d\d[a-z]?\s*[;,]?\s*){3,}")


# Sections a patient page keeps even when every statement in them is technical: the urgent signs and the main
# treatment. Elsewhere a section of evidence talk only ("Possible problems": "While the direct evidence from
# adjuvant trials …") tells a patient nothing; it is left out, and the page says details were. A section of hard
# but clinical sentences keeps its lead: a caution ("unsafe in …") is still the patient's to know.
_ALWAYS_LED = frozenset({"red_flags", "first_line"})


def _patient_statements(sec: Section, g: Glossary) -> list[Statement]:
    """The section's statements a patient page shows: its lead and every one that is not too technical.

    The lead is the highest-ranked statement that is not technical (the composer ranks within a section), or the
    first when all are, except in a section of evidence talk only (other than the urgent signs and main treatment),
    which is left out; statements are never reordered or merged, so each keeps its own citations and numbers.
    Reference lists are not statements and are never shown (a section of nothing else is left out).
    """
    shown = [st for st in sec.statements if (st.plain and not st.written_by) or not _REFERENCE_RUN.search(st.text)]
    # Our own plain text is written for patients: never too technical.
    technical = [not (st.plain and not st.written_by) and _too_technical(st, g) for st in shown]
    if False in technical:
        lead = technical.index(False)
    elif sec.key in _ALWAYS_LED or not all(_TECHNICAL.search(st.text) for st in shown):
        lead = 0
    else:
        return []
    return [st for i, st in enumerate(shown) if i == lead or not technical[i]]


def _once_per_card(statements: list[Statement], shown: set[str]) -> list[Statement]:
    """The statements minus those whose card's plain text is already on the page (it says them already)."""
    kept = []
    for st in statements:
        if st.plain and not st.written_by:
            if st.plain in shown:
                continue
            shown.add(st.plain)
        kept.append(st)
    return kept


def tailor(answer: Answer, audience: Audience | str, glossary: Glossary | None = None) -> Answer:
    """A copy of `answer` worded for `audience`; the clinician answer is returned unchanged.

    The patient page may leave out technical statements (see `_patient_statements`) and says so in `notes`.
    """
    try:
        audience = Audience(audience)
    except ValueError:
        choices = ", ".join(a.value for a in Audience)
        raise BadInput(f"unknown audience {audience!r}; choose one of: {choices}") from None
    out = answer.model_copy(deep=True)
    if audience is Audience.clinician or answer.abstained:
        if answer.abstained and audience is not Audience.clinician:
            out.audience = audience
        return out
    g = glossary or load_glossary()
    context = " ".join([answer.question, answer.summary, *(st.text for st in answer.statements())])
    rw = Reworder(g, audience, context)
    patient = audience is Audience.patient
    out.audience = audience
    # Our plain texts, each shown once on a page: two statements quoted from one card say it once.
    shown_plain: set[str] = set()
    if out.summary:
        # An editor's own wording is no longer the card's: its plain text would say something else.
        if patient and out.summary_plain and not out.summary_written_by:
            out.summary = out.summary_plain
            shown_plain.add(out.summary_plain)
        else:
            out.summary = _tailor_text(rw, out.summary, patient=patient)
    omitted = 0
    for sec in out.sections:
        if patient:
            sec.title = PATIENT_TITLES.get(sec.key) or Reworder(g, audience).reword(sec.title)
            kept = _patient_statements(sec, g)
            omitted += len(sec.statements) - len(kept)
            sec.statements = _once_per_card(kept, shown_plain)
        prefixed = False
        for st in sec.statements:
            original = st.text
            if patient and st.plain and not st.written_by:
                st.text = st.plain  # ours, written short: never split or reworded
                continue
            text = _tailor_text(rw, original, patient=patient)
            if patient and _is_red_flag(sec, st):
                urgent = _urgent(text, first_in_section=not prefixed)
                if urgent and numbers_kept(original, urgent):
                    prefixed = prefixed or urgent.startswith("Seek urgent care if this applies")
                    text = urgent
            st.text = text
    if patient:
        out.sections = [sec for sec in out.sections if sec.statements]
        out.notes = [*out.notes, *([OMITTED_NOTE] if omitted else []), CARE_TEAM_NOTE]
    return out


# ---------------------------------------------------------------- readability


@dataclass(frozen=True)
class Readability:
    """Flesch–Kincaid grade, share of sentences over 25 words, and the number of sentences."""

    fk_grade: float
    long_sentence_share: float
    sentences: int


@lru_cache(maxsize=1)
def _hyphenator() -> Any:  # pyphen has no type hints
    import pyphen  # textstat's own syllable fallback, shipped with it

    return pyphen.Pyphen(lang="en_US")


def _syllables(word: str) -> int:
    return len(_hyphenator().positions(word)) + 1


def readability(text: str) -> Readability:
    """Readability of plain text (citation markers like [1][2] are ignored).

    Flesch–Kincaid grade = 0.39 × words/sentence + 11.8 × syllables/word − 15.59, with textstat's word count
    and pyphen syllables: textstat's default English syllable source (NLTK cmudict) needs a download, which an
    offline install cannot do, and a score must not change with what happens to be downloaded.
    """
    import textstat

    clean = re.sub(r"\s*(?:\[\d+\])+", "", text or "").strip()
    sents = [s for s in split_sentences(clean) if word_count(s)]
    if not sents:
        return Readability(0.0, 0.0, 0)
    tokens = [t for t in (re.sub(r"[^\w'’]", "", w) for w in clean.split()) if t]
    n_words = max(textstat.lexicon_count(clean, removepunct=True), len(tokens), 1)
    # Numbers are read as one syllable ("8 Gy"): a dose must not make a sentence look hard.
    syllables = sum(_syllables(t.lower()) if t.isalpha() else 1 for t in tokens)
    fk = 0.39 * n_words / len(sents) + 11.8 * syllables / n_words - 15.59
    long_share = sum(1 for s in sents if word_count(s) > LONG_SENTENCE_WORDS) / len(sents)
    return Readability(round(fk, 2), round(long_share, 4), len(sents))


def answer_text(answer: Answer) -> str:
    """The reader-facing prose of an answer (bottom line, statements, notes), one sentence run."""
    parts = [answer.summary] if answer.summary else []
    for st in answer.statements():
        t = st.text.strip()
        parts.append(t if t.endswith((".", "!", "?", ".)")) else t + ".")
    parts += answer.notes
    return " ".join(p for p in parts if p)
