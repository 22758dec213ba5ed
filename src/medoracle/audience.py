"""The same evidence worded for three readers: clinician, student, patient.

`tailor` only rewords; it never adds a clinical claim. Definitions come from our glossary
(`data/glossary.tsv`): they explain words, not the patient's situation. Every number and unit in a statement
survives tailoring (checked in code: a statement that would lose one keeps its original wording), and every
statement keeps its citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from medoracle.errors import BadInput
from medoracle.types import Answer, Audience, Section, Statement

__all__ = ["tailor", "readability", "Readability", "Glossary", "GlossEntry", "load_glossary", "numbers_in",
           "answer_text", "CARE_TEAM_NOTE", "LONG_SENTENCE_WORDS"]

LONG_SENTENCE_WORDS = 25
# Patient text is split at safe joints from this length on: plain-language guidance aims at 15–20 words.
PATIENT_SPLIT_WORDS = 18
DATA_DIR = Path(__file__).resolve().parent / "data"

CARE_TEAM_NOTE = ("This page explains what the cited sources say in general. It is not advice about your own "
                  "care. Talk about any decision with your doctor, nurse or care team.")

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

# A number with its comparison sign, range and unit: "≥ 50%", "24 Gy", "10–20%", "180/120 mmHg".
_UNITS = (r"%|Gy|cGy|mg/dL|mg/kg|mg|mcg|µg|micrograms?|g/dL|g|kg|mL|ml|L|mmHg|mmol/mol|mmol/L|mmol|"
          r"IU|units?|hours?|hrs?|h|days?|weeks?|months?|years?|minutes?|min|cm|mm|kg/m2|kg/m²|bpm")
_NUMBER = re.compile(
    r"[≥≤<>±~]?\s?\d+(?:[.,/]\d+)*(?:\s?(?:[–—-]|to)\s?\d+(?:[.,/]\d+)*)?"
    r"(?:\s?(?:" + _UNITS + r")\b|\s?%)?")


# ---------------------------------------------------------------- glossary


@dataclass(frozen=True)
class GlossEntry:
    """One glossary row: a word, what kind it is, a safe plain replacement (or ''), and a short definition."""

    term: str
    kind: str  # term | abbr | unit | plain
    level: int  # 1 = everyday clinical word, 2 = technical (also defined for students)
    plain: str
    definition: str
    needs_context: bool = False  # from the shared table: spell out only when the answer is about that sense


class Glossary:
    """Terms, abbreviations and plain-English swaps, matched longest first on word boundaries."""

    def __init__(self, entries: list[GlossEntry]) -> None:
        self.entries = entries
        self.terms: dict[str, GlossEntry] = {}
        self.abbrs: dict[str, GlossEntry] = {}
        for e in entries:
            if e.kind in ("abbr", "unit"):
                self.abbrs.setdefault(e.term, e)
            else:
                self.terms.setdefault(e.term.lower(), e)
        words = sorted(self.terms, key=len, reverse=True)
        abbrs = sorted(self.abbrs, key=len, reverse=True)
        # Terms are case-insensitive; abbreviations must match their case (ACE is not "ace").
        term_alt = "|".join(re.escape(w) for w in words)
        abbr_alt = "|".join(re.escape(a) for a in abbrs)
        self.pattern = re.compile(
            r"(?:\b(?P<art>[Aa]n?)\s+)?(?:(?P<term>\b(?i:" + term_alt + r")\b)|(?P<abbr>(?<![\w-])(?:"
            + abbr_alt + r")(?![\w-])))")

        self.bracketed_abbr = re.compile(r"\s*\((?:" + abbr_alt + r")\)")

    def lookup(self, word: str) -> GlossEntry | None:
        return self.abbrs.get(word) or self.terms.get(word.lower())

    def __len__(self) -> int:
        return len(self.entries)


def _read_glossary_rows(text: str) -> list[GlossEntry]:
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if f[0] == "term" and len(f) > 1 and f[1] == "kind":
            continue  # header
        f += [""] * (5 - len(f))
        rows.append(GlossEntry(f[0].strip(), f[1].strip() or "term", int(f[2] or 2), f[3].strip(), f[4].strip()))
    return rows


def _extra_abbreviations() -> list[GlossEntry]:
    """Unambiguous rows of the shared abbreviation table (another module's data), if it is installed."""
    path = DATA_DIR / "abbreviations.tsv"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    senses: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) < 2 or not f[0].strip() or not f[1].strip() or f[0].lower() in ("abbreviation", "abbr"):
            continue
        senses.setdefault(f[0].strip(), set()).add(f[1].split("|")[0].strip())
    # An abbreviation with two senses cannot be spelled out without knowing which one is meant; even one listed
    # sense may not be the one a document means ("TLS" is also the thoracolumbar spine), hence needs_context.
    return [GlossEntry(a, "abbr", 2, next(iter(s)), "", needs_context=True) for a, s in senses.items()
            if len(s) == 1 and len(a) >= 2 and a.upper() == a]


