"""The team mirror's rows: a parent message per item, and each teammate message read once."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from herocli.records import record
from herocli.store.timefmt import to_db


@record
class MirrorThread:
    """One item's parent in the mirror channel; ``parent_ts`` is None until it is posted."""

    item_id: int
    channel_id: str | None
    parent_ts: str | None
    wanted: str
    settled: bool
    upto: int
    shown: int | None  # the message the parent quotes (None: the item's first)


def unmirrored(db: sqlite3.Connection) -> list[int]:
    """Items not closed, not merged away, and without a parent yet: oldest first."""
    rows = db.execute(
        "SELECT i.id FROM items i LEFT JOIN mirror_threads m ON m.item_id = i.id "
        "WHERE m.item_id IS NULL AND i.state != 'closed' AND i.merged_into IS NULL ORDER BY i.id"
    )
    return [int(row[0]) for row in rows]


def followed(db: sqlite3.Connection) -> list[MirrorThread]:
    """Mirrored items whose parent may still change: not closed, or closed and not shown so."""
    rows = db.execute(
        "SELECT m.* FROM mirror_threads m JOIN items i ON i.id = m.item_id "
        "WHERE i.merged_into IS NULL AND (i.state != 'closed' OR m.settled = 0) "
        "ORDER BY m.item_id"
    )
    return [_thread(row) for row in rows]


def merged(db: sqlite3.Connection) -> list[MirrorThread]:
    """Parents of items merged into another whose text may still change: not settled
    yet, or the item they went into was itself merged since (where they live on moved)."""
    rows = db.execute(
        "SELECT m.* FROM mirror_threads m JOIN items i ON i.id = m.item_id "
        "JOIN items kept ON kept.id = i.merged_into "
        "WHERE m.settled = 0 OR kept.merged_into IS NOT NULL ORDER BY m.item_id"
    )
    return [_thread(row) for row in rows]


def thread_of(db: sqlite3.Connection, item_id: int) -> MirrorThread | None:
    row = db.execute("SELECT * FROM mirror_threads WHERE item_id = ?", (item_id,)).fetchone()
    return _thread(row) if row else None


def add_thread(
    db: sqlite3.Connection,
    item_id: int,
    wanted: str,
    upto: int,
    shown: int | None,
    at: datetime,
    *,
    settled: bool,
) -> None:
    """Remember that the item's parent is queued: its text, the message it quotes
    (``shown``), and the last message it and its thread cover (``upto``)."""
    db.execute(
        "INSERT INTO mirror_threads (item_id, wanted, settled, upto, shown, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (item_id, wanted, int(settled), upto, shown, to_db(at)),
    )


def set_wanted(db: sqlite3.Connection, item_id: int, wanted: str, *, settled: bool) -> None:
    db.execute(
        "UPDATE mirror_threads SET wanted = ?, settled = ? WHERE item_id = ?",
        (wanted, int(settled), item_id),
    )


def set_upto(db: sqlite3.Connection, item_id: int, upto: int) -> None:
    db.execute("UPDATE mirror_threads SET upto = ? WHERE item_id = ?", (upto, item_id))


def set_parent(db: sqlite3.Connection, item_id: int, channel_id: str, ts: str) -> None:
    """Record where the item's parent landed (the mirror channel's id and the message ts)."""
    db.execute(
        "UPDATE mirror_threads SET channel_id = ?, parent_ts = ? WHERE item_id = ?",
        (channel_id, ts, item_id),
    )


def forget(db: sqlite3.Connection, item_id: int, at: datetime) -> None:
    """Forget an item's unposted parent and drop the mirror writes that waited for it."""
    db.execute(
        "UPDATE outbox SET state = 'dropped', lease_owner = NULL, lease_until = NULL, "
        "updated_at = ? WHERE item_id = ? AND state IN ('pending', 'failed') "
        "AND op IN ('mirror_edit', 'mirror_note', 'mirror_react')",
        (to_db(at), item_id),
    )
    db.execute("DELETE FROM mirror_threads WHERE item_id = ? AND parent_ts IS NULL", (item_id,))


def watched(db: sqlite3.Connection, closed_since: datetime) -> dict[str, int]:
    """Posted parents whose threads are read for teammates' answers: ts → item id.

    Items closed before ``closed_since`` are no longer read; an item merged into
    another counts as closed when it was merged (the caller resolves where it went).
    """
    rows = db.execute(
        "SELECT m.parent_ts, m.item_id FROM mirror_threads m "
        "JOIN items i ON i.id = m.item_id "
        "WHERE m.parent_ts IS NOT NULL "
        "AND (i.state != 'closed' OR i.closed_at IS NULL OR i.closed_at >= ?)",
        (to_db(closed_since),),
    )
    return {str(row[0]): int(row[1]) for row in rows}


def mirror_channel_ids(db: sqlite3.Connection) -> set[str]:
    """The mirror channel's id, as every posted parent recorded it."""
    rows = db.execute("SELECT DISTINCT channel_id FROM mirror_threads WHERE channel_id IS NOT NULL")
    return {str(row[0]) for row in rows}


@record
class Seen:
    """A teammate message in a mirror thread, as it was when hero took it."""

    ts: str
    thread_ts: str
    kind: str  # "relay" or "note"
    author: str
    mark: str | None  # its Slack edited.ts then, '' when not edited (None: not recorded)


def mark_seen(db: sqlite3.Connection, seen: Seen, item_id: int, at: datetime) -> bool:
    """Record a teammate message read in a mirror thread; False when it was read before."""
    cur = db.execute(
        "INSERT INTO mirror_seen (ts, item_id, kind, author, at, mark, thread_ts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ts) DO NOTHING",
        (seen.ts, item_id, seen.kind, seen.author, to_db(at), seen.mark, seen.thread_ts),
    )
    return cur.rowcount > 0


def seen_before(db: sqlite3.Connection, ts: str) -> Seen | None:
    """How the message ``ts`` was taken, if it was."""
    row = db.execute(
        "SELECT ts, thread_ts, kind, author, mark FROM mirror_seen WHERE ts = ?", (ts,)
    ).fetchone()
    if row is None:
        return None
    mark = None if row[4] is None else str(row[4])
    return Seen(str(row[0]), str(row[1] or ""), str(row[2]), str(row[3] or ""), mark)


def set_mark(db: sqlite3.Connection, ts: str, mark: str | None) -> None:
    """Remember the edit of a taken message that hero has now noted."""
    db.execute("UPDATE mirror_seen SET mark = ? WHERE ts = ?", (mark, ts))


def relayed_threads(db: sqlite3.Connection, since: datetime) -> set[str]:
    """The threads where an answer was taken for relay since ``since``: read again for edits."""
    rows = db.execute(
        "SELECT DISTINCT thread_ts FROM mirror_seen "
        "WHERE kind = 'relay' AND at >= ? AND thread_ts IS NOT NULL",
        (to_db(since),),
    )
    return {str(row[0]) for row in rows}


def seen_kinds(db: sqlite3.Connection) -> dict[str, str]:
    """Every teammate message read so far: ts → ``relay`` or ``note``."""
    return {str(r[0]): str(r[1]) for r in db.execute("SELECT ts, kind FROM mirror_seen")}


def _thread(row: sqlite3.Row) -> MirrorThread:
    return MirrorThread(
        item_id=row["item_id"],
        channel_id=row["channel_id"],
        parent_ts=row["parent_ts"],
        wanted=row["wanted"],
        settled=bool(row["settled"]),
        upto=row["upto"],
        shown=row["shown"],
    )
