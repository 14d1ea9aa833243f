"""`hero inbox` and `hero show`."""

from enum import StrEnum
from typing import Annotated

import typer

from herocli.cli.common import (
    MAX_INT,
    ItemArg,
    JsonOpt,
    context_of,
    in_range,
    item_number,
    text_arg,
    zone_of,
)
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import UsageError
from herocli.models import ItemState, Waiting, iso
from herocli.render.rows import inbox_lines, item_json, message_json
from herocli.services.inbox import item_detail, iter_inbox, list_inbox, resolve_filter
from herocli.store.queue import ItemFilter


class WaitingChoice(StrEnum):
    us = "us"
    them = "them"
    any = "any"


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "hero inbox",
            "hero inbox --waiting them --channel email",
            "hero inbox --all --search proxy --json",
        )
    )(inbox)
    app.command(epilog=examples("hero show 12", "hero show 12 --full", "hero show 12 --web"))(show)


def inbox(
    ctx: typer.Context,
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", metavar="NAME", help="Only this channel (repeatable)."),
    ] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only items assigned to me ([hero] me).")
    ] = False,
    assignee: Annotated[
        str | None,
        typer.Option("--assignee", metavar="MEMBER", help="Only items assigned to this member."),
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", metavar="NAME", help="Only items with this label.")
    ] = None,
    all_: Annotated[
        bool,
        typer.Option("--all", help="Every item: open, snoozed and closed, either side waiting."),
    ] = False,
    waiting: Annotated[
        WaitingChoice | None,
        typer.Option("--waiting", metavar="WHO", help="Whose turn: us (default), them, or any."),
    ] = None,
    snoozed: Annotated[bool, typer.Option("--snoozed", help="Snoozed items.")] = False,
    closed: Annotated[bool, typer.Option("--closed", help="Closed items.")] = False,
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", metavar="TEXT", help="Text in the title or any message."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-L", metavar="N", help="At most this many (0: no limit).")
    ] = 100,
    sync_first: Annotated[bool, typer.Option("--sync", help="Sync every channel first.")] = False,
    json_: JsonOpt = False,
) -> None:
    """The queue: open items waiting on us, longest wait first."""
    hero = context_of(ctx)
    in_range("--limit", limit, 0, MAX_INT)
    search = text_arg("--search", search)
    label = text_arg("--label", label)
    assignee = text_arg("--assignee", assignee)
    if sync_first:
        from herocli.cli.sync import run_sync

        failed = run_sync(hero, [])
        if failed:
            hero.err.print(
                "some channels failed to sync; showing the queue as it is", style="yellow"
            )
    states: tuple[ItemState, ...] = (ItemState.OPEN,)
    if snoozed or closed:
        states = tuple(
            s for s, on in ((ItemState.SNOOZED, snoozed), (ItemState.CLOSED, closed)) if on
        )
    who = waiting or (WaitingChoice.any if (snoozed or closed or all_) else WaitingChoice.us)
    if all_:
        states = ()
    if mine:
        if not hero.config.hero.me:
            raise UsageError('--mine needs [hero] me = "Your Name" in the config')
        assignee = hero.config.hero.me
    f = ItemFilter(
        states=states,
        waiting=None if who is WaitingChoice.any else Waiting(who.value),
        channels=tuple(channel or ()),
        assignee=assignee,
        label=label,
        search=search,
        limit=limit or None,
    )
    f = resolve_filter(
        hero.store,
        f,
        channels=hero.config.enabled_channels(),
        members=hero.config.team.members,
    )
    now = hero.clock.now()
    if json_:
        hero.print_json_list(item_json(item, now) for item in iter_inbox(hero.store, hero.clock, f))
        return
    if not hero.out_is_terminal:
        # A pipe gets the rows alone: no title, so no count of everything that matches.
        items = list(iter_inbox(hero.store, hero.clock, f))
        if items:
            # One write: with PYTHONUNBUFFERED (common in containers) each line would
            # be a system call of its own.
            hero.data_file.write("".join(line + "\n" for line in inbox_lines(items, now)))
        else:
            _say_empty(hero, who)
        return
    listing = list_inbox(hero.store, hero.clock, f)
    if not listing.items:
        _say_empty(hero, who)
        return
    title = f"{listing.total} item{'s' if listing.total != 1 else ''}" + (
        " waiting on us" if who is WaitingChoice.us and not all_ else ""
    )
    # Only the table needs these: a pipe gets no title.
    from herocli.render.items import print_items
    from herocli.render.times import since
    from herocli.store.cursors import last_synced

    synced = last_synced(hero.store.conn)
    if synced:
        # The stalest channel says how far the list can be trusted.
        title += f" · synced {since(min(synced.values()), now)} ago"
    print_items(
        listing.items,
        now,
        listing.total,
        title,
        screen=hero.screen,
        file=hero.data_file,
        console=lambda: hero.out,
    )


def _say_empty(hero: Context, who: WaitingChoice) -> None:
    from herocli.store.cursors import last_synced  # here: a piped listing with rows never asks

    if not last_synced(hero.store.conn):
        hero.err.print("The queue is empty: nothing was synced yet. Run `hero sync`.")
    elif hero.out_is_terminal:
        hero.err.print(
            "Nothing here. Nobody is waiting on us."
            if who is WaitingChoice.us
            else "No items match."
        )


def show(
    ctx: typer.Context,
    item: ItemArg,
    full: Annotated[
        bool, typer.Option("--full", help="Show quoted history and signatures too.")
    ] = False,
    web: Annotated[
        bool, typer.Option("--web", "-w", help="Open it at its source in the browser instead.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """The whole conversation, oldest first, with links back to the source."""
    hero = context_of(ctx)
    if web:
        from herocli.cli.browse import open_in_browser

        open_in_browser(hero, item_number(item))
        return
    detail = item_detail(hero.store, hero.clock, item_number(item))
    now = hero.clock.now()
    if json_:
        data = item_json(detail.item, now)
        data["messages"] = [message_json(m) for m in detail.messages]
        data["notes"] = [
            {"author": n.author, "at": iso(n.at), "body": n.body} for n in detail.notes
        ]
        hero.print_json(data)
        return
    from herocli.services.display import names_for

    names = names_for(hero.store, hero.config.team, detail.messages)
    zone = zone_of(hero)
    if not hero.out_is_terminal:  # piped: plain text, nothing boxed or cut
        from herocli.render.thread import thread_text

        hero.data_file.write(
            thread_text(
                detail.item, detail.messages, detail.notes, now, zone=zone, names=names, full=full
            )
        )
        return
    from herocli.cli.pager import print_paged
    from herocli.render.thread_view import thread_view

    view = thread_view(
        detail.item, detail.messages, detail.notes, now, full=full, zone=zone, names=names
    )
    print_paged(hero.out, view, hero.env)
