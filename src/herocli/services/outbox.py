"""Every write to a channel goes through the outbox: written first, then sent, then marked.

A crash or a fault between the steps leaves the row pending or failed; the
next delivery first asks the channel whether the write already happened
(``find_sent``), so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herocli.channels.base import Channel
from herocli.errors import HeroError, NotFoundError
from herocli.models import (
    Clock,
    CloseReason,
    Conversation,
    Message,
    OutgoingReply,
    Sent,
    TeamMember,
    Thread,
)
from herocli.store import Store, ingest, queue
from herocli.store import outbox as rows
from herocli.store.outbox import Op, OutboxEntry, OutboxState

ChannelFor = Callable[[str], Channel]


@dataclass(frozen=True)
class Delivery:
    entry: OutboxEntry
    sent: Sent | None = None
    error: HeroError | None = None
    already_sent: bool = False  # found upstream after an earlier attempt: not sent again

    @property
    def ok(self) -> bool:
        return self.error is None


def new_key() -> str:
    return uuid.uuid4().hex


def enqueue(
    store: Store,
    clock: Clock,
    *,
    channel: str,
    op: Op,
    item_id: int | None,
    payload: dict[str, Any],
) -> int:
    """Write an outbox row and return its id. Nothing is sent yet."""
    with store.transaction() as db:
        return rows.add(
            db,
            key=new_key(),
            item_id=item_id,
            channel=channel,
            op=op,
            payload=payload,
            at=clock.now(),
        )


def thread_for(store: Store, item_id: int, clock: Clock) -> Thread:
    item = queue.get_item(store.conn, item_id, clock.now())
    if item is None:
        raise NotFoundError(f"no item #{item_id} in the queue")
    return Thread(
        item_id=item.id,
        external_id=item.external_id,
        title=item.title,
        url=item.url,
        messages=tuple(m.message for m in queue.messages(store.conn, item_id)),
        meta=item.meta,
    )


def deliver(
    store: Store, entry_id: int, channel_for: ChannelFor, clock: Clock, *, me: str | None = None
) -> Delivery:
    """Carry out one outbox entry; failures are recorded on the row, never raised."""
    entry = rows.get(store.conn, entry_id)
    if entry is None:
        raise NotFoundError(f"no outbox entry {entry_id}")
    if entry.state in (OutboxState.SENT, OutboxState.CANCELLED):
        return Delivery(entry, already_sent=entry.state is OutboxState.SENT)
    try:
        channel = channel_for(entry.channel)
        thread = thread_for(store, entry.item_id, clock) if entry.item_id is not None else None
        earlier = _find_earlier(channel, entry, thread) if entry.attempts else None
        with store.transaction() as db:
            rows.mark_attempt(db, entry.id, clock.now())
        sent = earlier or _perform(channel, entry, thread)
    except HeroError as exc:
        with store.transaction() as db:
            rows.mark_failed(db, entry.id, exc.message, clock.now())
        return Delivery(_reload(store, entry.id), error=exc)
    with store.transaction() as db:
        now = clock.now()
        rows.mark_sent(
            db, entry.id, sent.external_id if sent else None, sent.sent_at if sent else now, now
        )
        if sent is not None and thread is not None and "body" in entry.payload:
            _record_reply(db, entry, thread, sent, me, now)
    return Delivery(_reload(store, entry.id), sent=sent, already_sent=earlier is not None)


def _reload(store: Store, entry_id: int) -> OutboxEntry:
    entry = rows.get(store.conn, entry_id)
    assert entry is not None
    return entry


def _find_earlier(channel: Channel, entry: OutboxEntry, thread: Thread | None) -> Sent | None:
    # A reply, or the message an assignment's --ping writes into the thread.
    if entry.op in (Op.REPLY, Op.ASSIGN) and "body" in entry.payload and thread is not None:
        return channel.find_sent(thread, _reply(entry))
    if entry.op is Op.POST:
        return channel.find_posted(entry.payload["target"], entry.key, since=entry.created_at)
    return None  # the other writes set state upstream, so doing them again is harmless


def _reply(entry: OutboxEntry) -> OutgoingReply:
    return OutgoingReply(
        key=entry.key,
        body=entry.payload["body"],
        broadcast=bool(entry.payload.get("broadcast", False)),
    )


def _perform(channel: Channel, entry: OutboxEntry, thread: Thread | None) -> Sent | None:
    if entry.op is Op.POST:
        return channel.post(entry.payload["target"], entry.payload["body"], entry.key)
    if thread is None:
        raise NotFoundError(f"outbox entry {entry.id} has no item")
    if entry.op is Op.REPLY:
        return channel.send_reply(thread, _reply(entry))
    if entry.op is Op.CLOSE:
        channel.close(thread, CloseReason(entry.payload.get("reason", "completed")))
    elif entry.op is Op.REOPEN:
        channel.reopen(thread)
    elif entry.op is Op.ASSIGN:
        channel.assign(thread, TeamMember(**entry.payload["member"]))
        if "body" in entry.payload:  # --ping
            return channel.send_reply(thread, _reply(entry))
    elif entry.op is Op.LABELS:
        channel.set_labels(
            thread, tuple(entry.payload.get("add", ())), tuple(entry.payload.get("remove", ()))
        )
    return None


def _record_reply(
    db: sqlite3.Connection,
    entry: OutboxEntry,
    thread: Thread,
    sent: Sent,
    me: str | None,
    now: datetime,
) -> None:
    """File the sent reply as a team message right away: the item now waits on them."""
    message = Message(
        external_id=sent.external_id,
        author_id=entry.payload.get("author_id") or (me or "me"),
        author_name=me or "me",
        sent_at=sent.sent_at,
        body=entry.payload["body"],
        url=sent.url,
        team_hint=True,
        meta=dict(sent.meta),
    )
    conv = Conversation(
        channel=entry.channel,
        external_id=thread.external_id,
        title=thread.title,
        messages=(message,),
    )
    ingest.ingest(db, conv, lambda _m: True, now)


def deliver_pending(
    store: Store, channel_for: ChannelFor, clock: Clock, *, me: str | None = None
) -> list[Delivery]:
    """Retry every pending or failed entry, oldest first."""
    return [
        deliver(store, entry.id, channel_for, clock, me=me) for entry in rows.unsent(store.conn)
    ]
