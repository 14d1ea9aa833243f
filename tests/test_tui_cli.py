"""`hero tui` as a command: its config, what it refuses, what it leaves unloaded, its docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from herocli.config import parse_config
from herocli.errors import ConfigError, ExitCode, UsageError
from herocli.services.inbox import VIEWS, refine
from herocli.store.queue import ItemFilter
from tests.cli_harness import Hero
from tests.sample_config import sample_config

ROOT = Path(__file__).parent.parent


def test_sync_minutes_defaults_to_five_and_is_checked() -> None:
    assert parse_config(sample_config(), "hero.toml").tui.sync_minutes == 5
    assert parse_config(sample_config(tui={"sync_minutes": 0.5}), "h").tui.sync_minutes == 0.5
    with pytest.raises(ConfigError) as caught:
        parse_config(sample_config(tui={"sync_minutes": -1, "colour": "red"}), "hero.toml")
    assert sorted(p.key for p in caught.value.problems) == ["tui.colour", "tui.sync_minutes"]


def test_without_a_terminal_it_says_so_in_one_line(tmp_path: Path) -> None:
    result = Hero(tmp_path).run("tui")  # pytest's stdin is not a terminal
    assert result.code == ExitCode.USAGE
    assert result.err.splitlines()[0] == "error: hero tui needs a terminal"


def test_search_words_are_the_inbox_filters() -> None:
    base = VIEWS["on us"]
    f = refine(base, "mine channel:github label:bug printer fire", "Hana")
    assert f == ItemFilter(
        channels=("github",), assignee="Hana", label="bug", search="printer fire"
    )
    assert refine(base, "@Ravi", None).assignee == "Ravi"
    assert refine(f, "", "Hana") == base  # empty words clear every refinement
    with pytest.raises(UsageError, match="mine"):
        refine(base, "mine", None)


def test_the_docs_show_every_key() -> None:
    from herocli.tui.queue import QueueList
    from herocli.tui.screen import QueueScreen

    doc = (ROOT / "docs" / "tui.md").read_text(encoding="utf-8")
    table = doc.split("## Keys", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| (.+?) \|", table, flags=re.MULTILINE)
    documented = {key for cell in first_cells for key in re.findall(r"`([^`]+)`", cell)}
    named = {"question_mark": "?", "slash": "/"}
    for binding in [*QueueScreen.BINDINGS, *QueueList.BINDINGS]:
        for key in binding.key.split(","):  # type: ignore[union-attr]
            assert named.get(key, key) in documented, key
    assert (ROOT / "docs" / "tui.svg").read_text(encoding="utf-8").startswith("<svg")
