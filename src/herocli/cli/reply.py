"""`hero reply`: compose, confirm, and send through the outbox."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from herocli.cli.ask import choose
from herocli.cli.common import ItemArg, context_of, item_number, text_arg
from herocli.cli.editor import compose
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import CancelledError, ExitCode, UsageError
from herocli.models import ItemState
from herocli.render.outbox import describe_delivery, reply_target, reply_template
from herocli.render.text import safe
from herocli.render.times import age
from herocli.services import drafts, triage
from herocli.services.display import names_for
from herocli.services.inbox import ItemDetail, item_detail
from herocli.services.outbox import same_text_pending


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "hero reply 12",
            'hero reply 12 -m "Fixed in 2.4.1, thanks!" --close --yes',
            "git log -1 --format=%B | hero reply 12 -F - --yes",
        )
    )(reply)


# What the hero can do with a reply before it goes; nothing is sent without "yes".
_FIRST = {
    "yes": "send",
    "no": "not now",
    "edit": "edit",
    "postpone": "keep for later",
    "discard": "throw away",
}
_AFTER_NO = {"edit": "edit", "postpone": "keep for later", "discard": "throw away", "yes": "send"}


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
    """Answer an item on its own channel (composes in $EDITOR unless -m or --body-file).

    What you write in the editor is kept as a draft of the item until it is sent
    or discarded: `hero reply ID` again picks it up.
    """
    hero = context_of(ctx)
    number = item_number(item)
    detail = item_detail(hero.store, hero.clock, number)
    if message is not None and body_file is not None:
        raise UsageError("give -m or --body-file, not both")
    if broadcast and not triage.channel_can(hero.actor, detail.item.channel, lambda c: c.broadcast):
        raise UsageError(
            f"--broadcast applies to Slack threads only; #{number} is on {detail.item.channel}"
        )
    if detail.item.state is ItemState.CLOSED:
        hero.err.print(
            f"#{number} is closed; the reply does not reopen it (`hero reopen {number}` does).",
            style="yellow",
        )
    if message is not None:
        body = text_arg("--message", message, 1_000_000) or ""
    elif body_file is not None:
        body = _read_body(body_file)
    else:
        if not sys.stdin.isatty():
            raise UsageError(
                "no terminal to open an editor in", hint="use -m TEXT or --body-file FILE"
            )
        draft = drafts.load(hero.store, number)
        if draft is not None:
            ago = age(hero.clock.now() - draft.saved_at)
            hero.err.print(f"Picking up your draft of #{number} (saved {ago} ago).", style="dim")
        body = _edit(hero, detail, draft.body if draft else "")
    _warn_of_twins(hero, number, body)
    if not yes:
        body = _confirm(hero, detail, body)
    if not body.strip():
        drafts.discard(hero.store, number)
        raise CancelledError("empty reply; nothing was sent")
    delivery = triage.reply(hero.store, hero.actor, number, body, broadcast=broadcast)
    drafts.discard(hero.store, number)  # sent, or kept in the outbox to send
    hero.err.print(describe_delivery(delivery))
    if not delivery.ok:
        raise typer.Exit(ExitCode.ERROR)
    if close:
        closed = triage.close(hero.store, hero.actor, number)
        if closed is not None:
            hero.err.print(describe_delivery(closed))
            if not closed.ok:
                raise typer.Exit(ExitCode.ERROR)


def _edit(hero: Context, detail: ItemDetail, body: str) -> str:
    """The editor on ``body``; what comes back is kept as the draft at once."""
    names = names_for(hero.store, hero.config.team, detail.messages)
    text = compose(reply_template(detail, hero.clock.now(), body, names), hero.env)
    drafts.save(hero.store, hero.clock, detail.item.id, text)
    return text


def _confirm(hero: Context, detail: ItemDetail, body: str) -> str:
    """Show the reply and ask until the hero says send; stop (exit 6) on postpone or discard."""
    number = detail.item.id
    while True:
        if not body.strip():
            return body
        names = names_for(hero.store, hero.config.team, detail.messages)
        hero.err.print(safe(reply_target(detail, names), "bold"))
        hero.err.print(Panel(safe(body.rstrip()), border_style="dim"))
        if not sys.stdin.isatty():
            raise UsageError(
                "confirmation needs a terminal", hint="add --yes to send without asking"
            )
        answer = choose(hero.err, "Send this reply?", _FIRST)
        if answer == "no":
            hero.err.print("Not sent. What now?")
            answer = choose(hero.err, "The reply", _AFTER_NO)
        if answer == "yes":
            return body
        if answer == "edit":
            body = _edit(hero, detail, body)
            continue
        if answer == "discard":
            drafts.discard(hero.store, number)
            hero.err.print(f"Not sent; the draft of #{number} is thrown away.")
        else:  # postpone, or the end of input: nothing is lost
            drafts.save(hero.store, hero.clock, number, body)
            hero.err.print(f"Not sent; the draft is kept. `hero reply {number}` picks it up again.")
        raise typer.Exit(ExitCode.CANCELLED)


def _read_body(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text") from None


def _warn_of_twins(hero: Context, number: int, body: str) -> None:
    """Say so when the outbox already holds this very text for the item, unsent."""
    for twin in same_text_pending(hero.store, number, body):
        hero.err.print(
            safe(
                f"warning: outbox entry {twin.id} ({twin.state.value}) already holds this text "
                f"for #{number}; `hero outbox retry` sends it. This reply would be a second one.",
                "yellow",
            )
        )
