"""Shell completion: the bash script run by a real bash, completing from the real queue."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_harness import Hero, hero_process, seed_three


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    h = seed_three(Hero(tmp_path))
    assert h.run("label", "1", "+bug", "+docs").code == 0
    assert h.run("close", "3").code == 0
    return h


def env_of(hero: Hero) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(hero.root / "home"),
        "HERO_CONFIG": str(hero.config),
        "HERO_DATA_DIR": str(hero.data),
    }


def completion_script(hero: Hero, shell: str) -> str:
    return hero_process("completion", shell, env=env_of(hero)).stdout


def words_of(line: str) -> list[str]:
    """The words a shell sees for ``line`` (a trailing space starts a new, empty word)."""
    return shlex.split(line) + ([""] if line.endswith(" ") else [])


def run_shell(hero: Hero, shell: list[str], program: str) -> list[str]:
    """The lines ``program`` prints, run by ``shell`` (its argv before ``-c``) in hero's env."""
    done = subprocess.run(
        [*shell, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env_of(hero),
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def bash_complete(hero: Hero, line: str) -> list[str]:
    """What bash offers after typing ``line``."""
    words = words_of(line)
    program = f"""
hero() {{ {shlex.quote(sys.executable)} -m herocli "$@"; }}
{completion_script(hero, "bash")}
COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
_hero_complete
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    return run_shell(hero, ["bash", "--norc"], program)


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@needs_bash
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hero clo", ["close"]),
        ("hero close ", ["1", "2"]),  # open items; #3 is closed
        ("hero assign 1 ", ["Hana", "Ravi", "none", "1", "2"]),
        ("hero assign 1 R", ["Ravi"]),
        ("hero inbox --lab", ["--label"]),
        ("hero inbox --label ", ["bug", "docs"]),
        ("hero inbox --channel ", ["github", "slack"]),
        ("hero inbox --waiting ", ["us", "them", "any"]),
        ("hero label 1 +", ["+bug", "+docs"]),
        ("hero label 1 -d", ["-docs"]),
        ("hero sync ", ["github", "slack"]),
        ("hero completion ", ["bash", "zsh", "fish"]),
        ("hero config ", ["path", "example", "check", "init"]),
        ("hero --config x.toml sho", ["show"]),
    ],
)
def test_bash_completes_commands_options_items_members_labels_channels(
    hero: Hero, line: str, expected: list[str]
) -> None:
    assert bash_complete(hero, line) == expected


@needs_bash
def test_every_command_is_offered(hero: Hero) -> None:
    offered = bash_complete(hero, "hero ")
    for command in ("sync", "inbox", "show", "open", "reply", "snooze", "completion", "tui"):
        assert command in offered
    assert "__complete" not in offered


def test_completion_without_a_config_offers_what_the_commands_know(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    done = hero_process("__complete", "--", "inbox", "--wa", env=env)
    assert done.returncode == 0
    assert done.stdout == "--waiting\n"
    assert done.stderr == ""
    assert hero_process("__complete", "--", "close", "", env=env).stdout == ""


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_script_asks_hero(tmp_path: Path, shell: str) -> None:
    done = hero_process("completion", shell, env={"PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0
    assert "hero __complete --" in done.stdout
    if shutil.which(shell):
        check = subprocess.run(
            [shell, "-n"], input=done.stdout, capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stderr


def test_an_unknown_shell_is_refused(tmp_path: Path) -> None:
    done = hero_process("completion", "tcsh", env={"PATH": os.environ.get("PATH", "")})
    assert done.returncode == 2


def zsh_complete(hero: Hero, line: str) -> list[str]:
    """What the zsh script offers: its function run with zsh's words, compadd recording."""
    words = words_of(line)
    program = f"""
hero() {{ {shlex.quote(sys.executable)} -m herocli "$@" }}
compdef() {{ : }}
compadd() {{ local name=$2; print -l -- "${{(@P)name}}" }}
{completion_script(hero, "zsh")}
words=({" ".join(shlex.quote(w) for w in words)})
CURRENT={len(words)}
_hero
"""
    return run_shell(hero, ["zsh", "-f"], program)


def fish_complete(hero: Hero, line: str) -> list[str]:
    """What fish offers for ``line``, asked with `complete -C` after loading the script."""
    program = (
        f"function hero; {shlex.quote(sys.executable)} -m herocli $argv; end\n"
        f"{completion_script(hero, 'fish')}\ncomplete -C {shlex.quote(line)}\n"
    )
    return [line.split("\t")[0] for line in run_shell(hero, ["fish", "--no-config"], program)]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="needs zsh")
def test_zsh_completes_from_the_queue(hero: Hero) -> None:
    assert zsh_complete(hero, "hero clo") == ["close"]
    assert zsh_complete(hero, "hero close ") == ["1", "2"]
    assert zsh_complete(hero, "hero inbox --label ") == ["bug", "docs"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="needs fish")
def test_fish_completes_from_the_queue(hero: Hero) -> None:
    assert fish_complete(hero, "hero clo") == ["close"]
    assert fish_complete(hero, "hero assign 1 R") == ["Ravi"]
    assert fish_complete(hero, "hero inbox --channel ") == ["github", "slack"]
