"""Bad command lines and bad configs: the documented exit code, one line naming what is wrong.

Each case once ended (or could end) in a traceback: an overflow deep in SQLite
or datetime, a crash at sync time after `hero config check` said ok. Codes are
those of docs/exit-codes.md: 2 for a bad argument, 3 for a bad config, 5 for
an unknown item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from herocli.errors import ExitCode
from tests.cli_harness import Hero, Result
from tests.sample_config import sample_config

HUGE = "9" * 30
LONG = "x" * 100_001

# (arguments, exit code, what the error line must name)
BAD_COMMANDS: list[tuple[tuple[str, ...], ExitCode, str]] = [
    (("show", HUGE), ExitCode.USAGE, "ID"),
    (("show", "²"), ExitCode.USAGE, "ID"),
    (("show", "\uff11\uff12"), ExitCode.USAGE, "ID"),  # fullwidth digits
    (("show", "abc"), ExitCode.USAGE, "ID"),
    (("show", "0"), ExitCode.USAGE, "ID"),
    (("show", "9223372036854775808"), ExitCode.USAGE, "ID"),  # 2**63
    (("show", "#"), ExitCode.USAGE, "ID"),
    (("show", " "), ExitCode.USAGE, "ID"),
    (("show", "1.5"), ExitCode.USAGE, "ID"),
    (("show", "12345"), ExitCode.NOT_FOUND, "12345"),
    (("close", HUGE), ExitCode.USAGE, "ID"),
    (("reopen", "²"), ExitCode.USAGE, "ID"),
    (("note", HUGE, "hi"), ExitCode.USAGE, "ID"),
    (("assign", "²", "Ravi"), ExitCode.USAGE, "ID"),
    (("inbox", "--limit", "-1"), ExitCode.USAGE, "--limit"),
    (("inbox", "--limit", HUGE), ExitCode.USAGE, "--limit"),
    (("inbox", "--limit", "x"), ExitCode.USAGE, "--limit"),
    (("inbox", "--search", LONG), ExitCode.USAGE, "--search"),
    (("inbox", "--search", "a\x00b"), ExitCode.USAGE, "--search"),
    (("inbox", "--label", LONG), ExitCode.USAGE, "--label"),
    (("inbox", "--assignee", LONG), ExitCode.USAGE, "--assignee"),
    (("inbox", "--waiting", "soon"), ExitCode.USAGE, "--waiting"),
    (("rota", "--weeks", "0"), ExitCode.USAGE, "--weeks"),
    (("rota", "--weeks", "1000000000000"), ExitCode.USAGE, "--weeks"),
    (("rota", "--weeks", HUGE), ExitCode.USAGE, "--weeks"),
    (("stats", "--since", "0001-01-01"), ExitCode.USAGE, "--since"),
    (("stats", "--since", "9999-12-31"), ExitCode.USAGE, "--since"),
    (("stats", "--since", "someday"), ExitCode.USAGE, "--since"),
    (("stats", "--since", "2026-13-01"), ExitCode.USAGE, "--since"),
    (("stats", "--since", LONG), ExitCode.USAGE, "--since"),
    (("stats", "--week", "--last-week"), ExitCode.USAGE, "--week"),
    (("handoff", "--since", "0001-01-01"), ExitCode.USAGE, "--since"),
    (("handoff", "--to", LONG), ExitCode.USAGE, "--to"),
    (("handoff", "--post", "[bold]x[/bold]"), ExitCode.USAGE, "--post"),
    (("handoff", "--dry-run", "--output", "a\x00b"), ExitCode.USAGE, "--output"),
    (("handoff", "--post", "github:acme/widget#²"), ExitCode.USAGE, "--post"),
    (("handoff", "--post", "github:acme/widget#" + HUGE), ExitCode.USAGE, "--post"),
    # The snooze service is shared with the TUI, so its messages quote the time, not WHEN.
    (("snooze", "1", "99999999999w"), ExitCode.USAGE, "'99999999999w'"),
    (("snooze", "1", HUGE + "d"), ExitCode.USAGE, "'999999999"),
    (("snooze", "1", "9" * 5000 + "h"), ExitCode.USAGE, "'999999999"),
    (("snooze", "1", "9999-12-31"), ExitCode.USAGE, "'9999-12-31'"),
    (("snooze", "1", "2026-12-01T25:00"), ExitCode.USAGE, "'2026-12-01T25:00'"),
    (("snooze", "1", ""), ExitCode.USAGE, "say how long"),
    (("snooze", "1", "soonish"), ExitCode.USAGE, "'soonish'"),
    (("snooze", "²", "tomorrow"), ExitCode.USAGE, "ID"),
    (("note", "1", LONG), ExitCode.USAGE, "TEXT"),
    (("note", "1", "a\x00b"), ExitCode.USAGE, "TEXT"),
    (("assign", "1", LONG), ExitCode.USAGE, "MEMBER"),
    (("label", "1", "+a\nb", "--local"), ExitCode.USAGE, "CHANGE"),
    (("label", "1", "+a\x1b]52;c;aGk=\x07", "--local"), ExitCode.USAGE, "CHANGE"),
    (("label", "1", "x", "--local"), ExitCode.USAGE, "CHANGE"),
    (("label", "1", "+" + "y" * 300, "--local"), ExitCode.USAGE, "CHANGE"),
    (("sync", "nosuch"), ExitCode.NOT_FOUND, "nosuch"),
    (("--config", "a\x00b", "inbox"), ExitCode.USAGE, "--config"),
]


def assert_one_clear_line(result: Result, code: int, names: str) -> None:
    assert result.code == code, result
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, result.err
    assert names in errors[0], errors[0]
    assert len(errors[0]) < 300, errors[0]  # the input is never echoed at length


@pytest.fixture(scope="module")
def hero(tmp_path_factory: pytest.TempPathFactory) -> Hero:
    h = Hero(tmp_path_factory.mktemp("bad-input"))
    h.customer_opens("github", "acme/widget#1", "Login fails", "help")
    assert h.run("sync").code == 0
    return h


def test_there_are_at_least_forty_cases() -> None:
    assert len(BAD_COMMANDS) >= 40
    assert len(BAD_CONFIGS) >= 40


@pytest.mark.parametrize(
    ("args", "code", "names"), BAD_COMMANDS, ids=[" ".join(a)[:40] for a, _, _ in BAD_COMMANDS]
)
def test_a_bad_command_line_is_one_line(
    hero: Hero, args: tuple[str, ...], code: ExitCode, names: str
) -> None:
    assert_one_clear_line(hero.run(*args), code, names)


EMAIL = {
    "imap_host": "imap.acme.dev",
    "username": "help@acme.dev",
    "smtp_host": "smtp.acme.dev",
    "from_address": "help@acme.dev",
}
NAN = float("nan")
INF = float("inf")

# (table, keys to set in it, the dotted key the error line names)
BAD_CONFIGS: list[tuple[str, dict[str, Any], str]] = [
    ("github", {"token_env": []}, "github.token_env"),
    ("github", {"token_env": ""}, "github.token_env"),
    ("github", {"token_env": ["GH TOKEN"]}, "github.token_env"),
    ("github", {"token_env": "$GH_TOKEN"}, "github.token_env"),
    ("github", {"token_env": 5}, "github.token_env"),
    ("github", {"reconcile_hours": NAN}, "github.reconcile_hours"),
    ("github", {"reconcile_hours": INF}, "github.reconcile_hours"),
    ("github", {"reconcile_hours": -INF}, "github.reconcile_hours"),
    ("github", {"reconcile_hours": -1}, "github.reconcile_hours"),
    ("github", {"reconcile_hours": 1e20}, "github.reconcile_hours"),
    ("github", {"max_rate_limit_wait": NAN}, "github.max_rate_limit_wait"),
    ("github", {"max_rate_limit_wait": 1e300}, "github.max_rate_limit_wait"),
    ("github", {"api_url": "http://[::1"}, "github.api_url"),
    ("github", {"api_url": "ftp://example.com"}, "github.api_url"),
    ("github", {"api_url": "https://"}, "github.api_url"),
    ("github", {"api_url": "https://example.com:99999"}, "github.api_url"),
    ("github", {"api_url": "https://exa mple.com"}, "github.api_url"),
    ("github", {"api_url": ""}, "github.api_url"),
    ("github", {"read_timeout": 0}, "github.read_timeout"),
    ("github", {"read_timeout": NAN}, "github.read_timeout"),
    ("github", {"connect_timeout": 1e9}, "github.connect_timeout"),
    ("github", {"connect_timeout": "10"}, "github.connect_timeout"),
    ("github", {"repos": ["a/b/c"]}, "github.repos"),
    ("github", {"repos": [""]}, "github.repos"),
    ("github", {"strategy": "fast"}, "github.strategy"),
    ("slack", {"token_env": []}, "slack.token_env"),
    ("slack", {"channels": []}, "slack.channels"),
    ("slack", {"reopen_window_days": 10**9}, "slack.reopen_window_days"),
    ("slack", {"reopen_window_days": -1}, "slack.reopen_window_days"),
    ("slack", {"api_url": "slack.com/api"}, "slack.api_url"),
    ("slack", {"read_timeout": -1}, "slack.read_timeout"),
    ("slack", {"max_rate_limit_wait": INF}, "slack.max_rate_limit_wait"),
    ("hero", {"response_target_minutes": 10**12}, "hero.response_target_minutes"),
    ("hero", {"response_target_minutes": 0}, "hero.response_target_minutes"),
    ("hero", {"timezone": "Mars/Olympus"}, "hero.timezone"),
    ("hero", {"me": "Zed"}, "hero.me"),
    ("hero", {"me": "Ha\nna"}, "hero.me"),
    ("rota", {"length_days": 10**12}, "rota.length_days"),
    ("rota", {"length_days": 0}, "rota.length_days"),
    ("rota", {"start": "0001-01-01"}, "rota.start"),
    ("rota", {"start": "9999-12-31"}, "rota.start"),
    ("rota", {"heroes": ["Nobody"]}, "rota.heroes"),
    ("email", {"imap_port": 70000}, "email.imap_port"),
    ("email", {"imap_port": 0}, "email.imap_port"),
    ("email", {"smtp_port": -5}, "email.smtp_port"),
    ("email", {"password_env": ""}, "email.password_env"),
    ("email", {"password_env": "MY PASS"}, "email.password_env"),
    ("email", {"oauth2_token_env": "1ABC"}, "email.oauth2_token_env"),
    ("email", {"imap_security": "tls"}, "email.imap_security"),
    ("email", {"from_address": "nobody"}, "email.from_address"),
    ("email", {"folders": []}, "email.folders"),
    ("email", {"folders": [""]}, "email.folders"),
    ("email", {"imap_host": "mail\x00host"}, "email.imap_host"),
    ("email", {"read_timeout": INF}, "email.read_timeout"),
    ("store", {"data_dir": "/tmp/a\x00b"}, "store.data_dir"),
    ("hero", {"keyring": "yes"}, "hero.keyring"),
    ("mirror", {"slack_channel": "team"}, "mirror.slack_channel"),
    ("mirror", {"slack_channel": "#support"}, "mirror.slack_channel"),
    ("mirror", {"relay": "some"}, "mirror.relay"),
    ("mirror", {"relay_prefix": " "}, "mirror.relay_prefix"),
    ("mirror", {"relay_prefix": "!r\n"}, "mirror.relay_prefix"),
    ("mirror", {"enabled": "yes"}, "mirror.enabled"),
    ("mirror", {"relay_names": "yes"}, "mirror.relay_names"),
    ("mirror", {"slack_chanel": "#team"}, "mirror.slack_chanel"),
]


def _config(table: str, keys: dict[str, Any]) -> str:
    base: dict[str, dict[str, Any]] = {
        "hero": {"me": "Hana", "timezone": "Europe/Berlin"},
        "github": {"repos": ["acme/widget"]},
        "slack": {"channels": ["#support"]},
        "rota": {"heroes": ["Hana", "Ravi"], "start": "2026-11-02"},
        "email": dict(EMAIL),
        "store": {},
    }
    if table == "mirror":
        base["mirror"] = {"slack_channel": "#team"}
    base[table].update(keys)
    if table == "rota" and "start" in keys:
        # A TOML date, as a user writes it, when it parses as one.
        try:
            from datetime import date

            base["rota"]["start"] = date.fromisoformat(keys["start"])
        except ValueError:
            pass
    return sample_config(**base)


@pytest.mark.parametrize(
    ("table", "keys", "key"), BAD_CONFIGS, ids=[f"{t}.{next(iter(k))}" for t, k, _ in BAD_CONFIGS]
)
def test_a_bad_config_is_one_line_and_check_catches_it(
    tmp_path: Path, table: str, keys: dict[str, Any], key: str
) -> None:
    (tmp_path / "config.toml").write_text(_config(table, keys), encoding="utf-8")
    hero = Hero(tmp_path)
    for args in (("config", "check"), ("inbox",), ("sync",), ("rota",)):
        result = hero.run(*args)
        assert_one_clear_line(result, ExitCode.CONFIG, key)
        assert "config.toml:" in result.err  # file and line
