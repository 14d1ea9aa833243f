"""The event log: what happened to which item, when, by whom. Stats and the handoff read it."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from herocli.models import Note
from herocli.store.timefmt import from_db, to_db

if TYPE_CHECKING:
    # Imported where an event is made: `hero show` reads notes here, and never an event.
    from herocli.events import Event, EventKind

#: One event to record: item, kind, when, who, detail.
EventRow = tuple[int | None, "EventKind", datetime, str | None, Mapping[str, Any] | None]

_INSERT = "INSERT INTO events (item_id, kind, at, actor, detail) VALUES (?, ?, ?, ?, ?)"


def record(
    db: sqlite3.Connection,
    item_id: int | None,
    kind: EventKind,
    at: datetime,
    actor: str | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one event to the log."""
    record_all(db, [(item_id, kind, at, actor, detail)])


def record_all(db: sqlite3.Connection, rows: list[EventRow]) -> None:
    """Add ``rows`` to the log in order, in one statement (a sync records thousands)."""
    if not rows:
        return
    import json  # here: a listing, which imports this module, never writes JSON

    # Rows often share one detail mapping: it is written as JSON once.
    encoded: dict[int, str] = {}
    values = []
    for item_id, kind, at, actor, detail in rows:
        key = id(detail)
        if key not in encoded:
            encoded[key] = json.dumps(dict(detail or {}))
        values.append((item_id, kind.value, to_db(at), actor, encoded[key]))
    db.executemany(_INSERT, values)


def item_events(db: sqlite3.Connection, item_id: int) -> list[Event]:
    rows = db.execute(
        "SELECT * FROM events WHERE item_id = ? ORDER BY at, id", (item_id,)
    ).fetchall()
    return [_event(row) for row in rows]


def events_between(
    db: sqlite3.Connection, start: datetime, end: datetime, kinds: tuple[EventKind, ...] = ()
) -> list[Event]:
    """Events with start <= at < end, oldest first, optionally of some kinds only."""
    sql = "SELECT * FROM events WHERE at >= ? AND at < ?"
    params: list[Any] = [to_db(start), to_db(end)]
    if kinds:
        sql += f" AND kind IN ({','.join('?' * len(kinds))})"
        params.extend(k.value for k in kinds)
    rows = db.execute(sql + " ORDER BY at, id", params).fetchall()
    return [_event(row) for row in rows]


def _event(row: sqlite3.Row) -> Event:
    import json  # here, as in record_all

    from herocli.events import Event, EventKind

    return Event(
        id=row["id"],
        item_id=row["item_id"],
        kind=EventKind(row["kind"]),
        at=from_db(row["at"]),
        actor=row["actor"],
        detail=json.loads(row["detail"]),
    )


def add_note(
    db: sqlite3.Connection, item_id: int, at: datetime, author: str | None, body: str
) -> int:
    from herocli.events import EventKind

    cur = db.execute(
        "INSERT INTO notes (item_id, at, author, body) VALUES (?, ?, ?, ?)",
        (item_id, to_db(at), author, body),
    )
    record(db, item_id, EventKind.NOTED, at, author)
    return int(cur.lastrowid or 0)


def notes(db: sqlite3.Connection, item_ids: list[int]) -> dict[int, list[Note]]:
    """Notes of each item, oldest first."""
    out: dict[int, list[Note]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        rows = db.execute(
            f"SELECT * FROM notes WHERE item_id IN ({','.join('?' * len(chunk))}) ORDER BY at, id",
            chunk,
        )
        for row in rows:
            out.setdefault(row["item_id"], []).append(
                Note(row["id"], row["item_id"], from_db(row["at"]), row["author"], row["body"])
            )
    return out
