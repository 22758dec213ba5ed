"""Answer → a terminal page: hanging indents, no trailing spaces, citations and grades kept with their words,
links never broken, and a brief view that fits one screen.

Rich's own wrapping restarts a wrapped bullet at column 0 and may split "(I, A)" or leave "[3]" alone on a line,
so lines are laid out here, word by word, and handed to rich only for styling (`soft_wrap=True`: no rewrapping).
Piped output is plain text: rich drops styles and hyperlinks when stdout is not a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.style import Style
from rich.text import Text

from medoracle.render import summary_label, web_url
from medoracle.text import UNIT_PATTERN
from medoracle.types import Answer, Reference, Statement, year_of

__all__ = ["BRIEF_STATEMENTS", "MAX_WIDTH", "page_lines", "to_terminal"]

MAX_WIDTH = 100        # lines longer than this are hard to read even on a wide terminal
BRIEF_STATEMENTS = 5   # about one screen (24 lines at 80 columns) under the bottom line, with the references
BULLET = "•"
SHORT_GRADE = 24       # "(Grade 1A)", "(I, A)", "(Strong For)" never break; longer spelled-out grades wrap by word


@dataclass(frozen=True)
class Piece:
    """A run of text that is never broken; `glued` pieces stay on the line of the piece before them."""

    text: str
    style: str = ""
    link: str | None = None
    glued: bool = False


# A number and its one-word unit stay on one line ("20 Gy", "6.0 mmol/L"): "20" at a line's end reads as another
# dose. Units of several words ("per cent") may still wrap; they are rare in guideline text.
_NUMBER = re.compile(r"^[(<>≤≥~]?\d[\d.,]*(?:[-–]\d[\d.,]*)?$")
_UNIT_WORD = re.compile(rf"^(?:{UNIT_PATTERN})(?![A-Za-z])", re.IGNORECASE)


def _words(text: str, style: str = "") -> list[Piece]:
    pieces: list[Piece] = []
    for w in text.split():
        glued = bool(pieces) and bool(_NUMBER.match(pieces[-1].text)) and bool(_UNIT_WORD.match(w))
        pieces.append(Piece(w, style, glued=glued))
    return pieces


def _marks(citations: list[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


def _statement_pieces(text: str, citations: list[int], grade: str | None) -> list[Piece]:
    pieces = _words(text)
    if citations:
        # glued to the last word, so a citation never starts a line of its own
        pieces.append(Piece(_marks(citations), "cyan", glued=bool(pieces)))
    if grade:
        printed = f"({' '.join(grade.split())})"
        if len(printed) <= SHORT_GRADE:
            pieces.append(Piece(printed, "bold magenta", glued=bool(pieces)))
        else:  # a grade written out in words wraps like words, its first word kept with the citation
            words = printed.split()
            pieces.append(Piece(words[0], "bold magenta", glued=bool(pieces)))
            pieces += [Piece(w, "bold magenta") for w in words[1:]]
    return pieces


def _atoms(pieces: list[Piece]) -> list[list[Piece]]:
    atoms: list[list[Piece]] = []
    for p in pieces:
        if p.glued and atoms:
            atoms[-1].append(p)
        else:
            atoms.append([p])
    return atoms


def _width(atom: list[Piece]) -> int:
    return sum(len(p.text) for p in atom) + len(atom) - 1


def layout(pieces: list[Piece], width: int, first: str = "", rest: str = "") -> list[Text]:
    """Greedy word wrap into lines of at most `width` columns (an unbreakable piece longer than that, such as a
    long URL, gets a line of its own, whole), the first line after `first`, the others after `rest`."""
    lines: list[Text] = []
    line, used = Text(first), len(first)
    empty, previous = True, ""
    for atom in _atoms(pieces):
        need = _width(atom) + (0 if empty else 1)
        if not empty and used + need > width:
            lines.append(line)
            line, used, empty = Text(rest), len(rest), True
            need = _width(atom)
        for i, p in enumerate(atom):
            if not empty or i:
                # a space between two words of one style takes that style (an underlined heading stays whole)
                line.append(" ", p.style if p.style and p.style == previous and not p.link else None)
            line.append(p.text, Style.parse(p.style) + Style(link=p.link) if p.link else p.style or None)
            previous, empty = p.style, False
        used += need
    if not empty or not lines:
        lines.append(line)
    return lines


def _reference_pieces(ref: Reference) -> list[Piece]:
    title = (ref.title or ref.doc_id).rstrip(". ")
    pieces = _words(title + ".", "bold")
    if ref.source:
        pieces += _words(ref.source.rstrip(". ") + ".")
    year = year_of(ref.published)
    if year:
        pieces.append(Piece(f"{year}."))
    url = web_url(ref.url)
    if url:
        pieces.append(Piece(url, "blue underline", link=url))
    return pieces


def _brief_statements(answer: Answer, limit: int) -> list[tuple[str, Statement]]:
    """The most important statements: each section's first in page order, then each one's second, and so on
    (sections come in clinical order, and each section lists its strongest statement first)."""
    chosen: list[tuple[str, Statement]] = []
    depth = 0
    while len(chosen) < limit:
        added = False
        for sec in answer.sections:
            if depth < len(sec.statements) and len(chosen) < limit:
                chosen.append((sec.title, sec.statements[depth]))
                added = True
        if not added:
            break
        depth += 1
    order = {id(st): i for i, (_, st) in enumerate((s.title, st) for s in answer.sections for st in s.statements)}
    return sorted(chosen, key=lambda item: order[id(item[1])])


def page_lines(answer: Answer, width: int = 80, *, brief: bool = False) -> list[Text]:
    """The whole page as styled lines (blank lines included), for printing or counting."""
    width = max(40, min(width, MAX_WIDTH))
    out: list[Text] = []

    def block(lines: list[Text]) -> None:
        out.extend(lines)

    def blank() -> None:
        if out and out[-1].plain:
            out.append(Text(""))

    block(layout(_words(answer.question, "bold"), width))
    if answer.resolved_question:
        block(layout(_words("Answered as: " + answer.resolved_question, "dim"), width))
    blank()
    if answer.abstained:
        block(layout([Piece("No answer:", "bold yellow"), *_words(answer.abstain_reason or
                      "the sources found do not support an answer to this question.")], width))
        for note in answer.notes:
            blank()
            block(layout(_words(note, "italic"), width))
        _gap(answer, width, out, brief=brief)
        _follow_ups(answer, width, out, "Try asking", skip=bool(answer.gap and answer.gap.rephrasings))
        while out and not out[-1].plain:
            out.pop()
        return out
    if answer.summary:
        label = summary_label(answer) + ":"
        pieces = [Piece(label, "bold green"),
                  *_statement_pieces(answer.summary, answer.summary_citations, answer.summary_grade)]
        block(layout(pieces, width, rest="  "))
        blank()
    if brief:
        shown = _brief_statements(answer, BRIEF_STATEMENTS)
        total = sum(len(s.statements) for s in answer.sections)
        current = None
        for title, st in shown:
            if title != current:
                if current is not None:
                    blank()
                block(layout(_words(title, "bold underline"), width))
                current = title
            block(layout(_statement_pieces(st.text, st.citations, st.grade), width, f"  {BULLET} ", "    "))
        blank()
        if total > len(shown):
            block(layout(_words(f"{len(shown)} of {total} statements shown; run without --brief for the whole "
                                "answer.", "dim"), width))
            blank()
        cited = {n for _, st in shown for n in st.citations} | set(answer.summary_citations)
        references = [r for r in answer.references if r.n in cited]
    else:
        for sec in answer.sections:
            block(layout(_words(sec.title, "bold underline"), width))
            for st in sec.statements:
                block(layout(_statement_pieces(st.text, st.citations, st.grade), width, f"  {BULLET} ", "    "))
            blank()
        references = list(answer.references)
    for note in answer.notes:
        block(layout(_words(note, "italic"), width))
        blank()
    if references:
        block(layout(_words("References", "bold underline"), width))
        for r in references:
            marker = f"  [{r.n}] "
            lines = layout(_reference_pieces(r), width, marker, " " * len(marker))
            lines[0].stylize("cyan", 2, 2 + len(f"[{r.n}]"))
            block(lines)
        blank()
    _gap(answer, width, out, brief=brief)
    _follow_ups(answer, width, out, "Follow-up questions")
    while out and not out[-1].plain:
        out.pop()
    return out


def _gap(answer: Answer, width: int, out: list[Text], *, brief: bool = False) -> None:
    """What was looked for, what the library covers and the rephrasings to try (an abstention, or a gap); the
    brief view names the command that lists the topics instead of listing them."""
    gap = answer.gap
    if gap is None:
        return
    if out and out[-1].plain:
        out.append(Text(""))
    looked = gap.looked_for[:1].upper() + gap.looked_for[1:]
    out.extend(layout([Piece("Looked for:", "bold"), *_words(looked.rstrip(".") + ".")], width, rest="  "))
    out.extend(layout(_words(gap.library), width))
    if gap.topics and brief:
        out.extend(layout(_words("medoracle kb lists them.", "dim"), width))
    elif gap.topics:
        out.extend(layout([Piece("Topics:", "dim"), *_words(", ".join(gap.topics) + ".", "dim")], width, rest="  "))
    if gap.rephrasings:
        out.append(Text(""))
        out.extend(layout(_words("Try asking" if answer.abstained else "To find the rest, try asking", "bold"),
                          width))
        for q in gap.rephrasings:
            out.extend(layout(_words(q), width, f"  {BULLET} ", "    "))
    out.append(Text(""))


def _follow_ups(answer: Answer, width: int, out: list[Text], heading: str, *, skip: bool = False) -> None:
    """The suggested next questions; `skip`: the rephrasings above already say what to ask."""
    shown = set(answer.gap.rephrasings) if answer.gap else set()
    questions = [q for q in answer.follow_ups if q not in shown]
    if not questions or skip:
        return
    if out and out[-1].plain:
        out.append(Text(""))
    out.extend(layout(_words(heading, "bold"), width))
    for q in questions:
        out.extend(layout(_words(q), width, f"  {BULLET} ", "    "))


def to_terminal(answer: Answer, console: Any, *, brief: bool = False) -> None:
    """Print the answer on `console` (a rich Console) as a page."""
    width = console.width if isinstance(console, Console) else 80
    for line in page_lines(answer, width, brief=brief):
        console.print(line, soft_wrap=True, highlight=False)
