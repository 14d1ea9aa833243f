"""Every command's help reads like gh's: a usage line a person writes, named arguments,
and two or three examples; nothing of the parser's own notation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from herocli.cli.commands import COMMANDS
from tests.cli_harness import hero_process

SUBCOMMANDS = [["config", "init"], ["config", "check"], ["config", "path"], ["config", "example"]]
SUBCOMMANDS += [["outbox", "retry"]]
EVERY = [[name] for name in COMMANDS] + SUBCOMMANDS
DEVELOPER_NOTATION = ("<str>", "<list", "<int>", "x>=", "Value error", "{", "}", "[[", "]...]")


@pytest.mark.parametrize("words", EVERY, ids=" ".join)
def test_help_has_a_plain_usage_line_and_examples(tmp_path: Path, words: list[str]) -> None:
    done = hero_process(*words, "--help", env={"PATH": os.environ.get("PATH", "")}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    usage = text.splitlines()[0]
    assert usage.startswith(f"Usage: hero {' '.join(words)}"), usage
    for notation in DEVELOPER_NOTATION:
        assert notation not in text, f"{notation!r} in `hero {' '.join(words)} --help`"
    examples = text.split("Examples:")[1] if "Examples:" in text else ""
    lines = [line.strip() for line in examples.splitlines() if line.strip()]
    assert 2 <= len(lines) <= 3, text
    assert all(re.search(r"\bhero\b", line) for line in lines), lines


def test_arguments_are_named_in_the_usage_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "")}
    usages = {
        ("snooze",): "Usage: hero snooze [OPTIONS] ID... WHEN",
        ("assign",): "Usage: hero assign [OPTIONS] ID... MEMBER",
        ("label",): "Usage: hero label [OPTIONS] ID... CHANGE...",
        ("sync",): "Usage: hero sync [OPTIONS] [CHANNEL]...",
        ("completion",): "Usage: hero completion [OPTIONS] SHELL",
    }
    for words, usage in usages.items():
        assert hero_process(*words, "--help", env=env, cwd=tmp_path).stdout.splitlines()[0] == usage
