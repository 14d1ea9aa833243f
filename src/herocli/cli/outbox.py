"""`hero outbox`: what is waiting to be sent, and sending it again."""

from __future__ import annotations

from typing import Annotated

import typer

from herocli.cli.common import JsonOpt, context_of
from herocli.cli.help import HeroTyper, examples
from herocli.errors import ExitCode
from herocli.render.outbox import describe_delivery, outbox_json, outbox_table
from herocli.services.outbox import deliver_pending
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
    all_: Annotated[bool, typer.Option("--all", help="Also the last 50 sent ones.")] = False,
    json_: JsonOpt = False,
) -> None:
    """List pending and failed writes (the default) or, with --all, recent ones too."""
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


@outbox_app.command(epilog=examples("hero outbox retry", "hero sync && hero outbox retry"))
def retry(ctx: typer.Context) -> None:
    """Send every pending or failed write again (each is checked upstream first: never twice)."""
    hero = context_of(ctx)
    deliveries = deliver_pending(hero.store, hero.channel, hero.clock, me=hero.config.hero.me)
    if not deliveries:
        hero.err.print("The outbox is empty: nothing to retry.")
    for delivery in deliveries:
        hero.err.print(describe_delivery(delivery))
    if any(not d.ok for d in deliveries):
        raise typer.Exit(ExitCode.ERROR)
