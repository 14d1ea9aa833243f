"""Changes to items: their local state, labels and assignee, and the summary derived from
their messages (whose turn it is, since when). What screens read is in ``store.queue``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from herocli.events import EventKind
from herocli.models import Delivery, ItemState
from herocli.store import log
from herocli.store.timefmt import to_db


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
