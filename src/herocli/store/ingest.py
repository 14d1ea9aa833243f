"""Merging fetched conversations into the queue: idempotent, and the item's state follows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herocli.events import EventKind
from herocli.exchange import Conversation
from herocli.models import Delivery, ItemState, Message, RemoteState
from herocli.records import replace
from herocli.store import log, outbox, threads
from herocli.store.item_changes import refresh_summary, set_labels, set_state
from herocli.store.outbox import Op, OutboxState
from herocli.store.timefmt import from_db, to_db

Classifier = Callable[[Message], bool]


@dataclass(frozen=True)
class IngestResult:
    item_id: int | None  # None: nothing to keep (a closed conversation we never had)
    created: bool = False
    new_messages: int = 0
    reopened: bool = False
    closed: bool = False
    changed: bool = False  # anything at all: a message, an edit, title, labels, state


def ingest(
    db: sqlite3.Connection,
    conv: Conversation,
    is_team: Classifier,
    now: datetime,
    is_internal: Classifier | None = None,
) -> IngestResult:
    """Merge a fetched conversation into the queue. Fetching the same data twice changes nothing.

    ``is_internal`` tells a team message that is no answer (one addressed to a
    teammate); a ping hero sent is known as one from the outbox.
    """
    found = threads.items_for(db, conv)
    created = False
    item_id: int | None = found[0] if found else None
    for other in found[1:]:
        threads.merge_items(db, found[0], other, now)
    before: tuple[object, ...] = ()
    if item_id is None:
        if conv.remote_state is RemoteState.CLOSED or not conv.messages or conv.join_only:
            return IngestResult(None)
        first = min(m.sent_at for m in conv.messages)
        item_id = int(
            db.execute(
                "INSERT INTO items (channel, external_id, title, url, remote_state, meta, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conv.channel,
                    conv.external_id,
                    conv.title,
                    conv.url,
                    conv.remote_state.value if conv.remote_state else None,
                    json.dumps(dict(conv.meta)),
                    to_db(first),
                    to_db(now),
                ),
            ).lastrowid
            or 0
        )
        created = True
    else:
        before = _looks(db, item_id)
        _update_item(db, item_id, conv, now)

    threads.record_links(db, item_id, conv, fresh=created)
    new, new_outside, edited = _upsert_messages(
        db, item_id, conv.channel, conv.messages, is_team, is_internal, fresh=created
    )
    if conv.labels is not None:
        set_labels(db, item_id, conv.labels)
    reopened, closed = _follow_state(db, item_id, conv, new_outside, now)
    refresh_summary(db, item_id)
    changed = created or bool(new) or edited or before != _looks(db, item_id)
    return IngestResult(item_id, created, len(new), reopened, closed, changed)


def _looks(db: sqlite3.Connection, item_id: int) -> tuple[object, ...]:
    """What a sync can change about an item besides its messages."""
    row = db.execute(
        "SELECT title, url, state, remote_state FROM items WHERE id = ?", (item_id,)
    ).fetchone()
    labels = db.execute(
        "SELECT name FROM labels WHERE item_id = ? ORDER BY name", (item_id,)
    ).fetchall()
    return (*tuple(row), tuple(r[0] for r in labels))


def _update_item(db: sqlite3.Connection, item_id: int, conv: Conversation, now: datetime) -> None:
    row = db.execute("SELECT meta FROM items WHERE id = ?", (item_id,)).fetchone()
    meta = {**json.loads(row["meta"]), **dict(conv.meta)}
    is_own = db.execute(
        "SELECT 1 FROM items WHERE id = ? AND channel = ? AND external_id = ?",
        (item_id, conv.channel, conv.external_id),
    ).fetchone()
    # A late reply filed by reference must not rename the conversation it joined,
    # and an empty title (a source that lost it, like a deleted issue) keeps ours.
    if is_own and not conv.keeps_title:
        db.execute(
            "UPDATE items SET title = COALESCE(NULLIF(?, ''), title), url = COALESCE(?, url), "
            "meta = ?, updated_at = ? WHERE id = ?",
            (conv.title, conv.url, json.dumps(meta), to_db(now), item_id),
        )
    else:
        db.execute(
            "UPDATE items SET meta = ?, updated_at = ? WHERE id = ?",
            (json.dumps(meta), to_db(now), item_id),
        )


def _upsert_messages(
    db: sqlite3.Connection,
    item_id: int,
    channel: str,
    messages: Iterable[Message],
    is_team: Classifier,
    is_internal: Classifier | None = None,
    *,
    fresh: bool = False,
) -> tuple[list[Message], list[Message], bool]:
    """Insert new messages, update changed ones (``fresh``: the item was just made).

    Returns the new messages, the new ones from outside the team, and whether
    a known message changed (an edit, a deletion).
    """
    existing: dict[str, str] = {}
    content: dict[str, tuple[Any, ...]] = {}
    deliveries: dict[str, str | None] = {}
    rows = (
        ()
        if fresh
        else db.execute(  # an item just made holds no message yet
            "SELECT external_id, meta, body, edited_at, deleted, delivery FROM messages "
            "WHERE item_id = ?",
            (item_id,),
        )
    )
    for row in rows:
        existing[row[0]] = row[1]
        content[row[0]] = (row[2], row[3], row[4])
        deliveries[row[0]] = row[5]
    new: list[Message] = []
    new_outside: list[Message] = []
    edited = False
    # A message once known to be the team's stays so (a reply we sent whose author
    # the config does not list, for instance).
    messages = list(messages)
    sent = outbox.origins(db, channel, [m.external_id for m in messages])
    # New messages and their events are written together at the end (a first sync inserts
    # thousands); an update first writes what is pending, as it may be a message just added.
    inserts: list[tuple[Any, ...]] = []
    events: list[log.EventRow] = []
    detail = {"channel": channel}
    for fetched in messages:
        # One at a time: a reused Message-ID may come twice in this very batch.
        m = _distinct(fetched, existing)
        team = is_team(m)
        origin = sent.get(m.external_id)
        # The outbox knows who sent a message through hero, and that a ping is no answer.
        sent_by = origin[1].get("by") if origin else None
        internal = team and (
            (origin is not None and origin[0] is Op.ASSIGN)
            or (origin is None and is_internal is not None and is_internal(m))
        )
        known = m.external_id in existing
        delivery = _delivery(m, origin[2] if origin else None, known, deliveries.get(m.external_id))
        values = (
            m.author_id,
            m.author_name,
            int(team),
            to_db(m.sent_at),
            m.body,
            m.url,
            int(m.deleted),
            to_db(m.edited_at) if m.edited_at else None,
            json.dumps([a.__dict__ for a in m.attachments]) if m.attachments else "[]",
            json.dumps(dict(m.meta)),
            int(internal),
            sent_by,
            delivery,
        )
        if known:
            edited = edited or content[m.external_id] != (m.body, values[7], int(m.deleted))
            _insert_messages(db, inserts)
            db.execute(
                "UPDATE messages SET author_id = ?, author_name = ?, from_team = MAX(from_team, ?), sent_at = ?, "
                "body = ?, url = COALESCE(?, url), deleted = ?, edited_at = ?, attachments = ?, "
                "meta = ?, internal = MAX(internal, ?), sent_by = COALESCE(sent_by, ?), "
                "delivery = ? WHERE item_id = ? AND external_id = ?",
                (*values, item_id, m.external_id),
            )
            if deliveries.get(m.external_id) is not None and delivery is None and not m.deleted:
                # Settled: the reply went out, and now it counts as one.
                events.append(
                    (item_id, EventKind.REPLIED, m.sent_at, sent_by or m.author_name, detail)
                )
            deliveries[m.external_id] = delivery
            continue
        inserts.append((*values, item_id, m.external_id))
        existing[m.external_id] = values[9]
        content[m.external_id] = (m.body, values[7], int(m.deleted))
        deliveries[m.external_id] = delivery
        if m.deleted:
            continue
        new.append(m)
        if internal or delivery is not None:
            continue  # a word between teammates, a send not known to have gone out: no answer
        kind = EventKind.REPLIED if team else EventKind.RECEIVED
        who = sent_by or m.author_name or m.author_id
        events.append((item_id, kind, m.sent_at, who, detail))
        if not team:
            new_outside.append(m)
    _insert_messages(db, inserts)
    log.record_all(db, events)
    return new, new_outside, edited


def _insert_messages(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Write the pending new messages and empty ``rows``."""
    if rows:
        db.executemany(
            "INSERT INTO messages (author_id, author_name, from_team, sent_at, body, url, deleted, "
            "edited_at, attachments, meta, internal, sent_by, delivery, item_id, external_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        rows.clear()


def _delivery(m: Message, entry: OutboxState | None, known: bool, stored: str | None) -> str | None:
    """Whether ``m`` counts as an answer (None) or why not: the outbox entry that sent it
    decides once settled; else the channel's mark (a copy still marked as sending) on a
    new message, and a known one stays as it was unless its copy is now unmarked."""
    if entry is not None:
        return None if entry is OutboxState.SENT else entry.value
    if not known:
        return Delivery.UNCERTAIN.value if m.unconfirmed else None
    if stored == Delivery.UNCERTAIN.value and not m.unconfirmed:
        return None  # its copy is no longer marked: it went out
    return stored


def follow_outbox(db: sqlite3.Connection, channel: str, sent_id: str) -> bool:
    """The stored copies of ``sent_id`` follow its outbox entry, settled by the hero (sent,
    dropped) or found uncertain: whether a message was there to follow it.

    A copy that now counts is logged as a reply at its own time.
    """
    origin = outbox.origins(db, channel, [sent_id]).get(sent_id)
    if origin is None:
        return False
    wanted = None if origin[2] is OutboxState.SENT else origin[2].value
    rows = db.execute(
        "SELECT m.id, m.item_id, m.delivery, m.sent_at, m.author_name, m.sent_by, m.deleted "
        "FROM messages m JOIN items i ON i.id = m.item_id "
        "WHERE m.external_id = ? AND i.channel = ?",
        (sent_id, channel),
    ).fetchall()
    for row in rows:
        if row["delivery"] == wanted:
            continue
        db.execute("UPDATE messages SET delivery = ? WHERE id = ?", (wanted, row["id"]))
        if row["delivery"] is not None and wanted is None and not row["deleted"]:
            who = row["sent_by"] or row["author_name"]
            at = from_db(row["sent_at"])
            log.record(db, row["item_id"], EventKind.REPLIED, at, who, {"channel": channel})
        refresh_summary(db, row["item_id"])
    return bool(rows)


def _distinct(m: Message, existing: dict[str, str]) -> Message:
    """``m``, or ``m`` under a key of its own when another message already has its id.

    A channel that gives ``content_key`` in a message's meta says that a message with the
    same id and another content key is another message (mail: a reused Message-ID).
    """
    key = m.meta.get("content_key")
    stored = existing.get(m.external_id)
    if not key or stored is None or json.loads(stored).get("content_key") in (None, key):
        return m
    return replace(m, external_id=f"{m.external_id}#{key}")


def _follow_state(
    db: sqlite3.Connection,
    item_id: int,
    conv: Conversation,
    new_outside: list[Message],
    now: datetime,
) -> tuple[bool, bool]:
    """Apply the source's open/closed state, or wake/reopen on a new outside message.

    A conversation the source closed stays open here when someone outside the
    team wrote after the close: they are waiting on us, whatever its state upstream.
    """
    row = db.execute("SELECT state, remote_state FROM items WHERE id = ?", (item_id,)).fetchone()
    state, remote = ItemState(row["state"]), row["remote_state"]
    reopened = closed = False
    if conv.remote_state is not None:
        db.execute(
            "UPDATE items SET remote_state = ? WHERE id = ?", (conv.remote_state.value, item_id)
        )
        if (
            conv.remote_state is RemoteState.CLOSED
            and state is not ItemState.CLOSED
            and not _outside_since(db, item_id, conv.closed_at)
        ):
            set_state(db, item_id, ItemState.CLOSED, now, actor=conv.channel)
            closed = True
        elif (
            conv.remote_state is RemoteState.OPEN
            and state is ItemState.CLOSED
            and remote == RemoteState.CLOSED.value
        ):
            set_state(db, item_id, ItemState.OPEN, now, actor=conv.channel)
            reopened = True
    if new_outside and not closed:
        latest = max(m.sent_at for m in new_outside)
        if state is ItemState.SNOOZED:
            db.execute(
                "UPDATE items SET state = 'open', snoozed_until = NULL WHERE id = ?", (item_id,)
            )
            log.record(db, item_id, EventKind.WOKE, latest, None, {"why": "new message"})
        elif state is ItemState.CLOSED and conv.remote_state is None:
            set_state(db, item_id, ItemState.OPEN, latest, actor=None, why="new message")
            reopened = True
    return reopened, closed


def _outside_since(db: sqlite3.Connection, item_id: int, moment: datetime | None) -> bool:
    """Whether someone outside the team wrote after ``moment``."""
    if moment is None:
        return False
    row = db.execute(
        "SELECT 1 FROM messages WHERE item_id = ? AND from_team = 0 AND deleted = 0 "
        "AND sent_at > ? LIMIT 1",
        (item_id, to_db(moment)),
    ).fetchone()
    return row is not None
