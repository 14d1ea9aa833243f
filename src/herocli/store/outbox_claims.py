"""Claiming outbox entries under a lease, and what an entry waits for when it cannot be claimed.

An entry is sent by the process that claims it: the claim is one statement that
checks the entry's lease, its fields and its batch (see ``claim``). The state
changes that follow a send live in ``store.outbox``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from herocli.store.outbox import OutboxEntry, OutboxState, from_row
from herocli.store.timefmt import to_db


def lease_owners(db: sqlite3.Connection) -> list[str]:
    """Owners of the leases held now, for the caller to check whether they still run."""
    rows = db.execute(
        "SELECT DISTINCT lease_owner FROM outbox WHERE state = 'sending' AND lease_owner IS NOT NULL"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _free(dead_owners: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """SQL saying the lease of row ``o`` is free (ran out, or its owner is known dead)."""
    names = {f"dead{n}": owner for n, owner in enumerate(dead_owners)}
    # An empty IN list is not portable SQL; an empty subquery is.
    dead = ", ".join(f":{name}" for name in names) or "SELECT NULL WHERE 1 = 0"
    return f"(o.lease_until IS NULL OR o.lease_until <= :now OR o.lease_owner IN ({dead}))", names


def claim(
    db: sqlite3.Connection,
    entry_id: int,
    *,
    owner: str,
    now: datetime,
    until: datetime,
    dead_owners: tuple[str, ...] = (),
    resend: bool = False,
) -> OutboxEntry | None:
    """Take the entry for sending, in one statement; None when it is not to be sent now.

    It is taken only when it is unfinished and nobody else's lease is live on
    it, no older entry on one of its fields is being sent, at least one of its
    fields is not set by a newer entry, and every earlier part of its batch is
    done. An uncertain entry is taken only with ``resend``. The attempt is
    counted here, so ``attempts > 1`` tells the sender an earlier attempt may
    have landed.
    """
    free, names = _free(dead_owners)
    states = "'pending', 'failed', 'sending'" + (", 'uncertain'" if resend else "")
    sql = f"""
        UPDATE outbox SET state = 'sending', lease_owner = :owner, lease_until = :until,
            attempts = attempts + 1, updated_at = :now
        WHERE id = :id AND state IN ({states})
          AND (state != 'sending' OR EXISTS (SELECT 1 FROM outbox o WHERE o.id = :id AND {free}))
          AND NOT EXISTS (
            SELECT 1 FROM outbox_fields mine
            JOIN outbox_fields f ON f.item_id = mine.item_id AND f.field = mine.field
                AND f.entry_id < mine.entry_id
            JOIN outbox o ON o.id = f.entry_id
            WHERE mine.entry_id = :id AND o.state = 'sending' AND NOT {free})
          AND (NOT EXISTS (SELECT 1 FROM outbox_fields WHERE entry_id = :id) OR EXISTS (
            SELECT 1 FROM outbox_fields mine WHERE mine.entry_id = :id AND NOT EXISTS (
                SELECT 1 FROM outbox_fields f JOIN outbox o ON o.id = f.entry_id
                WHERE f.item_id = mine.item_id AND f.field = mine.field
                    AND f.entry_id > mine.entry_id AND o.state != 'dropped')))
          AND (batch IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox b WHERE b.batch = outbox.batch AND b.id < outbox.id
                AND b.state NOT IN ('sent', 'dropped')))
        RETURNING *
    """
    params: dict[str, Any] = {
        "owner": owner,
        "until": to_db(until),
        "now": to_db(now),
        "id": entry_id,
        **names,
    }
    row = db.execute(sql, params).fetchone()
    return from_row(row) if row else None


def covered_fields(db: sqlite3.Connection, entry_id: int) -> set[str]:
    """Fields of the entry that a newer (not dropped) entry on the same item also sets."""
    rows = db.execute(
        "SELECT DISTINCT mine.field FROM outbox_fields mine "
        "JOIN outbox_fields f ON f.item_id = mine.item_id AND f.field = mine.field "
        "AND f.entry_id > mine.entry_id "
        "JOIN outbox o ON o.id = f.entry_id "
        "WHERE mine.entry_id = ? AND o.state != 'dropped'",
        (entry_id,),
    ).fetchall()
    return {str(row[0]) for row in rows}


def fields_of(db: sqlite3.Connection, entry_id: int) -> set[str]:
    rows = db.execute("SELECT field FROM outbox_fields WHERE entry_id = ?", (entry_id,))
    return {str(row[0]) for row in rows.fetchall()}


def blocker(db: sqlite3.Connection, entry_id: int, now: datetime) -> OutboxEntry | None:
    """The entry this one waits for: an older one on a shared field being sent, or an
    earlier unfinished part of its batch."""
    row = db.execute(
        "SELECT o.* FROM outbox_fields mine "
        "JOIN outbox_fields f ON f.item_id = mine.item_id AND f.field = mine.field "
        "AND f.entry_id < mine.entry_id "
        "JOIN outbox o ON o.id = f.entry_id "
        "WHERE mine.entry_id = :id AND o.state = 'sending' AND o.lease_until > :now "
        "UNION ALL "
        "SELECT b.* FROM outbox me JOIN outbox b ON b.batch = me.batch AND b.id < me.id "
        "WHERE me.id = :id AND b.state NOT IN ('sent', 'dropped') "
        "ORDER BY id LIMIT 1",
        {"id": entry_id, "now": to_db(now)},
    ).fetchone()
    return from_row(row) if row else None


def supersede_if_overridden(
    db: sqlite3.Connection, entry_id: int, *, now: datetime, dead_owners: tuple[str, ...] = ()
) -> bool:
    """Mark the entry superseded when sent newer entries set every field it sets.

    Only while nobody holds a live lease on it: a sender that died mid-send
    leaves it ``sending``, and once a newer write on the same field went out,
    replaying the old one would undo it.
    """
    free, names = _free(dead_owners)
    params: dict[str, Any] = {"id": entry_id, "now": to_db(now), **names}
    cur = db.execute(
        f"""
        UPDATE outbox SET state = 'superseded', lease_owner = NULL, lease_until = NULL,
            last_error = 'superseded by a newer entry on the same field', updated_at = :now
        WHERE id = :id
          AND (state IN ('pending', 'failed')
               OR (state = 'sending' AND EXISTS (SELECT 1 FROM outbox o WHERE o.id = :id AND {free})))
          AND EXISTS (SELECT 1 FROM outbox_fields WHERE entry_id = :id)
          AND NOT EXISTS (SELECT 1 FROM outbox_fields mine WHERE mine.entry_id = :id
              AND NOT EXISTS (SELECT 1 FROM outbox_fields f JOIN outbox o ON o.id = f.entry_id
                  WHERE f.item_id = mine.item_id AND f.field = mine.field
                  AND f.entry_id > mine.entry_id AND o.state = 'sent'))
        """,
        params,
    )
    return cur.rowcount > 0


def lease_live(entry: OutboxEntry, now: datetime, dead_owners: tuple[str, ...]) -> bool:
    """Whether someone holds the entry now."""
    return (
        entry.state is OutboxState.SENDING
        and entry.lease_until is not None
        and entry.lease_until > now
        and entry.lease_owner not in dead_owners
    )
