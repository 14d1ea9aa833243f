"""Items and their messages: local state changes, derived fields, and the queries the screens ask."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from herocli.models import (
    Attachment,
    Delivery,
    EventKind,
    Item,
    ItemState,
    Message,
    RemoteState,
    StoredMessage,
    Waiting,
)
from herocli.records import record
from herocli.store import log
from herocli.store.timefmt import from_db, maybe_from_db, to_db


def set_state(
    db: sqlite3.Connection,
    item_id: int,
    state: ItemState,
    at: datetime,
    *,
    actor: str | None,
    snoozed_until: datetime | None = None,
    why: str | None = None,
    reason: str | None = None,
) -> None:
    """Change an item's local state and log it."""
    closed_at = to_db(at) if state is ItemState.CLOSED else None
    db.execute(
        "UPDATE items SET state = ?, snoozed_until = ?, closed_at = ?, updated_at = ? WHERE id = ?",
        (
            state.value,
            to_db(snoozed_until) if snoozed_until else None,
            closed_at,
            to_db(at),
            item_id,
        ),
    )
    kind = {
        ItemState.CLOSED: EventKind.CLOSED,
        ItemState.SNOOZED: EventKind.SNOOZED,
        ItemState.OPEN: EventKind.REOPENED,
    }[state]
    detail: dict[str, Any] = {}
    if snoozed_until:
        detail["until"] = to_db(snoozed_until)
    if why:
        detail["why"] = why
    if reason:
        detail["reason"] = reason
    log.record(db, item_id, kind, at, actor, detail)


def wake(db: sqlite3.Connection, item_id: int, at: datetime) -> None:
    """Record the end of a snooze whose time came, and open the item."""
    db.execute(
        "UPDATE items SET state = 'open', snoozed_until = NULL, updated_at = ? WHERE id = ?",
        (to_db(at), item_id),
    )
    log.record(db, item_id, EventKind.WOKE, at, None, {"why": "time"})


def refresh_summary(db: sqlite3.Connection, item_id: int) -> None:
    """Derive whose turn it is, and since when, from the item's messages.

    A message between teammates (a ping, ``internal``) and a reply whose send is
    uncertain or was dropped (``delivery``) are counted but do not change whose turn
    it is: the customer still waits on us.
    """
    everything = db.execute(
        "SELECT sent_at, from_team, COALESCE(sent_by, author_name) AS author_name, author_id, "
        "internal, delivery FROM messages WHERE item_id = ? AND deleted = 0 ORDER BY sent_at, id",
        (item_id,),
    ).fetchall()
    spoken = [row for row in everything if not row["internal"]] or everything
    rows = [row for row in spoken if row["delivery"] is None] or spoken
    uncertain = any(row["delivery"] == Delivery.UNCERTAIN.value for row in everything)
    if not rows:
        db.execute(
            "UPDATE items SET message_count = 0, first_message_at = NULL, last_message_at = NULL, "
            "last_author = NULL, last_from_team = NULL, waiting_since = NULL, "
            "reply_uncertain = 0 WHERE id = ?",
            (item_id,),
        )
        return
    last = rows[-1]
    waiting_since = None
    if not last["from_team"]:
        for row in reversed(rows):
            if row["from_team"]:
                break
            waiting_since = row["sent_at"]
    db.execute(
        "UPDATE items SET message_count = ?, first_message_at = ?, last_message_at = ?, "
        "last_author = ?, last_from_team = ?, waiting_since = ?, reply_uncertain = ? WHERE id = ?",
        (
            len(everything),
            spoken[0]["sent_at"],
            last["sent_at"],
            last["author_name"] or last["author_id"],
            last["from_team"],
            waiting_since,
            int(uncertain),
            item_id,
        ),
    )


def set_labels(db: sqlite3.Connection, item_id: int, labels: Iterable[str]) -> None:
    db.execute("DELETE FROM labels WHERE item_id = ?", (item_id,))
    db.executemany(
        "INSERT OR IGNORE INTO labels (item_id, name) VALUES (?, ?)",
        [(item_id, name) for name in labels],
    )


