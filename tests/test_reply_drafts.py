"""Drafts kept per item, the send question, and reply options that do not apply."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

import pytest

from herocli.errors import ExitCode
from tests.cli_harness import Hero, seed_three


class Keyboard(io.StringIO):
    """stdin on a terminal, with the lines a person will type."""

    def isatty(self) -> bool:
        return True


def typing(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr(sys, "stdin", Keyboard("".join(f"{line}\n" for line in lines)))


def editor_appending(tmp_path: Path, text: str) -> str:
    """An editor that puts ``text`` at the top of the file, keeping what was there."""
    script = tmp_path / "append.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            path = Path(sys.argv[-1])
            path.write_text({text!r} + path.read_text(encoding="utf-8"), encoding="utf-8")
            """
        ),
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    h = seed_three(Hero(tmp_path))
    h.env["EDITOR"] = editor_appending(tmp_path, "More. ")
    return h


def remote(hero: Hero) -> list[str]:
    return [m.body for m in hero.backends["github"].threads["acme/widget#1"].messages]


def test_no_is_not_an_error_and_postpone_keeps_the_draft(
    hero: Hero, monkeypatch: pytest.MonkeyPatch
) -> None:
    typing(monkeypatch, "n", "p")
    result = hero.run("reply", "1")
    assert result.code == ExitCode.CANCELLED
    assert "error" not in result.err
    assert "Not sent. What now?" in result.err
    assert "the draft is kept" in result.err
    assert remote(hero) == ["I cannot log in"]
    typing(monkeypatch, "y")
    again = hero.run("reply", "1")
    assert again.code == 0, again
    assert "Picking up your draft of #1" in again.err
    assert remote(hero)[-1] == "More. More.\n"  # the kept draft, edited once more


def test_a_bare_enter_never_sends(hero: Hero, monkeypatch: pytest.MonkeyPatch) -> None:
    typing(monkeypatch, "", "", "p")
    result = hero.run("reply", "1", "-m", "Fixed!")
    assert result.code == ExitCode.CANCELLED
    assert result.err.count("Type one of") == 2
    assert remote(hero) == ["I cannot log in"]


def test_end_of_input_at_the_question_keeps_the_draft(
    hero: Hero, monkeypatch: pytest.MonkeyPatch
) -> None:
    typing(monkeypatch)
    assert hero.run("reply", "1").code == ExitCode.CANCELLED
    typing(monkeypatch, "y")
    assert hero.run("reply", "1").code == 0
    assert remote(hero)[-1] == "More. More.\n"


def test_discard_throws_the_draft_away(hero: Hero, monkeypatch: pytest.MonkeyPatch) -> None:
    typing(monkeypatch, "e", "d")
    result = hero.run("reply", "1")
    assert result.code == ExitCode.CANCELLED
    assert "thrown away" in result.err
    typing(monkeypatch, "y")
    assert hero.run("reply", "1").code == 0
    assert remote(hero)[-1] == "More.\n"  # a fresh start


def test_drafts_are_per_item(hero: Hero, monkeypatch: pytest.MonkeyPatch) -> None:
    typing(monkeypatch, "p")
    assert hero.run("reply", "1").code == ExitCode.CANCELLED
    typing(monkeypatch, "y")
    assert hero.run("reply", "3").code == 0
    assert "Picking up" not in hero.run("reply", "3", "--yes").err
    typing(monkeypatch, "y")
    assert "Picking up your draft of #1" in hero.run("reply", "1").err


def test_broadcast_is_refused_outside_slack(hero: Hero) -> None:
    result = hero.run("reply", "1", "-m", "Hi", "--broadcast", "--yes")
    assert result.code == ExitCode.USAGE
    assert result.err.splitlines()[0] == (
        "error: --broadcast applies to Slack threads only; #1 is on github"
    )
    assert remote(hero) == ["I cannot log in"]
    assert hero.run("reply", "2", "-m", "Hi", "--broadcast", "--yes").code == 0


def test_not_planned_is_refused_outside_github(hero: Hero) -> None:
    result = hero.run("close", "1", "2", "--not-planned")
    assert result.code == ExitCode.USAGE
    assert "--not-planned applies to GitHub issues only, not slack" in result.err
    assert hero.run("inbox", "--closed", "--json").out.strip() == "[]"  # nothing closed


def test_replying_to_a_closed_item_says_so(hero: Hero) -> None:
    assert hero.run("close", "1").code == 0
    result = hero.run("reply", "1", "-m", "One more thing", "--yes")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == (
        "#1 is closed; the reply does not reopen it (`hero reopen 1` does)."
    )
