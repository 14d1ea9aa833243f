"""Working items: assign, snooze, close, reopen, label, note (several ids at once)."""

from __future__ import annotations

from typing import Annotated

import typer

from herocli.cli.common import (
    ItemArg,
    ItemsArg,
    context_of,
    is_item_number,
    item_number,
    text_arg,
    zone_of,
)
from herocli.cli.common import item_numbers as parse_ids
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import ExitCode, NotFoundError, UsageError
from herocli.exchange import CloseReason
from herocli.models import Item, ItemState, iso
from herocli.render.outbox import describe_delivery
from herocli.render.text import safe
from herocli.services import triage
from herocli.services.outbox import Delivery
from herocli.services.when import FORMS, parse_until

LocalOpt = Annotated[
    bool, typer.Option("--local", help="Change only the local queue, not the source.")
]


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "hero assign 12 ravi", "hero assign 12 13 ravi --ping", "hero assign 12 none"
        )
    )(assign)
    # "-2h" must reach the command as a time (and be refused as one), not as an option.
    app.command(
        epilog=examples("hero snooze 12 2h", "hero snooze 12 13 friday 3pm", "hero snooze 14 eod")
    )(snooze)
    app.command(
        epilog=examples("hero close 12", "hero close 12 13 14", "hero close 15 --not-planned")
    )(close)
    app.command(epilog=examples("hero reopen 12", "hero reopen 12 13"))(reopen)
    app.command(
        epilog=examples('hero note 12 "waiting for their logs"', 'hero note 12 "call on Monday"')
    )(note)
    # "-name" must reach the command as a change, not be read as an unknown option.
    app.command(
        context_settings={"ignore_unknown_options": True},
        epilog=examples("hero label 12 +bug", "hero label 12 13 +bug -question"),
    )(label)


def _items(hero: Context, values: list[str]) -> list[Item]:
    return triage.require_items(hero.store, parse_ids(values), hero.clock)


def _report(hero: Context, deliveries: list[Delivery]) -> None:
    """Print what each upstream write did; exit 1 when one of them failed."""
    for delivery in deliveries:
        hero.err.print(describe_delivery(delivery))
    if any(not d.ok for d in deliveries):
        raise typer.Exit(ExitCode.ERROR)