def labels_of(db: sqlite3.Connection, item_id: int) -> tuple[str, ...]:
    """The item's labels, by name."""
    return _labels_for(db, [item_id]).get(item_id, ())


def set_assignee(db: sqlite3.Connection, item_id: int, assignee: str | None, at: datetime) -> None:
    db.execute(
        "UPDATE items SET assignee = ?, updated_at = ? WHERE id = ?", (assignee, to_db(at), item_id)
    )


def follow_upstream_assignee(
    db: sqlite3.Connection,
    item_id: int,
    logins: tuple[str, ...],
    names: tuple[str, ...],
    at: datetime,
    actor: str,
) -> bool:
    """Take the source's assignees (``logins``, read here as ``names``) when they changed there.

    Unchanged upstream, the local assignee stays (a member assigned only
    here, say). Changed, the local one stays if it is among them; else the
    first of them (``names`` puts team members first), or nobody.
    Returns whether the assignee changed.
    """
    row = db.execute("SELECT assignee, meta FROM items WHERE id = ?", (item_id,)).fetchone()
    meta = json.loads(row["meta"])
    seen = meta.get("upstream_assignees")
    if seen == list(logins):
        return False
    meta["upstream_assignees"] = list(logins)
    current = row["assignee"]
    if (seen is None and not logins) or current in names:
        chosen = current
    else:
        chosen = names[0] if names else None
    db.execute(
        "UPDATE items SET assignee = ?, meta = ?, updated_at = ? WHERE id = ?",
        (chosen, json.dumps(meta), to_db(at), item_id),
    )
    if chosen == current:
        return False
    log.record(db, item_id, EventKind.ASSIGNED, at, actor, {"to": chosen, "from": current})
    return True


# --- reading ---------------------------------------------------------------------------------

# The columns ``_item`` reads, in this order, from the start of a row (a listing adds one).
_ITEM_COLUMNS = (
    "i.id, i.channel, i.external_id, i.title, i.url, i.state, i.snoozed_until, i.remote_state, "
    "i.assignee, i.created_at, i.updated_at, i.closed_at, i.message_count, i.first_message_at, "
    "i.last_message_at, i.last_author, i.last_from_team, i.waiting_since, i.meta, "
    "i.reply_uncertain"
)
_ITEM_WIDTH = _ITEM_COLUMNS.count(",") + 1


def _tuples(db: sqlite3.Connection, sql: str, params: Iterable[Any]) -> sqlite3.Cursor:
    """``sql``'s rows as plain tuples: a listing reads each item's columns by position,
    which costs a fraction of looking each up by name in a ``sqlite3.Row``."""
    cursor = db.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, tuple(params))


# Longest wait first, then least recently active: the order of the items_queue_unmerged
# index, by the names of a listing's result columns (``_UNSET_WAIT`` among them).
_ORDER = "unset_wait, waiting_since, last_message_at, id"
_UNSET_WAIT = "i.waiting_since IS NULL AS unset_wait"


@record
class ItemFilter:
    """What `hero inbox` asks for. ``states`` are effective states (due snoozes count as open)."""

    states: tuple[ItemState, ...] = (ItemState.OPEN,)
    waiting: Waiting | None = Waiting.US
    channels: tuple[str, ...] = ()
    assignee: str | None = None
    unassigned: bool = False
    label: str | None = None
    search: str | None = None
    limit: int | None = None


