"""Evidence grades as sources print them, normalised to one scale.

`find_grades(text)` finds the printed grade labels in a passage ("(Grade 1A)", "[I, A]", "Class IIa, LOE B-R",
"strong recommendation, moderate-quality evidence" …); `parse_grade(label)` reads one label. Each `Grade` keeps the
label as printed and, where the label says so, a strength (strong / conditional) and a certainty (high / moderate /
low / very_low). `graded_sentences(text, spans)` binds each label to the sentence it grades (see there).

The mapping is deliberately conservative: a letter or number is only turned into a strength when the scheme's
meaning of it is the same across the common schemes; otherwise the field stays None.

    component (how printed)                      strength               certainty
    GRADE code "1A".."2D" (ACCP, KDIGO)          1 strong, 2 conditional A high, B moderate, C low, D very_low
    GRADE symbols "2|++OO"                       1 strong, 2 conditional ++++ high, +++O moderate, ++OO low,
                                                                        +OOO very_low
    GRADE words "strong/weak/conditional         strong; weak, conditional,
      recommendation" (any order with quality)   discretionary -> conditional
    quality words "moderate-quality evidence"                           high, moderate (= intermediate, medium), low,
                                                                        very low (= insufficient)
    recommendation letter "Grade A", "(B)",      A strong, others None  A high, B moderate, C low, I/U very_low, D None
      "Strength of Recommendation: C"                                   (D means "against" in USPSTF, opinion in SIGN)
    recommendation number "Grade 1" / "Grade 2"  1 strong, 2 conditional
    evidence letter "Level A", "LOE B-R",        -                      A high, B(-R/-NR) moderate, C(-LD) low,
      "Evidence A" (GINA/GOLD), ADA with hint                           D, C-EO, E very_low
    evidence roman "Level of evidence: II-2",    -                      I high, II (II-1, II-2) moderate, II-3 and
      ESMO "[I, A]" level, "(III)"                                      III low, IV and V very_low
    evidence number "Level 1a" (Oxford),         -                      1 high, 2 moderate, 3 low, 4-5 very_low
      "BEL 2" (AACE), "LE 4" (EAU)
    SIGN levels "1++", "1+", "1-", "2++" …       -                      1++ high, 1+ moderate, 1- low, 2++ moderate,
                                                                        2+ low, 2-, 3, 4 very_low
    class "Class I/IIa/IIb/III", "COR 1/2a"      I strong, IIa/IIb       (AAN evidence classes with scheme_hint="AAN":
      (ACC/AHA, ESC)                             conditional, III None    I high, II moderate, III low, IV very_low)
    NCCN "Category 1/2A/2B/3"                    -                      1 high, 2A/2B low, 3 None
    CDC "Category IA/IB/II"                      IA/IB strong, II cond. IA moderate, IB low
    "Expert opinion", "Consensus"                -                      -
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from medoracle.text import sentence_spans
from medoracle.types import Grade

__all__ = ["GradedSentence", "find_grades", "graded_sentences", "parse_grade", "unprinted_grade"]

_ROMAN = r"(?:IV|V|III|II|I)"
# A value ends where a word, a '+' or a range dash ("I-III", "A-D", "1A-2C") would continue it.
_END = r"(?![\w+]|\s?[-‐–]\s?[\dIVA-E])"
_SEP = r"\s*[:=\-–]?\s*"

_LABEL_REC = (r"(?i:grade\s+of\s+recommendations?|strength\s+of\s+(?:the\s+)?recommendations?|"
              r"recommendation\s+(?:strength|grade)|grade|GR|SOR)")
_LABEL_EVI = (r"(?i:levels?\s+of\s+evidence|levels?\s+of\s+confidence\s+in\s+(?:the\s+)?evidence|evidence\s+level|"
              r"quality\s+of\s+(?:the\s+)?evidence|evidence\s+quality|strength\s+of\s+(?:the\s+)?evidence|"
              r"evidence\s+strength(?:\s+grade)?|certainty\s+of\s+(?:the\s+)?evidence|evidence\s+grade|"
              r"evidence|level|LOE|LE|BEL)")
_LABEL_CLASS = r"(?i:class\s+of\s+recommendation|class|COR)"

_COMPONENTS: list[tuple[str, str]] = [
    # (name, pattern). Named groups carry the value; labels are matched but not captured.
    ("rec", r"\b(?P<rec_label>" + _LABEL_REC + r")" + _SEP +
     r"(?:(?P<rec_code>[12]\s?[A-D])|(?P<rec_num>[123])|(?P<rec_letter>[A-E]|I|U)|"
     r"(?P<rec_word>(?i:strong|weak|conditional|discretionary|moderate|consensus|insufficient))"
     r"(?:\s+(?i:for|against))?)" + _END),
    ("evi", r"\b(?P<evi_label>" + _LABEL_EVI + r")" + _SEP + r"(?:(?i:grade)\s+)?" +
     r"(?:(?P<evi_sign>[1-4](?:\+\+|\+|[-−](?![\d])))|(?P<evi_roman>" + _ROMAN + r"(?:[-‐–][123]|[abc])?)|"
     r"(?P<evi_num>[1-5][abc]?)|(?P<evi_letter>[A-E](?:-(?:R|NR|LD|EO))?|U)|"
     r"(?P<evi_word>(?i:very[\s-]+low|high|moderate|low|intermediate|medium|insufficient)))" + _END),
    ("cls", r"\b(?P<cls_label>" + _LABEL_CLASS + r")" + _SEP +
     r"(?P<cls_v>III|IIa|IIb|II|IV|I|1|2a|2b|3)(?::\s*(?i:no\s+benefit|harm))?" + _END +
     r"(?!\s+(?i:stud|evidence|trial|data|heart|symptom|obes))"),
    ("cat", r"\b(?i:category)" + _SEP + r"(?P<cat_v>2A|2B|1|3|IA|IB|IC|II)" + _END),
    ("sw", r"\b(?P<sw>(?i:strong|weak|conditional|discretionary|moderate))(?i:ly)?\s+(?i:recommendations?|recommended)"
           r"(?:\s+(?i:for|against)(?:\s+(?i:the\s+use\s+of))?(?:\s+(?i:an?\s+intervention))?)?" + _END),
    ("qw", r"\b(?P<qw>(?i:very[\s-]+low|high|moderate|low|intermediate|insufficient))"
           r"(?:[\s-]+(?i:quality|level|certainty|grade|strength))?(?:\s+(?i:of))?\s+(?i:evidence)" + _END),
    # Bare forms: only when they are the whole content of a bracket.
    # VA/DoD: "( Strong For )", "( Weak Against )", "( Neither for nor against )".
    ("va", r"(?P<va>(?i:strong|weak|conditional))\s+(?i:for|against)" + _END +
           r"|(?P<va_none>(?i:neither\s+for\s+nor\s+against))"),
    ("code", r"(?P<code>[12]\s?[A-D])" + _END),
    ("sym", r"(?P<sym_n>[12])\s?\|?\s?(?P<sym>[+⊕][+⊕O○◯]{3})"),
    # "I-A", "IV, C", "II-2B"; never "IA"/"IV"/"VA", which are abbreviations far more often than grades.
    ("rl", r"(?:(?P<rl_r>" + _ROMAN + r")(?:\s*[-,]\s*|\s)|(?P<rl_r2>" + _ROMAN + r"[-‐–][123])\s?[-,]?\s?)"
           r"(?P<rl_l>[A-E])" + _END),
    ("lr", r"(?P<lr_l>[A-E])(?:\s*[-,]\s*|\s)(?P<lr_r>" + _ROMAN + r")" + _END),
    ("sign", r"(?P<sign>[1-4](?:\+\+|\+|-))(?![\w+\d])"),
    ("oxf", r"(?P<oxf>[1-5][abc])" + _END),
    ("loe", r"(?P<loe>[BC]-(?:R|NR|LD|EO))" + _END),
    ("stmt", r"(?P<stmt>[A-DI])\s+(?i:recommendation|statement)" + _END),
    ("letter", r"(?P<letter>[A-E])" + _END),
    ("roman", r"(?P<roman>" + _ROMAN + r"(?:[-‐–][123]|[abc])?)" + _END),
    ("opinion",
     r"(?P<opinion>(?i:expert\s+opinion|consensus(?:\s+recommendation)?|good\s+practice\s+point|GPP))" + _END),
]
_BARE = {"va", "code", "sym", "rl", "lr", "sign", "oxf", "loe", "stmt", "letter", "roman", "opinion"}


def _alt(names: set[str] | None, *, capture: bool) -> str:
    parts = []
    for name, pattern in _COMPONENTS:
        if names is not None and name not in names:
            continue
        if not capture:
            pattern = re.sub(r"\(\?P<\w+>", "(?:", pattern)
        parts.append(f"(?P<c_{name}>{pattern})" if capture else f"(?:{pattern})")
    return "|".join(parts)


_JOIN = r"(?:\s*[,;/]\s*|\s+(?i:and)\s+|\s*)"
_LABELLED = {"rec", "evi", "cls", "cat", "sw", "qw"}
# Labels that read as a grade wherever a bracket holds them: named labels, and VA/DoD's "Strong For".
_DISTINCT = _LABELLED | {"va"}
_COMPONENT_ANY = re.compile(_alt(None, capture=True))
_COMPONENT_LABELLED = re.compile(_alt(_LABELLED, capture=True))
_FULL_BRACKET = re.compile(r"\s*(?:" + _alt(None, capture=False) + r")(?:" + _JOIN +
                           r"(?:" + _alt(None, capture=False) + r"))*\s*\.?\s*")
_SCAN_LABELLED = re.compile(r"(?:" + _alt(_LABELLED, capture=False) + r")(?:" + _JOIN + r"(?:" +
                            _alt(_LABELLED, capture=False) + r"))*")
_BRACKET = re.compile(r"[(\[]([^()\[\]\n]{1,90})[)\]]")
# Cheap gate: a text with none of these cannot hold a labelled grade.
# Where a labelled grade can be, found with str.find (far faster than a case-insensitive regex). "recommend" and
# "evidence" end GRADE's word labels, so from them the scan steps back over a few words ("strong", "very low-quality").
_ANCHORS_LOWER = ("grade", "level", "class", "categor", "evidence", "recommend", "quality of", "strength of",
                  "certainty of")
_ANCHORS_UPPER = ("LOE", "COR", "BEL", "LE", "GR", "SOR")
_LOOK_BACK = 32
# A bare grade ("(B)", "( I )", "[II, B]") closes its sentence or line; "(IV) fentanyl" or "(B) and" is prose.
_CLOSES = re.compile(r"[ \t]*(?:[.;:]|\n|$)")

_CERT_LETTER = {"A": "high", "B": "moderate", "C": "low", "D": "very_low", "E": "very_low"}
_CERT_ROMAN = {"I": "high", "II": "moderate", "III": "low", "IV": "very_low", "V": "very_low"}
_CERT_NUM = {"1": "high", "2": "moderate", "3": "low", "4": "very_low", "5": "very_low"}
_CERT_SIGN = {"1++": "high", "1+": "moderate", "1-": "low", "2++": "moderate", "2+": "low", "2-": "very_low",
              "3": "very_low", "4": "very_low"}
_CERT_WORD = {"high": "high", "moderate": "moderate", "intermediate": "moderate", "medium": "moderate",
              "low": "low", "very low": "very_low", "insufficient": "very_low"}
_STRENGTH_WORD = {"strong": "strong", "weak": "conditional", "conditional": "conditional",
                  "discretionary": "conditional"}
_REC_LETTER = {"A": ("strong", "high"), "B": (None, "moderate"), "C": (None, "low"), "D": (None, None),
               "E": (None, None), "I": (None, "very_low"), "U": (None, "very_low")}


class _Parts:
    """What the components of one printed label say, merged: evidence components set certainty first."""

    __slots__ = ("strength", "certainty", "fallback_certainty", "scheme", "kinds", "weak")

    def __init__(self) -> None:
        self.strength: str | None = None
        self.certainty: str | None = None
        self.fallback_certainty: str | None = None
        self.scheme: str | None = None
        self.kinds: list[str] = []
        self.weak = True

    def add(self, kind: str, strength: str | None = None, certainty: str | None = None, *,
            fallback: str | None = None, scheme: str | None = None, weak: bool = False) -> None:
        self.kinds.append(kind)
        self.strength = self.strength or strength
        self.certainty = self.certainty or certainty
        self.fallback_certainty = self.fallback_certainty or fallback
        self.scheme = self.scheme or scheme
        self.weak = self.weak and weak


def _roman_cert(value: str) -> str | None:
    v = value.replace("‐", "-").replace("–", "-")
    if v in ("II-3",):
        return "low"
    return _CERT_ROMAN.get(v.split("-")[0].rstrip("abc"))


def _word(value: str) -> str:
    return re.sub(r"[\s-]+", " ", value.lower())


def _read_component(m: re.Match[str], parts: _Parts, hint: str) -> None:
    g = m.groupdict()
    kind = m.lastgroup[2:] if m.lastgroup else ""
    if kind == "rec":
        label = _word(g["rec_label"])
        generic = label in ("grade", "gr")
        if g["rec_code"]:
            code = g["rec_code"].replace(" ", "")
            if "nccn" in hint:
                parts.add(kind, None, {"1": "high", "2": "low"}.get(code[0]), scheme="NCCN")
            else:
                parts.add(kind, "strong" if code[0] == "1" else "conditional", _CERT_LETTER[code[1]],
                          scheme="GRADE")
        elif g["rec_num"]:
            parts.add(kind, {"1": "strong", "2": "conditional"}.get(g["rec_num"]), scheme="GRADE", weak=generic)
        elif g["rec_letter"]:
            letter = g["rec_letter"]
            strength, cert = _REC_LETTER[letter]
            # "LA grade C oesophagitis": a lower-case generic label with a letter is prose, not a printed grade.
            parts.add(kind, strength, fallback=cert, weak=generic and (letter in "IU" or g["rec_label"].islower()),
                      scheme="USPSTF" if letter == "I" else None)
        else:
            parts.add(kind, _STRENGTH_WORD.get(g["rec_word"].lower()))
    elif kind == "evi":
        label = _word(g["evi_label"])
        generic = label == "level"
        scheme = {"loe": "ACC/AHA", "le": "EAU", "bel": "AACE"}.get(label)
        if g["evi_sign"]:
            parts.add(kind, None, _CERT_SIGN.get(g["evi_sign"].replace("−", "-")), scheme="SIGN")
        elif g["evi_roman"]:
            parts.add(kind, None, _roman_cert(g["evi_roman"]), scheme=scheme, weak=generic)
        elif g["evi_num"]:
            num = g["evi_num"]
            parts.add(kind, None, _CERT_NUM.get(num[0]), scheme=scheme or ("Oxford" if len(num) == 2 else None),
                      weak=generic and len(num) == 1)
        elif g["evi_letter"]:
            v = g["evi_letter"]
            cert = "very_low" if v in ("C-EO", "U") else _CERT_LETTER[v[0]]
            parts.add(kind, None, cert, scheme=scheme or ("ADA" if "ada" in hint else None))
        else:
            parts.add(kind, None, _CERT_WORD.get(_word(g["evi_word"])))
    elif kind == "cls":
        v = g["cls_v"].upper()
        explicit = _word(g["cls_label"]) != "class"
        if "aan" in hint:
            parts.add(kind, None, _CERT_ROMAN.get(v), scheme="AAN", weak=not explicit)
        else:
            strength = {"I": "strong", "1": "strong", "IIA": "conditional", "IIB": "conditional",
                        "II": "conditional", "2A": "conditional", "2B": "conditional"}.get(v)
            parts.add(kind, strength, scheme="ACC/AHA" if explicit else "ESC", weak=not explicit)
    elif kind == "cat":
        v = g["cat_v"]
        if v in ("IA", "IB", "IC", "II"):
            strength = {"IA": "strong", "IB": "strong", "II": "conditional"}.get(v)
            parts.add(kind, strength, {"IA": "moderate", "IB": "low"}.get(v), scheme="CDC")
        else:
            parts.add(kind, None, {"1": "high", "2A": "low", "2B": "low"}.get(v), scheme="NCCN", weak=v in ("1", "3"))
    elif kind == "sw":
        parts.add(kind, _STRENGTH_WORD.get(g["sw"].lower()), scheme="GRADE", weak=True)
    elif kind == "qw":
        parts.add(kind, None, _CERT_WORD.get(_word(g["qw"])), scheme="GRADE", weak=True)
    elif kind == "va":
        parts.add(kind, _STRENGTH_WORD.get(g["va"].lower()) if g["va"] else None, scheme="VA/DoD")
    elif kind == "code":
        code = g["code"].replace(" ", "")
        if "nccn" in hint:
            parts.add(kind, None, {"1": "high", "2": "low"}.get(code[0]), scheme="NCCN")
        else:
            parts.add(kind, "strong" if code[0] == "1" else "conditional", _CERT_LETTER[code[1]], scheme="GRADE")
    elif kind == "sym":
        plus = sum(ch in "+⊕" for ch in g["sym"])
        parts.add(kind, "strong" if g["sym_n"] == "1" else "conditional",
                  {4: "high", 3: "moderate", 2: "low", 1: "very_low"}.get(plus), scheme="GRADE")
    elif kind in ("rl", "lr"):
        roman, letter = (g["rl_r"] or g["rl_r2"], g["rl_l"]) if kind == "rl" else (g["lr_r"], g["lr_l"])
        parts.add(kind, "strong" if letter == "A" else None, _roman_cert(roman))
    elif kind == "sign":
        parts.add(kind, None, _CERT_SIGN.get(g["sign"]), scheme="SIGN")
    elif kind == "oxf":
        parts.add(kind, None, _CERT_NUM.get(g["oxf"][0]), scheme="Oxford")
    elif kind == "loe":
        parts.add(kind, None, "very_low" if g["loe"] == "C-EO" else _CERT_LETTER[g["loe"][0]], scheme="ACC/AHA")
    elif kind == "stmt":
        strength, cert = _REC_LETTER[g["stmt"]]
        parts.add(kind, strength, fallback=cert, scheme="USPSTF" if g["stmt"] == "I" else None)
    elif kind == "letter":
        letter = g["letter"]
        if "ada" in hint:
            parts.add(kind, None, _CERT_LETTER.get(letter), scheme="ADA")
        else:
            strength, cert = _REC_LETTER[letter]
            parts.add(kind, strength, fallback=cert)
    elif kind == "roman":
        parts.add(kind, None, _roman_cert(g["roman"]))
    elif kind == "opinion":
        parts.add(kind)


def _read_label(label: str, hint: str, *, labelled_only: bool) -> _Parts | None:
    pattern = _COMPONENT_LABELLED if labelled_only else _COMPONENT_ANY
    parts = _Parts()
    for m in pattern.finditer(label):
        _read_component(m, parts, hint)
    if not parts.kinds or len(set(parts.kinds)) != len(parts.kinds):
        return None  # "(A, B)" or "Level A, Level B" is a list of grades, not one grade
    return parts


def _grade(printed: str, parts: _Parts) -> Grade:
    return Grade(printed=printed, scheme=parts.scheme, strength=parts.strength,
                 certainty=parts.certainty or parts.fallback_certainty)


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".").strip()


def _printed(label: str, inner: str, parts: _Parts) -> str:
    """Labelled grades print without their brackets; bare ones ("[I, A]", "(B)") need them to read as grades."""
    if label is inner or set(parts.kinds) & _DISTINCT:
        return _tidy(inner)
    return f"{label[0]}{_tidy(inner)}{label[-1]}"


def _hint(scheme_hint: str | None) -> str:
    return (scheme_hint or "").lower()


def parse_grade(text: str, scheme_hint: str | None = None) -> Grade | None:
    """Read one printed grade label ("Grade 1A", "[I, A]", "Class IIa, LOE B-R"), or the first grade in `text`.

    `scheme_hint` (e.g. "ADA", "AAN", "NCCN", "USPSTF") resolves labels whose meaning depends on the scheme.
    """
    if not text or not text.strip():
        return None
    hint = _hint(scheme_hint)
    label = text.strip()
    inner = label[1:-1] if label[:1] in "([" and label[-1:] in ")]" else label
    if len(inner) <= 120 and _FULL_BRACKET.fullmatch(inner):
        parts = _read_label(inner, hint, labelled_only=False)
        if parts is not None:
            return _grade(_printed(label, inner, parts), parts)
    found = find_grades(text, scheme_hint=scheme_hint)
    return found[0][2] if found else None


def _word_starts(low: str, start: int, end: int) -> list[int]:
    return [j for j in range(start, end) if low[j].isalpha() and (j == 0 or not low[j - 1].isalnum())]


def find_grades(text: str, scheme_hint: str | None = None) -> list[tuple[int, int, Grade]]:
    """Spans (start, end, Grade) of the grade labels printed in `text`, in order."""
    hint = _hint(scheme_hint)
    found: list[tuple[int, int, Grade]] = []
    taken_until = -1
    if "(" in text or "[" in text:
        for m in _BRACKET.finditer(text):
            inner = m.group(1)
            if not _FULL_BRACKET.fullmatch(inner):
                continue
            parts = _read_label(inner, hint, labelled_only=False)
            if parts is None:
                continue
            if parts.weak or not set(parts.kinds) & _DISTINCT:
                before = text[m.start() - 1] if m.start() else " "
                # Between two sentences ("… judgment. ( 1C ) The panel …") a bracket is a label too, unless it
                # is a lone letter or numeral, which in prose enumerates ("… groups. (A) Patients …"); but
                # "[ D ]" and "( A )" (square or padded, as guideline summaries print grades) read as labels even so.
                between = bool(re.search(r"[.!?]\s*$", text[max(0, m.start() - 3):m.start()])) and (
                    not set(parts.kinds) <= {"letter", "roman"} or m.group(0)[0] == "[" or inner[:1] == " ")
                if before.isalnum() or not (_CLOSES.match(text, m.end()) or between):
                    continue
            found.append((m.start(), m.end(), _grade(_printed(m.group(0), inner, parts), parts)))
    brackets = [(s, e) for s, e, _ in found]
    low = text.lower()
    starts: set[int] = set()
    for words, hay in ((_ANCHORS_LOWER, low), (_ANCHORS_UPPER, text)):
        for word in words:
            i = hay.find(word)
            while i != -1:
                if i == 0 or not hay[i - 1].isalnum():
                    starts.add(i)
                    if word in ("evidence", "recommend"):
                        starts.update(_word_starts(low, max(0, i - _LOOK_BACK), i))
                i = hay.find(word, i + 1)
    for pos in sorted(starts):
        if pos < taken_until or any(s <= pos < e for s, e in brackets):
            continue
        labelled = _SCAN_LABELLED.match(text, pos)
        if labelled is None:
            continue
        parts = _read_label(labelled.group(0), hint, labelled_only=True)
        # A lone "grade 2" or "Level II" in running text is usually a tumour grade or a trauma level.
        if parts is None or (parts.weak and len(parts.kinds) == 1):
            continue
        taken_until = labelled.end()
        found.append((labelled.start(), labelled.end(), _grade(_tidy(labelled.group(0)), parts)))
    found.sort(key=lambda t: t[0])
    return found


@dataclass(frozen=True)
class GradedSentence:
    """One sentence of a passage (`text[start:end]`, any label that opened it cut off) with the grade printed for
    it; `labels` are the grade labels left inside the sentence, as offsets into the whole `text` (a trailing
    "(Grade 1A)" the caller trims from the statement)."""

    start: int
    end: int
    grade: Grade | None
    labels: tuple[tuple[int, int, Grade], ...] = ()


# What may sit between a grade label and the sentence edge without being words: list marks, stops, brackets, space.
_EDGE = " \t\n.;:,-–—•*·()[]"
# "Grade A: Offer …", "Level B — Consider …": a label that introduces the text after it.
_INTRODUCES = re.compile(r"[ \t]*[:–—-][ \t]*\S")


def graded_sentences(text: str, spans: Sequence[tuple[int, int]] | None = None) -> list[GradedSentence]:
    """Each sentence of `text` (`spans`, default `medoracle.text.sentence_spans`) with the grade printed for that
    sentence, never its neighbour's.

    Guideline summaries place a sentence's label in four ways (counted over the 1,416 NGC records' recommendations):
    inside, before the stop ("… pain (Level C).", 4,975 labels); after the stop on the same line ("… judgment.
    ( Strong For )", 3,950); on a line of its own under the text ("(Level of Evidence = IV)", 901); and, rarely,
    leading ("Grade A: Offer …"). Where a span ends or begins with a label, the layout decides whose it is:
    - a label closing a span grades that span, unless it opens its own line and a sentence follows it on that
      line (a leading layout with line breaks: "(Weak For) The panel suggests …");
    - a label opening a span grades the span before (a splitter that cut after the stop: "( Strong For ) This
      guideline panel recommends against …" looks leading but grades the sentence before it, as the raw records
      show, where such a label closes its line), unless it introduces the text after it (a colon or dash follows)
      or opens a line with a sentence after it on that line;
    - a label opening the first span, or meant for a sentence that has its own, grades a sentence we cannot see
      here (the passage before; one the splitter merged) and is dropped, not guessed.
    """
    if spans is None:
        spans = sentence_spans(text)
    has_lines = "\n" in text  # passages are stored on one line; raw records keep their line breaks
    owned: list[Grade | None] = [None] * len(spans)
    inside: list[list[tuple[int, int, Grade]]] = [[] for _ in spans]
    starts: list[int] = [s for s, _ in spans]

    def opens_sentence_on_its_line(label: tuple[int, int, Grade]) -> bool:
        if not has_lines or text[text.rfind("\n", 0, label[0]) + 1:label[0]].strip(_EDGE):
            return False
        line_end = text.find("\n", label[1])
        rest = text[label[1]:len(text) if line_end < 0 else line_end].strip(_EDGE)
        return bool(rest) and rest[0].isupper()

    # Labels printed side by side ("Level of evidence = C (Class I)") are one label: they share an owner.
    group: tuple[int, int | None, bool, int] | None = None  # (end, owner, opened its span, span)
    owner: int | None
    for label in find_grades(text):
        i = next((k for k, (s, e) in enumerate(spans) if s <= label[0] < e), None)
        if i is None:
            continue
        s, e = spans[i]
        if group is not None and not text[group[0]:label[0]].strip(_EDGE):
            _, owner, opener, span = group
            if opener and span == i:
                starts[i] = max(starts[i], label[1])
            else:
                inside[i].append(label)
            group = (label[1], owner, opener, span)
            continue
        before = text[s:label[0]].strip(_EDGE)
        after = text[label[1]:e].strip(_EDGE)
        if before:
            owner = i
            if not after and i + 1 < len(spans) and opens_sentence_on_its_line(label):
                owner = i + 1
            inside[i].append(label)
        else:
            starts[i] = max(starts[i], label[1])  # the label is not part of the sentence's text either way
            leading = bool(after) and (bool(_INTRODUCES.match(text, label[1])) or opens_sentence_on_its_line(label))
            owner = i if leading else (i - 1 if i > 0 else None)
        group = (label[1], owner, not before, i)
        if owner is not None and owned[owner] is None:
            owned[owner] = label[2]
    out = []
    for i, (s, e) in enumerate(spans):
        start = starts[i]
        while start > s and start < e and text[start] in _EDGE and text[start] not in "([":
            start += 1  # past the label's closing bracket and separator
        if start >= e:
            continue  # nothing but a label: it was given to the sentence before
        out.append(GradedSentence(start, e, owned[i], tuple(x for x in inside[i] if x[0] >= start)))
    return out


def unprinted_grade(text: str, grade: Grade | None) -> Grade | None:
    """`grade` (a passage's grade) when it is not one of the labels printed in `text`: a grade the source gives
    the whole document (a card's front matter), which every sentence without its own label inherits."""
    if grade is None:
        return None
    return None if any(g.printed == grade.printed for _, _, g in find_grades(text)) else grade