def assign(
    ctx: typer.Context,
    items: ItemsArg,
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
    """Rope a teammate in: assign items to them (and upstream where the channel can)."""
    hero = context_of(ctx)
    who = None
    member = text_arg("MEMBER", member) or ""
    if member.lower() != "none":
        who = hero.team.find(member)
        if who is None:
            names = ", ".join(m.name for m in hero.config.team.members) or "none configured"
            raise NotFoundError(f"no team member {member!r}", hint=f"members: {names}")
    name = who.name if who else "nobody"
    deliveries = []
    for item in _items(hero, items):
        if item.assignee == (who.name if who else None) and not ping:
            hero.err.print(safe(f"#{item.id} is already assigned to {name}"))
            continue
        delivery = triage.assign(
            hero.store, hero.actor, item.id, who, ping=ping, upstream=not local
        )
        where = "" if delivery is not None or who is None else _locally(hero, item, local)
        hero.err.print(safe(f"#{item.id} assigned to {name}{where}"))
        deliveries += [delivery] if delivery else []
    _report(hero, deliveries)


def _locally(hero: Context, item: Item, local: bool) -> str:
    if local:
        return " (locally)"
    return f" (locally; {item.channel} has no assignees)"


def snooze(
    ctx: typer.Context,
    items: ItemsArg,
    until: Annotated[
        str,
        typer.Argument(metavar="WHEN", help=f"How long or until when: {FORMS}."),
    ],
) -> None:
    """Hide items until a time; each wakes earlier if they write again."""
    hero = context_of(ctx)
    zone = zone_of(hero)
    # "friday 3pm" arrives as two words: the ids are the leading numbers, the rest is WHEN.
    words = [*items, until]
    count = next((i for i, w in enumerate(words) if not is_item_number(w)), len(words) - 1)
    count = max(1, min(count, len(words) - 1))
    when = parse_until(" ".join(words[count:]), hero.clock.now(), zone)
    for item in _items(hero, words[:count]):
        snoozed = triage.snooze(hero.store, hero.actor, item.id, when)
        local = snoozed.snoozed_until.astimezone(zone) if snoozed.snoozed_until else when
        hero.err.print(f"#{snoozed.id} snoozed until {local:%a %d %b %H:%M} ({iso(when)})")


def close(
    ctx: typer.Context,
    items: ItemsArg,
    not_planned: Annotated[
        bool, typer.Option("--not-planned", help="GitHub: close as not planned.")
    ] = False,
    local: LocalOpt = False,
) -> None:
    """Close items (and the conversation at its source where the channel has that)."""
    hero = context_of(ctx)
    chosen = _items(hero, items)
    if not_planned:
        others = sorted(
            {
                i.channel
                for i in chosen
                if not triage.channel_can(hero.actor, i.channel, lambda c: c.close_reasons)
            }
        )
        if others:
            raise UsageError(
                f"--not-planned applies to GitHub issues only, not {', '.join(others)}",
                hint="close those without --not-planned",
            )
    reason = CloseReason.NOT_PLANNED if not_planned else CloseReason.COMPLETED
    deliveries = []
    for item in chosen:
        delivery = triage.close(hero.store, hero.actor, item.id, reason=reason, upstream=not local)
        if item.state is ItemState.CLOSED and delivery is None:
            hero.err.print(f"#{item.id} was already closed")
            continue
        # No delivery: --local, or a channel that cannot close at its source.
        hero.err.print(f"#{item.id} closed" + (" (locally)" if delivery is None else ""))
        deliveries += [delivery] if delivery else []
    _report(hero, deliveries)


def reopen(ctx: typer.Context, items: ItemsArg) -> None:
    """Reopen closed or snoozed items."""
    hero = context_of(ctx)
    deliveries = []
    for item in _items(hero, items):
        if item.state is ItemState.OPEN:
            hero.err.print(f"#{item.id} is already open")
            continue
        delivery = triage.reopen(hero.store, hero.actor, item.id)
        hero.err.print(f"#{item.id} open" + (" (snooze ended)" if delivery is None else ""))
        deliveries += [delivery] if delivery else []
    _report(hero, deliveries)


def label(
    ctx: typer.Context,
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="ID... CHANGE...",
            help="Item numbers, then +name to add a label and -name to remove one.",
        ),
    ],
    local: LocalOpt = False,
) -> None:
    """Add (+name) and remove (-name) labels on one or more items."""
    hero = context_of(ctx)
    ids = [a for a in args if is_item_number(a)]
    changes = [a for a in args if not is_item_number(a)]
    add, remove = triage.label_changes(changes)
    if not ids or not (add or remove):
        raise UsageError(
            "name the items and the changes", hint="for example: hero label 12 13 +bug -question"
        )
    deliveries = []
    for item in _items(hero, ids):
        plan = triage.plan_labels(item.labels, add, remove)
        delivery = triage.label(hero.store, hero.actor, item.id, add, remove, upstream=not local)
        hero.err.print(safe(f"#{item.id}: {_label_words(plan)}"))
        deliveries += [delivery] if delivery else []
    _report(hero, deliveries)


def _label_words(plan: triage.LabelChange) -> str:
    parts = []
    if plan.add:
        parts.append("added " + ", ".join(plan.add))
    if plan.remove:
        parts.append("removed " + ", ".join(plan.remove))
    if plan.present:
        parts.append("already had " + ", ".join(plan.present))
    if plan.absent:
        parts.append("had no " + ", ".join(plan.absent))
    return "; ".join(parts) if parts else "no change"


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
