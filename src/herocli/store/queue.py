"""Items and their messages as the screens ask for them. Changes to items are in
``store.item_changes``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from herocli.models import (
    Attachment,
    Delivery,
    Item,
    ItemState,
    Message,
    StoredMessage,
    Waiting,
)
from herocli.records import record
from herocli.store.item_rows import ITEM_COLUMNS, item_from_row
from herocli.store.timefmt import from_db, maybe_from_db, to_db


def labels_of(db: sqlite3.Connection, item_id: int) -> tuple[str, ...]:
    """The item's labels, by name."""
    return _labels_for(db, [item_id]).get(item_id, ())


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
    cursor = _tuples(db, *_listing(ITEM_COLUMNS, f, now))
    while rows := cursor.fetchmany(batch):
        labels = _labels_for(db, [row[0] for row in rows])
        yield from (item_from_row(row, labels.get(row[0], ()), now) for row in rows)


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
            f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        labels = _labels_for(db, [row[0] for row in rows])
        out.update((row[0], item_from_row(row, labels.get(row[0], ()), now)) for row in rows)
    return out


def count_items(db: sqlite3.Connection, f: ItemFilter, now: datetime) -> int:
    """How many items ``f`` matches, its limit aside."""
    return sum(
        int(db.execute(f"SELECT COUNT(*) FROM items i WHERE {where}", params).fetchone()[0])
        for where, params in _slices(f, now)
    )


def get_item(db: sqlite3.Connection, item_id: int, now: datetime) -> Item | None:
    row = _tuples(db, f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ?", (item_id,)).fetchone()
    if row is None:
        return None
    return item_from_row(row, _labels_for(db, [item_id]).get(item_id, ()), now)


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
    import json  # here: a listing never decodes JSON (see store.item_rows)

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
