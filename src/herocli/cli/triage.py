"""Working an item: assign, snooze, close, reopen, label, note."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

import typer

from herocli.cli.common import ItemArg, context_of, item_number, text_arg
from herocli.context import Context
from herocli.errors import ExitCode, NotFoundError
from herocli.models import CloseReason, iso
from herocli.render.outbox import describe_delivery
from herocli.render.text import safe
from herocli.services import triage
from herocli.services.outbox import Delivery
from herocli.services.when import parse_until

LocalOpt = Annotated[
    bool, typer.Option("--local", help="Change only the local queue, not the source.")
]


def register(app: typer.Typer) -> None:
    for command in (assign, snooze, close, reopen, note):
        app.command()(command)
    # "-name" must reach the command as a change, not be read as an unknown option.
    app.command(context_settings={"ignore_unknown_options": True})(label)


def _report(hero: Context, delivery: Delivery | None) -> None:
    if delivery is None:
        return
    hero.err.print(describe_delivery(delivery))
    if not delivery.ok:
        raise typer.Exit(ExitCode.ERROR)


def assign(
    ctx: typer.Context,
    item: ItemArg,
    member: Annotated[
        str,
        typer.Argument(
            metavar="MEMBER", help="Team member name or GitHub login; 'none' unassigns."
        ),
    ],
    ping: Annotated[
        bool, typer.Option("--ping", help="Also @mention them in the conversation.")
    ] = False,
    local: LocalOpt = False,
) -> None:
    """Rope a teammate in: assign the item to them (and upstream where the channel can)."""
    hero = context_of(ctx)
    who = None
    member = text_arg("MEMBER", member) or ""
    if member.lower() != "none":
        who = hero.team.find(member)
        if who is None:
            names = ", ".join(m.name for m in hero.config.team.members) or "none configured"
            raise NotFoundError(f"no team member {member!r}", hint=f"members: {names}")
    delivery = triage.assign(
        hero.store, hero.actor, item_number(item), who, ping=ping, upstream=not local
    )
    hero.err.print(safe(f"#{item_number(item)} assigned to {who.name if who else 'nobody'}"))
    _report(hero, delivery)


def snooze(
    ctx: typer.Context,
    item: ItemArg,
    until: Annotated[
        str,
        typer.Argument(
            metavar="WHEN", help="How long or until when: 2h, 3d, 1w, tomorrow, monday, 2026-12-01."
        ),
    ],
) -> None:
    """Hide an item until a time; it wakes earlier if they write again."""
    hero = context_of(ctx)
    zone = _zone(hero)
    when = parse_until(until, hero.clock.now(), zone)
    snoozed = triage.snooze(hero.store, hero.actor, item_number(item), when)
    local = snoozed.snoozed_until.astimezone(zone) if snoozed.snoozed_until else when
    hero.err.print(f"#{snoozed.id} snoozed until {local:%a %d %b %H:%M} ({iso(when)})")


def _zone(hero: Context) -> tzinfo | None:
    from zoneinfo import ZoneInfo

    return ZoneInfo(hero.config.hero.timezone) if hero.config.hero.timezone else None


def close(
    ctx: typer.Context,
    item: ItemArg,
    not_planned: Annotated[
        bool, typer.Option("--not-planned", help="GitHub: close as not planned.")
    ] = False,
    local: LocalOpt = False,
) -> None:
    """Close an item (and the conversation at its source where the channel has that)."""
    hero = context_of(ctx)
    reason = CloseReason.NOT_PLANNED if not_planned else CloseReason.COMPLETED
    delivery = triage.close(
        hero.store, hero.actor, item_number(item), reason=reason, upstream=not local
    )
    hero.err.print(f"#{item_number(item)} closed")
    _report(hero, delivery)


def reopen(ctx: typer.Context, item: ItemArg) -> None:
    """Reopen a closed or snoozed item."""
    hero = context_of(ctx)
    delivery = triage.reopen(hero.store, hero.actor, item_number(item))
    hero.err.print(f"#{item_number(item)} open")
    _report(hero, delivery)


def label(
    ctx: typer.Context,
    item: ItemArg,
    changes: Annotated[
        list[str],
        typer.Argument(metavar="CHANGE", help="+name adds a label, -name removes one."),
    ],
    local: LocalOpt = False,
) -> None:
    """Add (+name) and remove (-name) labels."""
    hero = context_of(ctx)
    add, remove = triage.label_changes(changes)
    delivery = triage.label(
        hero.store, hero.actor, item_number(item), add, remove, upstream=not local
    )
    hero.err.print(
        safe(f"#{item_number(item)} labels: +{', +'.join(add) or '-'} -{', -'.join(remove) or '-'}")
    )
    _report(hero, delivery)


def note(
    ctx: typer.Context,
    item: ItemArg,
    text: Annotated[
        str, typer.Argument(metavar="TEXT", help="The note (kept locally, never sent).")
    ],
) -> None:
    """Keep a private note on an item; it shows in `hero show` and the handoff."""
    hero = context_of(ctx)
    text = text_arg("TEXT", text, 100_000) or ""
    triage.note(hero.store, hero.actor, item_number(item), text)
    hero.err.print(f"note added to #{item_number(item)}")
