"""Config discovery and every validation error (file, key, line; all at once).

`hero config check` and `hero config init` are tested in test_config_cmd.py.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from herocli.cli.main import run_cli
from herocli.config import data_dir, find_config, load_config, parse_config
from herocli.config_reader import has_control, is_env_name
from herocli.context import Context
from herocli.errors import ConfigError, ConfigProblem, ExitCode
from herocli.records import field_names
from tests.sample_config import HANA, sample_config, team

# Hana's address in mixed case (it loads lowercased), Ravi with no address, a trailing slash
# on the API URL (it loads without).
GOOD = sample_config(
    team=team({**HANA, "emails": ["Hana@Acme.dev"]}, {"name": "Ravi", "github": "ravi"}),
    github={"repos": ["acme/widget"], "api_url": "http://127.0.0.1:9999/api/v3/"},
)


def problems_of(text: str, file: str = "hero.toml") -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, file)
    return caught.value.problems


def only_problem(text: str) -> ConfigProblem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


def run(args: list[str], *, config: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(
        config_path=config,
        env=dict(os.environ),
        out=Console(file=out, width=200, color_system=None),
        err=Console(file=err, width=200, color_system=None),
    )
    code = run_cli(args, ctx)
    return code, out.getvalue(), err.getvalue()


# --- a good file ------------------------------------------------------------------------------


def test_a_good_file_loads_into_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.path == path
    assert config.hero.me == "Hana"
    assert [m.name for m in config.team.members] == ["Hana", "Ravi"]
    assert config.team.members[0].emails == ("hana@acme.dev",)
    assert config.team.email_domains == ("acme.dev",)
    assert config.github is not None
    assert config.github.repos == ("acme/widget",)
    assert config.github.api_url == "http://127.0.0.1:9999/api/v3"
    assert config.github.token_env == ("GH_TOKEN", "GITHUB_TOKEN")
    assert config.slack is not None
    assert config.slack.token_env == ("SLACK_TOKEN",)
    assert config.email is None
    assert config.enabled_channels() == ["github", "slack"]
    assert config.rota.heroes == ("Hana", "Ravi")


def test_a_disabled_channel_needs_no_settings() -> None:
    config = parse_config(
        "[github]\nenabled = false\n[email]\nenabled = false\n[slack]\nenabled = false\n", "f"
    )
    assert config.enabled_channels() == []


def test_the_mirror_takes_a_channel_and_needs_slack() -> None:
    config = parse_config('[slack]\nchannels = []\n[mirror]\nslack_channel = "C0TEAM42"\n', "f")
    assert config.mirror_on() is not None
    assert config.mirror is not None
    assert (config.mirror.relay, config.mirror.relay_prefix) == ("prefix", "!reply ")
    assert config.mirror.relay_names is False  # it needs a scope the app may not have
    with pytest.raises(ConfigError) as caught:
        parse_config('[mirror]\nslack_channel = "#team"\n', "f")
    assert [p.key for p in caught.value.problems] == ["mirror.enabled"]
    with pytest.raises(ConfigError) as caught:
        parse_config("[slack]\nchannels = []\n", "f")
    assert [p.key for p in caught.value.problems] == ["slack.channels"]
    off = parse_config(
        '[slack]\nchannels = ["#s"]\n[mirror]\nslack_channel = "#t"\nenabled = false\n', "f"
    )
    assert off.mirror_on() is None


def test_token_env_takes_a_string_or_a_list() -> None:
    config = parse_config(
        '[github]\nrepos = ["a/b"]\ntoken_env = "MY_TOKEN"\n'
        '[slack]\nchannels = ["C1"]\ntoken_env = ["S1", "S2"]\n',
        "f",
    )
    assert config.github is not None
    assert config.github.token_env == ("MY_TOKEN",)
    assert config.slack is not None
    assert config.slack.token_env == ("S1", "S2")


def test_the_example_config_is_valid_and_documents_every_key() -> None:
    example = Path(__file__).parent.parent / "src" / "herocli" / "config.example.toml"
    config = load_config(example)
    assert config.enabled_channels() == ["github", "email", "slack"]
    # Every settings field appears in the example, so none goes undocumented.
    text = example.read_text(encoding="utf-8")
    assert config.mirror is not None
    assert config.mirror_on() is None
    sections = (config.hero, config.github, config.email, config.slack, config.rota, config.mirror)
    for section in sections:
        for name in field_names(type(section)):
            key = {"swaps": "rota.swaps"}.get(name, name)
            assert f"{key} =" in text or f"[[{key}]]" in text, name


# --- discovery --------------------------------------------------------------------------------


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert find_config(None) == xdg / "hero" / "config.toml"
    monkeypatch.setenv("HERO_CONFIG", str(tmp_path / "env.toml"))
    assert find_config(None) == tmp_path / "env.toml"
    assert find_config(tmp_path / "flag.toml") == tmp_path / "flag.toml"


def test_without_xdg_config_home_it_is_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_config(None) == tmp_path / ".config" / "hero" / "config.toml"


def _three_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Three valid files that differ in who `me` is, so we can see which one was read."""
    paths = {
        "flag": tmp_path / "flag.toml",
        "env": tmp_path / "env.toml",
        "xdg": tmp_path / "xdg" / "hero" / "config.toml",
    }
    for name, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'[hero]\nme = "{name}"\n[[team.members]]\nname = "{name}"\n', "utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return paths


