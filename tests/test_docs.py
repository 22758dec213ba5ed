"""The README documents every setting (as datasette's docs test does for its settings)."""

from __future__ import annotations

from pathlib import Path

from medoracle.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_in_the_readme_table():
    text = README.read_text(encoding="utf-8")
    for name, _default, help_ in Settings.describe():
        assert f"| `{name}` |" in text, f"README's settings table lacks {name}"
        assert help_ in text, f"README's description of {name} is out of date"
