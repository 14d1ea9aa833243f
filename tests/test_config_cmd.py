"""`hero config check` and `hero config init`, and a bad config stopping every command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from herocli.config import load_config
from herocli.errors import ExitCode
from tests.cli_harness import hero_process
from tests.test_config import GOOD, run


def test_config_check_ok(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD, encoding="utf-8")
    code, out, err = run(["--config", str(path), "config", "check"])
    assert code == 0
    assert f"{path}: ok" in out
    assert "channels: github, slack; team: 2 members" in out
    assert "github token not set ($GH_TOKEN or $GITHUB_TOKEN)" in err


def test_config_check_lists_every_problem_and_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[hero]\ntimezone = "Nowhere/Land"\n[github]\nrepos = ["acme"]\nrepo = ["x/y"]\n',
        encoding="utf-8",
    )
    code, out, err = run(["--config", str(path), "config", "check"])
    assert code == ExitCode.CONFIG
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "error: invalid configuration"
    assert f"  {path}:2: hero.timezone: unknown time zone 'Nowhere/Land'" in err
    assert f"  {path}:4: github.repos: 'acme' is not of the form owner/name" in err
    assert f"  {path}:5: github.repo: unknown key (did you mean 'repos'?)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["inbox"], ["sync"], ["show", "1"], ["outbox"]])
def test_every_command_stops_on_a_bad_config_with_exit_3(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[hero]\nme = \n", encoding="utf-8")
    code, out, err = run(["--config", str(path), *command])
    assert code == 3
    assert out == ""
    assert f"{path}:2" in err
    assert "Traceback" not in err


def test_config_init_no_input_writes_a_file_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    code, _, err = run(
        [
            "--config",
            str(path),
            "config",
            "init",
            "--no-input",
            "--me",
            "Hana",
            "--github-login",
            "hana",
            "--email",
            "hana@acme.dev",
            "--slack-id",
            "U0HANA",
            "--timezone",
            "Europe/Berlin",
            "--team-domain",
            "acme.dev",
            "--repo",
            "acme/widget",
            "--repo",
            "acme/gadget",
            "--imap-host",
            "imap.acme.dev",
            "--email-username",
            "support@acme.dev",
            "--slack-channel",
            "#support",
        ]
    )
    assert code == 0, err
    assert f"wrote {path}" in err
    config = load_config(path)
    assert config.hero.me == "Hana"
    assert config.hero.timezone == "Europe/Berlin"
    [me] = config.team.members
    assert (me.name, me.github, me.emails, me.slack) == (
        "Hana",
        "hana",
        ("hana@acme.dev",),
        "U0HANA",
    )
    assert config.team.email_domains == ("acme.dev",)
    assert config.github is not None
    assert config.github.repos == ("acme/widget", "acme/gadget")
    assert config.email is not None
    assert config.email.smtp_host == "imap.acme.dev"
    assert config.email.from_address == "support@acme.dev"
    assert config.slack is not None
    assert config.slack.channels == ("#support",)
    assert config.rota.heroes == ("Hana",)
    assert config.rota.start is not None
    code, out, _ = run(["--config", str(path), "config", "check"])
    assert code == 0
    assert "channels: github, email, slack; team: 1 members" in out


def test_config_init_with_no_flags_writes_an_empty_but_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    code, _, err = run(["--config", str(path), "config", "init", "--no-input"])
    assert code == 0, err
    assert load_config(path).enabled_channels() == []


def test_config_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    code, _, err = run(["--config", str(path), "config", "init", "--no-input", "--me", "X"])
    assert code == ExitCode.USAGE
    assert "--force" in err
    assert path.read_text(encoding="utf-8") == "# mine\n"
    code, _, _ = run(
        ["--config", str(path), "config", "init", "--no-input", "--me", "X", "--force"]
    )
    assert code == 0
    assert load_config(path).hero.me == "X"


def test_config_init_never_writes_a_file_check_would_reject(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    code, _, err = run(
        ["--config", str(path), "config", "init", "--no-input", "--repo", "not-a-repo"]
    )
    assert code == ExitCode.CONFIG
    assert "not-a-repo" in err
    assert not path.exists()


def test_config_init_goes_to_the_discovered_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    code, _, err = run(["config", "init", "--no-input", "--me", "Hana"])
    assert code == 0, err
    assert load_config(tmp_path / "xdg" / "hero" / "config.toml").hero.me == "Hana"


def test_problems_stay_one_line_each_when_stderr_is_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / ("a-rather-long-directory-name-" * 3) / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '[hero]\ntimezone = "Nowhere/Land"\n[email]\nimap_host = "h"\nusername = "u"\n'
        'smtp_host = "s"\nfrom_address = "a@b.c"\nimap_security = "none"\n',
        encoding="utf-8",
    )
    proc = hero_process(
        "--config", str(path), "config", "check", env={**os.environ, "COLUMNS": "80"}
    )
    assert proc.returncode == 3
    lines = proc.stderr.splitlines()
    assert lines[0] == "error: invalid configuration"
    assert lines[1].startswith(f"  {path}:2: hero.timezone: unknown time zone")
    assert lines[1].endswith("(use a name like Europe/Berlin)")
    assert lines[2] == (
        f'  {path}:8: email.imap_security: "none" sends passwords in clear text; '
        "set allow_insecure = true to allow it"
    )
    assert lines[3].startswith("hint: ")
    assert len(lines) == 4