@pytest.mark.parametrize("winner", ["flag", "env", "xdg"])
def test_discovery_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, winner: str
) -> None:
    paths = _three_configs(tmp_path, monkeypatch)
    if winner in ("flag", "env"):
        monkeypatch.setenv("HERO_CONFIG", str(paths["env"]))
    args = ["--config", str(paths["flag"])] if winner == "flag" else []
    code, out, err = run([*args, "config", "check"])
    assert code == 0, err
    assert f"{paths[winner]}: ok" in out
    code, out, _ = run([*args, "config", "path"])
    assert code == 0
    assert f"config: {paths[winner]}" in out


def test_data_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    plain = parse_config("", "f")
    assert data_dir(plain) == tmp_path / "share" / "hero"
    configured = parse_config(f'[store]\ndata_dir = "{tmp_path / "cfg"}"\n', "f")
    assert data_dir(configured) == tmp_path / "cfg"
    monkeypatch.setenv("HERO_DATA_DIR", str(tmp_path / "env"))
    assert data_dir(configured) == tmp_path / "env"


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    code, out, err = run(["inbox"], config=tmp_path / "nope.toml")
    assert code == ExitCode.CONFIG == 3
    assert out == ""
    assert "nope.toml" in err
    assert "hero config init" in err
    assert "Traceback" not in err


# --- every kind of problem --------------------------------------------------------------------


def test_bad_toml_names_the_line() -> None:
    problem = only_problem('[hero]\nme = "Hana"\ntimezone = Europe/Berlin\n')
    assert problem.file == "hero.toml"
    assert problem.line == 3
    assert "not valid TOML" in problem.message
    assert str(problem).startswith("hero.toml:3: ")


def test_bad_toml_at_the_end_names_a_line() -> None:
    problem = only_problem('[hero]\nme = "Hana"\nlist = [\n')
    assert problem.line is not None
    assert problem.line >= 3


