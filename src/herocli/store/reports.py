"""The queries behind `hero stats` and `hero handoff`: facts over a time window, no arithmetic.

Every function takes a window ``start <= t < end`` (UTC) and optional channel names;
the services turn the rows into numbers. Only plain SQL: no JSON functions, no
SQLite-only date maths, so the same queries run on PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herocli.store.timefmt import from_db, maybe_from_db, to_db


@dataclass(frozen=True)
class NewItem:
    """An item whose first message falls in the window, and when the team first answered."""

    id: int
    channel: str
    first_message_at: datetime
    opened_by_team: bool  # the first message is the team's own (nothing to answer)
    first_reply_at: datetime | None  # the first team message after the first message


@dataclass(frozen=True)
class ClosedItem:
    """An item whose last close before the window's end falls in the window (and stayed closed)."""

    id: int
    channel: str
    title: str
    url: str | None
    first_message_at: datetime | None
    closed_at: datetime
    closed_by: str | None
    reason: str | None


@dataclass(frozen=True)
class Assignment:
    at: datetime
    item_id: int
    channel: str
    to: str | None
    previous: str | None
    why: str | None = None  # "handoff" for the week's carry-over reassignments


@dataclass(frozen=True)
class ReplyCount:
    channel: str
    author_id: str
    author_name: str
    count: int
    sent_by: str | None = None  # the member who sent them through hero


@dataclass(frozen=True)
class LastMessage:
    item_id: int
    author_id: str
    author_name: str
    from_team: bool
    sent_at: datetime
    body: str


def _channels(column: str, channels: Sequence[str]) -> tuple[str, list[Any]]:
    if not channels:
        return "", []
    return f" AND {column} IN ({','.join('?' * len(channels))})", list(channels)


def new_items(
    db: sqlite3.Connection, start: datetime, end: datetime, channels: Sequence[str] = ()
) -> list[NewItem]:
    """Items whose first message is in the window, oldest first."""
    where, params = _channels("i.channel", channels)
    rows = db.execute(
        "SELECT i.id, i.channel, i.first_message_at, "
        "(SELECT f.from_team FROM messages f WHERE f.item_id = i.id AND f.deleted = 0 "
        " ORDER BY f.sent_at, f.id LIMIT 1) AS opened_by_team, "
        "(SELECT MIN(r.sent_at) FROM messages r WHERE r.item_id = i.id AND r.deleted = 0 "
        " AND r.from_team = 1 AND r.internal = 0 AND r.delivery IS NULL "
        " AND r.sent_at >= i.first_message_at) "
        "AS first_reply_at "
        "FROM items i WHERE i.first_message_at >= ? AND i.first_message_at < ?"
        f"{where} ORDER BY i.first_message_at, i.id",
        [to_db(start), to_db(end), *params],
    ).fetchall()
    return [
        NewItem(
            id=row[0],
            channel=row[1],
            first_message_at=from_db(row[2]),
            opened_by_team=bool(row[3]),
            first_reply_at=maybe_from_db(row[4]),
        )
        for row in rows
    ]


def closed_items(
    db: sqlite3.Connection, start: datetime, end: datetime, channels: Sequence[str] = ()
) -> list[ClosedItem]:
    """Items closed in the window and not reopened before its end; the last such close counts.

    Read from the event log, so an item closed, reopened and closed again is
    counted once, at its final close, and the answer does not change later.
    """
    where, params = _channels("i.channel", channels)
    rows = db.execute(
        "SELECT i.id, i.channel, i.title, i.url, i.first_message_at, e.at, e.actor, e.detail "
        "FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE e.kind = 'closed' AND e.at >= ? AND e.at < ?"
        f"{where} AND NOT EXISTS (SELECT 1 FROM events later WHERE later.item_id = e.item_id "
        " AND later.kind IN ('closed', 'reopened') AND later.at < ? "
        " AND (later.at > e.at OR (later.at = e.at AND later.id > e.id))) "
        "ORDER BY e.at, e.id",
        [to_db(start), to_db(end), *params, to_db(end)],
    ).fetchall()
    out = []
    for row in rows:
        detail = json.loads(row[7] or "{}")
        out.append(
            ClosedItem(
                id=row[0],
                channel=row[1],
                title=row[2],
                url=row[3],
                first_message_at=maybe_from_db(row[4]),
                closed_at=from_db(row[5]),
                closed_by=row[6],
                reason=detail.get("reason") if isinstance(detail, dict) else None,
            )
        )
    return out


