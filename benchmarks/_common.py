"""Helpers shared by the benchmarks: where the data is, a machine line, a table printer."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPORA = sorted((DATA / "corpora").glob("*.jsonl.gz"))
CACHE = Path(os.environ.get("MEDORACLE_BENCH_CACHE", ROOT / ".bench"))


def require_data() -> None:
    if not CORPORA:
        raise SystemExit(f"benchmark data not found at {DATA / 'corpora'}")


def machine() -> str:
    return (f"{date.today().isoformat()} · {platform.machine()} · {os.cpu_count()} cores · "
            f"Python {platform.python_version()}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    i = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[i]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table, so the output can be pasted into the README as is."""
    cells = [[str(c) for c in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"

    return "\n".join([line(cells[0]), "| " + " | ".join("-" * w for w in widths) + " |", *map(line, cells[1:])])


def _fmt(c) -> str:
    if isinstance(c, float):
        return f"{c:.3f}" if abs(c) < 10 else f"{c:,.0f}"
    if isinstance(c, int):
        return f"{c:,}"
    return str(c)
