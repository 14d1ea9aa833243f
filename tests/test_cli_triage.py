"""The triage commands (assign, snooze, close, reopen, label, note), run in-process."""

from __future__ import annotations

import pytest

from herocli.errors import ExitCode
from herocli.models import RemoteState
from herocli.store import log
from tests.cli_checks import (  # noqa: F401
    as_json,
    bodies,
    hero_fixture,
    numbers,
    ok,
    one_line_error,
    open_store,
    seeded_fixture,
)
from tests.cli_harness import Hero


def test_assign(seeded: Hero) -> None:
    result = ok(seeded.run("assign", "1", "Ravi"))
    assert "#1 assigned to Ravi" in result.err
    assert seeded.backends["github"].threads["acme/widget#1"].assignees == ["Ravi"]
    ok(seeded.run("assign", "1", "none"))
    assert numbers(seeded, "--assignee", "Ravi") == []
    ok(seeded.run("assign", "2", "hana", "--local"))
    assert seeded.backends["slack"].threads["C1/1.0"].assignees == []
    assert numbers(seeded, "--mine") == [2]


def test_assign_ping(seeded: Hero) -> None:
    ok(seeded.run("assign", "1", "Ravi", "--ping"))
    assert (
        bodies(seeded, "github", "acme/widget#1")[-1] == "@Ravi, could you take a look at this one?"
    )


def test_assign_unknown_member(seeded: Hero) -> None:
    line = one_line_error(seeded.run("assign", "1", "Zed"), ExitCode.NOT_FOUND)
    assert line == "error: no team member 'Zed'"
    assert "members: Hana, Ravi" in seeded.run("assign", "1", "Zed").err


def test_snooze_and_wake(seeded: Hero) -> None:
    result = ok(seeded.run("snooze", "1", "2h"))
    assert "#1 snoozed until" in result.err
    assert "2026-11-23T11:30:00Z" in result.err
    assert numbers(seeded) == [2]
    seeded.clock.advance(hours=2)
    assert numbers(seeded) == [1, 2]
    store = open_store(seeded)
    events = [e for e in log.item_events(store.conn, 1) if e.kind.value == "woke"]
    store.close()
    assert [(e.at.isoformat(), e.detail) for e in events] == [
        ("2026-11-23T11:30:00+00:00", {"why": "time"})
    ]


def test_snooze_until_a_date_uses_the_configured_zone(seeded: Hero) -> None:
    ok(seeded.run("snooze", "1", "2026-12-01"))
    [row] = as_json(seeded.run("inbox", "--snoozed", "--json"))
    assert row["snoozed_until"] == "2026-12-01T08:00:00Z"  # 09:00 in Berlin


def test_snooze_wakes_early_when_they_write(seeded: Hero) -> None:
    ok(seeded.run("snooze", "1", "3d"))
    seeded.clock.advance(minutes=5)
    seeded.backends["github"].add("acme/widget#1", "ann", "hello?")
    ok(seeded.run("sync"))
    assert numbers(seeded) == [1, 2]


@pytest.mark.parametrize(
    ("when", "code"),
    [("soon", ExitCode.USAGE), ("2020-01-01", ExitCode.USAGE), ("", ExitCode.USAGE)],
)
def test_snooze_bad_times(seeded: Hero, when: str, code: int) -> None:
    assert seeded.run("snooze", "1", when).code == code
    assert numbers(seeded) == [1, 2]


def test_snoozing_a_closed_item_says_reopen_first(seeded: Hero) -> None:
    ok(seeded.run("close", "1"))
    assert "reopen it first" in one_line_error(seeded.run("snooze", "1", "2h"), ExitCode.USAGE)


