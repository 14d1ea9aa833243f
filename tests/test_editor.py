"""Composing a reply in the user's editor: which editor, the template, the scissors line."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

import pytest

from herocli.cli.editor import compose, editor_command
from herocli.errors import ExitCode, UsageError
from herocli.services.drafts import SCISSORS, cut_at_scissors
from tests.cli_harness import Hero


def write_editor(tmp_path: Path, text: str, *, name: str = "editor.py", status: int = 0) -> str:
    """A tiny 'editor': saves the template it was given, then writes ``text`` into the file."""
    script = tmp_path / name
    seen = tmp_path / f"{name}.seen"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            path = Path(sys.argv[-1])
            Path({str(seen)!r}).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            path.write_text({text!r} + path.read_text(encoding="utf-8"), encoding="utf-8")
            sys.exit({status})
            """
        ),
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GH_EDITOR": "gh-ed", "VISUAL": "vis", "EDITOR": "ed"}, ["gh-ed"]),
        ({"VISUAL": "vis --wait", "EDITOR": "ed"}, ["vis", "--wait"]),
        ({"EDITOR": "nano -w"}, ["nano", "-w"]),
        ({"GH_EDITOR": "  ", "VISUAL": "", "EDITOR": "ed"}, ["ed"]),
        ({"EDITOR": "'/path with space/ed' -x"}, ["/path with space/ed", "-x"]),
        ({}, ["vi"]),
    ],
)
def test_editor_order(env: dict[str, str], expected: list[str]) -> None:
    assert editor_command(env) == expected


def test_only_the_block_under_the_scissors_is_cut() -> None:
    text = (
        f"\n\n# Heading\n#2291 is cancelled.\n  # indented\n\n{SCISSORS}\n# Reply to #1\n# quoted\n"
    )
    assert cut_at_scissors(text) == "# Heading\n#2291 is cancelled.\n  # indented\n"
    assert cut_at_scissors(f"{SCISSORS}\n# only hero's block\n") == ""
    assert cut_at_scissors("no scissors: # all kept\n# this too\n") == (
        "no scissors: # all kept\n# this too\n"
    )
    assert cut_at_scissors("") == ""


def test_compose_runs_the_editor_and_cuts_at_the_scissors(tmp_path: Path) -> None:
    editor = write_editor(tmp_path, "## My answer\n#42 is fixed.\n")
    template = f"\n{SCISSORS}\n# Reply to #1\n# > quoted\n"
    body = compose(template, {"EDITOR": editor})
    assert body == "## My answer\n#42 is fixed.\n"
    assert (tmp_path / "editor.py.seen").read_text(encoding="utf-8") == template


def test_compose_uses_gh_editor_over_the_others(tmp_path: Path) -> None:
    env = {
        "GH_EDITOR": write_editor(tmp_path, "from gh\n", name="gh.py"),
        "VISUAL": write_editor(tmp_path, "from visual\n", name="visual.py"),
        "EDITOR": write_editor(tmp_path, "from editor\n", name="editor.py"),
    }
    assert compose("", env) == "from gh\n"
    del env["GH_EDITOR"]
    assert compose("", env) == "from visual\n"


def test_an_editor_that_fails_sends_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        compose("", {"EDITOR": write_editor(tmp_path, "x", status=3)})
    assert "exited with status 3" in caught.value.message


def test_a_missing_editor_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        compose("", {"EDITOR": str(tmp_path / "no-such-editor")})
    assert "cannot start the editor" in caught.value.message
    assert caught.value.hint is not None
    assert "$EDITOR" in caught.value.hint


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def hero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hero:
    h = Hero(tmp_path)
    h.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in\nsince Monday")
    assert h.run("sync").code == 0
    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    return h


def remote_bodies(hero: Hero) -> list[str]:
    return [m.body for m in hero.backends["github"].threads["acme/widget#1"].messages]


def test_reply_in_the_editor(hero: Hero, tmp_path: Path) -> None:
    hero.env["EDITOR"] = write_editor(tmp_path, "Have you tried a new password?\n")
    result = hero.run("reply", "1", "--yes")
    assert result.code == 0, result
    assert remote_bodies(hero) == [
        "I cannot log in\nsince Monday",
        "Have you tried a new password?\n",
    ]
    template = (tmp_path / "editor.py.seen").read_text(encoding="utf-8")
    assert template.startswith(f"\n\n{SCISSORS}\n")
    below = template.split(SCISSORS)[1]
    assert "# Reply to #1: Login broken\n" in below
    assert "# I cannot log in\n# since Monday\n" in below
    assert all(line.startswith("#") for line in template.splitlines() if line)


def test_reply_editor_order_through_the_cli(hero: Hero, tmp_path: Path) -> None:
    hero.env["EDITOR"] = write_editor(tmp_path, "from EDITOR\n", name="e.py")
    hero.env["VISUAL"] = write_editor(tmp_path, "from VISUAL\n", name="v.py")
    hero.env["GH_EDITOR"] = write_editor(tmp_path, "from GH_EDITOR\n", name="g.py")
    assert hero.run("reply", "1", "--yes").code == 0
    assert remote_bodies(hero)[-1] == "from GH_EDITOR\n"


def test_reply_left_empty_in_the_editor_sends_nothing(hero: Hero, tmp_path: Path) -> None:
    hero.env["EDITOR"] = write_editor(tmp_path, "\n\n   \n")
    result = hero.run("reply", "1", "--yes")
    assert result.code == ExitCode.CANCELLED
    assert "nothing was sent" in result.err
    assert remote_bodies(hero) == ["I cannot log in\nsince Monday"]
    assert hero.backends["github"].write_log == []


def test_reply_with_a_failing_editor_sends_nothing(hero: Hero, tmp_path: Path) -> None:
    hero.env["EDITOR"] = write_editor(tmp_path, "half-written", status=1)
    result = hero.run("reply", "1", "--yes")
    assert result.code == ExitCode.USAGE
    assert hero.backends["github"].write_log == []