def _slices(f: ItemFilter, now: datetime) -> list[tuple[str, list[Any]]]:
    """The items ``f`` matches as disjoint slices of the queue: a condition and its parameters each.

    A due snooze counts as open. Every other slice is one value of ``state``, so with
    a side waiting it is one range of items_queue_unmerged, read in listing order:
    a listing stops at its limit instead of sorting every match. Due snoozes are few
    and found by their time (the unary plus keeps the planner off the queue index,
    which would walk every snoozed item to find them).
    """
    merged = "i.merged_into IS NULL"  # a merged item lives on in another
    when = to_db(now)
    slices: list[tuple[str, list[Any]]] = []
    for state in dict.fromkeys(f.states):
        if state is ItemState.OPEN:
            slices.append((f"{merged} AND i.state = 'open'", []))
            slices.append((f"+{merged} AND i.state = 'snoozed' AND i.snoozed_until <= ?", [when]))
        elif state is ItemState.SNOOZED:
            slices.append((f"{merged} AND i.state = 'snoozed' AND i.snoozed_until > ?", [when]))
        else:
            slices.append((f"{merged} AND i.state = 'closed'", []))
    clauses, params = _narrowing(f)
    return [
        (" AND ".join([state, *clauses]), [*values, *params])
        for state, values in slices or [(merged, [])]
    ]


def _narrowing(f: ItemFilter) -> tuple[list[str], list[Any]]:
    """The conditions of ``f`` other than state, and their parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if f.waiting is Waiting.US:
        clauses.append("i.last_from_team = 0")
    elif f.waiting is Waiting.THEM:
        clauses.append("i.last_from_team = 1")
    if f.channels:
        clauses.append(f"i.channel IN ({','.join('?' * len(f.channels))})")
        params.extend(f.channels)
    if f.assignee is not None:
        clauses.append("i.assignee = ? COLLATE NOCASE")
        params.append(f.assignee)
    if f.unassigned:
        clauses.append("i.assignee IS NULL")
    if f.label is not None:
        clauses.append("EXISTS (SELECT 1 FROM labels l WHERE l.item_id = i.id AND l.name = ?)")
        params.append(f.label)
    if f.search:
        pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(i.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
            "WHERE m.item_id = i.id AND m.body LIKE ? ESCAPE '\\'))"
        )
        params.extend([pattern, pattern])
    return clauses, params


def _listing(columns: str, f: ItemFilter, now: datetime) -> tuple[str, list[Any]]:
    """One statement for ``columns`` of the items ``f`` matches, in listing order."""
    selects, params = [], []
    for where, values in _slices(f, now):
        selects.append(f"SELECT {columns}, {_UNSET_WAIT} FROM items i WHERE {where}")
        params += values
    sql = " UNION ALL ".join(selects) + f" ORDER BY {_ORDER}"
    if f.limit:
        sql += " LIMIT ?"
        params.append(f.limit)
    return sql, params


def list_items(db: sqlite3.Connection, f: ItemFilter, now: datetime) -> list[Item]:
    """Items matching ``f``: longest wait first, then least recently active."""
    return list(iter_items(db, f, now))


def iter_items(
    db: sqlite3.Connection, f: ItemFilter, now: datetime, batch: int = 500
) -> Iterator[Item]:
    """Like ``list_items``, a batch at a time, so a listing of the whole queue stays small."""
    cursor = _tuples(db, *_listing(_ITEM_COLUMNS, f, now))
    while rows := cursor.fetchmany(batch):
        labels = _labels_for(db, [row[0] for row in rows])
        yield from (_item(row, labels.get(row[0], ()), now) for row in rows)


def item_ids(db: sqlite3.Connection, f: ItemFilter, now: datetime) -> list[int]:
    """The ids of the items matching ``f``, in listing order: cheap even for a whole queue."""
    sql, params = _listing("i.id, i.waiting_since, i.last_message_at", f, now)
    return [int(row[0]) for row in db.execute(sql, params)]


def items_by_id(db: sqlite3.Connection, ids: list[int], now: datetime) -> dict[int, Item]:
    """The items with these ids (those that still exist), for a screen showing a slice."""
    out: dict[int, Item] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = _tuples(
            db,
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        labels = _labels_for(db, [row[0] for row in rows])
        out.update((row[0], _item(row, labels.get(row[0], ()), now)) for row in rows)
    return out


def count_items(db: sqlite3.Connection, f: ItemFilter, now: datetime) -> int:
    """How many items ``f`` matches, its limit aside."""
    return sum(
        int(db.execute(f"SELECT COUNT(*) FROM items i WHERE {where}", params).fetchone()[0])
        for where, params in _slices(f, now)
    )


def get_item(db: sqlite3.Connection, item_id: int, now: datetime) -> Item | None:
    row = _tuples(db, f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.id = ?", (item_id,)).fetchone()
    if row is None:
        return None
    return _item(row, _labels_for(db, [item_id]).get(item_id, ()), now)


_NAMES = {
    "channel": "SELECT DISTINCT channel FROM items",
    "label": "SELECT DISTINCT name FROM labels",
    "assignee": "SELECT DISTINCT assignee FROM items WHERE assignee IS NOT NULL",
}


def known_names(
    db: sqlite3.Connection, kinds: Iterable[str] = tuple(_NAMES)
) -> dict[str, list[str]]:
    """The channels, labels and assignees the queue holds, each sorted: what filters can name.

    Each kind is a scan of the whole queue: ask only for the ``kinds`` a filter names.
    """
    return {kind: sorted(row[0] for row in db.execute(_NAMES[kind])) for kind in kinds}


def due_snoozes(db: sqlite3.Connection, now: datetime) -> list[int]:
    rows = db.execute(
        "SELECT id FROM items WHERE state = 'snoozed' AND snoozed_until <= ?", (to_db(now),)
    )
    return [int(row[0]) for row in rows]


def messages(db: sqlite3.Connection, item_id: int) -> list[StoredMessage]:
    """The item's messages, oldest first (deleted ones included, flagged)."""
    rows = db.execute(
        "SELECT * FROM messages WHERE item_id = ? ORDER BY sent_at, id", (item_id,)
    ).fetchall()
    return [
        StoredMessage(
            id=row["id"],
            item_id=item_id,
            from_team=bool(row["from_team"]),
            internal=bool(row["internal"]),
            sent_by=row["sent_by"],
            delivery=Delivery(row["delivery"]) if row["delivery"] else None,
            message=Message(
                external_id=row["external_id"],
                author_id=row["author_id"],
                author_name=row["author_name"],
                sent_at=from_db(row["sent_at"]),
                body=row["body"],
                url=row["url"],
                deleted=bool(row["deleted"]),
                edited_at=maybe_from_db(row["edited_at"]),
                attachments=tuple(Attachment(**a) for a in json.loads(row["attachments"])),
                meta=json.loads(row["meta"]),
            ),
        )
        for row in rows
    ]