@lru_cache(maxsize=4)
def load_glossary(path: str | None = None) -> Glossary:
    """Our glossary (or the TSV at `path`), plus the shared abbreviation table's unambiguous rows."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = (DATA_DIR / "glossary.tsv").read_text(encoding="utf-8")
    own = _read_glossary_rows(text)
    return Glossary(own + (_extra_abbreviations() if path is None else []))


# ---------------------------------------------------------------- numbers


def numbers_in(text: str) -> list[str]:
    """Every number with its sign, range and unit as written, e.g. ['24 Gy', '2', '≥ 50%']."""
    return [m.group(0).strip() for m in _NUMBER.finditer(text) if any(c.isdigit() for c in m.group(0))]


def _numbers_kept(original: str, tailored: str) -> bool:
    return all(n in tailored for n in numbers_in(original))


# ---------------------------------------------------------------- rewording


def _article_for(word: str) -> str:
    w = word.lower()
    vowel = w[:1] in "aeio" or (w[:1] == "u" and not w.startswith(("uni", "use", "usu", "ur")))
    # Letters said with a vowel sound ("an MRI", "an ECG").
    if re.match(r"^[AEFHILMNORSX][A-Z0-9]", word):
        vowel = True
    return "an" if vowel else "a"


def _cap_like(src: str, out: str) -> str:
    return out[:1].upper() + out[1:] if src[:1].isupper() and out else out


class _Reworder:
    """Rewords the statements of one answer, remembering which words were already explained."""

    def __init__(self, glossary: Glossary, audience: Audience, context: str = "") -> None:
        self.g = glossary
        self.audience = audience
        self.context = context.lower()
        self.explained: set[str] = set()
        self.glosses: list[str] = []  # patient: word explanations waiting to follow the current sentence

    def _explain_once(self, key: str, definition: str, word: str = "") -> str:
        if not definition or key in self.explained:
            return ""
        self.explained.add(key)
        if self.audience is Audience.patient and word:
            # A short gloss sentence after the statement reads easier than a long bracket inside it.
            self.glosses.append(f"({_cap_like('X', word)}: {definition}.)")
            return ""
        return f" ({definition})"

    def _render(self, matched: str, entry: GlossEntry) -> str:
        """What replaces `matched` (the word as it appears)."""
        key = entry.term.lower()
        if self.audience is Audience.student:
            if entry.kind == "abbr":
                if key in self.explained:
                    return matched
                self.explained.add(key)
                return f"{matched} ({entry.plain})"
            if entry.kind == "unit":
                return matched + self._explain_once(key, f"{entry.plain}, {entry.definition}")
            if entry.kind == "term" and entry.level >= 2:
                return matched + self._explain_once(key, entry.definition)
            return matched
        # patient
        if entry.kind == "plain":
            return _cap_like(matched, entry.plain)
        if entry.kind == "unit":
            return matched + self._explain_once(key, f"{entry.plain}, {entry.definition}", matched)
        if entry.kind == "abbr":
            inner = self.g.terms.get(entry.plain.lower())
            if inner is not None:
                return self._render(entry.plain, inner)
            return entry.plain + self._explain_once(key, entry.definition, entry.plain)
        if entry.plain:
            return _cap_like(matched, entry.plain)
        return matched + self._explain_once(key, entry.definition, matched)

    def _sense_in_context(self, entry: GlossEntry) -> bool:
        """The answer mentions the spelled-out sense somewhere (a word of 5+ letters of it)."""
        words = re.findall(r"[a-z]{5,}", entry.plain.lower())
        # Most of its distinctive words, not one generic one ("oncology" alone does not make ESMO likely).
        return bool(words) and sum(w in self.context for w in words) / len(words) >= 0.6

    def take_glosses(self) -> str:
        out, self.glosses = " ".join(self.glosses), []
        return out

    def reword(self, text: str) -> str:
        if self.audience is Audience.patient:
            # "compression of the spinal cord (MSCC)": the bracketed abbreviation only helps a clinician.
            text = self.g.bracketed_abbr.sub("", text)

        def sub(m: re.Match[str]) -> str:
            word = m.group("term") or m.group("abbr")
            entry = self.g.lookup(word)
            if entry is None or (entry.kind == "plain" and self.audience is not Audience.patient):
                return m.group(0)
            if entry.needs_context and not self._sense_in_context(entry):
                return m.group(0)
            out = self._render(word, entry)
            art = m.group("art")
            if art is None:
                at_start = not text[:m.start()].strip() or text[:m.start()].rstrip().endswith((".", "!", "?"))
                return out[:1].upper() + out[1:] if at_start else out
            if out is word or out.startswith(word):
                return f"{art} {out}"
            new_art = _article_for(out)
            return f"{_cap_like(art, new_art)} {out}"

        return self.g.pattern.sub(sub, text)


# ---------------------------------------------------------------- sentence splitting

_SPLITTERS = [
    (re.compile(r";\s+"), ""),
    (re.compile(r":\s+(?=[a-z])"), ""),
    (re.compile(r",\s+but\s+"), "But "),
    (re.compile(r",\s+which\s+"), "This "),
    (re.compile(r",\s+and\s+"), "and"),
    (re.compile(r",\s+whereas\s+"), "But "),
    (re.compile(r",\s+although\s+"), "But "),
    (re.compile(r",\s+so\s+"), "So "),
    (re.compile(r"\s+because\s+"), "This is because "),
]


_OPENER = re.compile(r"^(?:In|For|If|When|Where|Although|Though|After|Before|Among|During|Unless|Because|While|"
                     r"Once|Until|Since|As|With|Without|Despite|Given|Following|Compared|Among|Of)\b")


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9][\w'’/-]*", text))


def _outside_brackets(text: str) -> str:
    return re.sub(r"\([^()]*\)", "", text)


def _depth_at(text: str, i: int) -> int:
    return text[:i].count("(") - text[:i].count(")")


def split_long_sentence(sentence: str, limit: int = LONG_SENTENCE_WORDS) -> list[str]:
    """Split a sentence of more than `limit` words at a safe joint (';', ', but', ', which', ', and <clause>')."""
    if _words(sentence) <= limit:
        return [sentence]
    # Both halves must be sentences of their own: at least 6 words each.
    best: tuple[float, int, int, str] | None = None
    mid = len(sentence) / 2
    for rx, lead in _SPLITTERS:
        for m in rx.finditer(sentence):
            left, right = sentence[:m.start()], sentence[m.end():]
            if _depth_at(sentence, m.start()) or _words(left) < 6 or _words(right) < 6:
                continue
            # "In people with X, which …, give Y": the opening phrase has not reached its main clause yet.
            if _OPENER.match(left) and "," not in _outside_brackets(left):
                continue
            # ", and" after a list ("A, B, and C") joins list items, not clauses: not safe to split.
            if lead == "and" and "," in _outside_brackets(left):
                continue
            dist = abs(m.start() - mid)
            if best is None or dist < best[0]:
                best = (dist, m.start(), m.end(), lead)
    if best is None:
        return [sentence]
    _, a, b, lead = best
    left = sentence[:a].rstrip(" ,;") + "."
    rest = sentence[b:]
    # "and" carries no meaning a full stop does not: the second clause simply starts a new sentence.
    right = lead + rest if lead and lead != "and" else rest[:1].upper() + rest[1:]
    return split_long_sentence(left, limit) + split_long_sentence(right, limit)


def _split_text(text: str) -> str:
    out = []
    for sent in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()):
        out.extend(split_long_sentence(sent, PATIENT_SPLIT_WORDS))
    return " ".join(out)


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


def _tailor_text(rw: _Reworder, text: str, *, patient: bool) -> str:
    seen = set(rw.explained)
    new = rw.reword(text)
    glosses = rw.take_glosses()
    if patient:
        new = _split_text(new)
    if not _numbers_kept(text, new):
        rw.explained = seen  # nothing of this rewording is shown, so nothing counts as explained
        return text  # a number or unit was lost: the original wording is the only safe one
    return f"{new} {glosses}" if glosses else new


def tailor(answer: Answer, audience: Audience | str, glossary: Glossary | None = None) -> Answer:
    """A copy of `answer` worded for `audience`; the clinician answer is returned unchanged."""
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
    rw = _Reworder(g, audience, context)
    patient = audience is Audience.patient
    out.audience = audience
    if out.summary:
        out.summary = _tailor_text(rw, out.summary, patient=patient)
    for sec in out.sections:
        if patient:
            sec.title = PATIENT_TITLES.get(sec.key) or _Reworder(g, audience).reword(sec.title)
        prefixed = False
        for st in sec.statements:
            original = st.text
            text = _tailor_text(rw, original, patient=patient)
            if patient and _is_red_flag(sec, st):
                urgent = _urgent(text, first_in_section=not prefixed)
                if urgent and _numbers_kept(original, urgent):
                    prefixed = prefixed or urgent.startswith("Seek urgent care if this applies")
                    text = urgent
            st.text = text
    if patient:
        out.notes = [*out.notes, CARE_TEAM_NOTE]
    return out


# ---------------------------------------------------------------- readability


@dataclass(frozen=True)
class Readability:
    """Flesch–Kincaid grade, share of sentences over 25 words, and the number of sentences."""

    fk_grade: float
    long_sentence_share: float
    sentences: int


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\)?\s+(?=[\"'(\[]?[A-Z0-9])", text.strip()) if _words(s)]


@lru_cache(maxsize=1)
def _hyphenator():  # type: ignore[no-untyped-def]
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
    sents = _sentences(clean)
    if not sents:
        return Readability(0.0, 0.0, 0)
    tokens = [t for t in (re.sub(r"[^\w'’]", "", w) for w in clean.split()) if t]
    n_words = max(textstat.lexicon_count(clean, removepunct=True), len(tokens), 1)
    # Numbers are read as one syllable ("8 Gy"): a dose must not make a sentence look hard.
    syllables = sum(_syllables(t.lower()) if t.isalpha() else 1 for t in tokens)
    fk = 0.39 * n_words / len(sents) + 11.8 * syllables / n_words - 15.59
    long_share = sum(1 for s in sents if _words(s) > LONG_SENTENCE_WORDS) / len(sents)
    return Readability(round(fk, 2), round(long_share, 4), len(sents))


def answer_text(answer: Answer) -> str:
    """The reader-facing prose of an answer (bottom line, statements, notes), one sentence run."""
    parts = [answer.summary] if answer.summary else []
    for st in answer.statements():
        t = st.text.strip()
        parts.append(t if t.endswith((".", "!", "?", ".)")) else t + ".")
    parts += answer.notes
    return " ".join(p for p in parts if p)
