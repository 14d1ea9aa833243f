"""Setting up: `hero config init` and `example`, config errors in plain words, sorted by line."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tests.cli_harness import hero_process
from tests.pty_driver import PtyHero


def env_for(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "HERO_DATA_DIR": str(tmp_path / "data"),
    }


def test_a_bom_is_named_as_such(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'\xef\xbb\xbf[hero]\nme = "Hana"\n')
    run = hero_process("--config", str(config), "config", "check", env=env_for(tmp_path))
    assert run.returncode == 3
    assert run.stderr.splitlines()[0] == (
        f"error: {config}:1: a BOM (byte-order mark) at the start of the file; "
        "save it as UTF-8 without a BOM"
    )
    assert "Invalid statement" not in run.stderr


def test_toml_errors_are_in_our_words(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[hero]\nme = Hana\n", encoding="utf-8")
    run = hero_process("--config", str(config), "config", "check", env=env_for(tmp_path))
    assert run.returncode == 3
    assert run.stderr.splitlines()[0] == (
        f'error: {config}:2: not valid TOML: the value cannot be read (text needs quotes: name = "Hana")'
    )


def test_problems_are_listed_in_line_order(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[hero]\nme = "Zed"\ntimezone = "Mars/Olympus"\n[github]\nrepos = ["x"]\n'
        '[[team.members]]\nname = "Hana"\n[herro]\n',
        encoding="utf-8",
    )
    run = hero_process("--config", str(config), "config", "check", env=env_for(tmp_path))
    assert run.returncode == 3
    lines = [line for line in run.stderr.splitlines() if line.startswith("  ")]
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers)
    assert len(numbers) == 4


def test_config_example_prints_a_valid_example(tmp_path: Path) -> None:
    run = hero_process("config", "example", env=env_for(tmp_path))
    assert run.returncode == 0
    assert "[github]" in run.stdout
    saved = tmp_path / "example.toml"
    saved.write_text(run.stdout, encoding="utf-8")
    check = hero_process("--config", str(saved), "config", "check", env=env_for(tmp_path))
    assert check.returncode == 0, check.stderr


def test_init_copies_the_imap_host_for_smtp_and_its_hints_work(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    args = ["--config", str(config), "config", "init", "--no-input", "--me", "Hana"]
    mail = ["--imap-host", "imap.acme.dev", "--email-username", "support@acme.dev"]
    run = hero_process(*args, *mail, env=env_for(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "config.example.toml" not in run.stderr
    assert "hero config example" in run.stderr
    email = tomllib.loads(config.read_text(encoding="utf-8"))["email"]
    assert email["smtp_host"] == "imap.acme.dev"
    again = hero_process(*args, env=env_for(tmp_path))
    assert again.returncode == 2
    hint = again.stderr.splitlines()[1]
    assert (
        hint
        == "hint: pass --force to overwrite it, or write another: hero --config PATH config init"
    )
    other = tmp_path / "other.toml"
    form = hint.split(": ", 2)[2].replace("PATH", str(other)).split()[1:]
    assert hero_process(*form, "--no-input", "--me", "Ravi", env=env_for(tmp_path)).returncode == 0
    assert other.exists()


def test_init_on_a_terminal_does_not_ask_for_the_smtp_host(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    term = PtyHero("--config", str(config), "config", "init", env=env_for(tmp_path))
    answers = {
        "Your name": "Hana",
        "IMAP host of the support mailbox": "imap.acme.dev",
        "Mailbox login": "support@acme.dev",
    }
    questions = [
        "Your name",
        "Your GitHub login",
        "Your email address",
        "Your Slack user id",
        "Your time zone",
        "Team email domains",
        "GitHub repositories",
        "IMAP host of the support mailbox",
        "Mailbox login",
        "Replies come from",
        "Slack channels",
    ]
    for question in questions:
        term.expect(question)
        term.send(answers.get(question, "") + "\n")
    assert term.wait() == 0
    assert "SMTP" not in term.screen
    email = tomllib.loads(config.read_text(encoding="utf-8"))["email"]
    assert email["smtp_host"] == "imap.acme.dev"
    assert email["from_address"] == "support@acme.dev"


def test_ctrl_c_during_init_exits_130(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    term = PtyHero("--config", str(config), "config", "init", env=env_for(tmp_path))
    term.expect("Your name")
    term.interrupt()
    assert term.wait() == 130
    assert not config.exists()
