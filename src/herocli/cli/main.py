"""The `hero` command: global options, the command modules, and the one error handler."""

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from typer.main import get_command_name
from typer.models import CommandInfo

from herocli import __version__
from herocli.cli.commands import COMMANDS
from herocli.context import Context
from herocli.errors import ExitCode, HeroError, UsageError, internal_error
from herocli.store.faults import DatabaseFault, fault_error

# Global options that take a value, so the value is not read as the command's name.
_VALUED_OPTIONS = ("--config", "-c")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hero {__version__}")
        raise typer.Exit()


def main(
    ctx: typer.Context,
    config: Annotated[
        str | None,  # not a Path: typer would stat it while parsing, failing on a NUL
        typer.Option(
            "--config",
            "-c",
            metavar="FILE",
            help="Config file (default: $HERO_CONFIG, then ~/.config/hero/config.toml).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """One queue for the support hero: GitHub issues, email and Slack, answered from the terminal."""
    del version
    hero = ctx.obj if isinstance(ctx.obj, Context) else Context()
    if config is not None:
        if "\x00" in config:
            raise UsageError("--config holds a NUL character")
        hero.config_path = Path(config)
    hero.debug = hero.debug or debug
    ctx.obj = hero


def command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (the first word that is not a global option), if any."""
    words = iter(argv)
    for word in words:
        if word in _VALUED_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _root_app() -> typer.Typer:
    from herocli.cli.help import HeroTyper

    app = HeroTyper(
        name="hero",
        help="One queue for the support hero: GitHub issues, email and Slack, answered from the terminal.",
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(main)
    return app


def _register(app: typer.Typer, modules: Sequence[str]) -> None:
    for module in dict.fromkeys(modules):
        importlib.import_module(f"herocli.cli.{module}").register(app)


def _not_loaded() -> None:
    # build_app loads a command's module whenever argv names the command, so a
    # listed-only command never runs: reaching this is a bug in build_app.
    raise RuntimeError("a command ran without its module")


def _name_of(command: CommandInfo) -> str:
    # As Typer names a command: its given name, else its function's, with dashes.
    return command.name or get_command_name(getattr(command.callback, "__name__", ""))


def build_app(argv: Sequence[str] = ()) -> typer.Typer:
    """The `hero` app for ``argv``: the command it names, else the command list.

    A named command's module is imported and registers its commands; only the
    named one is kept, so Typer builds one command's options, not its module's
    (triage holds six). With no command named (`hero --help`, or a word that is
    no command) every command is listed from COMMANDS with its summary, and no
    module is imported.
    """
    app = _root_app()
    name = command_word(argv)
    if name in COMMANDS:
        _register(app, [COMMANDS[name][0]])
        app.registered_commands = [c for c in app.registered_commands if _name_of(c) == name]
    else:
        for command, (_, summary) in COMMANDS.items():
            app.command(command, short_help=summary, add_help_option=False)(_not_loaded)
    return app


def full_app() -> typer.Typer:
    """The `hero` app with every command module loaded (for docs, checks and completion)."""
    app = _root_app()
    _register(app, [module for module, _ in COMMANDS.values()])
    return app


def run_cli(args: list[str] | None = None, context: Context | None = None) -> int:
    """Run hero with ``args``; map every failure to a message on stderr and an exit code."""
    hero = context or Context()
    argv = list(sys.argv[1:] if args is None else args)
    hero.debug = hero.debug or "--debug" in argv
    if command_word(argv) is None and not {"--version", "-h", "--help"} & set(argv):
        argv.append("--help")  # no command: the help, on stdout, and exit 0
    argv = _times_are_not_options(argv)
    if argv[:2] == ["__complete", "--"]:  # the completion scripts ask what comes next
        from herocli.cli.completion import run_complete

        try:
            return run_complete(hero, argv[2:])
        finally:
            hero.close()
    try:
        app = build_app(argv)
        result = app(args=argv, prog_name="hero", standalone_mode=False, obj=hero)
        if result == ExitCode.INTERRUPTED:  # typer turns Ctrl-C in a command into Exit(130)
            raise KeyboardInterrupt
        return int(result) if isinstance(result, int) else ExitCode.OK
    except HeroError as exc:
        _report(hero, exc.message, exc.hint, debug=hero.debug)
        return exc.exit_code
    # Typer vendors click: its usage errors derive from TyperException, and Exit and
    # Abort are typer's own classes. click itself is not a dependency.
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        hero.err.print("cancelled", style="yellow")
        return ExitCode.CANCELLED
    except typer.TyperException as exc:
        from typer._click.exceptions import NoArgsIsHelpError

        if isinstance(exc, NoArgsIsHelpError):  # `hero config`: its help, on stdout
            hero.out.file.write(exc.format_message() + "\n")
            return ExitCode.OK
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=hero.err.file)
        else:
            _report(hero, str(exc), None, debug=False)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        hero.err.print(interrupted_line(command_word(argv)), style="yellow", soft_wrap=True)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:
        error = _unexpected(hero, command_word(argv), exc)
        _report(hero, error.message, error.hint, debug=hero.debug)
        return error.exit_code
    finally:
        hero.close()


def _unexpected(hero: Context, command: str | None, exc: Exception) -> HeroError:
    if isinstance(exc, DatabaseFault):  # the queue file failed under a query: full, damaged, ...
        store = hero.__dict__.get("store")
        return fault_error(store.path if store is not None else None, exc)
    # The last resort: a bug, never a user's mistake.
    return internal_error(f"hero {command or ''}".strip(), exc)


def interrupted_line(command: str | None) -> str:
    """What Ctrl-C leaves behind: every write is one transaction, so nothing is half-done."""
    if command == "sync":
        return "interrupted: what was fetched so far is saved; `hero sync` goes on from there"
    if command == "demo":
        return "interrupted: the demo servers are stopped"
    if command == "reply":
        return (
            "interrupted: nothing was sent; what you wrote is kept as a draft (`hero reply` again)"
        )
    if command in ("outbox", "assign", "close", "reopen", "label", "handoff"):
        return "interrupted: writes not yet sent are kept in the outbox (`hero outbox` lists them)"
    return "interrupted: nothing was changed half-way"


def _times_are_not_options(argv: list[str]) -> list[str]:
    """`hero snooze 12 -2h`: a negative time is an argument (refused as one), not an option."""
    if command_word(argv) != "snooze" or "--" in argv:
        return argv
    for i, word in enumerate(argv):
        if len(word) > 1 and word[0] == "-" and word[1].isdigit():
            return [*argv[:i], "--", *argv[i:]]
    return argv


def _report(hero: Context, message: str, hint: str | None, *, debug: bool) -> None:
    from herocli.redact import debug_traceback
    from herocli.render.text import safe

    if debug:
        hero.err.print(safe(debug_traceback(sys.exc_info()[1])), style="dim")
    # soft_wrap: one problem stays one line when stderr is a pipe or a CI log (Rich
    # would otherwise fold at 80 columns there), so it can be grepped and read.
    hero.err.print(safe(f"error: {message}"), style="bold red", soft_wrap=True)
    if hint:
        hero.err.print(safe(f"hint: {hint}"), style="yellow", soft_wrap=True)
