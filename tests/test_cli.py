"""Every command's happy path and its bad inputs, run in-process against a real queue file.

`hero sync` is in test_cli_sync.py, the triage commands in test_cli_triage.py.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from herocli import __version__
from herocli.channels.memory import MemoryChannel
from herocli.cli.main import run_cli
from herocli.context import Context
from herocli.errors import ExitCode
from herocli.models import RemoteState
from herocli.records import replace
from tests.cli_checks import (  # noqa: F401
    as_json,
    bodies,
    hero_fixture,
    numbers,
    ok,
    one_line_error,
    seeded_fixture,
)
from tests.cli_harness import (
    ITEM_FIELDS,
    MESSAGE_FIELDS,
    Hero,
    hero_process,
)

# --- help and version -------------------------------------------------------------------------

COMMANDS = [
    "sync",
    "inbox",
    "show",
    "reply",
    "assign",
    "snooze",
    "close",
    "reopen",
    "label",
    "note",
    "outbox",
    "config",
]


def test_help_lists_every_command_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--help"], Context()) == 0
    out = capsys.readouterr().out
    listed = out.split("Commands:")[1]
    for command in COMMANDS:
        line = next(
            (row for row in listed.splitlines() if row.strip().startswith(command + " ")), None
        )
        assert line is not None, f"{command} missing from --help"
        assert len(line.split(maxsplit=1)[1]) > 10, line


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli([command, "--help"], Context()) == 0
    out = capsys.readouterr().out
    assert f"hero {command}" in out
    assert "--help" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--version"], Context()) == 0
    assert capsys.readouterr().out == f"hero {__version__}\n"


def test_python_m_herocli_version_as_a_process(tmp_path: Path) -> None:
    proc = hero_process("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"hero {__version__}\n"


def test_no_arguments_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli([], Context())
    out = capsys.readouterr()
    assert code == ExitCode.OK
    assert "Commands:" in out.out


def test_an_unknown_command_is_a_usage_error(hero: Hero) -> None:
    assert hero.run("frobnicate").code == ExitCode.USAGE


# --- inbox ------------------------------------------------------------------------------------


def test_inbox_default_is_waiting_on_us_longest_first(seeded: Hero) -> None:
    rows = as_json(seeded.run("inbox", "--json"))
    assert [list(row) for row in rows] == [ITEM_FIELDS, ITEM_FIELDS]
    first, second = rows
    assert first == {
        "number": 1,
        "channel": "github",
        "external_id": "acme/widget#1",
        "title": "Login broken",
        "url": None,
        "state": "open",
        "waiting": "us",
        "waiting_provisional": False,
        "reply_uncertain": False,
        "waiting_since": "2026-11-23T09:00:00Z",
        "wait_seconds": 1800,
        "assignee": None,
        "labels": [],
        "last_author": "ann",
        "last_message_at": "2026-11-23T09:00:00Z",
        "message_count": 1,
        "snoozed_until": None,
        "created_at": "2026-11-23T09:00:00Z",
        "closed_at": None,
        "closed_why": None,
    }
    assert (second["number"], second["channel"], second["wait_seconds"]) == (2, "slack", 1200)


def test_inbox_piped_is_tab_separated(seeded: Hero) -> None:
    out = ok(seeded.run("inbox")).out
    assert out.splitlines() == [
        "1\tgithub\tLogin broken\tus\t2026-11-23T09:00:00Z\t1800\t\t",
        "2\tslack\tExport slow\tus\t2026-11-23T09:10:00Z\t1200\t\t",
    ]


def test_inbox_on_a_terminal_is_a_table(seeded: Hero) -> None:
    seeded.terminal = True
    out = ok(seeded.run("inbox")).out
    assert "2 items waiting on us" in out
    for header in ("#", "Chan", "Title", "Waiting", "For", "Last from", "Assignee", "Labels"):
        assert header in out
    assert "Login broken" in out
    assert "30m" in out
    assert "on us" in out
    assert "Docs typo" not in out


def test_inbox_empty(hero: Hero) -> None:
    result = ok(hero.run("inbox"))
    assert result.out == ""
    assert "nothing was synced yet. Run `hero sync`" in result.err
    assert as_json(hero.run("inbox", "--json")) == []
    ok(hero.run("sync"))
    hero.terminal = True
    after_sync = ok(hero.run("inbox")).err
    assert "Nobody is waiting on us" in after_sync
    assert "hero sync" not in after_sync


def test_inbox_filters(seeded: Hero) -> None:
    assert numbers(seeded) == [1, 2]
    assert numbers(seeded, "--channel", "slack") == [2]
    assert numbers(seeded, "--channel", "slack", "--channel", "github") == [1, 2]
    assert numbers(seeded, "--waiting", "them") == [3]
    assert numbers(seeded, "--waiting", "any") == [1, 2, 3]
    assert numbers(seeded, "--all") == [1, 2, 3]
    assert numbers(seeded, "--limit", "1") == [1]
    assert numbers(seeded, "--limit", "0") == [1, 2]
    assert numbers(seeded, "--search", "csv export") == [2]
    assert numbers(seeded, "--search", "LOGIN") == [1]
    assert numbers(seeded, "-s", "typo", "--waiting", "any") == [3]
    assert numbers(seeded, "--search", "nothing like this") == []


def test_inbox_assignee_mine_and_label_filters(seeded: Hero) -> None:
    ok(seeded.run("assign", "2", "Hana"))
    ok(seeded.run("assign", "1", "ravi"))  # a GitHub login finds the member too
    ok(seeded.run("label", "1", "+bug"))
    assert numbers(seeded, "--mine") == [2]
    assert numbers(seeded, "--assignee", "Ravi") == [1]
    assert numbers(seeded, "--assignee", "ravi") == [1]
    assert numbers(seeded, "--label", "bug") == [1]
    assert numbers(seeded, "--label", "BUG") == [1]  # spelled as the queue spells it
    rows = as_json(seeded.run("inbox", "--json"))
    assert [(r["assignee"], r["labels"]) for r in rows] == [("Ravi", ["bug"]), ("Hana", [])]


def test_inbox_snoozed_and_closed(seeded: Hero) -> None:
    ok(seeded.run("snooze", "1", "2h"))
    ok(seeded.run("close", "2"))
    assert numbers(seeded) == []
    assert numbers(seeded, "--snoozed") == [1]
    assert numbers(seeded, "--closed") == [2]
    assert numbers(seeded, "--snoozed", "--closed") == [1, 2]
    assert numbers(seeded, "--all") == [1, 2, 3]
    [snoozed] = as_json(seeded.run("inbox", "--snoozed", "--json"))
    assert snoozed["state"] == "snoozed"
    assert snoozed["snoozed_until"] == "2026-11-23T11:30:00Z"
    [closed] = as_json(seeded.run("inbox", "--closed", "--json"))
    assert (closed["state"], closed["closed_at"]) == ("closed", "2026-11-23T09:30:00Z")


def test_mine_without_me_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[github]\nrepos = ["a/b"]\n', "utf-8")
    hero = Hero(tmp_path)
    assert "[hero] me" in one_line_error(hero.run("inbox", "--mine"), ExitCode.USAGE)


@pytest.mark.parametrize(
    "args",
    [["--limit", "-1"], ["--waiting", "everyone"], ["--limit", "many"], ["--bogus"]],
)
def test_inbox_bad_options(hero: Hero, args: list[str]) -> None:
    assert hero.run("inbox", *args).code == ExitCode.USAGE


def test_inbox_sync_first(hero: Hero) -> None:
    hero.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in")
    assert numbers(hero) == []
    assert numbers(hero, "--sync") == [1]


# --- show -------------------------------------------------------------------------------------


def test_show_json(seeded: Hero) -> None:
    ok(seeded.run("note", "3", "called them"))
    data = as_json(seeded.run("show", "#3", "--json"))
    assert list(data) == [*ITEM_FIELDS, "messages", "notes"]
    assert (data["number"], data["waiting"], data["message_count"]) == (3, "them", 2)
    assert [list(m) for m in data["messages"]] == [MESSAGE_FIELDS, MESSAGE_FIELDS]
    assert [(m["author"], m["from_team"], m["body"]) for m in data["messages"]] == [
        ("bob", False, "page 3 has a typo"),
        ("ravi", True, "Fixed, thanks!"),
    ]
    assert data["messages"][0]["id"] == "acme/widget#3/1"
    assert data["messages"][0]["sent_at"] == "2026-11-23T09:15:00Z"
    assert data["notes"] == [
        {"author": "Hana", "at": "2026-11-23T09:30:00Z", "body": "called them"}
    ]


def test_show_reads_the_thread_oldest_first(seeded: Hero) -> None:
    seeded.terminal = True
    out = ok(seeded.run("show", "3")).out
    assert out.index("page 3 has a typo") < out.index("Fixed, thanks!")
    assert "#3 Docs typo" in out
    assert "(team)" in out
    assert "on them" in out


class _Linked(MemoryChannel):
    """A memory channel whose conversations carry links, as the real ones do."""

    def _conversation(self, thread: Any) -> Any:
        conv = super()._conversation(thread)
        messages = tuple(
            replace(m, url=f"https://example.test/{m.external_id}") for m in conv.messages
        )
        return replace(conv, url=f"https://example.test/{thread.external_id}", messages=messages)


def test_show_links_back_to_the_source(hero: Hero) -> None:
    hero.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in")
    factories = {"github": lambda _ctx: _Linked(hero.backends["github"], name="github")}
    ok(hero.run("sync", "github", factories=factories))
    hero.terminal = True
    out = ok(hero.run("show", "1")).out
    assert "https://example.test/acme/widget#1" in out
    assert "https://example.test/acme/widget#1/1" in out
    data = as_json(hero.run("show", "1", "--json"))
    assert data["url"] == "https://example.test/acme/widget#1"
    assert data["messages"][0]["url"] == "https://example.test/acme/widget#1/1"


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("show", []),
        ("reply", ["-m", "hi", "--yes"]),
        ("assign", ["Hana"]),
        ("snooze", ["2h"]),
        ("close", []),
        ("reopen", []),
        ("label", ["+bug"]),
        ("note", ["text"]),
    ],
)
def test_an_unknown_item_is_exit_5_and_one_line(
    seeded: Hero, command: str, extra: list[str]
) -> None:
    line = one_line_error(seeded.run(command, "99", *extra), ExitCode.NOT_FOUND)
    assert line == "error: no item #99 in the queue"
    assert seeded.backends["github"].write_log == []


@pytest.mark.parametrize("command", ["show", "close", "reopen"])
@pytest.mark.parametrize("bad", ["abc", "#", "1.5", "-3"])
def test_a_malformed_item_number_is_a_usage_error(seeded: Hero, command: str, bad: str) -> None:
    result = seeded.run(command, bad)
    assert result.code == ExitCode.USAGE
    assert "Traceback" not in result.err


# --- reply ------------------------------------------------------------------------------------


def test_reply_with_m_sends_once_and_turns_the_wait(seeded: Hero) -> None:
    result = ok(seeded.run("reply", "1", "-m", "Try resetting your password.", "--yes"))
    assert "✓ reply #1 done on github" in result.err
    assert bodies(seeded, "github", "acme/widget#1") == [
        "I cannot log in",
        "Try resetting your password.",
    ]
    assert numbers(seeded) == [2]
    [mine] = [r for r in as_json(seeded.run("inbox", "--json", "--all")) if r["number"] == 1]
    assert (mine["message_count"], mine["last_author"]) == (2, "Hana")
    assert numbers(seeded, "--waiting", "them") == [3, 1]  # the oldest last word first
    ok(seeded.run("sync"))  # the reply coming back from the source is not a second message
    [item] = [r for r in as_json(seeded.run("inbox", "--json", "--all")) if r["number"] == 1]
    assert (item["message_count"], item["waiting"]) == (2, "them")
    assert as_json(seeded.run("outbox", "--json")) == []


def test_reply_body_file(seeded: Hero, tmp_path: Path) -> None:
    body = tmp_path / "reply.md"
    body.write_text("From a file.\n\nSecond paragraph.\n", encoding="utf-8")
    ok(seeded.run("reply", "2", "--body-file", str(body), "--yes"))
    assert bodies(seeded, "slack", "C1/1.0")[-1] == "From a file.\n\nSecond paragraph.\n"


def test_reply_body_file_from_stdin(seeded: Hero, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Piped in.\n"))
    ok(seeded.run("reply", "1", "--body-file", "-", "--yes"))
    assert bodies(seeded, "github", "acme/widget#1")[-1] == "Piped in.\n"


def test_reply_close(seeded: Hero) -> None:
    result = ok(seeded.run("reply", "1", "-m", "Fixed in 2.1.", "--close", "--yes"))
    assert "✓ close #1 done on github" in result.err
    assert seeded.backends["github"].threads["acme/widget#1"].state is RemoteState.CLOSED
    assert seeded.backends["github"].write_log == [
        "reply acme/widget#1",
        "close acme/widget#1 completed",
    ]
    assert numbers(seeded, "--closed") == [1]


@pytest.mark.parametrize("body", ["", "   ", "\n\n\t\n"])
def test_an_empty_reply_sends_nothing(seeded: Hero, body: str, tmp_path: Path) -> None:
    line = one_line_error(seeded.run("reply", "1", "-m", body, "--yes"), ExitCode.CANCELLED)
    assert "nothing was sent" in line
    empty = tmp_path / "empty.md"
    empty.write_text(body, encoding="utf-8")
    assert seeded.run("reply", "1", "--body-file", str(empty), "--yes").code == ExitCode.CANCELLED
    assert seeded.backends["github"].write_log == []
    assert bodies(seeded, "github", "acme/widget#1") == ["I cannot log in"]
    assert as_json(seeded.run("outbox", "--all", "--json")) == []


def test_reply_bad_inputs(seeded: Hero, tmp_path: Path) -> None:
    both = seeded.run("reply", "1", "-m", "x", "--body-file", str(tmp_path / "x"), "--yes")
    assert "not both" in one_line_error(both, ExitCode.USAGE)
    missing = seeded.run("reply", "1", "--body-file", str(tmp_path / "missing.md"), "--yes")
    assert "cannot read" in one_line_error(missing, ExitCode.USAGE)
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\xfa")
    assert "not UTF-8" in one_line_error(
        seeded.run("reply", "1", "--body-file", str(binary), "--yes"), ExitCode.USAGE
    )
    assert seeded.backends["github"].write_log == []


def test_reply_without_yes_and_no_terminal_asks_for_yes(seeded: Hero) -> None:
    result = seeded.run("reply", "1", "-m", "hello")
    assert result.code == ExitCode.USAGE
    assert "--yes" in result.err
    assert "hello" in result.err  # what would be sent was shown first
    assert seeded.backends["github"].write_log == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "sent"), [("y\n", True), ("n\n", False)])
def test_reply_confirms_on_a_terminal(
    seeded: Hero, monkeypatch: pytest.MonkeyPatch, answer: str, sent: bool
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    result = seeded.run("reply", "1", "-m", "Shall I?")
    assert "Shall I?" in result.err
    assert "as an issue comment on acme/widget#1" in result.err
    assert result.code == (0 if sent else ExitCode.CANCELLED)
    assert (bodies(seeded, "github", "acme/widget#1")[-1] == "Shall I?") is sent


def test_reply_without_body_and_no_terminal_says_how(seeded: Hero) -> None:
    result = seeded.run("reply", "1", "--yes")
    assert "-m TEXT" in result.err
    assert result.code == ExitCode.USAGE


def test_the_queue_lives_in_hero_data_dir(seeded: Hero) -> None:
    assert (seeded.data / "queue.db").exists()
    assert f"queue:  {seeded.data / 'queue.db'}" in ok(seeded.run("config", "path")).out


def test_debug_shows_a_traceback(seeded: Hero) -> None:
    plain = seeded.run("show", "99")
    debug = seeded.run("--debug", "show", "99")
    assert "Traceback" not in plain.err
    assert "Traceback" in debug.err
    assert debug.code == ExitCode.NOT_FOUND


def test_python_m_herocli_runs_a_command(seeded: Hero) -> None:
    env = {**os.environ, **seeded.env, "HERO_CONFIG": str(seeded.config)}
    proc = hero_process("inbox", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [row["number"] for row in json.loads(proc.stdout)] == [1, 2]