def test_a_repeated_key_is_bad_toml_with_its_line() -> None:
    problem = only_problem('[hero]\nme = "a"\nme = "b"\n')
    assert problem.line == 3


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # wrong types and values
        ("[hero]\nme = 7\n", "hero.toml:2: hero.me: must be a string, got int 7"),
        (
            '[hero]\nkeyring = "yes"\n',
            "hero.toml:2: hero.keyring: must be true or false, got the string 'yes'",
        ),
        (
            "[hero]\nresponse_target_minutes = 1.5\n",
            "hero.toml:2: hero.response_target_minutes: must be a whole number, got float 1.5",
        ),
        (
            "[hero]\nresponse_target_minutes = 0\n",
            "hero.toml:2: hero.response_target_minutes: must be between 1 and 527040, not 0",
        ),
        (
            '[team]\nemail_domains = "acme.dev"\n',
            "hero.toml:2: team.email_domains: must be a list of strings, got the string 'acme.dev'",
        ),
        (
            "[team]\nemail_domains = [1, 2]\n",
            "hero.toml:2: team.email_domains: must be a list of strings",
        ),
        (
            '[[team.members]]\nname = "A"\ngithub = 42\n',
            "hero.toml:3: team.members[0].github: must be a string, got int 42",
        ),
        ('hero = "x"\n', "hero.toml:1: hero: must be a table, got the string 'x'"),
        (
            '[github]\nrepos = ["a/b"]\nstrategy = "fast"\n',
            "hero.toml:3: github.strategy: must be one of auto, rest, graphql; got 'fast'",
        ),
        (
            '[github]\nrepos = ["a/b"]\nmax_rate_limit_wait = -1\n',
            "hero.toml:3: github.max_rate_limit_wait: must be between 0 and 86400, not -1",
        ),
        (
            '[github]\nrepos = ["a/b"]\napi_url = "ftp://x"\n',
            "hero.toml:3: github.api_url: 'ftp://x' is not an http(s) URL",
        ),
        (
            '[slack]\nenabled = "yes"\nchannels = ["C1"]\n',
            "hero.toml:2: slack.enabled: must be true or false, got the string 'yes'",
        ),
        (
            '[slack]\nchannels = ["C1"]\nintake = "some"\n',
            "hero.toml:3: slack.intake: must be one of all, reaction; got 'some'",
        ),
        (
            '[rota]\nstart = "soon"\n',
            "hero.toml:2: rota.start: must be a date like 2026-01-05, got the string 'soon'",
        ),
        (
            "[rota]\nlength_days = 0\n",
            "hero.toml:2: rota.length_days: must be between 1 and 366, not 0",
        ),
        # unknown keys, with the likeliest meant one
        (
            '[hero]\ntimezon = "UTC"\n',
            "hero.toml:2: hero.timezon: unknown key (did you mean 'timezone'?)",
        ),
        (
            '[github]\nrepos = ["a/b"]\nrepo = ["c/d"]\n',
            "hero.toml:3: github.repo: unknown key (did you mean 'repos'?)",
        ),
        (
            '[slack]\nchannels = ["C1"]\ntokn_env = "X"\n',
            "hero.toml:3: slack.tokn_env: unknown key (did you mean 'token_env'?)",
        ),
        (
            '[[team.members]]\nname = "A"\nemial = "a@b.c"\n',
            "hero.toml:3: team.members[0].emial: unknown key (did you mean 'emails'?)",
        ),
        ('[githb]\nrepos = ["a/b"]\n', "hero.toml:1: githb: unknown key (did you mean 'github'?)"),
        ("[rota]\nheros = []\n", "hero.toml:2: rota.heros: unknown key (did you mean 'heroes'?)"),
        # missing required keys
        ('[[team.members]]\ngithub = "a"\n', "hero.toml:1: team.members[0].name: is required"),
        ('[[team.members]]\nname = "  "\n', "hero.toml:2: team.members[0].name: must not be empty"),
        (
            "[github]\n",
            "hero.toml:1: github.repos: list at least one repository (or set orgs, or enabled = false)",
        ),
        (
            "[slack]\n",
            "hero.toml:1: slack.channels: list at least one channel (#name or id), or set enabled = false",
        ),
        (
            '[rota]\nheroes = []\n[[rota.swaps]]\nhero = "A"\n',
            "hero.toml:3: rota.swaps[0].date: is required",
        ),
    ],
)
def test_a_problem_names_file_line_and_key_and_says_what_is_wrong(text: str, shown: str) -> None:
    problem = only_problem(text)
    where, key, message = shown.split(": ", 2)
    assert (f"{problem.file}:{problem.line}", problem.key, problem.message) == (where, key, message)


def test_an_unknown_key_far_from_any_says_only_unknown() -> None:
    problem = only_problem("[hero]\nzzzzzz = 1\n")
    assert problem.key == "hero.zzzzzz"
    assert problem.message == "unknown key"


def test_an_enabled_email_section_needs_its_servers() -> None:
    problems = problems_of("[email]\nimap_port = 143\n")
    assert {p.key for p in problems} == {
        "email.imap_host",
        "email.username",
        "email.smtp_host",
        "email.from_address",
    }
    assert all(p.message == "is required" and p.line == 1 for p in problems)


@pytest.mark.parametrize("repo", ["acme", "a/b/c", "/b", "a/"])
def test_bad_repo_form(repo: str) -> None:
    problem = only_problem(f'[github]\nrepos = ["ok/fine", "{repo}"]\n')
    assert (problem.key, problem.line) == ("github.repos", 2)
    assert f"{repo!r} is not of the form owner/name" in problem.message


