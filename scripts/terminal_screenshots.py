"""Refresh the terminal screenshots in docs/ (SVG, as rich records them) from the bundled knowledge base.

    .venv/bin/python scripts/terminal_screenshots.py    # writes docs/terminal-brief.svg and docs/terminal-page.svg

The page is laid out by `medoracle.terminal` at 80 columns, exactly as `medoracle ask` prints it on a terminal.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from rich.console import Console

from medoracle.service import Clinic
from medoracle.settings import Settings
from medoracle.terminal import to_terminal

DOCS = Path(__file__).resolve().parents[1] / "docs"
QUESTION = "mx of mscc"
PAGE_QUESTION = "Which antibiotic for community-acquired pneumonia in adults?"


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="medoracle-term-"))
    clinic = Clinic.build(Settings(data_dir=str(root)), on_progress=lambda m: print(m, file=sys.stderr))
    for name, question, brief in (("terminal-brief", QUESTION, True), ("terminal-page", PAGE_QUESTION, False)):
        console = Console(record=True, width=80, force_terminal=True, color_system="truecolor")
        console.print(f"$ medoracle ask {question!r}{' --brief' if brief else ''}", style="dim")
        to_terminal(clinic.answer(question), console, brief=brief)
        console.save_svg(str(DOCS / f"{name}.svg"), title=f"medoracle ask{' --brief' if brief else ''}")
        print(f"wrote {DOCS / f'{name}.svg'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
