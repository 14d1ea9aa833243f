"""`hero reply`: compose, confirm, and send through the outbox."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from herocli.cli.common import ItemArg, context_of, item_number
from herocli.cli.editor import compose
from herocli.errors import CancelledError, ExitCode, UsageError
from herocli.render.outbox import describe_delivery, reply_target, reply_template
from herocli.render.text import safe
from herocli.services import triage
from herocli.services.inbox import item_detail


def register(app: typer.Typer) -> None:
    app.command()(reply)


def reply(
    ctx: typer.Context,
    item: ItemArg,
    message: Annotated[
        str | None, typer.Option("--message", "-m", metavar="TEXT", help="The reply text.")
    ] = None,
    body_file: Annotated[
        str | None,
        typer.Option(
            "--body-file", "-F", metavar="FILE", help="Read the reply from a file ('-' for stdin)."
        ),
    ] = None,
    close: Annotated[bool, typer.Option("--close", help="Close the item after sending.")] = False,
    broadcast: Annotated[
        bool, typer.Option("--broadcast", help="Slack: also send to the channel.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking.")] = False,
) -> None:
    """Answer an item on its own channel (composes in $EDITOR unless -m or --body-file)."""
    hero = context_of(ctx)
    number = item_number(item)
    detail = item_detail(hero.store, hero.clock, number)
    if message is not None and body_file is not None:
        raise UsageError("give -m or --body-file, not both")
    if message is not None:
        body = message
    elif body_file is not None:
        body = _read_body(body_file)
    else:
        if not sys.stdin.isatty():
            raise UsageError(
                "no terminal to open an editor in", hint="use -m TEXT or --body-file FILE"
            )
        body = compose(reply_template(detail, hero.clock.now()), hero.env)
    if not body.strip():
        raise CancelledError("empty reply; nothing was sent")
    if not yes:
        hero.err.print(safe(reply_target(detail), "bold"))
        hero.err.print(Panel(safe(body.rstrip()), border_style="dim"))
        if not sys.stdin.isatty():
            raise UsageError(
                "confirmation needs a terminal", hint="add --yes to send without asking"
            )
        if not typer.confirm("Send this reply?", default=True, err=True):
            raise CancelledError("not sent")
    delivery = triage.reply(hero.store, hero.actor, number, body, broadcast=broadcast)
    hero.err.print(describe_delivery(delivery))
    if not delivery.ok:
        raise typer.Exit(ExitCode.ERROR)
    if close:
        closed = triage.close(hero.store, hero.actor, number)
        if closed is not None:
            hero.err.print(describe_delivery(closed))
            if not closed.ok:
                raise typer.Exit(ExitCode.ERROR)


def _read_body(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text") from None
