"""The team mirror's outbox entries, carried out: parents, edits, thread messages, reactions.

Called by the outbox (``services/outbox.deliver``) under its claim, so each write
gets the outbox's guarantees: a parent or thread message retried after an
uncertain attempt is first looked up by its key in the mirror channel; edits and
reactions set state and are simply done again. A relayed answer that went out is
confirmed with a reaction; one that failed is said in the thread, once each (the
entries' keys derive from the relayed message's).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from herocli.channels.base import Channel
from herocli.errors import ChannelError
from herocli.exchange import Sent
from herocli.services.mirror_text import failure_text
from herocli.store import Store, mirror
from herocli.store import outbox as rows
from herocli.store.outbox import Op, OutboxEntry

#: Every relayed answer's outbox key starts so; its confirmation and failure notice add a suffix.
RELAY_KEY = "relay-"
#: The channel every mirror write goes through (the mirror is a Slack channel).
MIRROR_CHANNEL = "slack"


@runtime_checkable
class MirrorChannel(Protocol):
    """What the mirror needs of the Slack channel (``channels/slack/channel.py``)."""

    def mirror_post(
        self, target: str, text: str, key: str, thread_ts: str | None = None
    ) -> Sent: ...

    def mirror_find(
        self, target: str, key: str, since: datetime, thread_ts: str | None = None
    ) -> Sent | None: ...

    def mirror_edit(self, channel: str, ts: str, text: str) -> None: ...

    def mirror_react(self, channel: str, ts: str, name: str) -> None: ...


def relay_key(channel_id: str, ts: str) -> str:
    """The outbox key of the answer relayed from mirror message ``ts``: one per message."""
    return f"{RELAY_KEY}{channel_id}-{ts}"


def send(store: Store, channel: Channel, entry: OutboxEntry) -> Sent | None:
    """Carry out one mirror entry; an earlier attempt that landed is found, not repeated."""
    if not isinstance(channel, MirrorChannel):
        raise ChannelError(f"the {channel.name} channel cannot write the team mirror")
    payload = entry.payload
    again = entry.attempts > 1
    if entry.op is Op.MIRROR_POST:
        target = str(payload["target"])
        earlier = channel.mirror_find(target, entry.key, entry.created_at) if again else None
        return earlier or channel.mirror_post(target, str(payload["text"]), entry.key)
    assert entry.item_id is not None
    thread = mirror.thread_of(store.conn, entry.item_id)
    if thread is None or thread.parent_ts is None or thread.channel_id is None:
        raise ChannelError(f"the mirror message of item #{entry.item_id} is not posted yet")
    where, parent = thread.channel_id, thread.parent_ts
    if entry.op is Op.MIRROR_EDIT:
        channel.mirror_edit(where, parent, str(payload["text"]))
        return None
    if entry.op is Op.MIRROR_REACT:
        channel.mirror_react(where, str(payload["ts"]), str(payload["name"]))
        return None
    # A notice about a relayed answer goes where the teammate wrote it (a merged item's
    # old thread, say); everything else into the item's own thread.
    parent = str(payload.get("thread") or parent)
    earlier = channel.mirror_find(where, entry.key, entry.created_at, parent) if again else None
    return earlier or channel.mirror_post(where, str(payload["text"]), entry.key, parent)


def record(db: sqlite3.Connection, entry: OutboxEntry, sent: Sent | None) -> None:
    """After a mirror entry is sent: a parent's channel and ts, for its edits and thread."""
    if entry.op is Op.MIRROR_POST and sent is not None and entry.item_id is not None:
        mirror.set_parent(db, entry.item_id, str(sent.meta["channel"]), str(sent.meta["ts"]))


def dropped(db: sqlite3.Connection, entry: OutboxEntry, at: datetime) -> None:
    """A parent the hero dropped will never be posted: forget it, with the writes that
    waited for it, so the next sync mirrors the item afresh."""
    if entry.op is Op.MIRROR_POST and entry.item_id is not None:
        mirror.forget(db, entry.item_id, at)


def confirm(db: sqlite3.Connection, entry: OutboxEntry, at: datetime) -> None:
    """A relayed answer reached the customer: react to the teammate's message, once."""
    relay = entry.payload.get("relay")
    if isinstance(relay, dict):
        payload = {"ts": relay["ts"], "name": relay["react"]}
        _once(db, entry, "ok", Op.MIRROR_REACT, payload, at)


def report(
    db: sqlite3.Connection, entry: OutboxEntry, error: str, at: datetime, *, uncertain: bool
) -> None:
    """A relayed answer did not go out (or may not have): say so in its thread, once."""
    relay = entry.payload.get("relay")
    if isinstance(relay, dict):
        payload = {"text": failure_text(error, uncertain=uncertain)}
        if relay.get("thread"):
            payload["thread"] = str(relay["thread"])
        _once(db, entry, "failed", Op.MIRROR_NOTE, payload, at)


def _once(
    db: sqlite3.Connection,
    entry: OutboxEntry,
    suffix: str,
    op: Op,
    payload: dict[str, Any],
    at: datetime,
) -> None:
    """Queue a mirror write about the relayed answer ``entry``, keyed by it and ``suffix``."""
    rows.add_once(
        db,
        key=f"{entry.key}-{suffix}",
        item_id=entry.item_id,
        channel=MIRROR_CHANNEL,
        op=op,
        payload=payload,
        at=at,
    )
