"""`hero outbox`: what is waiting to be sent, sending it again, dropping what never will."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from herocli.cli.common import JsonOpt, context_of
from herocli.cli.help import HeroTyper, examples
from herocli.errors import CancelledError, ExitCode, UsageError
from herocli.render.outbox import describe_delivery, outbox_json, outbox_table
from herocli.render.text import safe
from herocli.services.outbox import deliver, deliver_pending
from herocli.services.outbox import drop as drop_entry
from herocli.services.outbox import mark_sent as mark_entry_sent
from herocli.store import outbox as rows

outbox_app = HeroTyper(
    help="Replies and other writes waiting to be sent.",
    no_args_is_help=False,
    epilog=examples("hero outbox", "hero outbox --all --json", "hero outbox retry"),
)


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")


@outbox_app.callback(invoke_without_command=True)
def outbox(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Also the last 50 finished ones.")] = False,
    json_: JsonOpt = False,
) -> None:
    """List unfinished writes (pending, sending, failed, uncertain) or, with --all, recent ones."""
    if ctx.invoked_subcommand is not None:
        return
    hero = context_of(ctx)
    entries = rows.recent(hero.store.conn, 50) if all_ else rows.unsent(hero.store.conn)
    if json_:
        hero.print_json([outbox_json(e) for e in entries])
        return
    if not entries:
        hero.err.print("The outbox is empty: everything was sent.")
        return
    hero.out.print(outbox_table(entries, hero.clock.now()))


@outbox_app.command(
    epilog=examples(
        "hero outbox retry", "hero sync && hero outbox retry", "hero outbox retry --resend 12"
    )
)
def retry(
    ctx: typer.Context,
    resend: Annotated[
        int | None,
        typer.Option(
            "--resend",
            metavar="ID",
            help="Send this uncertain entry again, without looking for the earlier attempt.",
        ),
    ] = None,
) -> None:
    """Send every unfinished write again (each is checked upstream first: never twice)."""
    hero = context_of(ctx)
    if resend is not None:
        deliveries = [
            deliver(
                hero.store, resend, hero.channel, hero.clock, me=hero.config.hero.me, resend=True
            )
        ]
    else:
        deliveries = deliver_pending(hero.store, hero.channel, hero.clock, me=hero.config.hero.me)
    if not deliveries:
        hero.err.print("The outbox is empty: nothing to retry.")
    for delivery in deliveries:
        hero.err.print(describe_delivery(delivery))
    if any(not d.ok for d in deliveries):
        raise typer.Exit(ExitCode.ERROR)


@outbox_app.command(epilog=examples("hero outbox drop 12", "hero outbox drop 12 --yes"))
def drop(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(metavar="ID", help="The outbox entry to forget.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Drop without asking.")] = False,
) -> None:
    """Forget a write that will never succeed (a channel that does not exist, a reply too long),
    or an uncertain reply that did not arrive and will not be sent again."""
    hero = context_of(ctx)
    entry = rows.get(hero.store.conn, entry_id)
    if entry is None:
        raise UsageError(f"no outbox entry {entry_id}", hint="`hero outbox` lists them")
    if not yes:
        hero.err.print(outbox_table([entry], hero.clock.now()))
        if not sys.stdin.isatty():
            raise UsageError(
                "confirmation needs a terminal", hint="add --yes to drop without asking"
            )
        if not typer.confirm("Drop it for good? It will not be sent.", default=False, err=True):
            raise CancelledError("kept")
    dropped = drop_entry(hero.store, entry_id, hero.clock)
    hero.err.print(
        safe(f"Dropped outbox entry {dropped.id} ({dropped.op.value}); it will not be sent.")
    )


@outbox_app.command(name="mark-sent", epilog=examples("hero outbox mark-sent 12"))
def mark_sent(
    ctx: typer.Context,
    entry_id: Annotated[
        int, typer.Argument(metavar="ID", help="The uncertain entry that did arrive.")
    ],
) -> None:
    """Record an uncertain reply as sent: you made sure it reached the customer."""
    hero = context_of(ctx)
    entry = mark_entry_sent(hero.store, entry_id, hero.clock, me=hero.config.hero.me)
    hero.err.print(
        safe(
            f"Marked outbox entry {entry.id} ({entry.op.value}) sent: "
            "it counts as the team's answer."
        )
    )
