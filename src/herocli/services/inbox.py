"""Reading the queue for the screens: filtered listings and one item's whole story."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from herocli.errors import NotFoundError, UsageError
from herocli.models import Clock, Item, ItemState, Note, StoredMessage, TeamMember, Waiting
from herocli.records import record, replace
from herocli.store import Store, log, queue
from herocli.store.queue import ItemFilter


def wake_due(store: Store, clock: Clock) -> list[int]:
    """Open the snoozed items whose time has come, logging each wake-up."""
    now = clock.now()
    # A read first: the common case (nothing due) takes no write lock, so a listing
    # never waits behind another process's sync.
    if not queue.due_snoozes(store.conn, now):
        return []
    from herocli.store import item_changes  # here: a listing with nothing due writes nothing

    with store.transaction() as db:
        due = queue.due_snoozes(db, now)
        for item_id in due:
            item_changes.wake(db, item_id, now)
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


@record
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


@record
class ItemDetail:
    item: Item
    messages: list[StoredMessage]
    notes: list[Note]


def item_detail(store: Store, clock: Clock, item_id: int) -> ItemDetail:
    """One item, its messages and its notes; due snoozes are woken (and logged) first."""
    wake_due(store, clock)
    return read_detail(store, clock, item_id)


def inbox_ids(store: Store, clock: Clock, f: ItemFilter) -> list[int]:
    """The ids of the items matching ``f``, in listing order, for a screen that shows a slice.

    Only reads: due snoozes already count as open here; the next sync or
    ``list_inbox`` logs their waking.
    """
    return queue.item_ids(store.conn, f, clock.now())


def items_by_id(store: Store, clock: Clock, ids: list[int]) -> dict[int, Item]:
    """The items with these ids, as ``list_inbox`` shows them (only reads)."""
    return queue.items_by_id(store.conn, ids, clock.now())


def read_detail(store: Store, clock: Clock, item_id: int) -> ItemDetail:
    """Like ``item_detail``, without waking due snoozes: it never waits for the write lock."""
    item = require_item(store, item_id, clock)
    return ItemDetail(
        item,
        queue.messages(store.conn, item_id),
        log.notes(store.conn, [item_id]).get(item_id, []),
    )


# A link in a message body, up to what usually ends one in prose.
_LINK = r"https?://[^\s<>\"'`]+"  # compiled when first used, by re


def thread_links(detail: ItemDetail) -> list[str]:
    """Every link in the conversation, each once: the item's own, each message's, then
    those written in the messages, in order."""
    links = [detail.item.url or ""]
    links += [m.message.url or "" for m in detail.messages]
    for stored in detail.messages:
        links += [link.rstrip(".,;:!?)]}*_") for link in re.findall(_LINK, stored.message.body)]
    links += [
        link.rstrip(".,;:!?)]}*_") for note in detail.notes for link in re.findall(_LINK, note.body)
    ]
    return [link for link in dict.fromkeys(links) if link]


# The screens' views of the queue, as `hero inbox` flags would ask for them.
VIEWS: dict[str, ItemFilter] = {
    "on us": ItemFilter(),
    "on them": ItemFilter(waiting=Waiting.THEM),
    "snoozed": ItemFilter(states=(ItemState.SNOOZED,), waiting=None),
    "closed": ItemFilter(states=(ItemState.CLOSED,), waiting=None),
    "all": ItemFilter(states=(), waiting=None),
}


def refine(f: ItemFilter, words: str, me: str | None) -> ItemFilter:
    """``f`` narrowed by search words, the filters of `hero inbox` in one line.

    ``mine``, ``@MEMBER``, ``channel:NAME``, ``label:NAME``; the other words are
    the text to look for (``--search``). Empty words clear every refinement.
    """
    channels: list[str] = []
    assignee: str | None = None
    label: str | None = None
    text: list[str] = []
    for word in words.split():
        key, colon, value = word.partition(":")
        if word.lower() == "mine":
            if not me:
                raise UsageError('"mine" needs [hero] me = "Your Name" in the config')
            assignee = me
        elif word.startswith("@") and len(word) > 1:
            assignee = word[1:]
        elif colon and value and key.lower() in ("channel", "chan"):
            channels.append(value)
        elif colon and value and key.lower() == "label":
            label = value
        else:
            text.append(word)
    return replace(
        f,
        channels=tuple(channels),
        assignee=assignee,
        label=label,
        search=" ".join(text) or None,
    )


def resolve_filter(
    store: Store, f: ItemFilter, *, channels: Iterable[str], members: Iterable[TeamMember]
) -> ItemFilter:
    """``f`` with its channel, assignee and label names checked and spelled as the queue
    spells them; an unknown name is a ``NotFoundError`` listing the names there are.

    ``channels`` are the configured ones and ``members`` the team; the queue adds the
    channels, labels and assignees it already holds.
    """
    # Each kind of name costs a scan of the queue: read only those the filter names.
    given = (("channel", f.channels or None), ("assignee", f.assignee), ("label", f.label))
    kinds = [kind for kind, value in given if value is not None]
    held = queue.known_names(store.conn, kinds) if kinds else {}
    out = f
    if f.channels:
        known_channels = sorted({*channels, *held["channel"]})
        out = replace(f, channels=tuple(_one_of(c, known_channels, "channel") for c in f.channels))
    if f.assignee is not None:
        team = [m.name for m in members]
        by_login = {m.github.casefold(): m.name for m in members if m.github}
        name = by_login.get(f.assignee.casefold()) or f.assignee
        out = replace(
            out, assignee=_one_of(name, sorted({*team, *held["assignee"]}), "team member")
        )
    if f.label is not None:
        out = replace(out, label=_one_of(f.label, held["label"], "label"))
    return out


def _one_of(name: str, known: list[str], what: str) -> str:
    exact = [k for k in known if k == name] or [k for k in known if k.casefold() == name.casefold()]
    if exact:
        return exact[0]
    raise NotFoundError(
        f"no {what} {name!r}", hint=f"{what}s: {', '.join(known) if known else 'none yet'}"
    )


def completion_names(
    store: Store, clock: Clock, *, channels: Iterable[str], members: Iterable[TeamMember]
) -> dict[str, list[str]]:
    """What a shell can complete: open and snoozed item numbers (longest wait first),
    team members, labels and channels."""
    held = queue.known_names(store.conn)
    live = ItemFilter(states=(ItemState.OPEN, ItemState.SNOOZED), waiting=None, limit=200)
    return {
        "item": [str(i) for i in queue.item_ids(store.conn, live, clock.now())],
        "member": [m.name for m in members],
        "label": held["label"],
        "channel": sorted({*channels, *held["channel"]}),
    }
