"""Reading the queue for the screens: filtered listings and one item's whole story."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from herocli.errors import NotFoundError
from herocli.models import Clock, Item, Note, StoredMessage
from herocli.store import Store, log, queue
from herocli.store.queue import ItemFilter


def wake_due(store: Store, clock: Clock) -> list[int]:
    """Open the snoozed items whose time has come, logging each wake-up."""
    now = clock.now()
    # A read first: the common case (nothing due) takes no write lock, so a listing
    # never waits behind another process's sync.
    if not queue.due_snoozes(store.conn, now):
        return []
    with store.transaction() as db:
        due = queue.due_snoozes(db, now)
        for item_id in due:
            queue.wake(db, item_id, now)
    return due


def require_item(store: Store, item_id: int, clock: Clock) -> Item:
    item = queue.get_item(store.conn, item_id, clock.now())
    if item is None:
        raise NotFoundError(
            f"no item #{item_id} in the queue", hint="`hero inbox --all` lists every item"
        )
    merged = item.meta.get("merged_into")
    if isinstance(merged, int):
        raise NotFoundError(
            f"item #{item_id} was merged into #{merged}: its mail turned out to be one "
            "conversation with that one",
            hint=f"`hero show {merged}`",
        )
    return item


@dataclass(frozen=True)
class Listing:
    items: list[Item]
    total: int  # how many match without the limit


def list_inbox(store: Store, clock: Clock, f: ItemFilter) -> Listing:
    """Items matching ``f``; snoozes whose time has come are woken (and logged) first."""
    wake_due(store, clock)
    now = clock.now()
    items = queue.list_items(store.conn, f, now)
    total = (
        len(items) if not f.limit or len(items) < f.limit else queue.count_items(store.conn, f, now)
    )
    return Listing(items, total)


def iter_inbox(store: Store, clock: Clock, f: ItemFilter) -> Iterator[Item]:
    """The same items as ``list_inbox``, streamed (for JSON of a whole queue)."""
    wake_due(store, clock)
    return queue.iter_items(store.conn, f, clock.now())


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    messages: list[StoredMessage]
    notes: list[Note]


def item_detail(store: Store, clock: Clock, item_id: int) -> ItemDetail:
    wake_due(store, clock)
    item = require_item(store, item_id, clock)
    return ItemDetail(
        item,
        queue.messages(store.conn, item_id),
        log.notes(store.conn, [item_id]).get(item_id, []),
    )
