"""Every write to a channel goes through the outbox: written, claimed, sent, marked.

An entry is written in the same transaction as the local change it carries
out. Before anything is sent it is *claimed*: one UPDATE takes a lease (owner
and expiry), so a second `hero` process never sends it too. An entry claimed
again after an earlier attempt (a crash, a timeout, a 5xx) first asks the
channel whether that attempt landed (``find_sent``/``find_posted`` by the
entry's own key), so nothing is lost and nothing is sent twice. When the
channel cannot tell (email after a lost SMTP connection), the entry becomes
*uncertain* and is resent only on ``hero outbox retry --resend ID``.

Entries that set a field of an item (its state, assignee, a label) are
ordered: a newer one wins, and an older one it overrides is superseded, never
replayed. A handoff's parts form one batch, sent strictly in order.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herocli.channels.base import Channel
from herocli.errors import HeroError, NotFoundError, UncertainError, UsageError
from herocli.exchange import CloseReason, Conversation, OutgoingReply, Sent, Thread
from herocli.models import Clock, Message, TeamMember
from herocli.services import leases, mirror_writes
from herocli.store import Store, ingest, queue
from herocli.store import outbox as rows
from herocli.store import outbox_claims as claims
from herocli.store.outbox import MIRROR_OPS, Op, OutboxEntry, OutboxState

ChannelFor = Callable[[str], Channel]

#: How long a claim holds. Longer than any one send (HTTP and SMTP time out well
#: before); a sender that dies on this host is noticed at once, see ``leases``.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Delivery:
    entry: OutboxEntry
    sent: Sent | None = None
    error: HeroError | None = None
    already_sent: bool = False  # found upstream after an earlier attempt: not sent again
    waiting: str | None = None  # not sent now, and why (another process has it, ...)

    @property
    def ok(self) -> bool:
        return self.error is None


def new_key() -> str:
    return uuid.uuid4().hex


def fields_for(op: Op, payload: dict[str, Any]) -> tuple[str, ...]:
    """The item fields an entry sets: a newer entry on the same field wins."""
    if op in (Op.CLOSE, Op.REOPEN):
        return ("state",)
    if op is Op.ASSIGN:
        return ("assignee",)
    if op is Op.MIRROR_EDIT:  # the newest text of a mirror parent wins
        return ("mirror",)
    if op is Op.LABELS:
        names = [*payload.get("add", ()), *payload.get("remove", ())]
        return tuple(f"label:{name}" for name in names)
    return ()  # a message: every one is its own


def enqueue(
    store: Store,
    clock: Clock,
    *,
    channel: str,
    op: Op,
    item_id: int | None,
    payload: dict[str, Any],
    batch: str | None = None,
) -> int:
    """Write an outbox row and return its id. Nothing is sent yet.

    Called inside an open ``store.transaction()``, it joins it: the local change
    and its outbox row commit together or not at all.
    """
    with store.transaction() as db:
        return rows.add(
            db,
            key=new_key(),
            item_id=item_id,
            channel=channel,
            op=op,
            payload=payload,
            at=clock.now(),
            fields=fields_for(op, payload),
            batch=batch,
        )


def enqueue_batch(
    store: Store, clock: Clock, *, channel: str, op: Op, payloads: Iterable[dict[str, Any]]
) -> list[int]:
    """Write entries that go out strictly in order (a handoff's parts), in one transaction."""
    batch = new_key()
    with store.transaction():
        return [
            enqueue(store, clock, channel=channel, op=op, item_id=None, payload=p, batch=batch)
            for p in payloads
        ]


def same_text_pending(store: Store, item_id: int, body: str) -> list[OutboxEntry]:
    """Unfinished entries on the item with exactly this text: sending it again would double it."""
    return rows.same_text(store.conn, item_id, body)


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
    store: Store,
    entry_id: int,
    channel_for: ChannelFor,
    clock: Clock,
    *,
    me: str | None = None,
    resend: bool = False,
    owner: str | None = None,
) -> Delivery:
    """Claim one outbox entry and carry it out; failures are recorded on the row, never raised.

    ``resend`` is the hero's word that an *uncertain* entry is to go out again
    without looking for the earlier attempt; it changes nothing for other entries.
    ``owner`` names the lease holder (default: this process, see ``leases``).
    """
    entry = rows.get(store.conn, entry_id)
    if entry is None:
        raise NotFoundError(f"no outbox entry {entry_id}")
    if entry.state in (OutboxState.SENT, OutboxState.DROPPED, OutboxState.SUPERSEDED):
        return Delivery(entry, already_sent=entry.state is OutboxState.SENT)
    resend = resend and entry.state is OutboxState.UNCERTAIN
    if entry.state is OutboxState.UNCERTAIN and not resend:
        return _uncertain(entry)
    owner = owner or leases.owner_id()
    with store.transaction() as db:
        now = clock.now()
        dead = leases.dead(claims.lease_owners(db))
        claimed = claims.claim(
            db, entry.id, owner=owner, now=now, until=now + LEASE, dead_owners=dead, resend=resend
        )
        if claimed is None:
            claims.supersede_if_overridden(db, entry.id, now=now, dead_owners=dead)
            return _not_claimed(db, entry.id, now, dead)
    try:
        channel = channel_for(claimed.channel)
        thread = thread_for(store, claimed.item_id, clock) if claimed.item_id is not None else None
        covered = claims.covered_fields(store.conn, claimed.id)
        earlier = None
        if claimed.op in MIRROR_OPS:  # looks for its own earlier attempt
            sent = mirror_writes.send(store, channel, claimed)
        else:
            if claimed.attempts > 1 and not resend:  # an earlier attempt may have landed
                earlier = _find_earlier(channel, claimed, thread)
            sent = earlier or _perform(channel, claimed, thread, covered)
    except UncertainError as exc:
        # A sender killed mid-send claimed the entry just before it built the message.
        began = exc.sent_at or (entry.updated_at if entry.state is OutboxState.SENDING else None)
        with store.transaction() as db:
            rows.mark_uncertain(
                db, claimed.id, owner, exc.message, clock.now(), sent_id=exc.sent_id, sent_at=began
            )
            if exc.sent_id is not None:  # a copy already synced is no answer either
                ingest.follow_outbox(db, claimed.channel, exc.sent_id)
            mirror_writes.report(db, claimed, exc.message, clock.now(), uncertain=True)
        return Delivery(_reload(store, claimed.id), error=exc)
    except HeroError as exc:
        with store.transaction() as db:
            rows.mark_failed(db, claimed.id, owner, exc.message, clock.now())
            mirror_writes.report(db, claimed, exc.message, clock.now(), uncertain=False)
        return Delivery(_reload(store, claimed.id), error=exc)
    except Exception as exc:  # a bug: give the entry back (looked up first next time), then fail
        with store.transaction() as db:
            why = f"unexpected {type(exc).__name__} while sending"
            rows.mark_failed(db, claimed.id, owner, why, clock.now())
        raise
    with store.transaction() as db:
        now = clock.now()
        rows.mark_sent(
            db, claimed.id, sent.external_id if sent else None, sent.sent_at if sent else now, now
        )
        if sent is not None and thread is not None and "body" in claimed.payload:
            _record_reply(db, claimed, thread, sent, me, now)
            mirror_writes.confirm(db, claimed, now)
        mirror_writes.record(db, claimed, sent)
    return Delivery(_reload(store, claimed.id), sent=sent, already_sent=earlier is not None)


