"""Local workflow on items: reply, assign, snooze, close, reopen, label, note.

The local change, its event and the outbox entry for what must also happen
upstream commit in one transaction; the entry is then delivered right away and
retried later if the channel cannot take it now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from herocli.channels.base import Capabilities
from herocli.errors import HeroError, NotFoundError, UsageError
from herocli.events import EventKind
from herocli.exchange import CloseReason
from herocli.models import Clock, Item, ItemState, TeamMember
from herocli.records import as_dict

# The sanitiser's rule for one line of text (a plain regex module: no Rich).
from herocli.render.text import UNSAFE_IN_LINE, clean
from herocli.services.inbox import require_item
from herocli.services.outbox import ChannelFor, Delivery, deliver, enqueue
from herocli.store import Store, item_changes, log, queue
from herocli.store.outbox import Op


@dataclass(frozen=True)
class Actor:
    """Who is acting (the config's ``[hero] me``) and how channels are reached."""

    name: str | None
    channel_for: ChannelFor
    clock: Clock


def channel_can(actor: Actor, channel: str, can: Callable[[Capabilities], bool]) -> bool:
    """Whether ``channel`` has a capability (``can`` picks it from the channel's flags).

    A channel that cannot be built (no longer configured, a missing token) is
    given the benefit of the doubt: the write is tried, and the outbox records
    why it did not happen.
    """
    try:
        capabilities = actor.channel_for(channel).capabilities
    except HeroError:
        return True
    return can(capabilities)


def _reaches_source(actor: Actor, item: Item, can: Callable[[Capabilities], bool]) -> bool:
    return channel_can(actor, item.channel, can)


def _queue(store: Store, actor: Actor, item: Item, op: Op, payload: dict[str, object]) -> int:
    """Write the outbox entry inside the caller's transaction."""
    if "body" in payload and actor.name:
        # Who wrote it: the sync that sees it come back credits them, not the bot
        # or shared identity that carried it.
        payload = {**payload, "by": actor.name}
    return enqueue(
        store, actor.clock, channel=item.channel, op=op, item_id=item.id, payload=payload
    )


def _send(store: Store, actor: Actor, entry_id: int | None) -> Delivery | None:
    """Deliver the entry once its transaction has committed (nothing when there is none)."""
    if entry_id is None:
        return None
    return deliver(store, entry_id, actor.channel_for, actor.clock, me=actor.name)


def require_items(store: Store, item_ids: list[int], clock: Clock) -> list[Item]:
    """The items ``item_ids`` name, in order, once each; every unknown number is named
    at once, before anything changes."""
    ids = list(dict.fromkeys(item_ids))
    now = clock.now()
    found = {i: queue.get_item(store.conn, i, now) for i in ids}
    missing = [f"#{i}" for i, item in found.items() if item is None]
    if missing:
        raise NotFoundError(
            f"no item {', '.join(missing)} in the queue",
            hint="`hero inbox --all` lists every item",
        )
    return [item for item in found.values() if item is not None]


def reply(
    store: Store, actor: Actor, item_id: int, body: str, *, broadcast: bool = False
) -> Delivery:
    """Write the reply to the outbox, then send it."""
    if not body.strip():
        raise UsageError("the reply is empty; nothing was sent")
    item = require_item(store, item_id, actor.clock)
    payload: dict[str, object] = {"body": body, "broadcast": broadcast}
    with store.transaction():
        entry_id = _queue(store, actor, item, Op.REPLY, payload)
    delivery = _send(store, actor, entry_id)
    assert delivery is not None
    return delivery


def close(
    store: Store,
    actor: Actor,
    item_id: int,
    *,
    reason: CloseReason = CloseReason.COMPLETED,
    upstream: bool = True,
) -> Delivery | None:
    """Close the item; at the source too where the channel has ``remote_close``. An item
    closed already is left as it is (nothing is sent again)."""
    item = require_item(store, item_id, actor.clock)
    if item.state is ItemState.CLOSED:
        return None
    send = upstream and _reaches_source(actor, item, lambda c: c.remote_close)
    entry_id = None
    with store.transaction() as db:
        item_changes.set_state(
            db, item.id, ItemState.CLOSED, actor.clock.now(), actor=actor.name, reason=reason.value
        )
        if send:
            entry_id = _queue(store, actor, item, Op.CLOSE, {"reason": reason.value})
    return _send(store, actor, entry_id)


def reopen(store: Store, actor: Actor, item_id: int) -> Delivery | None:
    """Open a closed or snoozed item; a closed one at the source too (``remote_close``)."""
    item = require_item(store, item_id, actor.clock)
    # A snooze is only local.
    send = item.state is ItemState.CLOSED and _reaches_source(actor, item, lambda c: c.remote_close)
    entry_id = None
    with store.transaction() as db:
        if item.state is not ItemState.OPEN:
            item_changes.set_state(db, item.id, ItemState.OPEN, actor.clock.now(), actor=actor.name)
        if send:
            entry_id = _queue(store, actor, item, Op.REOPEN, {})
    return _send(store, actor, entry_id)


def snooze(store: Store, actor: Actor, item_id: int, until: datetime) -> Item:
    """Hide the item until ``until``; it wakes earlier when the customer writes."""
    item = require_item(store, item_id, actor.clock)
    now = actor.clock.now()
    if until <= now:
        raise UsageError("the snooze must end in the future")
    if item.state is ItemState.CLOSED:
        raise UsageError(f"#{item_id} is closed; reopen it first")
    with store.transaction() as db:
        item_changes.set_state(
            db, item.id, ItemState.SNOOZED, now, actor=actor.name, snoozed_until=until
        )
    return require_item(store, item_id, actor.clock)


def assign(
    store: Store,
    actor: Actor,
    item_id: int,
    member: TeamMember | None,
    *,
    ping: bool = False,
    upstream: bool = True,
    why: str | None = None,
) -> Delivery | None:
    """Rope ``member`` in (``None`` unassigns locally); ``ping`` also @mentions them in the thread.

    ``why`` is kept on the event: a handoff's reassignments are not teammates roped in.
    Where the channel has no assignees (and no ping is asked), the change is local only.
    """
    item = require_item(store, item_id, actor.clock)
    payload: dict[str, object] = {}
    if member is not None and ping:
        mention = actor.channel_for(item.channel).mention(member)
        if mention is None:
            # On email a "ping" would be a message to the customer.
            raise UsageError(
                f"the {item.channel} channel has no @mentions",
                hint="assign without --ping, and tell them another way",
            )
        payload["body"] = f"{mention}, could you take a look at this one?"
        payload["mentions"] = [mention]  # the one mention hero adds; typed ones never ping
    send = member is not None and (
        ping or (upstream and _reaches_source(actor, item, lambda c: c.assignees))
    )
    now = actor.clock.now()
    entry_id = None
    with store.transaction() as db:
        item_changes.set_assignee(db, item.id, member.name if member else None, now)
        log.record(
            db,
            item.id,
            EventKind.ASSIGNED,
            now,
            actor.name,
            {"to": member.name if member else None, "from": item.assignee}
            | ({"why": why} if why else {}),
        )
        if send and member is not None:
            payload["member"] = as_dict(member)
            entry_id = _queue(store, actor, item, Op.ASSIGN, payload)
    return _send(store, actor, entry_id)


def label_changes(changes: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``+name`` and ``-name`` words as the labels to add and the labels to remove."""
    add: list[str] = []
    remove: list[str] = []
    for change in changes:
        if len(change) < 2 or change[0] not in "+-":
            raise UsageError(f"CHANGE {change[:40]!r}: write +name to add or -name to remove")
        if re.search(UNSAFE_IN_LINE, change) or len(change) > 200:
            raise UsageError(
                f"CHANGE {clean(change[:40])!r}: a label is one line of at most 200 characters"
            )
        (add if change[0] == "+" else remove).append(change[1:])
    return tuple(add), tuple(remove)


def label(
    store: Store,
    actor: Actor,
    item_id: int,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    *,
    upstream: bool = True,
) -> Delivery | None:
    """Add and remove labels; only what really changes is logged, and sent to the source
    where the channel has ``labels``."""
    item = require_item(store, item_id, actor.clock)
    now = actor.clock.now()
    send = upstream and _reaches_source(actor, item, lambda c: c.labels)
    entry_id = None
    with store.transaction() as db:
        # Read the current set inside the write transaction, so a concurrent change
        # from another hero process is not overwritten.
        current = queue.labels_of(db, item.id)
        change = plan_labels(current, add, remove)
        add, remove = change.add, change.remove
        if not (add or remove):
            return None
        labels = [name for name in current if name not in remove]
        labels += [name for name in add if name not in labels]
        item_changes.set_labels(db, item.id, labels)
        log.record(db, item.id, EventKind.LABELED, now, actor.name, {"add": add, "remove": remove})
        if send:
            payload: dict[str, object] = {"add": list(add), "remove": list(remove)}
            entry_id = _queue(store, actor, item, Op.LABELS, payload)
    return _send(store, actor, entry_id)


@dataclass(frozen=True)
class LabelChange:
    """What a label edit does to a set of labels: what changes, and what was asked in vain."""

    add: tuple[str, ...]
    remove: tuple[str, ...]
    present: tuple[str, ...] = ()  # asked to add, already there
    absent: tuple[str, ...] = ()  # asked to remove, not there


def plan_labels(
    current: tuple[str, ...], add: tuple[str, ...], remove: tuple[str, ...]
) -> LabelChange:
    """Split a requested edit of ``current`` into what changes and what is already so."""
    adding = tuple(dict.fromkeys(n for n in add if n not in current and n not in remove))
    removing = tuple(dict.fromkeys(n for n in remove if n in current))
    return LabelChange(
        add=adding,
        remove=removing,
        present=tuple(dict.fromkeys(n for n in add if n in current)),
        absent=tuple(dict.fromkeys(n for n in remove if n not in current)),
    )


def note(store: Store, actor: Actor, item_id: int, body: str) -> int:
    """A local note: kept in the queue, shown in `hero show` and the handoff, never sent."""
    if not body.strip():
        raise UsageError("the note is empty")
    item = require_item(store, item_id, actor.clock)
    with store.transaction() as db:
        return log.add_note(db, item.id, actor.clock.now(), actor.name, body)
