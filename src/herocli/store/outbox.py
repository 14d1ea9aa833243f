"""The outbox: every write to a channel is a row here before it is attempted.

This module writes entries, reads them and records how a send ended;
``store.outbox_claims`` takes them for sending.
"""

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
    PENDING = "pending"  # written, not yet tried
    SENDING = "sending"  # claimed by a process under a lease; may have reached the channel
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; `hero outbox retry` tries again
    UNCERTAIN = "uncertain"  # may have reached the customer; resent only when told
    SUPERSEDED = "superseded"  # a newer entry set the same field: never replayed
    DROPPED = "dropped"  # removed by the hero (`hero outbox drop`)


#: States `hero outbox` lists by default: everything not finished.
OPEN_STATES = (
    OutboxState.PENDING,
    OutboxState.SENDING,
    OutboxState.FAILED,
    OutboxState.UNCERTAIN,
)


class Op(StrEnum):
    REPLY = "reply"
    CLOSE = "close"
    REOPEN = "reopen"
    ASSIGN = "assign"
    LABELS = "labels"
    POST = "post"
    # The team mirror (see services/mirror): a parent per item, its edits, messages
    # into its thread, and the reaction confirming a relayed answer.
    MIRROR_POST = "mirror_post"
    MIRROR_EDIT = "mirror_edit"
    MIRROR_NOTE = "mirror_note"
    MIRROR_REACT = "mirror_react"


MIRROR_OPS = frozenset({Op.MIRROR_POST, Op.MIRROR_EDIT, Op.MIRROR_NOTE, Op.MIRROR_REACT})


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
    lease_owner: str | None = None
    lease_until: datetime | None = None
    batch: str | None = None

    def excerpt(self, width: int = 60) -> str:
        """The first line of what the entry says or does, at most ``width`` characters."""
        text = str(self.payload.get("body") or self.payload.get("text") or "")
        if not text:
            member = self.payload.get("member")
            labels = [f"+{x}" for x in self.payload.get("add", ())]
            labels += [f"-{x}" for x in self.payload.get("remove", ())]
            text = (
                str(member.get("name")) if isinstance(member, dict) else " ".join(labels)
            ) or self.payload.get("reason", "")
            if self.op is Op.MIRROR_REACT:
                text = f":{self.payload.get('name', '')}:"
        line = " ".join(text.split())
        return line if len(line) <= width else line[: width - 1] + "…"


def add(
    db: sqlite3.Connection,
    *,
    key: str,
    item_id: int | None,
    channel: str,
    op: Op,
    payload: dict[str, Any],
    at: datetime,
    fields: tuple[str, ...] = (),
    batch: str | None = None,
) -> int:
    """Write a pending entry; ``fields`` are what it sets on its item (newer entries win)."""
    cur = db.execute(
        "INSERT INTO outbox (key, item_id, channel, op, payload, created_at, updated_at, batch) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (key, item_id, channel, op.value, json.dumps(payload), to_db(at), to_db(at), batch),
    )
    entry_id = int(cur.lastrowid or 0)
    if item_id is not None:
        db.executemany(
            "INSERT INTO outbox_fields (entry_id, item_id, field) VALUES (?, ?, ?)",
            [(entry_id, item_id, name) for name in dict.fromkeys(fields)],
        )
    return entry_id


def add_once(db: sqlite3.Connection, *, key: str, **entry: Any) -> int | None:
    """``add`` under a key derived from what the write is for; None when that key is taken.

    Inside the caller's write transaction, so two processes deriving the same key
    write one entry between them.
    """
    if db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone():
        return None
    return add(db, key=key, **entry)


def unsent_of(db: sqlite3.Connection, ops: frozenset[Op], key_prefix: str) -> list[OutboxEntry]:
    """Unfinished entries of ``ops`` or with keys starting ``key_prefix``, oldest first."""
    marks = ", ".join("?" for _ in OPEN_STATES)
    kinds = ", ".join("?" for _ in ops)
    rows = db.execute(
        f"SELECT * FROM outbox WHERE state IN ({marks}) "
        f"AND (op IN ({kinds}) OR substr(key, 1, ?) = ?) ORDER BY id",
        [*(s.value for s in OPEN_STATES), *sorted(ops), len(key_prefix), key_prefix],
    ).fetchall()
    return [from_row(row) for row in rows]


def get(db: sqlite3.Connection, entry_id: int) -> OutboxEntry | None:
    row = db.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    return from_row(row) if row else None


def state_of(db: sqlite3.Connection, key: str) -> OutboxState | None:
    """The state of the entry written under ``key``, if there is one."""
    row = db.execute("SELECT state FROM outbox WHERE key = ?", (key,)).fetchone()
    return None if row is None else OutboxState(row[0])


def unsent(db: sqlite3.Connection) -> list[OutboxEntry]:
    """Entries not yet finished (pending, sending, failed, uncertain), oldest first."""
    marks = ", ".join("?" for _ in OPEN_STATES)
    rows = db.execute(
        f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY id",
        [s.value for s in OPEN_STATES],
    ).fetchall()
    return [from_row(row) for row in rows]


def open_counts(db: sqlite3.Connection) -> dict[str, int]:
    """How many entries are in each state that is not finished (``OPEN_STATES``)."""
    rows = db.execute(
        f"SELECT state, COUNT(*) FROM outbox WHERE state IN ({','.join('?' * len(OPEN_STATES))}) "
        "GROUP BY state ORDER BY state",
        [state.value for state in OPEN_STATES],
    )
    return {str(row[0]): int(row[1]) for row in rows}


