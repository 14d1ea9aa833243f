"""`hero tui`: the queue on one live, full-screen page (Textual is loaded only here)."""

from __future__ import annotations

import sys

import typer

from herocli.cli.common import context_of
from herocli.cli.help import examples
from herocli.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command(epilog=examples("hero tui", "hero --config ./team.toml tui"))(tui)


def tui(ctx: typer.Context) -> None:
    """The whole queue on one live screen: read, answer and triage with single keys."""
    hero = context_of(ctx)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "hero tui needs a terminal", hint="`hero inbox` lists the queue when piped"
        )
    # Config and queue problems are reported as for any command, before the screen opens.
    hero.store  # noqa: B018 - opening the queue here reports a bad one as a usual error

    from herocli.cli.editor import compose
    from herocli.tui.app import HeroApp

    HeroApp(hero, compose_reply=compose).run()
