"""Acting on several items at once, snooze forms, honest write messages, filter names, exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herocli.errors import ExitCode
from tests.cli_harness import Hero, Result, hero_process, seed_three


@pytest.fixture
def seeded(tmp_path: Path) -> Hero:
    return seed_three(Hero(tmp_path))


def ok(result: Result) -> Result:
    assert result.code == 0, result
    return result


def rows(hero: Hero, *args: str) -> list[dict[str, object]]:
    result = ok(hero.run("inbox", "--json", *args))
    return list(json.loads(result.out))


def numbers(hero: Hero, *args: str) -> list[object]:
    return [row["number"] for row in rows(hero, *args)]


# --- 6: unknown filter names are errors that list the valid ones ----------------------------


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["--channel", "gitlab"], "no channel 'gitlab'", "channels: github, slack"),
        (["--assignee", "bob"], "no team member 'bob'", "team members: Hana, Ravi"),
        (["--label", "nope"], "no label 'nope'", "labels: bug"),
    ],
)
def test_unknown_filter_names_are_errors_listing_the_valid_ones(
    seeded: Hero, args: list[str], message: str, hint: str
) -> None:
    ok(seeded.run("label", "1", "+bug"))
    result = seeded.run("inbox", *args)
    assert result.code == ExitCode.NOT_FOUND, result
    assert result.out == ""
    assert result.err.splitlines() == [f"error: {message}", f"hint: {hint}"]


def test_filter_names_are_matched_as_the_queue_spells_them(seeded: Hero) -> None:
    ok(seeded.run("assign", "1", "ravi"))
    assert numbers(seeded, "--channel", "GitHub") == [1]
    assert numbers(seeded, "--assignee", "RAVI") == [1]
    assert numbers(seeded, "--assignee", "ravi") == [1]  # a GitHub login names the member


def test_a_known_channel_with_nothing_waiting_is_still_fine(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    ok(hero.run("close", "2"))
    assert numbers(hero, "--channel", "slack") == []


# --- 11: several ids at once ----------------------------------------------------------------


def test_close_several_items_at_once(seeded: Hero) -> None:
    result = ok(seeded.run("close", "1", "#2", "3"))
    assert "#1 closed" in result.err
    assert "#2 closed" in result.err
    assert "#3 closed" in result.err
    assert numbers(seeded, "--closed") == [1, 2, 3]


def test_an_unknown_id_among_several_changes_nothing(seeded: Hero) -> None:
    result = seeded.run("close", "1", "98", "2", "99")
    assert result.code == ExitCode.NOT_FOUND
    assert result.err.splitlines()[0] == "error: no item #98, #99 in the queue"
    assert numbers(seeded, "--closed") == []


def test_snooze_label_and_assign_take_several_ids(seeded: Hero) -> None:
    ok(seeded.run("snooze", "1", "2", "2h"))
    assert numbers(seeded, "--snoozed") == [1, 2]
    ok(seeded.run("label", "1", "3", "+bug", "+p1"))
    assert {r["number"]: r["labels"] for r in rows(seeded, "--all")} == {
        1: ["bug", "p1"],
        2: [],
        3: ["bug", "p1"],
    }
    ok(seeded.run("assign", "1", "2", "3", "Ravi"))
    assert [r["assignee"] for r in rows(seeded, "--all")] == ["Ravi", "Ravi", "Ravi"]


# --- 12: snooze forms people type -----------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "until"),
    [
        (["14:00"], "2026-11-23T13:00:00Z"),  # 10:30 in Berlin: today at two
        (["friday", "3pm"], "2026-11-27T14:00:00Z"),
        (["friday 3pm"], "2026-11-27T14:00:00Z"),
        (["next", "week"], "2026-11-30T08:00:00Z"),
        (["eod"], "2026-11-23T16:00:00Z"),
        (["in", "2", "hours"], "2026-11-23T11:30:00Z"),
        (["tmrw"], "2026-11-24T08:00:00Z"),
    ],
)
def test_snooze_forms(seeded: Hero, words: list[str], until: str) -> None:
    result = ok(seeded.run("snooze", "1", *words))
    assert until in result.err
    [row] = rows(seeded, "--snoozed")
    assert row["snoozed_until"] == until


def test_snooze_several_ids_with_a_two_word_time(seeded: Hero) -> None:
    ok(seeded.run("snooze", "1", "2", "friday", "3pm"))
    assert {r["snoozed_until"] for r in rows(seeded, "--snoozed")} == {"2026-11-27T14:00:00Z"}


def test_a_negative_snooze_is_a_time_in_the_past_not_an_option(seeded: Hero) -> None:
    result = seeded.run("snooze", "1", "-2h")
    assert result.code == ExitCode.USAGE
    lines = result.err.splitlines()
    assert lines[0] == "error: '-2h' is in the past: a snooze must end in the future"
    for form in ("friday 3pm", "eod", "in 2 hours"):
        assert form in lines[1]


# --- 13: write commands say what really happened -------------------------------------------


def test_closing_twice_says_already_closed(seeded: Hero) -> None:
    ok(seeded.run("close", "1"))
    writes = list(seeded.backends["github"].write_log)
    again = ok(seeded.run("close", "1"))
    assert again.err.strip() == "#1 was already closed"
    assert seeded.backends["github"].write_log == writes  # nothing sent again


def test_removing_a_label_that_is_not_there_says_so(seeded: Hero) -> None:
    ok(seeded.run("label", "1", "+bug"))
    result = ok(seeded.run("label", "1", "-docs", "+bug"))
    assert result.err.strip() == "#1: already had bug; had no docs"
    assert "+-" not in result.err


def test_assign_says_locally_where_the_channel_has_no_assignees(tmp_path: Path) -> None:
    from herocli.channels.base import Capabilities
    from herocli.channels.memory import MemoryChannel

    hero = seed_three(Hero(tmp_path))
    factories = {
        "github": lambda _c: MemoryChannel(hero.backends["github"], name="github"),
        "slack": lambda _c: MemoryChannel(
            hero.backends["slack"], name="slack", capabilities=Capabilities()
        ),
    }
    result = ok(hero.run("assign", "2", "ravi", factories=factories))
    assert result.err.strip() == "#2 assigned to Ravi (locally; slack has no assignees)"
    assert "done on" not in result.err
    again = ok(hero.run("assign", "2", "ravi", factories=factories))
    assert again.err.strip() == "#2 is already assigned to Ravi"


def test_reopen_an_open_item_says_so(seeded: Hero) -> None:
    assert ok(seeded.run("reopen", "1")).err.strip() == "#1 is already open"


# --- 15: exit codes as docs/exit-codes.md says ---------------------------------------------


def test_no_arguments_prints_the_help_on_stdout_and_exits_0(tmp_path: Path) -> None:
    for args in ([], ["config"]):
        run = hero_process(*args, cwd=tmp_path)
        assert run.returncode == 0, run
        assert run.stdout.startswith("Usage: hero"), run.stdout
        assert run.stderr == ""


def test_a_channel_not_configured_is_not_found(seeded: Hero) -> None:
    from herocli.channels.memory import MemoryBackend

    seeded.backends["email"] = MemoryBackend(seeded.clock)
    result = seeded.run("sync", "email")
    assert result.code == ExitCode.NOT_FOUND
    assert result.err.startswith("error: the email channel is not configured")


def test_ctrl_c_during_a_sync_exits_130_and_says_what_is_kept(tmp_path: Path) -> None:
    import os
    import socket
    import time

    from tests.pty_driver import PtyHero
    from tests.sample_config import sample_config

    silent = socket.socket()  # accepts connections, never answers: the sync waits on it
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        config = tmp_path / "config.toml"
        config.write_text(
            sample_config(github={"api_url": url, "repos": ["acme/widget"]}, slack=None),
            encoding="utf-8",
        )
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path / "home"),
            "HERO_CONFIG": str(config),
            "HERO_DATA_DIR": str(tmp_path / "data"),
            "GH_TOKEN": "ghp-test-token",
        }
        term = PtyHero("sync", env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until hero is connected and waiting
            silent.settimeout(0.2)
            try:
                conn, _ = silent.accept()
                break
            except TimeoutError:
                continue
        else:
            raise AssertionError(f"hero never connected:\n{term.screen}")
        term.interrupt()
        assert term.wait() == 130
        assert "interrupted: what was fetched so far is saved" in term.screen
        assert "Traceback" not in term.screen
        conn.close()
    finally:
        silent.close()