def test_close_and_reopen(seeded: Hero) -> None:
    assert "#1 closed" in ok(seeded.run("close", "1")).err
    assert seeded.backends["github"].threads["acme/widget#1"].state is RemoteState.CLOSED
    assert numbers(seeded) == [2]
    ok(seeded.run("sync"))  # the source now says closed too: still closed, nothing new
    assert numbers(seeded, "--closed") == [1]
    assert "#1 open" in ok(seeded.run("reopen", "1")).err
    assert seeded.backends["github"].threads["acme/widget#1"].state is RemoteState.OPEN
    assert numbers(seeded) == [1, 2]
    ok(seeded.run("sync"))
    assert numbers(seeded) == [1, 2]
    assert seeded.backends["github"].write_log == [
        "close acme/widget#1 completed",
        "reopen acme/widget#1",
    ]


def test_close_not_planned_and_local(seeded: Hero) -> None:
    ok(seeded.run("close", "1", "--not-planned"))
    ok(seeded.run("close", "2", "--local"))
    assert seeded.backends["github"].write_log == ["close acme/widget#1 not_planned"]
    assert seeded.backends["slack"].write_log == []
    assert numbers(seeded, "--closed") == [1, 2]


def test_closed_upstream_follows_on_sync(seeded: Hero) -> None:
    thread = seeded.backends["github"].threads["acme/widget#1"]
    thread.state = RemoteState.CLOSED
    seeded.backends["github"]._touch(thread)
    [github, _] = as_json(seeded.run("sync", "--json"))
    assert github["closed"] == 1
    assert numbers(seeded, "--closed") == [1]
    thread.state = RemoteState.OPEN
    seeded.backends["github"]._touch(thread)
    [github, _] = as_json(seeded.run("sync", "--json"))
    assert github["reopened"] == 1
    assert numbers(seeded) == [1, 2]


def test_reopen_a_snoozed_item(seeded: Hero) -> None:
    ok(seeded.run("snooze", "1", "1w"))
    ok(seeded.run("reopen", "1"))
    assert numbers(seeded) == [1, 2]
    assert seeded.backends["github"].write_log == []  # a snooze is local


def test_label(seeded: Hero) -> None:
    ok(seeded.run("label", "1", "+bug", "+p1"))
    result = ok(seeded.run("label", "1", "+question", "-wontfix", "-p1"))
    assert "#1: added question; removed p1; had no wontfix" in result.err
    [row] = [r for r in as_json(seeded.run("inbox", "--json")) if r["number"] == 1]
    assert row["labels"] == ["bug", "question"]
    assert seeded.backends["github"].threads["acme/widget#1"].labels == ["bug", "question"]
    ok(seeded.run("sync"))
    assert numbers(seeded, "--label", "question") == [1]


@pytest.mark.parametrize("change", ["bug", "+", "-", "*x"])
def test_label_bad_changes(seeded: Hero, change: str) -> None:
    assert seeded.run("label", "1", change).code == ExitCode.USAGE
    assert seeded.backends["github"].write_log == []


def test_label_needs_a_change(seeded: Hero) -> None:
    assert seeded.run("label", "1").code == ExitCode.USAGE


def test_note_is_local(seeded: Hero) -> None:
    assert "note added to #1" in ok(seeded.run("note", "1", "customer is on v1.2")).err
    assert seeded.backends["github"].write_log == []
    assert bodies(seeded, "github", "acme/widget#1") == ["I cannot log in"]
    seeded.terminal = True
    assert "customer is on v1.2" in ok(seeded.run("show", "1")).out
    assert seeded.run("note", "1", "  ").code == ExitCode.USAGE


def test_workflow_commands_log_events(seeded: Hero) -> None:
    ok(seeded.run("assign", "1", "Ravi"))
    ok(seeded.run("label", "1", "+bug"))
    ok(seeded.run("note", "1", "n"))
    ok(seeded.run("snooze", "1", "1h"))
    ok(seeded.run("reopen", "1"))
    ok(seeded.run("reply", "1", "-m", "done", "--yes", "--close"))
    store = open_store(seeded)
    kinds = [e.kind.value for e in log.item_events(store.conn, 1)]
    store.close()
    assert kinds == [
        "received",
        "assigned",
        "labeled",
        "noted",
        "snoozed",
        "reopened",
        "replied",
        "closed",
    ]