EMAIL = """\
[email]
imap_host = "imap.acme.dev"
username = "support@acme.dev"
smtp_host = "smtp.acme.dev"
from_address = "support@acme.dev"
"""


def test_security_none_needs_allow_insecure() -> None:
    problems = problems_of(EMAIL + 'imap_security = "none"\nsmtp_security = "none"\n')
    assert [(p.key, p.line) for p in problems] == [
        ("email.imap_security", 6),
        ("email.smtp_security", 7),
    ]
    assert all("allow_insecure = true" in p.message for p in problems)
    ok = parse_config(
        EMAIL + 'imap_security = "none"\nsmtp_security = "none"\nallow_insecure = true\n', "f"
    )
    assert ok.email is not None
    assert ok.email.imap_security == "none"


def test_other_email_rules() -> None:
    problems = problems_of(
        EMAIL.replace('"support@acme.dev"\nsmtp', '"support"\nsmtp', 1)
        + 'close_action = "move"\nfolders = []\nimap_security = "tls"\n'
    )
    found = {p.key: p for p in problems}
    assert set(found) == {
        "email.close_folder",
        "email.folders",
        "email.imap_security",
    }, problems
    assert found["email.folders"].line == 7
    assert "one of ssl, starttls, none" in found["email.imap_security"].message
    bad_from = problems_of(EMAIL.replace('from_address = "support@acme.dev"', 'from_address = "x"'))
    assert [(p.key, p.line) for p in bad_from] == [("email.from_address", 5)]


def test_unknown_timezone() -> None:
    problem = only_problem('[hero]\ntimezone = "Mars/Olympus"\n')
    assert (problem.key, problem.line) == ("hero.timezone", 2)
    assert "Mars/Olympus" in problem.message


def test_rota_heroes_and_me_must_be_on_the_team() -> None:
    problems = problems_of(
        '[hero]\nme = "Zed"\n[[team.members]]\nname = "Hana"\n'
        '[rota]\nheroes = ["Hana", "Bob"]\nstart = 2026-01-05\n'
        '[[rota.swaps]]\ndate = 2026-01-06\nhero = "Eve"\n'
    )
    assert [(p.key, p.line) for p in problems] == [
        ("hero.me", 2),
        ("rota.heroes", 6),
        ("rota.swaps[0].hero", 10),
    ]
    assert "'Bob' (entry 2) is not a member of [team]" in problems[1].message


def test_rota_heroes_need_a_start() -> None:
    problem = only_problem('[[team.members]]\nname = "A"\n[rota]\nheroes = ["A"]\n')
    assert problem.key == "rota.start"


def test_duplicate_member_names() -> None:
    problem = only_problem('[[team.members]]\nname = "Ann"\n[[team.members]]\nname = "ann"\n')
    assert problem.key == "team.members[1].name"
    assert problem.line == 4


def test_every_problem_is_reported_at_once() -> None:
    text = (
        '[hero]\nme = "Zed"\ntimezone = "Nowhere/Land"\n'
        '[github]\nrepos = ["acme"]\ntokn_env = "X"\n'
        '[slack]\nenabled = "yes"\n'
        '[rota]\nheroes = ["Bob"]\nstart = 2026-01-05\n'
    )
    problems = problems_of(text, "/etc/hero.toml")
    keys = [p.key for p in problems]
    for key in (
        "hero.timezone",
        "github.repos",
        "github.tokn_env",
        "slack.enabled",
        "slack.channels",
        "hero.me",
        "rota.heroes",
    ):
        assert key in keys
    assert all(p.file == "/etc/hero.toml" and p.line for p in problems)
    message = ConfigError(problems).message
    assert message.splitlines()[0] == "invalid configuration"
    assert len(message.splitlines()) == len(problems) + 1


@given(st.text(st.sampled_from("aZ_09-.é\x00\x1f\x7f\x85\x9f\xa0 ") | st.characters(), max_size=12))
def test_values_are_checked_for_controls_and_names_as_the_patterns_say(text: str) -> None:
    assert has_control(text) == bool(re.search(r"[\x00-\x1f\x7f-\x9f]", text))
    assert is_env_name(text) == bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text))
