"""What a run loads: the named command's module only, and for the help none at all."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.main import get_command

from herocli.cli.commands import COMMANDS
from herocli.cli.main import build_app, command_word, full_app, run_cli
from herocli.context import Context
from herocli.errors import ExitCode
from herocli.store import Store
from tests.cli_harness import Hero
from tests.sample_config import sample_config

# What a read command must not pay for: the channel libraries, hero's write,
# report and config-command code, and the full-screen app.
NOT_FOR_READING = (
    "github",
    "imapclient",
    "httpx",
    "textual",
    "herocli.tui",
    "herocli.channels.github",
    "herocli.channels.mail",
    "herocli.channels.slack",
    "herocli.services.triage",
    "herocli.services.outbox",
    "herocli.services.handoff",
    "herocli.services.stats",
    "herocli.cli.triage",
    "herocli.cli.outbox",
    "herocli.cli.report",
    "herocli.cli.config_cmd",
)


def _queue_with_an_item(tmp_path: Path) -> Hero:
    hero = Hero(tmp_path)
    hero.customer_opens("github", "acme/widget#1", "It crashes", "Help!")
    assert hero.run("sync").code == 0
    return hero


def _loaded_by(
    args: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None
) -> tuple[int, set[str]]:
    """Run `hero ARGS` in a fresh interpreter; its exit code and the modules it imported."""
    if not (tmp_path / "config.toml").exists():
        _queue_with_an_item(tmp_path)
    script = (
        "import sys\n"
        "from herocli.cli.main import run_cli\n"
        f"code = run_cli({args!r})\n"
        "loaded = sorted(sys.modules)\n"
        "import json\n"  # after the run: whether the run imported json is asked too
        "sys.__stderr__.write('\\nMODULES ' + json.dumps(loaded) + '\\n')\n"
        "sys.exit(code)\n"
    )
    env = {
        **os.environ,
        "HERO_CONFIG": str(tmp_path / "config.toml"),
        "HERO_DATA_DIR": str(tmp_path / "data"),
        **(extra_env or {}),
    }
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return proc.returncode, set(json.loads(line.removeprefix("MODULES ")))


def _offending(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for b in banned if m == b or m.startswith(b + "."))


def test_every_registered_command_is_listed() -> None:
    registered = set(get_command(full_app()).commands)  # type: ignore[attr-defined]
    assert registered == set(COMMANDS), (
        "commands registered by a module but missing from herocli.cli.commands.COMMANDS "
        f"(unreachable): {sorted(registered - set(COMMANDS))}; "
        f"listed but not registered: {sorted(set(COMMANDS) - registered)}"
    )


def test_a_named_command_is_the_only_one_built_and_each_still_runs_its_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A module registers all its commands (triage six); the app keeps only the named one.
    for name in COMMANDS:
        group = get_command(build_app([name]))
        assert list(group.commands) == [name], name  # type: ignore[attr-defined]
        assert run_cli([name, "--help"]) == 0, name
        assert capsys.readouterr().out.startswith(f"Usage: hero {name} "), name


def test_an_unknown_command_or_option_gets_typers_own_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["inbx"]) == ExitCode.USAGE
    assert "No such command 'inbx'" in capsys.readouterr().err
    assert run_cli(["inbox", "--nope"]) == ExitCode.USAGE
    assert "No such option: --nope" in capsys.readouterr().err
    assert run_cli(["config", "nope"]) == ExitCode.USAGE
    assert "No such command 'nope'" in capsys.readouterr().err


def test_the_command_word_skips_global_options() -> None:
    assert command_word(["--debug", "-c", "inbox", "show", "3"]) == "show"
    assert command_word(["--config", "x.toml", "inbox"]) == "inbox"
    assert command_word(["--help"]) is None
    assert command_word([]) is None


def test_help_lists_every_command_without_loading_one(tmp_path: Path) -> None:
    code, modules = _loaded_by(["--help"], tmp_path)
    assert code == 0
    # The root app itself: main, the command table, and the help's own formatting.
    root = {"herocli.cli.main", "herocli.cli.commands", "herocli.cli.help"}
    assert not sorted(m for m in modules if m.startswith("herocli.cli.") and m not in root)


def test_inbox_and_show_load_no_write_path(tmp_path: Path) -> None:
    for args in (["inbox"], ["inbox", "--json"], ["show", "1"]):
        code, modules = _loaded_by(args, tmp_path)
        assert code == 0, args
        assert "herocli.cli.inbox" in modules
        assert _offending(modules, NOT_FOR_READING) == [], args


def test_reading_loads_none_of_the_sync_write_or_log_vocabulary(tmp_path: Path) -> None:
    # herocli.exchange (what channels fetch and write) and herocli.events (the event log's
    # kinds) are StrEnums and records that were two fifths of the models' import; reading
    # notes for `show` goes through store.log, whose kinds load only where an event is made.
    for args in (["inbox"], ["inbox", "--json"], ["show", "1"], ["show", "1", "--json"]):
        code, modules = _loaded_by(args, tmp_path)
        assert code == 0, args
        assert "herocli.models" in modules, args  # the harness can tell: it is loaded
        assert "herocli.store.log" in modules, args
        assert _offending(modules, ("herocli.exchange", "herocli.events")) == [], args


def test_piped_and_json_listings_never_load_rich(tmp_path: Path) -> None:
    # A script reading `hero inbox` gets plain rows; the terminal renderer is not its cost.
    for args in (["inbox"], ["inbox", "--json"], ["show", "1"], ["show", "1", "--json"]):
        code, modules = _loaded_by(args, tmp_path)
        assert code == 0, args
        assert _offending(modules, ("rich",)) == [], args


def test_a_piped_listing_loads_neither_json_nor_the_item_changes(tmp_path: Path) -> None:
    # Piped rows show nothing of an item's meta (store.item_rows keeps it as text until
    # read) and the config cache is marshal's: json's import compiles regular expressions.
    # Piped --json is written by json's C encoder alone, and a GitHub item's meta holds
    # no "provisional" for it to decode.
    for args in (["inbox"], ["inbox", "--json"]):
        code, modules = _loaded_by(args, tmp_path)
        assert code == 0, args
        assert "herocli.store.item_rows" in modules
        assert _offending(modules, ("json", "herocli.store.item_changes")) == [], args
    code, modules = _loaded_by(["show", "1", "--json"], tmp_path)
    assert code == 0
    assert "json" in modules  # the harness can tell: a message's meta is decoded


def test_a_config_without_a_channels_section_never_loads_its_reader(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(sample_config(slack=None), encoding="utf-8")
    _queue_with_an_item(tmp_path)
    code, modules = _loaded_by(["inbox"], tmp_path)
    assert code == 0
    assert "herocli.config_github" in modules  # the harness's config has a [github]
    assert "herocli.config_slack" not in modules


def test_the_inbox_on_a_terminal_is_drawn_without_richs_table_or_emoji_names(
    tmp_path: Path,
) -> None:
    # render.table draws the rows itself, and the title and the "showing" line are
    # Text, so nothing reads :emoji: codes (Rich's table of names costs a tenth of a run).
    hero = _queue_with_an_item(tmp_path)
    for n in range(2, 5):
        hero.customer_opens("github", f"acme/widget#{n}", f"Question {n}", "Hello?")
    assert hero.run("sync").code == 0
    code, modules = _loaded_by(["inbox", "--limit", "2"], tmp_path, {"FORCE_COLOR": "1"})
    assert code == 0
    assert "herocli.render.table" in modules
    assert _offending(modules, ("rich.table", "rich._emoji_codes")) == []


def test_reading_compiles_no_dataclass(tmp_path: Path) -> None:
    # A @dataclass compiles its methods when its module loads; what the read path
    # builds (models, config, filters) is a record instead, which compiles nothing.
    for args in (["inbox"], ["inbox", "--json"], ["show", "1"], ["show", "1", "--json"]):
        code, modules = _loaded_by(args, tmp_path)
        assert code == 0, args
        assert "dataclasses" not in modules, args


def test_typer_finds_the_read_commands_annotations_evaluated() -> None:
    # Typer reads a command's annotations at every start; given as strings (postponed
    # annotations) it compiles each one anew, twice: a tenth of a bare Typer run here.
    from herocli.cli import inbox, main

    for command in (main.main, inbox.inbox, inbox.show):
        strings = [k for k, v in command.__annotations__.items() if isinstance(v, str)]
        assert strings == [], command.__name__


def _statements(hero: Hero, *args: str) -> tuple[str, list[str]]:
    """What piped `hero ARGS` prints, and every SQL statement it runs."""
    out = io.StringIO()
    ctx = Context(
        config_path=hero.config,
        env=hero.env,
        clock=hero.clock,
        out=Console(file=out, color_system=None),
        err=Console(file=io.StringIO(), color_system=None),
    )
    store = Store.open(hero.data / "queue.db")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    ctx.__dict__["store"] = store  # the cached Store the commands use
    assert run_cli(list(args), ctx) == 0
    return out.getvalue(), statements


def test_a_piped_listing_scans_nothing_it_does_not_print(tmp_path: Path) -> None:
    # Counting every match (the table's title says how many) and reading the names a
    # filter may use are scans of the whole queue: a pipe gets no title, and only
    # the names it filters by are checked.
    hero = _queue_with_an_item(tmp_path)
    printed, statements = _statements(hero, "inbox", "--limit", "1")  # as many as match
    assert printed.startswith("1\tgithub\tIt crashes\t")
    assert not [s for s in statements if "COUNT(" in s or "DISTINCT" in s]
    printed, statements = _statements(hero, "inbox", "--channel", "GitHub")
    assert printed.startswith("1\tgithub\t")
    assert [s for s in statements if "DISTINCT" in s] == ["SELECT DISTINCT channel FROM items"]
