"""The outbox: every write to a channel is a row here before it is attempted."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from herocli.redact import redact
from herocli.store.timefmt import from_db, maybe_from_db, to_db


class OutboxState(StrEnum):
    PENDING = "pending"  # written, not yet known to be sent
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; `hero outbox retry` tries again
    CANCELLED = "cancelled"


class Op(StrEnum):
    REPLY = "reply"
    CLOSE = "close"
    REOPEN = "reopen"
    ASSIGN = "assign"
    LABELS = "labels"
    POST = "post"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    key: str
    item_id: int | None
    channel: str
    op: Op
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_id: str | None
    sent_at: datetime | None


def add(
    db: sqlite3.Connection,
    *,
    key: str,
    item_id: int | None,
    channel: str,
    op: Op,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    cur = db.execute(
        "INSERT INTO outbox (key, item_id, channel, op, payload, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key, item_id, channel, op.value, json.dumps(payload), to_db(at), to_db(at)),
    )
    return int(cur.lastrowid or 0)


def get(db: sqlite3.Connection, entry_id: int) -> OutboxEntry | None:
    row = db.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    return _entry(row) if row else None


def unsent(db: sqlite3.Connection) -> list[OutboxEntry]:
    """Pending and failed entries, in the order they were written."""
    rows = db.execute(
        "SELECT * FROM outbox WHERE state IN ('pending', 'failed') ORDER BY id"
    ).fetchall()
    return [_entry(row) for row in rows]


def open_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many entries are in each state that still needs someone (not sent, not cancelled)."""
    rows = db.execute(
        "SELECT state, COUNT(*) FROM outbox WHERE state NOT IN ('sent', 'cancelled', 'superseded') "
        "GROUP BY state ORDER BY state"
    )
    return {str(row[0]): int(row[1]) for row in rows}


def recent(db: sqlite3.Connection, limit: int) -> list[OutboxEntry]:
    rows = db.execute("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_entry(row) for row in rows]


def origins(
    db: sqlite3.Connection, channel: str, sent_ids: list[str]
) -> dict[str, tuple[Op, dict[str, Any]]]:
    """For messages hero sent: the op and payload of the outbox entry, by the sent message's id."""
    out: dict[str, tuple[Op, dict[str, Any]]] = {}
    for start in range(0, len(sent_ids), 500):
        chunk = sent_ids[start : start + 500]
        rows = db.execute(
            f"SELECT sent_id, op, payload FROM outbox WHERE channel = ? AND state = 'sent' "
            f"AND sent_id IN ({','.join('?' * len(chunk))})",
            [channel, *chunk],
        )
        for sent_id, op, payload in rows:
            out[sent_id] = (Op(op), json.loads(payload))
    return out


def mark_attempt(db: sqlite3.Connection, entry_id: int, at: datetime) -> None:
    """Recorded before the channel is called: after a crash, attempts > 0 says 'look first'."""
    db.execute(
        "UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE id = ?",
        (to_db(at), entry_id),
    )


def mark_sent(
    db: sqlite3.Connection, entry_id: int, sent_id: str | None, sent_at: datetime, at: datetime
) -> None:
    db.execute(
        "UPDATE outbox SET state = 'sent', sent_id = ?, sent_at = ?, last_error = NULL, "
        "updated_at = ? WHERE id = ?",
        (sent_id, to_db(sent_at), to_db(at), entry_id),
    )


def mark_failed(db: sqlite3.Connection, entry_id: int, error: str, at: datetime) -> None:
    db.execute(
        "UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
        (redact(error), to_db(at), entry_id),
    )


def cancel(db: sqlite3.Connection, entry_id: int, at: datetime) -> None:
    db.execute(
        "UPDATE outbox SET state = 'cancelled', updated_at = ? WHERE id = ? AND state != 'sent'",
        (to_db(at), entry_id),
    )


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        key=row["key"],
        item_id=row["item_id"],
        channel=row["channel"],
        op=Op(row["op"]),
        payload=json.loads(row["payload"]),
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        sent_id=row["sent_id"],
        sent_at=maybe_from_db(row["sent_at"]),
    )
