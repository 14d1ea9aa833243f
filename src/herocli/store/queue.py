"""Items and their messages: idempotent ingest and the queries the screens ask."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herocli.models import (
    Attachment,
    Conversation,
    EventKind,
    Item,
    ItemState,
    Message,
    RemoteState,
    StoredMessage,
    Waiting,
)
from herocli.store import log
from herocli.store.timefmt import from_db, maybe_from_db, to_db

Classifier = Callable[[Message], bool]


@dataclass(frozen=True)
class IngestResult:
    item_id: int | None  # None: nothing to keep (a closed conversation we never had)
    created: bool = False
    new_messages: int = 0
    reopened: bool = False
    closed: bool = False


def find_item_id(
    db: sqlite3.Connection, channel: str, external_id: str, refers_to: Sequence[str] = ()
) -> int | None:
    """The item filed under ``external_id``, or the one holding a message it refers to."""
    row = db.execute(
        "SELECT id FROM items WHERE channel = ? AND external_id = ?", (channel, external_id)
    ).fetchone()
    if row:
        return int(row[0])
    for start in range(0, len(refers_to), 500):
        chunk = list(refers_to[start : start + 500])
        marks = ",".join("?" * len(chunk))
        row = db.execute(
            f"SELECT m.item_id FROM messages m JOIN items i ON i.id = m.item_id "
            f"WHERE i.channel = ? AND m.external_id IN ({marks}) ORDER BY m.sent_at LIMIT 1",
            (channel, *chunk),
        ).fetchone()
        if row:
            return int(row[0])
    return None


def ingest(
    db: sqlite3.Connection, conv: Conversation, is_team: Classifier, now: datetime
) -> IngestResult:
    """Merge a fetched conversation into the queue. Fetching the same data twice changes nothing."""
    item_id = find_item_id(db, conv.channel, conv.external_id, conv.refers_to)
    created = False
    if item_id is None:
        if conv.remote_state is RemoteState.CLOSED or not conv.messages:
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
        _update_item(db, item_id, conv, now)

    new_outside = _upsert_messages(db, item_id, conv.channel, conv.messages, is_team)
    new_count = len(new_outside[0])
    if conv.labels is not None:
        set_labels(db, item_id, conv.labels)
    result = _follow_state(db, item_id, conv, new_outside[1], now)
    refresh_summary(db, item_id)
    return IngestResult(item_id, created, new_count, result[0], result[1])


def _update_item(db: sqlite3.Connection, item_id: int, conv: Conversation, now: datetime) -> None:
    row = db.execute("SELECT meta FROM items WHERE id = ?", (item_id,)).fetchone()
    meta = {**json.loads(row["meta"]), **dict(conv.meta)}
    is_own = db.execute(
        "SELECT 1 FROM items WHERE id = ? AND channel = ? AND external_id = ?",
        (item_id, conv.channel, conv.external_id),
    ).fetchone()
    # A late reply filed by reference must not rename the conversation it joined,
    # and an empty title (a source that lost it, like a deleted issue) keeps ours.
    if is_own:
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
) -> tuple[list[Message], list[Message]]:
    """Insert new messages, update changed ones; return (new messages, new outside messages)."""
    existing = {
        row[0]
        for row in db.execute("SELECT external_id FROM messages WHERE item_id = ?", (item_id,))
    }
    new: list[Message] = []
    new_outside: list[Message] = []
    # A message once known to be the team's stays so (a reply we sent whose author
    # the config does not list, for instance).
    for m in messages:
        team = is_team(m)
        values = (
            m.author_id,
            m.author_name,
            int(team),
            to_db(m.sent_at),
            m.body,
            m.url,
            int(m.deleted),
            to_db(m.edited_at) if m.edited_at else None,
            json.dumps([a.__dict__ for a in m.attachments]),
            json.dumps(dict(m.meta)),
        )
        if m.external_id in existing:
            db.execute(
                "UPDATE messages SET author_id = ?, author_name = ?, from_team = MAX(from_team, ?), sent_at = ?, "
                "body = ?, url = COALESCE(?, url), deleted = ?, edited_at = ?, attachments = ?, "
                "meta = ? WHERE item_id = ? AND external_id = ?",
                (*values, item_id, m.external_id),
            )
            continue
        db.execute(
            "INSERT INTO messages (author_id, author_name, from_team, sent_at, body, url, deleted, "
            "edited_at, attachments, meta, item_id, external_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, item_id, m.external_id),
        )
        existing.add(m.external_id)
        if m.deleted:
            continue
        new.append(m)
        kind = EventKind.REPLIED if team else EventKind.RECEIVED
        log.record(db, item_id, kind, m.sent_at, m.author_name or m.author_id, {"channel": channel})
        if not team:
            new_outside.append(m)
    return new, new_outside


def _follow_state(
    db: sqlite3.Connection,
    item_id: int,
    conv: Conversation,
    new_outside: list[Message],
    now: datetime,
) -> tuple[bool, bool]:
    """Apply the source's open/closed state, or wake/reopen on a new outside message."""
    row = db.execute("SELECT state, remote_state FROM items WHERE id = ?", (item_id,)).fetchone()
    state, remote = ItemState(row["state"]), row["remote_state"]
    reopened = closed = False
    if conv.remote_state is not None:
        db.execute(
            "UPDATE items SET remote_state = ? WHERE id = ?", (conv.remote_state.value, item_id)
        )
        if conv.remote_state is RemoteState.CLOSED and state is not ItemState.CLOSED:
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
    """Derive whose turn it is, and since when, from the item's messages."""
    rows = db.execute(
        "SELECT sent_at, from_team, author_name, author_id FROM messages "
        "WHERE item_id = ? AND deleted = 0 ORDER BY sent_at, id",
        (item_id,),
    ).fetchall()
    if not rows:
        db.execute(
            "UPDATE items SET message_count = 0, first_message_at = NULL, last_message_at = NULL, "
            "last_author = NULL, last_from_team = NULL, waiting_since = NULL WHERE id = ?",
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
        "last_author = ?, last_from_team = ?, waiting_since = ? WHERE id = ?",
        (
            len(rows),
            rows[0]["sent_at"],
            last["sent_at"],
            last["author_name"] or last["author_id"],
            last["from_team"],
            waiting_since,
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


def adopt_assignee(db: sqlite3.Connection, item_id: int, assignee: str, at: datetime) -> None:
    """Take an upstream assignee for an item nobody here has assigned."""
    db.execute(
        "UPDATE items SET assignee = ?, updated_at = ? WHERE id = ? AND assignee IS NULL",
        (assignee, to_db(at), item_id),
    )


# --- reading ---------------------------------------------------------------------------------

_ITEM_COLUMNS = (
    "i.id, i.channel, i.external_id, i.title, i.url, i.state, i.snoozed_until, i.remote_state, "
    "i.assignee, i.created_at, i.updated_at, i.closed_at, i.message_count, i.first_message_at, "
    "i.last_message_at, i.last_author, i.last_from_team, i.waiting_since, i.meta"
)


@dataclass(frozen=True)
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


def _where(f: ItemFilter, now: datetime) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    state_clauses = []
    for state in f.states:
        if state is ItemState.OPEN:
            state_clauses.append(
                "i.state = 'open' OR (i.state = 'snoozed' AND i.snoozed_until <= ?)"
            )
            params.append(to_db(now))
        elif state is ItemState.SNOOZED:
            state_clauses.append("(i.state = 'snoozed' AND i.snoozed_until > ?)")
            params.append(to_db(now))
        else:
            state_clauses.append("i.state = 'closed'")
    if state_clauses:
        clauses.append("(" + " OR ".join(state_clauses) + ")")
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
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_items(db: sqlite3.Connection, f: ItemFilter, now: datetime) -> list[Item]:
    """Items matching ``f``: longest wait first, then least recently active."""
    where, params = _where(f, now)
    sql = (
        f"SELECT {_ITEM_COLUMNS} FROM items i{where} "
        "ORDER BY i.waiting_since IS NULL, i.waiting_since, i.last_message_at, i.id"
    )
    if f.limit:
        sql += " LIMIT ?"
        params.append(f.limit)
    rows = db.execute(sql, params).fetchall()
    labels = _labels_for(db, [row["id"] for row in rows])
    return [_item(row, labels.get(row["id"], ()), now) for row in rows]


def count_items(db: sqlite3.Connection, f: ItemFilter, now: datetime) -> int:
    where, params = _where(f, now)
    return int(db.execute(f"SELECT COUNT(*) FROM items i{where}", params).fetchone()[0])


def get_item(db: sqlite3.Connection, item_id: int, now: datetime) -> Item | None:
    row = db.execute(f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.id = ?", (item_id,)).fetchone()
    if row is None:
        return None
    return _item(row, _labels_for(db, [item_id]).get(item_id, ()), now)


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


def _item(row: sqlite3.Row, labels: tuple[str, ...], now: datetime) -> Item:
    state = ItemState(row["state"])
    snoozed_until = maybe_from_db(row["snoozed_until"])
    if state is ItemState.SNOOZED and snoozed_until is not None and snoozed_until <= now:
        state = ItemState.OPEN
    last_from_team = row["last_from_team"]
    return Item(
        id=row["id"],
        channel=row["channel"],
        external_id=row["external_id"],
        title=row["title"],
        url=row["url"],
        state=state,
        snoozed_until=snoozed_until if state is ItemState.SNOOZED else None,
        remote_state=RemoteState(row["remote_state"]) if row["remote_state"] else None,
        assignee=row["assignee"],
        labels=labels,
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        closed_at=maybe_from_db(row["closed_at"]),
        message_count=row["message_count"],
        first_message_at=maybe_from_db(row["first_message_at"]),
        last_message_at=maybe_from_db(row["last_message_at"]),
        last_author=row["last_author"],
        last_from_team=None if last_from_team is None else bool(last_from_team),
        waiting_since=maybe_from_db(row["waiting_since"]),
        meta=json.loads(row["meta"]),
    )
