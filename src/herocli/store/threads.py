"""Which item a fetched conversation belongs to, whatever order its messages arrive in.

A conversation belongs with every item that holds a message it refers to, every item
whose messages refer to one of its ids (they were waiting for it), and at most one item
picked by loose evidence (``LooseLink``). When that is more than one item, they are one
conversation seen in pieces: they are merged into the oldest, whose number stays; the
other keeps its row, marked ``merged_into``, so its number says where it went.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from herocli.exchange import Conversation, LooseLink
from herocli.store.item_changes import refresh_summary
from herocli.store.outbox import MIRROR_OPS
from herocli.store.timefmt import from_db, to_db

__all__ = ["LOOSE_WINDOW", "items_for", "merge_items", "record_links", "resolve"]

#: How far apart loose evidence may be: a reply more than this after the thread's last
#: mail with the same subject starts a new item.
LOOSE_WINDOW = timedelta(days=30)
_CHUNK = 400


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def resolve(db: sqlite3.Connection, item_id: int) -> int:
    """The item ``item_id`` lives on in: itself, or the one it was merged into."""
    seen = {item_id}
    while True:
        row = db.execute("SELECT merged_into FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None or row[0] is None or row[0] in seen:
            return item_id
        item_id = int(row[0])
        seen.add(item_id)


def items_for(db: sqlite3.Connection, conv: Conversation) -> list[int]:
    """The live items ``conv`` belongs with, oldest first (empty: it starts a new item)."""
    found: set[int] = set()
    row = db.execute(
        "SELECT id FROM items WHERE channel = ? AND external_id = ?",
        (conv.channel, conv.external_id),
    ).fetchone()
    if row:
        found.add(int(row[0]))
    refs = list(dict.fromkeys(conv.refers_to))
    own = {m.external_id for m in conv.messages}
    filed = False  # one of conv's messages is in the queue already
    for chunk in _chunks(refs):
        marks = ",".join("?" * len(chunk))
        for item_id, external_id in db.execute(
            # CROSS JOIN keeps messages the outer loop (by its external_id index):
            # walking the channel's items first costs a scan of the queue per lookup.
            f"SELECT m.item_id, m.external_id FROM messages m CROSS JOIN items i "
            f"WHERE i.id = m.item_id AND i.channel = ? AND m.external_id IN ({marks})",
            (conv.channel, *chunk),
        ):
            found.add(int(item_id))
            filed = filed or external_id in own
    # Items that wait for one of our ids, or for an id we wait for too (siblings).
    ours = list(dict.fromkeys([conv.external_id, *refs, *(m.external_id for m in conv.messages)]))
    for chunk in _chunks(ours):
        marks = ",".join("?" * len(chunk))
        found.update(
            int(r[0])
            for r in db.execute(
                f"SELECT DISTINCT item_id FROM thread_links "
                f"WHERE channel = ? AND kind = 'ref' AND link IN ({marks})",
                (conv.channel, *chunk),
            )
        )
    live = {resolve(db, item_id) for item_id in found}
    # A message in the queue already has its place (hero's reply, filed as it was sent, read
    # back from Sent; a folder read again): its subject may name another thread now.
    for link in () if filed else conv.loose:
        if link.seeks:
            best = _best_offer(db, conv.channel, link)
            if best is not None:
                live.add(best)
    for key, times in _offers(conv.loose).items():
        live.update(_waiting_seekers(db, conv.channel, key, times))
    return sorted(live)


def _offers(links: Iterable[LooseLink]) -> dict[str, list[datetime]]:
    """When the conversation offers each key: one time per message that offers it."""
    times: dict[str, list[datetime]] = {}
    for link in links:
        if not link.seeks:
            times.setdefault(link.key, []).append(link.at)
    return times


# An item was active near a seek when it holds a message from the window before it; its
# mail after the seek is no evidence (the thread wrote again later), or the answer would
# depend on which of the two a sync reads first.
_ACTIVE = (
    "EXISTS (SELECT 1 FROM messages m WHERE m.item_id = {item} "
    "AND m.sent_at >= :since AND m.sent_at <= :seek)"
)


def _best_offer(db: sqlite3.Connection, channel: str, seek: LooseLink) -> int | None:
    """The item that most recently started offering ``seek.key`` and was active in the
    window before it."""
    row = db.execute(
        "SELECT o.item_id FROM thread_links o WHERE o.channel = :channel AND o.kind = 'offer' "
        f"AND o.link = :key AND o.at <= :seek AND {_ACTIVE.format(item='o.item_id')} "
        "ORDER BY o.at DESC, o.item_id DESC LIMIT 1",
        {
            "channel": channel,
            "key": seek.key,
            "seek": to_db(seek.at),
            "since": to_db(seek.at - LOOSE_WINDOW),
        },
    ).fetchone()
    return int(row[0]) if row else None


def _waiting_seekers(
    db: sqlite3.Connection, channel: str, key: str, times: list[datetime]
) -> list[int]:
    """Items whose unmatched seek for ``key`` this offer (a message at each of ``times``)
    now answers best: it was active in the window before the seek, and no thread that
    started after it and before the seek was."""
    first, last = min(times), max(times)
    rows = db.execute(
        "SELECT item_id, at FROM thread_links WHERE channel = ? AND kind = 'seek' AND link = ? "
        "AND at >= ? AND at <= ?",
        (channel, key, to_db(first), to_db(last + LOOSE_WINDOW)),
    ).fetchall()
    out = []
    for item_id, at in rows:
        seek = from_db(at)
        if not any(t <= seek <= t + LOOSE_WINDOW for t in times):
            continue
        newer = db.execute(
            "SELECT 1 FROM thread_links o WHERE o.channel = :channel AND o.kind = 'offer' "
            "AND o.link = :key AND o.at > :first AND o.at <= :seek AND o.item_id != :item "
            f"AND {_ACTIVE.format(item='o.item_id')} LIMIT 1",
            {
                "channel": channel,
                "key": key,
                "first": to_db(first),
                "seek": at,
                "item": item_id,
                "since": to_db(seek - LOOSE_WINDOW),
            },
        ).fetchone()
        if newer is None:
            out.append(int(item_id))
    return out


def record_links(
    db: sqlite3.Connection, item_id: int, conv: Conversation, *, fresh: bool = False
) -> None:
    """Remember what ``conv`` refers to, offers and seeks; a seek its item answers is dropped.

    ``fresh``: the item was just made, so the only seeks it has are those of ``conv``.
    """
    db.executemany(
        "INSERT OR IGNORE INTO thread_links (item_id, channel, kind, link) VALUES (?, ?, 'ref', ?)",
        [(item_id, conv.channel, ref) for ref in dict.fromkeys(conv.refers_to)],
    )
    offers = _offers(conv.loose)
    if fresh:  # a new item has no span to widen: its offers are written in one statement
        db.executemany(
            "INSERT INTO thread_links (item_id, channel, kind, link, at, last_at) "
            "VALUES (?, ?, 'offer', ?, ?, ?)",
            [
                (item_id, conv.channel, k, to_db(min(times)), to_db(max(times)))
                for k, times in offers.items()
            ],
        )
    else:
        for key, times in offers.items():
            _span(db, item_id, conv.channel, "offer", key, to_db(min(times)), to_db(max(times)))
    for link in conv.loose:
        if link.seeks:
            at = to_db(link.at)
            _span(db, item_id, conv.channel, "seek", link.key, at, at)
    if fresh and not any(link.seeks for link in conv.loose):
        return
    # A seek is settled once its item holds a thread with that subject from before it.
    db.execute(
        "DELETE FROM thread_links WHERE item_id = ? AND kind = 'seek' AND EXISTS ("
        "SELECT 1 FROM thread_links o WHERE o.item_id = thread_links.item_id "
        "AND o.kind = 'offer' AND o.link = thread_links.link AND o.at < thread_links.at)",
        (item_id,),
    )


def _span(
    db: sqlite3.Connection, item_id: int, channel: str, kind: str, key: str, first: str, last: str
) -> None:
    """Record that ``item_id`` offers (or seeks) ``key`` from ``first`` to ``last``, widening."""
    row = db.execute(
        "SELECT at, last_at FROM thread_links WHERE item_id = ? AND channel = ? "
        "AND kind = ? AND link = ?",
        (item_id, channel, kind, key),
    ).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO thread_links (item_id, channel, kind, link, at, last_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, channel, kind, key, first, last),
        )
    else:
        db.execute(
            "UPDATE thread_links SET at = ?, last_at = ? WHERE item_id = ? AND channel = ? "
            "AND kind = ? AND link = ?",
            (min(row[0], first), max(row[1] or last, last), item_id, channel, kind, key),
        )


def merge_items(db: sqlite3.Connection, keep: int, other: int, now: datetime) -> None:
    """Move everything of item ``other`` to ``keep``; ``other`` then says where it went."""
    db.execute(
        "DELETE FROM messages WHERE item_id = ? AND external_id IN "
        "(SELECT external_id FROM messages WHERE item_id = ?)",
        (other, keep),
    )
    for table in ("messages", "notes", "events"):
        db.execute(f"UPDATE {table} SET item_id = ? WHERE item_id = ?", (keep, other))
    # The replies go on in the kept item; the mirror's writes stay with the parent they
    # are for (``other``'s parent is then edited to say where the conversation went).
    mirror_ops = sorted(MIRROR_OPS)
    db.execute(
        f"UPDATE outbox SET item_id = ? WHERE item_id = ? "
        f"AND op NOT IN ({', '.join('?' for _ in mirror_ops)})",
        (keep, other, *mirror_ops),
    )
    db.execute(
        "INSERT OR IGNORE INTO labels (item_id, name) SELECT ?, name FROM labels WHERE item_id = ?",
        (keep, other),
    )
    db.execute("DELETE FROM labels WHERE item_id = ?", (other,))
    links = db.execute(
        "SELECT channel, kind, link, at, last_at FROM thread_links WHERE item_id = ?", (other,)
    ).fetchall()
    db.execute("DELETE FROM thread_links WHERE item_id = ?", (other,))
    for channel, kind, link, at, last_at in links:
        if kind in ("offer", "seek"):
            _span(db, keep, channel, kind, link, at, last_at or at)
        else:
            db.execute(
                "INSERT OR IGNORE INTO thread_links (item_id, channel, kind, link, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (keep, channel, kind, link, at),
            )
    kept = db.execute("SELECT state, assignee FROM items WHERE id = ?", (keep,)).fetchone()
    gone = db.execute("SELECT state, assignee, meta FROM items WHERE id = ?", (other,)).fetchone()
    if kept["assignee"] is None and gone["assignee"] is not None:
        db.execute("UPDATE items SET assignee = ? WHERE id = ?", (gone["assignee"], keep))
    if kept["state"] == "closed" and gone["state"] != "closed":
        # A piece still open means the conversation is: it should not vanish from the queue.
        db.execute("UPDATE items SET state = 'open', closed_at = NULL WHERE id = ?", (keep,))
    meta = {**json.loads(gone["meta"]), "merged_into": keep}
    db.execute(
        "UPDATE items SET merged_into = ?, state = 'closed', closed_at = ?, meta = ?, "
        "updated_at = ? WHERE id = ?",
        (keep, to_db(now), json.dumps(meta), to_db(now), other),
    )
    refresh_summary(db, keep)
    refresh_summary(db, other)
