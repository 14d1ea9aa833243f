"""The README's quick start is what CI runs, and the documents name every command."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from herocli.cli.main import build_app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def test_quick_start_has_the_demo_and_the_test_command() -> None:
    demo, tests = _quick_start_commands()
    assert demo.endswith("hero demo")
    assert "pytest" in tests


def test_ci_runs_both_readme_commands_word_for_word() -> None:
    demo, tests = _quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
    assert f"({demo})" in ci
    assert "python3 -m venv --clear" in ci  # on a Python that sees no system packages


def test_every_command_is_in_the_readme_and_the_reference() -> None:
    reference = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    names = sorted(get_command(build_app()).commands)  # type: ignore[attr-defined]
    assert len(names) >= 15
    for name in names:
        assert re.search(rf"`hero {name}\b", README), name
        assert re.search(rf"hero {name}\b", reference), name
