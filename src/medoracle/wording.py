"""Plain wording: our glossary, the number check, rewording and safe sentence splitting.

Used by `audience.tailor`. Nothing here adds a clinical claim: replacements and explanations come from our
glossary (`data/glossary.tsv`), and a rewrite that loses a number or unit is never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from medoracle.types import Audience

LONG_SENTENCE_WORDS = 25
# Patient text is split at safe joints from this length on: plain-language guidance aims at 15–20 words.
PATIENT_SPLIT_WORDS = 15
DATA_DIR = Path(__file__).resolve().parent / "data"

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
    kind: str  # term | abbr | unit | plain | org (an organisation's acronym: plain = its name)
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
            if e.kind in ("abbr", "unit", "org"):
                self.abbrs.setdefault(e.term, e)
            else:
                self.terms.setdefault(e.term.lower(), e)
        words = sorted(self.terms, key=len, reverse=True)
        abbrs = sorted(self.abbrs, key=len, reverse=True)
        # Terms are case-insensitive; abbreviations must match their case (ACE is not "ace").
        # "(?!)" never matches: a glossary with no terms (or no abbreviations) must not match empty strings.
        term_alt = "|".join(re.escape(w) for w in words) or "(?!)"
        abbr_alt = "|".join(re.escape(a) for a in abbrs) or "(?!)"
        self.pattern = re.compile(
            # A hyphen is part of the word: "decision" must not match inside "decision-making".
            r"(?:\b(?P<art>[Aa]n?)\s+)?(?:(?P<term>(?<![\w-])(?i:" + term_alt + r")(?![\w-]))|(?P<abbr>(?<![\w-])(?:"
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
        # "a|b" lists alternatives for matching elsewhere; a reader sees the first one only.
        plain, definition = (x.split("|")[0].strip() for x in (f[3], f[4]))
        rows.append(GlossEntry(f[0].strip(), f[1].strip() or "term", int(f[2] or 2), plain, definition))
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
    out = []
    for a, s in senses.items():
        if len(s) != 1 or len(a) < 2 or a.upper() != a:
            continue
        long_form = next(iter(s))
        if _ORG_WORDS.search(long_form):
            # The table is lower case for matching; an organisation's name is printed as a name.
            out.append(GlossEntry(a, "org", 2, _title_case(long_form), "", needs_context=False))
        else:
            out.append(GlossEntry(a, "abbr", 2, long_form, "", needs_context=True))
    return out


_ORG_WORDS = re.compile(r"\b(?:society|association|institute|organi[sz]ation|college|academy|foundation|agency|"
                        r"federation|network|council|alliance|task force|centers?|centres?|board|panel)\b", re.I)
_SMALL_WORDS = {"of", "for", "and", "the", "in", "on", "to", "a", "an"}


def _title_case(name: str) -> str:
    words = name.split()
    return " ".join(w if (i and w in _SMALL_WORDS) or not w.islower() else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


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


def numbers_kept(original: str, tailored: str) -> bool:
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


def _label(word: str) -> str:
    """A word as the head of its explanation: 'Radiotherapy', but 'eGFR' stays eGFR (EGFR is another thing)."""
    return word if any(c.isupper() for c in word[1:]) else word[:1].upper() + word[1:]


def _stem(word: str) -> str:
    w = word.lower()
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


_REPEAT_IGNORED = {"the", "and", "of", "to", "in", "a", "an", "or", "with", "for", "on", "by", "at", "from"}
# Spine regions and similar words that name a part only together with the noun after them: "thoracic or cervical
# spine" is two parts of the backbone, though "spine" stands after the second word only.
_COORDINATED_HEAD = re.compile(r"((?:\s*,\s*|\s+(?:or|and|and/or|to)\s+)[a-z]+)+\s+(?P<head>[a-z]+)", re.I)


# Words that can follow a noun without being modified by it: "MSCC is …", "MSCC in …" (not "MSCC team").
_FUNCTION_WORDS = set("""is are was were be been being has have had can could may might should must will would shall
does do did and or but nor in on at of for to with without by from as than that which who whom whose if when while
after before because alone only also not so then there their its it this these those such into onto over under
within between among during unless until since where whereas although though via per vs versus either neither
both each any all more less most least very too even""".split())


class Reworder:
    """Rewords the statements of one answer, remembering which words were already explained."""

    def __init__(self, glossary: Glossary, audience: Audience, context: str = "") -> None:
        self.g = glossary
        self.audience = audience
        self.context = context.lower()
        self.explained: set[str] = set()
        self.glosses: list[str] = []  # patient: word explanations waiting to follow the current sentence

    def _explain_once(self, key: str, definition: str, word: str = "") -> str:
        # Spelling variants and synonyms share an explanation ("radiotherapy", "radiation therapy"; "apnea",
        # "apnoea"): a reader is told it once.
        same = "=" + definition.lower()
        if not definition or key in self.explained or same in self.explained:
            return ""
        self.explained |= {key, same}
        if self.audience is Audience.patient and word:
            # A short gloss sentence after the statement reads easier than a long bracket inside it.
            self.glosses.append(f"({_label(word)}: {definition}.)")
            return ""
        return f" ({definition})"

    def _render(self, matched: str, entry: GlossEntry, attributive: bool = False, keep: bool = False,
                label: str = "") -> str:
        """What replaces `matched` (the word as it appears); `attributive`: it names the next noun ("MSCC team").

        `keep`: the word stays (a swap would repeat a word next to it, or it is a name) and is explained instead;
        `label`: what the explanation names, when it is more than the matched word ("Thoracic spine").
        """
        key = entry.term.lower()
        label = label or matched
        if self.audience is Audience.student:
            if keep:
                return matched  # inside or right before a bracket: a second bracket would nest or stack
            if entry.kind in ("abbr", "org"):
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
        if keep:
            if entry.kind == "plain":
                return matched
            inner = self.g.terms.get(entry.plain.lower()) if entry.kind == "abbr" else None
            meaning = entry.definition or (inner.definition if inner is not None else "") or (
                entry.plain if entry.kind == "abbr" else "")
            return matched + self._explain_once(key, meaning, label)
        if entry.kind == "plain":
            return _cap_like(matched, entry.plain)
        if entry.kind == "unit":
            return matched + self._explain_once(key, f"{entry.plain}, {entry.definition}", matched)
        if entry.kind == "org":
            # A name the reader will meet again on the source's own pages: kept, and said what it is.
            return matched + self._explain_once(key, entry.definition or f"the {entry.plain}", matched)
        if entry.kind == "abbr":
            inner = self.g.terms.get(entry.plain.lower())
            if inner is not None and inner.plain and not attributive:
                return self._render(entry.plain, inner)
            if attributive or entry.definition:
                # "MSCC coordinator" spelled out reads as nonsense ("cancer pressing on the spinal cord
                # coordinator"), and a short known abbreviation (COPD) reads easier than its long form.
                meaning = entry.definition or (inner.plain if inner is not None and inner.plain else entry.plain)
                return matched + self._explain_once(key, meaning, matched)
            if inner is not None:
                return self._render(entry.plain, inner)
            return entry.plain + self._explain_once(key, entry.definition, entry.plain)
        if entry.plain:
            return _cap_like(matched, entry.plain)
        return matched + self._explain_once(key, entry.definition, label)

    def _swap(self, entry: GlossEntry, attributive: bool) -> str:
        """The everyday words a patient would see instead of the matched word, or '' when it is kept."""
        if self.audience is not Audience.patient or entry.kind in ("unit", "org"):
            return ""
        if entry.kind == "abbr":
            inner = self.g.terms.get(entry.plain.lower())
            if attributive or entry.definition:
                return ""
            return inner.plain if inner is not None and inner.plain else entry.plain
        return entry.plain

    def _repeats(self, swap: str, matched: str, before: str, after: str) -> bool:
        """The swap would say a word twice: "multidisciplinary team" → "team-based team".

        Compared with the words right next to it (and what their own swaps bring: "fracture" → "broken bone"),
        only where they run on into it: "echocardiography; heart failure …" repeats nothing.
        """
        words = lambda text: {_stem(w) for w in re.findall(r"[A-Za-z]+", text)}  # noqa: E731
        near: set[str] = set()
        for w in re.findall(r"([A-Za-z]+)[\s-]*$", before) + re.findall(r"^[\s-]*([A-Za-z]+)", after):
            entry = self.g.terms.get(w.lower())
            near |= words(w) | (words(entry.plain) if entry is not None else set())
        return bool((words(swap) - _REPEAT_IGNORED - words(matched)) & near)

    def _part_of_whole(self, word: str, text: str, end: int) -> tuple[GlossEntry, str] | None:
        """'thoracic' in 'thoracic or cervical spine' → the 'thoracic spine' entry and its label."""
        m = _COORDINATED_HEAD.match(text, end)
        if not m:
            return None
        whole = self.g.terms.get(f"{word} {m.group('head')}".lower())
        return (whole, f"{word} {m.group('head')}") if whole is not None else None

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
            nxt = re.match(r"\s+([a-z][a-z-]*)", text[m.end():])
            attributive = bool(m.group("abbr") and nxt and nxt.group(1) not in _FUNCTION_WORDS)
            start = m.start("term") if m.group("term") else m.start("abbr")
            at_start = not text[:m.start()].strip() or text[:m.start()].rstrip().endswith((".", "!", "?"))
            keep, label = False, ""
            if entry.kind in ("term", "plain"):
                whole = self._part_of_whole(word, text, m.end())
                if whole is not None:
                    entry, label = whole
                # "the Endocrine Society", "Pulmonary Embolism Severity Index": a name is never reworded.
                if word[:1].isupper() and (not at_start or re.match(r"\s+[A-Z][a-z]", text[m.end():])):
                    return m.group(0)
            if self.audience is Audience.student:
                if entry.kind in ("abbr", "org") and entry.plain.lower() in text.lower():
                    self.explained.add(entry.term.lower())  # the source spells it out already
                    return m.group(0)
                # Never a bracket inside a bracket, or right before one ("neutropenia (neutropenic sepsis)"),
                # between a name and its "'s", or inside a joint name ("ATS/IDSA (…) guideline" names one of two).
                keep = (bool(_depth_at(text, start)) or bool(re.match(r"\s*\(|['’]s\b|/", text[m.end():]))
                        or text[:start].endswith("/"))
            else:
                swap = self._swap(entry, attributive)
                keep = bool(swap) and self._repeats(swap, word, text[:start], text[m.end():])
            out = self._render(word, entry, attributive, keep=keep, label=label)
            art = m.group("art")
            if art is None:
                return out[:1].upper() + out[1:] if at_start else out
            if out is word or out.startswith(word):
                return f"{art} {out}"
            new_art = _article_for(out)
            return f"{_cap_like(art, new_art)} {out}"

        return self.g.pattern.sub(sub, text)


# ---------------------------------------------------------------- sentence splitting

# (joint, how the second sentence starts). "and" carries no meaning a full stop does not; a conditional joint
# becomes "This applies when …" so the condition still visibly governs the sentence before it.
_SPLITTERS = [
    (re.compile(r";\s+"), ""),
    (re.compile(r":\s+(?=[a-z])"), ""),
    (re.compile(r",\s+but\s+"), "But "),
    (re.compile(r",\s+which\s+(?=(?:are|were|have)\b)"), "These "),
    (re.compile(r",\s+which\s+"), "This "),
    (re.compile(r",\s+and\s+"), "and"),
    (re.compile(r",\s+whereas\s+"), "But "),
    (re.compile(r",\s+although\s+"), "But "),
    (re.compile(r",\s+so\s+(?!that\b)"), "So "),
    (re.compile(r",?\s+so that\s+"), "This is so that "),
    (re.compile(r",\s+then\s+"), "Then "),
    (re.compile(r"\s+because\s+(?!of\b)"), "This is because "),
    (re.compile(r",?\s+(?:such as|including)\s+"), "These include "),
    (re.compile(r",?\s+unless\s+"), "This does not apply if "),
    (re.compile(r",?\s+only (?:if|when)\s+"), "This applies only if "),
    (re.compile(r",?\s+when\s+(?!to\b)"), "This applies when "),
    (re.compile(r",?\s+if\s+(?!not\b|so\b|any\b)"), "This applies if "),
    (re.compile(r",\s+to\s+(?=(?:lower|reduce|prevent|improve|help|relieve|avoid|protect|control|ease|find|stop)\b)"),
     "This is to "),
]
# A clause cannot end on one of these: "even if", "how and when", "as if", "not only when" are one unit.
_NO_END = set("and or but nor of the a an to how even only especially particularly except as that than not with "
              "in for by from at on whether both either".split())
# The second part must have its own subject: ", and should be used …" shares the first part's subject.
_NO_START = set("should can may must will would could might is are was were has have had does do did be being "
                "shall also".split())
# After an opening phrase, these start more of the phrase, not the main clause.
_NOT_MAIN = _NO_START | set("which who whom whose where and or but including such especially particularly "
                            "that whether not in for with of on at from by to after before during".split())
_PRONOUNS = {"they", "it", "we", "you", "there"}
_NOT_A_LIST_TAIL = re.compile(r",\s+(?:and\s+)?(?:[a-z]+ed|[a-z]+ly|against|versus|vs|compared|with|without|in|for|"
                              r"to|from|at|by|on|then)\b")
_SUBORDINATE = r"(?i:if|when|whenever|although|though|because|while|unless|where|after|before|as|once|until|since)\b"
_CLAUSE_AFTER_LIST = re.compile(r",\s+(?:should|can|may|must|will|is|are|was|were|has|have|need|needs)\b")
# The main clause after an opening phrase has a verb before its next comma ("For A, B or C, offer …" is a list).
FINITE_VERB = re.compile(r"\b(?:should|can|may|must|will|would|could|might|is|are|was|were|has|have|do|does|need|needs|"
                     r"advises?|advised|recommends?|suggests?|supports?|offer|give|use|consider|start|treat|take|"
                     r"think|refer|screen|check|measure|monitor|manage|assess|avoid|includes?|causes?|reduces?|"
                     r"lowers?|improves?|helps?|shows?|says?|asks?|goes|gets?|depends?|remains?|becomes?|seems?|"
                     r"occurs?|happens?|works?|leads?|prevents?|increases?|relieves?|treats?|makes?|comes?|"
                     r"provides?|allows?|affects?|signals?|guides?|requires?|controls?|starts?|gives?|rests?|"
                     r"combines?|showed|gave|did|reached|occurred|appeared|added|enrolled|regained|"
                     r"they|it|we|you|there)\b")

# A verb form right after these is a noun ("the need for"), an infinitive ("to lower") or inside a relative
# clause ("cancers that have spread"): it does not make the words around it a sentence.
_NOT_BEFORE_VERB = set("""the a an this these those its their his her our your my no any some each every of for to
with by from in on at as than that which who whom whose""".split())
_LOWER_NOUNS = ("back|limbs?|legs?|risk|doses?|urinary|respiratory|abdominal|abdomen|parts?|end|levels?|than|"
                "thresholds?|targets?|grades?|bound|half|body|jaw|lip|tract|intensity|rates?|values?|numbers?")
_CLAUSE_STARTERS = set("unless if when because and but so as while since although though whether".split())
_AUXILIARIES = set("is are was were has have had should can may must will would could might does do did shall".split())
_RELATIVE = re.compile(r"\b(?:who|whom|whose|which|where)\b", re.I)
# A closing attribution ("…, as NICE advises") names a source; its verb is not the sentence's own.
_ATTRIBUTION = re.compile(r",\s+(?:as|according to|based on)\s+[^,]*$")


def has_finite_verb(text: str) -> bool:
    """Whether `text` reads as a clause: it has a finite verb (or a subject pronoun) of its own."""
    text = _ATTRIBUTION.sub("", outside_brackets(text))
    consumed = 0  # where the last relative clause's verb ended
    for m in FINITE_VERB.finditer(text):
        verb = m.group(0).lower()
        before = re.findall(r"[A-Za-z]+", text[:m.start()])
        prev = before[-1].lower() if before else ""
        # "cancers that have spread", "in whom neutropenia is expected": the relative clause's own verb (but in
        # "unless that is their preference" that is the subject).
        relative_that = prev == "that" and len(before) > 1 and before[-2].lower() not in _CLAUSE_STARTERS
        if relative_that or prev in ("which", "who", "whom", "whose") or _RELATIVE.search(text, consumed, m.start()):
            consumed = m.end()
            continue
        pronoun_subject = (prev in ("this", "that") and verb[-1] == "s") or (prev in ("these", "those")
                                                                              and verb[-1] != "s")
        if prev in _NOT_BEFORE_VERB and verb not in _AUXILIARIES and not pronoun_subject:
            continue  # "the need for", "to lower"; but "this is", "this needs", "these include" are verbs
        if verb == "lower" and re.match(r"[\s-]+(?:" + _LOWER_NOUNS + r")\b", text[m.end():], re.I):
            continue  # "severe unremitting lower back pain" has no verb
        return True
    return False


_OPENER = re.compile(r"^(?:In|For|If|When|Where|Although|Though|After|Before|Among|During|Unless|Because|While|"
                     r"Once|Until|Since|As|With|Without|Despite|Given|Following|Compared|Among|Of)\b")


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9][\w'’/-]*", text))


def outside_brackets(text: str) -> str:
    return re.sub(r"\([^()]*\)", "", text)


def _depth_at(text: str, i: int) -> int:
    return text[:i].count("(") - text[:i].count(")")


def _cap_first(text: str) -> str:
    # "eGFR" and "pH" keep their case; an ordinary lower-case word is capitalised.
    w = re.match(r"[a-z]+\b", text)
    return text[:1].upper() + text[1:] if w else text


def _joints(sentence: str) -> list[tuple[int, int, str]]:
    """Safe places to end a sentence: (start, end, lead of the next sentence)."""
    found = []
    for rx, joint_lead in _SPLITTERS:
        for m in rx.finditer(sentence):
            left, right, lead = sentence[:m.start()], sentence[m.end():], joint_lead
            if _depth_at(sentence, m.start()) or word_count(left) < 6 or word_count(right) < 5:
                continue
            # "… skeletal-related events: fracture, cord compression, …" names the things just mentioned; the list
            # becomes a sentence of its own only with a verb: "These are fracture, …".
            if (m.group(0).startswith(":") and not has_finite_verb(right)
                    and not re.search(r"\b(?:including|include|includes|such as|are|is|of|with)\s*$", left)
                    and re.search(r"\b(?:[a-z]{2,}[^su\W]s|following)\b(?:\W+\w+){0,3}\W*$", left)):
                lead = "These are "
            last = re.findall(r"[A-Za-z]+", left)[-1].lower()
            first = right.split(None, 1)[0].lower()
            if last in _NO_END or (lead in ("", "and") and first in _NO_START):
                continue
            # Each part must be a sentence of its own: "… 6 months, and longer for people at higher risk" or
            # "…: peak flow below 33%, oxygen below 92%" leaves a fragment with no verb.
            # (The first part starts the sentence; opening phrases and subordinate clauses are checked below.)
            # (", which represents …" always goes on with a verb, though not always one this module knows.)
            if lead not in ("These include ", "These are ", "This is to ", "This ", "These ") and not has_finite_verb(
                    right):
                continue
            # ", and says not to add …", ", and added …": a verb that goes with the first part's subject has no
            # subject here (after "; " or ": " a plain verb is an instruction: "…: refer immediately").
            if first not in _PRONOUNS and lead in ("", "and", "But ", "So ", "Then ") and (
                    (FINITE_VERB.fullmatch(first) and (first.endswith("s") or lead in ("and", "But ", "So ")))
                    or (first.endswith("ed") and lead != "")):
                continue
            # ", and certainly within 4 hours": without a verb of its own the rest is not a sentence.
            if lead in ("and", "So ", "Then ") and (
                    not FINITE_VERB.search(outside_brackets(right)) or re.search(r",\s+or\s", right)):
                continue
            if first.endswith("ly") and lead in ("", "and", "But "):
                continue
            # "…, so creating a gap": a participle phrase has no subject of its own.
            if first.endswith("ing") and lead != "These include ":
                continue
            # "After surgery, if X is achieved, …": the part before the joint is still a subordinate clause.
            if re.match(_SUBORDINATE, re.split(r"[,;:]\s", outside_brackets(left))[-1].strip()):
                continue
            # "In people with X, which …, give Y": the opening phrase has not reached its main clause yet.
            if _OPENER.match(left) and "," not in outside_brackets(left):
                continue
            # ", and" after a list ("A, B, and C") joins list items, not clauses: not safe to split.
            if lead == "and" and "," in outside_brackets(left):
                continue
            # "Offer A first, B if X, and C if Y": a condition of one list item, not of the whole sentence.
            if lead.startswith(("This applies", "This does not")):
                tail = re.split(r"[,:]\s", outside_brackets(left))[-1].strip()
                # "start X unless contraindicated, and get Y", "…, and get an MRI within 24 hours when …": the
                # condition belongs to one item of a list.
                if (not FINITE_VERB.search(tail) or tail.startswith(("to ", "and ", "or "))
                        or re.search(r",\s+(?:and|or|with|without|then|plus)\b", outside_brackets(right))
                        or re.search(r"\beither\b", left)):
                    continue
            # "People with signs, such as fever or rigors, should be referred": the list sits inside the subject.
            # "…, including spinal lesions, against standard care, and reported …": the inclusion is an aside and
            # the sentence goes on after it.
            if lead == "These include " and (re.search(r"\b(?:and|or)\s*$", left) or _CLAUSE_AFTER_LIST.search(right)
                                             or FINITE_VERB.search(outside_brackets(right))
                                             or _NOT_A_LIST_TAIL.search(outside_brackets(right))
                                             or ":" in outside_brackets(left)):  # an example within a list item
                continue
            found.append((m.start(), m.end(), lead))
    return found


def _population_opener(sentence: str) -> tuple[str, str, str] | None:
    """'For/In <who>, <main clause>' → (who, main clause, preposition); the opening phrase may hold commas."""
    m = re.match(r"^(In|For|Among)\s+", sentence)
    if not m:
        return None
    for comma in re.finditer(r",\s+", sentence):
        if _depth_at(sentence, comma.start()):
            continue
        who, rest = sentence[m.end():comma.start()], sentence[comma.end():]
        if re.match(r"(?:more|further)\b|(?:information|details)\b", who):
            return None  # "For more information, see …" names no one
        chunk = rest.split(",", 1)[0]
        if not chunk or chunk.split(None, 1)[0] in _NOT_MAIN or not chunk[:1].islower() and not chunk[:1].isupper():
            continue
        # "spinal pain that should raise suspicion … includes …" is the main clause (its verb is outside the
        # relative clause); "a drug that lowers blood pressure" is more of the opening phrase.
        if not has_finite_verb(chunk):
            continue
        if word_count(who) >= 4 and word_count(rest) >= 6:
            return who, rest, m.group(1)
        return None
    return None


_INCLUDE_LIST = re.compile(r"^(?P<head>.+?\b(?P<verb>includes?))\s*:?\s+(?P<items>[^;:]+?)(?P<end>[.!?]?)$")


def _split_list(sentence: str) -> list[str] | None:
    """'A includes w, x, y and z.' → 'A includes w and x.', 'It also includes y and z.' (4+ items, an 'and' list)."""
    m = _INCLUDE_LIST.match(sentence.strip())
    if not m or _depth_at(sentence, m.start("items")):
        return None
    items = [i.strip() for i in re.split(r",\s+(?![^()]*\))", m.group("items"))]
    # Short items only: a long last item may end in a phrase that qualifies the whole list ("… in people with X").
    if (len(items) < 4 or not items[-1].startswith("and ") or any(FINITE_VERB.search(i) for i in items)
            or max(word_count(i) for i in items[:-1]) > 6 or word_count(items[-1]) > 7):
        return None
    items[-1] = items[-1][4:]
    half = len(items) // 2
    first, second = items[:half], items[half:]
    join = lambda xs: xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]
    again = "It also includes" if m.group("verb") == "includes" else "They also include"
    return [f"{m.group('head')} {join(first)}.", f"{again} {join(second)}."]


def split_long_sentence(sentence: str, limit: int = LONG_SENTENCE_WORDS) -> list[str]:
    """Split a sentence of more than `limit` words at safe joints ('; ', ', but', ', which', ' when' …).

    Every word is kept in order; only joining words change ("when" → "This applies when"), and a long opening
    population ("For adults over 80 with …, offer …") becomes its own sentence ("This is for adults …").
    """
    if word_count(sentence) <= limit:
        return [sentence]
    found = _joints(sentence)
    if not found:
        listed = _split_list(sentence)
        if listed:
            return listed
        opener = _population_opener(sentence)
        if opener:
            who, rest, prep = opener
            about = "This is for" if prep == "For" else "This is about"
            return [f"{about} {who}."] + split_long_sentence(_cap_first(rest), limit)
        return [sentence]
    mid = len(sentence) / 2
    a, b, lead = min(found, key=lambda j: abs(j[0] - mid))
    left = sentence[:a].rstrip(" ,;:") + "."
    rest = sentence[b:]
    right = lead + rest if lead and lead != "and" else _cap_first(rest)
    return split_long_sentence(left, limit) + split_long_sentence(right, limit)


def split_text(text: str) -> str:
    out = []
    for sent in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()):
        out.extend(split_long_sentence(sent, PATIENT_SPLIT_WORDS))
    return " ".join(out)
