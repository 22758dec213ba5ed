"""Plain wording: our glossary, the number check and rewording (sentence splitting is in `splitting`).

Used by `audience.tailor`. Nothing here adds a clinical claim: replacements and explanations come from our
glossary (`data/glossary.tsv`), and a rewrite that loses a number or unit is never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from medoracle.splitting import depth_at
from medoracle.text import FINITE_VERB, numbers_as_written, singular
from medoracle.types import Audience

DATA_DIR = Path(__file__).resolve().parent / "data"

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


numbers_in = numbers_as_written


def numbers_kept(original: str, tailored: str) -> bool:
    """Every number of `original`, with its sign, range and unit, is in `tailored` as written."""
    return all(n in tailored for n in numbers_as_written(original))


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


# A condition's abbreviation used as an adjective for a group of people ("COPD patients", "AF patients"); the
# words that make the spelled-out form a condition, so that a place or a service ("ICU patients") stays as it is.
_ABBR_BEFORE_PEOPLE = re.compile(r"(?<![\w-])(?P<abbr>[A-Z][A-Z0-9]{1,6}) "
                                 r"(?P<who>patients|adults|children|women|men)\b")
_CONDITION_NAME = re.compile(r"\b(?:disease|syndrome|failure|fibrillation|infection|injury|diabetes|thrombosis|"
                             r"embolism|infarction|attack|arthritis|pneumonia|cancer|disorder|hypertension)\b", re.I)


_OBJECT_PREPOSITIONS = {"against", "about", "regarding", "towards", "toward", "around", "across", "through", "like"}


def _names_next_noun(word: str, swap: str, after: str) -> bool:
    """A swap that is a phrase with its head first ("team of different specialists") cannot stand before a noun
    it modifies: "a multidisciplinary team framework" would become "a team of different specialists framework".
    (A word or a swap that ends in a preposition, "interferes with", "to advise for or against", is followed by
    its object: it fits.)"""
    ends = {word.split()[-1].lower(), swap.split()[-1].lower()}
    head_first = re.search(r"\s(?:of|with|to|for|from|in|that|who)\s", swap)
    if ends & (_FUNCTION_WORDS | _OBJECT_PREPOSITIONS) or not head_first:
        return False
    nxt = re.match(r"\s+([a-z][a-z-]*)", after)
    if not nxt or nxt.group(1) in _FUNCTION_WORDS:
        return False
    # "people with cancer receiving chemotherapy", "people who smoke need": a participle or a verb follows, not a noun.
    word = nxt.group(1)
    return not (word.endswith(("ing", "ed")) or FINITE_VERB.fullmatch(word))


# Word explanations after one patient statement: seven in a row ("(Oral: taken by mouth.) (Acute: …)") are a
# glossary, not a sentence; two carry the words a reader most needs.
MAX_GLOSSES = 2


class Reworder:
    """Rewords the statements of one answer, remembering which words were already explained."""

    def __init__(self, glossary: Glossary, audience: Audience, context: str = "") -> None:
        self.g = glossary
        self.audience = audience
        self.context = context.lower()
        self.explained: set[str] = set()
        # patient: word explanations waiting to follow the current statement, as (level, keys, text)
        self.glosses: list[tuple[int, set[str], str]] = []
        self._text = ""  # the text being reworded
        self._end = 0  # where the word being reworded ends in it

    def _explain_once(self, key: str, definition: str, word: str = "") -> str:
        # Spelling variants and synonyms share an explanation ("radiotherapy", "radiation therapy"; "apnea",
        # "apnoea"): a reader is told it once.
        same = "=" + definition.lower()
        if not definition or key in self.explained or same in self.explained:
            return ""
        if self._says_already(key, definition):
            return ""
        if re.match(r"\s*,?\s*(?:such as|including|e\.g\.|for example)\b", self._text[self._end:]):
            # "opioids such as oxycodone": the sentence gives its own examples; the definition's would double them.
            definition = re.split(r",?\s+such as\s", definition)[0]
        entry = self.g.lookup(key) or self.g.lookup(word)
        if self.audience is Audience.patient and word:
            # A short gloss sentence after the statement reads easier than a long bracket inside it. Which ones
            # are shown is decided when the statement is done (`take_glosses`): at most MAX_GLOSSES of them.
            level = entry.level if entry is not None else 1
            self.glosses.append((level, {key, same}, f"({_label(word)}: {definition}.)"))
            self.explained |= {key, same}
            return ""
        self.explained |= {key, same}
        return f" ({definition})"

    def _says_already(self, key: str, definition: str) -> bool:
        """The definition names another word of this sentence that is explained: "a bisphosphonate such as
        zoledronic acid (a bisphosphonate medicine …)" would explain one thing twice."""
        for word in re.findall(r"[a-z][a-z-]{5,}", definition.lower()):
            other = self.g.terms.get(word) or self.g.terms.get(singular(word))
            if other is None or other.term.lower() == key:
                continue
            if other.term.lower() in self.explained and re.search(
                    r"(?<![\w-])" + re.escape(other.term) + r"s?(?![\w-])", self._text, re.IGNORECASE):
                return True
        return False

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
        words = lambda text: {singular(w) for w in re.findall(r"[A-Za-z]+", text)}  # noqa: E731
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
        """The explanations for the statement just reworded: technical words first (a condition's name before
        "oral" or "acute"), at most MAX_GLOSSES; the others are not shown, so they count as not yet explained."""
        ranked = sorted(range(len(self.glosses)), key=lambda i: (-self.glosses[i][0], i))
        shown = sorted(ranked[:MAX_GLOSSES])
        for i in ranked[MAX_GLOSSES:]:
            self.explained -= self.glosses[i][1]
        out = " ".join(self.glosses[i][2] for i in shown)
        self.glosses = []
        return out

    def _people_with(self, m: re.Match[str]) -> str:
        """'COPD patients' as 'people with COPD' when the abbreviation names a condition (not 'ICU patients')."""
        entry = self.g.lookup(m.group("abbr"))
        if entry is None or entry.kind != "abbr" or not _CONDITION_NAME.search(entry.plain):
            return m.group(0)
        who = "people" if m.group("who") == "patients" else m.group("who")
        return f"{who} with {m.group('abbr')}"

    def reword(self, text: str) -> str:
        if self.audience is Audience.patient:
            # "compression of the spinal cord (MSCC)": the bracketed abbreviation only helps a clinician.
            text = self.g.bracketed_abbr.sub("", text)
            # "COPD people using …" reads as a new kind of person; "people with COPD using …" says the same.
            text = _ABBR_BEFORE_PEOPLE.sub(self._people_with, text)
        self._text = text

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
                keep = (bool(depth_at(text, start)) or bool(re.match(r"\s*\(|['’]s\b|/", text[m.end():]))
                        or text[:start].endswith("/"))
            else:
                swap = self._swap(entry, attributive)
                keep = bool(swap) and (self._repeats(swap, word, text[:start], text[m.end():])
                                       or _names_next_noun(word, swap, text[m.end():]))
            self._end = m.end()
            out = self._render(word, entry, attributive, keep=keep, label=label)
            art = m.group("art")
            if art is None:
                return out[:1].upper() + out[1:] if at_start else out
            if out is word or out.startswith(word):
                return f"{art} {out}"
            new_art = _article_for(out)
            return f"{_cap_like(art, new_art)} {out}"

        return self.g.pattern.sub(sub, text)