def recent(db: sqlite3.Connection, limit: int) -> list[OutboxEntry]:
    rows = db.execute("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [from_row(row) for row in rows]


def origins(
    db: sqlite3.Connection, channel: str, sent_ids: list[str]
) -> dict[str, tuple[Op, dict[str, Any], OutboxState]]:
    """For messages hero sent, or may have sent: the op, payload and state of the outbox
    entry (sent, uncertain or dropped), by the message's id."""
    out: dict[str, tuple[Op, dict[str, Any], OutboxState]] = {}
    for start in range(0, len(sent_ids), 500):
        chunk = sent_ids[start : start + 500]
        rows = db.execute(
            "SELECT sent_id, op, payload, state FROM outbox WHERE channel = ? "
            "AND state IN ('sent', 'uncertain', 'dropped') "
            f"AND sent_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            [channel, *chunk],
        )
        for sent_id, op, payload, state in rows:
            out[sent_id] = (Op(op), json.loads(payload), OutboxState(state))
    return out


def mark_sent(
    db: sqlite3.Connection, entry_id: int, sent_id: str | None, sent_at: datetime, at: datetime
) -> None:
    """Record the entry as done and supersede older unfinished entries it overrides."""
    db.execute(
        "UPDATE outbox SET state = 'sent', sent_id = ?, sent_at = ?, last_error = NULL, "
        "lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
        (sent_id, to_db(sent_at), to_db(at), entry_id),
    )
    # An older pending or failed entry whose every field a sent newer entry sets is
    # dropped: replaying it would undo the newer write.
    db.execute(
        "UPDATE outbox SET state = 'superseded', last_error = :why, updated_at = :at "
        "WHERE state IN ('pending', 'failed') AND id < :id "
        "AND id IN (SELECT f.entry_id FROM outbox_fields f JOIN outbox_fields me "
        "   ON me.item_id = f.item_id AND me.field = f.field WHERE me.entry_id = :id) "
        "AND NOT EXISTS (SELECT 1 FROM outbox_fields mine WHERE mine.entry_id = outbox.id "
        "   AND NOT EXISTS (SELECT 1 FROM outbox_fields f JOIN outbox o ON o.id = f.entry_id "
        "       WHERE f.item_id = mine.item_id AND f.field = mine.field "
        "       AND f.entry_id > mine.entry_id AND o.state = 'sent'))",
        {"why": f"superseded by entry {entry_id}", "at": to_db(at), "id": entry_id},
    )


def mark_failed(
    db: sqlite3.Connection, entry_id: int, owner: str, error: str, at: datetime
) -> None:
    """Give the entry back as failed (only while ``owner`` still holds its lease)."""
    _release(db, entry_id, owner, OutboxState.FAILED, error, at)


def mark_uncertain(
    db: sqlite3.Connection,
    entry_id: int,
    owner: str,
    why: str,
    at: datetime,
    *,
    sent_id: str | None = None,
    sent_at: datetime | None = None,
) -> None:
    """Park the entry: it may have reached the customer; only a hero resends it.

    ``sent_id`` is the id the message has upstream if it went out (an email's
    Message-ID), ``sent_at`` when it was handed over: a sync that reads its copy
    finds the entry by it, and ``settle_sent`` records the reply at that time.
    """
    _release(db, entry_id, owner, OutboxState.UNCERTAIN, why, at)
    db.execute(
        "UPDATE outbox SET sent_id = COALESCE(?, sent_id), sent_at = COALESCE(?, sent_at) "
        "WHERE id = ? AND state = 'uncertain'",
        (sent_id, to_db(sent_at) if sent_at else None, entry_id),
    )


def settle_sent(db: sqlite3.Connection, entry_id: int, at: datetime) -> bool:
    """The hero's word that an uncertain entry did arrive: it is sent, at its own time.

    False when the entry is not uncertain.
    """
    cur = db.execute(
        "UPDATE outbox SET state = 'sent', sent_at = COALESCE(sent_at, updated_at), "
        "last_error = NULL, updated_at = ? WHERE id = ? AND state = 'uncertain'",
        (to_db(at), entry_id),
    )
    return cur.rowcount > 0


def _release(
    db: sqlite3.Connection,
    entry_id: int,
    owner: str,
    state: OutboxState,
    error: str | None,
    at: datetime,
) -> None:
    db.execute(
        "UPDATE outbox SET state = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, "
        "updated_at = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?",
        (state.value, redact(error) if error else None, to_db(at), entry_id, owner),
    )


def drop(db: sqlite3.Connection, entry_id: int, at: datetime) -> bool:
    """Remove an unfinished entry from sending for good; False when it is sent or being sent."""
    cur = db.execute(
        "UPDATE outbox SET state = 'dropped', lease_owner = NULL, lease_until = NULL, "
        "updated_at = ? WHERE id = ? AND state IN ('pending', 'failed', 'uncertain', 'superseded')",
        (to_db(at), entry_id),
    )
    return cur.rowcount > 0


def same_text(db: sqlite3.Connection, item_id: int, body: str) -> list[OutboxEntry]:
    """Unfinished entries on the item that say exactly ``body`` (a reply about to be doubled?)."""
    return [
        e
        for e in unsent(db)
        if e.item_id == item_id and str(e.payload.get("body", "")).strip() == body.strip()
    ]


def batch_entries(db: sqlite3.Connection, batch: str) -> list[OutboxEntry]:
    rows = db.execute("SELECT * FROM outbox WHERE batch = ? ORDER BY id", (batch,)).fetchall()
    return [from_row(row) for row in rows]


def from_row(row: sqlite3.Row) -> OutboxEntry:
    """The entry an ``outbox`` row holds."""
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
        lease_owner=row["lease_owner"],
        lease_until=maybe_from_db(row["lease_until"]),
        batch=row["batch"],
    )
