"""`hero sync` in-process: filling the queue, one channel, bad names, a failing channel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from herocli.channels.base import Channel
from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.context import Context
from herocli.errors import ExitCode, UnreachableError
from tests.cli_checks import (  # noqa: F401
    as_json,
    hero_fixture,
    numbers,
    ok,
    one_line_error,
    seeded_fixture,
)
from tests.cli_harness import (
    SYNC_FIELDS,
    Hero,
)


def test_sync_fills_the_queue_and_reports(hero: Hero) -> None:
    hero.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in")
    hero.customer_opens("slack", "C1/1.0", "Export slow", "hangs", "U0ANN")
    result = ok(hero.run("sync"))
    assert "github: 1 new, 0 updated" in result.err
    assert "slack: 1 new, 0 updated" in result.err
    again = as_json(hero.run("sync", "--json"))
    assert [list(r) for r in again] == [SYNC_FIELDS, SYNC_FIELDS]
    assert [(r["channel"], r["ok"], r["new_items"], r["error"]) for r in again] == [
        ("github", True, 0, None),
        ("slack", True, 0, None),
    ]
    assert len(numbers(hero)) == 2


def test_sync_one_channel(hero: Hero) -> None:
    hero.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in")
    hero.customer_opens("slack", "C1/1.0", "Export slow", "hangs", "U0ANN")
    data = as_json(hero.run("sync", "slack", "--json"))
    assert [r["channel"] for r in data] == ["slack"]
    assert [r["channel"] for r in as_json(hero.run("inbox", "--json"))] == ["slack"]


def test_sync_counts_updates(seeded: Hero) -> None:
    seeded.backends["github"].add("acme/widget#1", "ann", "any news?")
    [github, slack] = as_json(seeded.run("sync", "--json"))
    assert (github["new_items"], github["updated_items"], github["new_messages"]) == (0, 1, 1)
    assert slack["new_messages"] == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["sync", "jira"], "unknown channel 'jira'"), (["sync", "email"], "email channel is not")],
)
def test_sync_bad_channel_names(hero: Hero, args: list[str], fragment: str) -> None:
    hero.backends["email"] = MemoryBackend(hero.clock)  # known, but not in the config
    line = one_line_error(hero.run(*args), ExitCode.NOT_FOUND)
    assert fragment in line


def test_sync_with_no_channel_configured(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[[team.members]]\nname = "Hana"\n', "utf-8")
    hero = Hero(tmp_path)
    result = hero.run("sync")
    assert "no channel is configured" in one_line_error(result, ExitCode.NOT_FOUND)


def test_a_failing_channel_does_not_stop_the_others(hero: Hero) -> None:
    hero.customer_opens("slack", "C1/1.0", "Export slow", "hangs", "U0ANN")

    def unreachable(_ctx: Context) -> Channel:
        raise UnreachableError(
            "cannot reach api.github.com: connection refused", hint="check the network"
        )

    factories = {
        "github": unreachable,
        "slack": lambda _ctx: MemoryChannel(hero.backends["slack"], name="slack"),
    }
    result = hero.run("sync", factories=factories)
    assert result.code == ExitCode.ERROR
    assert "github: failed: cannot reach api.github.com: connection refused" in result.err
    assert "hint: check the network" in result.err
    assert "slack: 1 new" in result.err
    assert "Traceback" not in result.err
    data = hero.run("sync", "--json", factories=factories)
    assert data.code == ExitCode.ERROR
    parsed = json.loads(data.out)
    assert [(r["channel"], r["ok"]) for r in parsed] == [("github", False), ("slack", True)]
    assert parsed[0]["error"] == "cannot reach api.github.com: connection refused"
    assert [r["channel"] for r in as_json(hero.run("inbox", "--json"))] == ["slack"]


def test_a_channel_failing_mid_fetch_keeps_what_it_stored(hero: Hero) -> None:
    for n in range(1, 6):
        hero.customer_opens("github", f"acme/widget#{n}", f"Issue {n}", "help")

    class Flaky(MemoryChannel):
        def fetch(self, cursor: Any, progress: Any) -> Any:
            for index, page in enumerate(super().fetch(cursor, progress)):
                if index == 1:
                    raise UnreachableError("connection reset")
                yield page

    factories = {"github": lambda _ctx: Flaky(hero.backends["github"], name="github")}
    result = hero.run("sync", "github", factories=factories)
    assert result.code == ExitCode.ERROR
    assert len(numbers(hero)) == 2  # the first page is kept
    ok(hero.run("sync", "github"))  # the next sync resumes from the stored cursor
    assert len(numbers(hero)) == 5