def _uncertain(entry: OutboxEntry) -> Delivery:
    why = entry.last_error or "it may have been sent"
    return Delivery(
        entry,
        error=UncertainError(
            f"uncertain: {why}",
            hint=f"check the recipient's copy; if it arrived, `hero outbox mark-sent {entry.id}`; "
            f"if not, `hero outbox retry --resend {entry.id}` sends it again or "
            f"`hero outbox drop {entry.id}` forgets it",
        ),
    )


def _not_claimed(
    db: sqlite3.Connection, entry_id: int, now: datetime, dead: tuple[str, ...]
) -> Delivery:
    """Why an entry could not be claimed, as a Delivery that sends nothing."""
    entry = rows.get(db, entry_id)
    assert entry is not None
    if entry.state in (OutboxState.SENT, OutboxState.SUPERSEDED, OutboxState.DROPPED):
        return Delivery(entry, already_sent=entry.state is OutboxState.SENT)
    if entry.state is OutboxState.UNCERTAIN:
        return _uncertain(entry)
    if claims.lease_live(entry, now, dead):
        return Delivery(entry, waiting="another hero process is sending it")
    blocker = claims.blocker(db, entry.id, now)
    if blocker is not None:
        return Delivery(entry, waiting=f"it goes out after entry {blocker.id}")
    fields = claims.fields_of(db, entry.id)
    if fields and fields <= claims.covered_fields(db, entry.id):
        return Delivery(entry, waiting="a newer entry sets the same thing; that one goes out")
    return Delivery(entry, waiting=f"it is {entry.state.value}")


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
        mentions=tuple(entry.payload.get("mentions", ())),
        sender=entry.payload.get("sender"),
        sign_as=entry.payload.get("sign_as"),
    )