def _labels_for(db: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(
            f"SELECT item_id, name FROM labels WHERE item_id IN ({','.join('?' * len(chunk))}) "
            "ORDER BY name",
            chunk,
        )
        for item_id, name in rows:
            out.setdefault(item_id, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


def _item(row: tuple[Any, ...], labels: tuple[str, ...], now: datetime) -> Item:
    (
        id_,
        channel,
        external_id,
        title,
        url,
        state_text,
        snoozed_text,
        remote_state,
        assignee,
        created_at,
        updated_at,
        closed_at,
        message_count,
        first_message_at,
        last_message_at,
        last_author,
        last_from_team,
        waiting_since,
        meta,
        reply_uncertain,
    ) = row[:_ITEM_WIDTH]
    state = ItemState(state_text)
    snoozed_until = maybe_from_db(snoozed_text)
    if state is ItemState.SNOOZED and snoozed_until is not None and snoozed_until <= now:
        state = ItemState.OPEN
    return Item(
        id=id_,
        channel=channel,
        external_id=external_id,
        title=title,
        url=url,
        state=state,
        snoozed_until=snoozed_until if state is ItemState.SNOOZED else None,
        remote_state=RemoteState(remote_state) if remote_state else None,
        assignee=assignee,
        labels=labels,
        created_at=from_db(created_at),
        updated_at=from_db(updated_at),
        closed_at=maybe_from_db(closed_at),
        message_count=message_count,
        first_message_at=maybe_from_db(first_message_at),
        last_message_at=maybe_from_db(last_message_at),
        last_author=last_author,
        last_from_team=None if last_from_team is None else bool(last_from_team),
        waiting_since=maybe_from_db(waiting_since),
        meta=json.loads(meta),
        reply_uncertain=bool(reply_uncertain),
    )