def assignments(
    db: sqlite3.Connection, start: datetime, end: datetime, channels: Sequence[str] = ()
) -> list[Assignment]:
    """Assignment events in the window, oldest first (who was roped in)."""
    where, params = _channels("i.channel", channels)
    rows = db.execute(
        "SELECT e.at, e.item_id, i.channel, e.detail FROM events e JOIN items i ON i.id = e.item_id "
        f"WHERE e.kind = 'assigned' AND e.at >= ? AND e.at < ?{where} ORDER BY e.at, e.id",
        [to_db(start), to_db(end), *params],
    ).fetchall()
    out = []
    for row in rows:
        detail = json.loads(row[3] or "{}")
        if not isinstance(detail, dict):
            detail = {}
        out.append(
            Assignment(
                from_db(row[0]),
                row[1],
                row[2],
                detail.get("to"),
                detail.get("from"),
                detail.get("why"),
            )
        )
    return out


def team_replies(
    db: sqlite3.Connection, start: datetime, end: datetime, channels: Sequence[str] = ()
) -> list[ReplyCount]:
    """How many messages each team author wrote in the window, per channel."""
    where, params = _channels("i.channel", channels)
    rows = db.execute(
        "SELECT i.channel, m.author_id, MIN(m.author_name), COUNT(*), m.sent_by "
        "FROM messages m JOIN items i ON i.id = m.item_id "
        "WHERE m.from_team = 1 AND m.internal = 0 AND m.deleted = 0 AND m.delivery IS NULL "
        "AND m.sent_at >= ? AND m.sent_at < ?"
        f"{where} GROUP BY i.channel, m.author_id, m.sent_by "
        "ORDER BY i.channel, m.author_id, m.sent_by",
        [to_db(start), to_db(end), *params],
    ).fetchall()
    return [ReplyCount(row[0], row[1], row[2], row[3], row[4]) for row in rows]


def top_labels(
    db: sqlite3.Connection,
    start: datetime,
    end: datetime,
    channels: Sequence[str] = (),
    limit: int = 10,
) -> list[tuple[str, int]]:
    """The labels of the window's new items, most used first."""
    where, params = _channels("i.channel", channels)
    rows = db.execute(
        "SELECT l.name, COUNT(*) AS n FROM labels l JOIN items i ON i.id = l.item_id "
        f"WHERE i.first_message_at >= ? AND i.first_message_at < ?{where} "
        "GROUP BY l.name ORDER BY n DESC, l.name LIMIT ?",
        [to_db(start), to_db(end), *params, limit],
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def last_messages(db: sqlite3.Connection, item_ids: Sequence[int]) -> dict[int, LastMessage]:
    """The latest (not deleted) message of each item that decides whose turn it is.

    As ``item_changes.refresh_summary`` reads it: a message between teammates, or a
    reply whose send is uncertain or was dropped, is passed over for the latest
    one that counts, when there is one.
    """
    out: dict[int, LastMessage] = {}
    ids = list(item_ids)
    for first in range(0, len(ids), 500):
        chunk = ids[first : first + 500]
        rows = db.execute(
            "SELECT m.item_id, m.author_id, m.author_name, m.from_team, m.sent_at, m.body "
            f"FROM messages m WHERE m.item_id IN ({','.join('?' * len(chunk))}) "
            "AND m.id = (SELECT l.id FROM messages l WHERE l.item_id = m.item_id "
            "AND l.deleted = 0 ORDER BY l.internal, l.delivery IS NOT NULL, "
            "l.sent_at DESC, l.id DESC LIMIT 1)",
            chunk,
        ).fetchall()
        for row in rows:
            out[row[0]] = LastMessage(row[0], row[1], row[2], bool(row[3]), from_db(row[4]), row[5])
    return out