def _perform(
    channel: Channel, entry: OutboxEntry, thread: Thread | None, covered: set[str]
) -> Sent | None:
    """Do the write; label changes a newer entry also makes are left to that entry."""
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
        add = tuple(x for x in entry.payload.get("add", ()) if f"label:{x}" not in covered)
        remove = tuple(x for x in entry.payload.get("remove", ()) if f"label:{x}" not in covered)
        if add or remove:
            channel.set_labels(thread, add, remove)
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
        author_name=entry.payload.get("by") or me or "me",
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
    store: Store,
    channel_for: ChannelFor,
    clock: Clock,
    *,
    me: str | None = None,
    owner: str | None = None,
) -> list[Delivery]:
    """Retry every unfinished entry, oldest first; uncertain ones are reported, not resent."""
    return [
        deliver(store, entry.id, channel_for, clock, me=me, owner=owner)
        for entry in rows.unsent(store.conn)
    ]


def deliver_batch(
    store: Store, entry_ids: list[int], channel_for: ChannelFor, clock: Clock, *, me: str | None
) -> list[Delivery]:
    """Deliver a batch's entries in order, stopping at the first that does not go out."""
    done = []
    for entry_id in entry_ids:
        delivery = deliver(store, entry_id, channel_for, clock, me=me)
        done.append(delivery)
        if not delivery.ok or delivery.waiting is not None:
            break
    return done


def batch_progress(store: Store, entry: OutboxEntry) -> tuple[int, int]:
    """(parts sent, parts in all) of the batch ``entry`` belongs to."""
    if entry.batch is None:
        return (1 if entry.state is OutboxState.SENT else 0), 1
    parts = rows.batch_entries(store.conn, entry.batch)
    return sum(1 for p in parts if p.state is OutboxState.SENT), len(parts)


def drop(store: Store, entry_id: int, clock: Clock) -> OutboxEntry:
    """Forget an unfinished entry for good (a channel that does not exist, a reply too long).

    An uncertain reply dropped is no answer: a copy of it already synced stops
    counting as one (the copy stays where it is upstream).
    """
    entry = rows.get(store.conn, entry_id)
    if entry is None:
        raise NotFoundError(f"no outbox entry {entry_id}")
    with store.transaction() as db:
        if not rows.drop(db, entry_id, clock.now()):
            raise UsageError(
                f"outbox entry {entry_id} is {entry.state.value}; only unfinished ones can be dropped"
            )
        if entry.sent_id is not None:
            ingest.follow_outbox(db, entry.channel, entry.sent_id)
        mirror_writes.dropped(db, entry, clock.now())
    return _reload(store, entry_id)


def mark_sent(store: Store, entry_id: int, clock: Clock, *, me: str | None = None) -> OutboxEntry:
    """The hero's word that an uncertain entry did reach the customer: it is sent.

    The reply counts from then on, at the time it was handed over: its copy, if a
    sync read it, or the reply recorded now from the entry, as a send does.
    """
    entry = rows.get(store.conn, entry_id)
    if entry is None:
        raise NotFoundError(f"no outbox entry {entry_id}")
    with store.transaction() as db:
        now = clock.now()
        if not rows.settle_sent(db, entry_id, now):
            raise UsageError(
                f"outbox entry {entry_id} is {entry.state.value}; only an uncertain one "
                "can be marked sent",
                hint="`hero outbox` lists the uncertain ones",
            )
        settled = _reload(store, entry_id)
        followed = settled.sent_id is not None and ingest.follow_outbox(
            db, settled.channel, settled.sent_id
        )
        if (
            not followed
            and settled.sent_id is not None
            and settled.item_id is not None
            and "body" in settled.payload
        ):  # no copy read yet: recorded as a send would record it, at its own time
            thread = thread_for(store, settled.item_id, clock)
            meta = {"message_id": settled.sent_id}
            sent = Sent(external_id=settled.sent_id, sent_at=settled.sent_at or now, meta=meta)
            _record_reply(db, settled, thread, sent, me, now)
        mirror_writes.confirm(db, settled, now)
    return _reload(store, entry_id)
