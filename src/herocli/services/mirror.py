"""The team mirror: every item posted to a team Slack channel, teammates' answers relayed back.

Each sync with ``[mirror] enabled`` runs, after the channels:

1. **Read** the mirror channel incrementally (``SlackChannel.fetch_mirror``: history,
   then only the threads whose replies changed). Each teammate message in a parent's
   thread is taken once (``mirror_seen``, by its ts): relayed to the customer when it
   starts with ``relay_prefix`` (or always with ``relay = "all"``) as an outbox reply
   on the item's own channel whose key derives from the message's ts, else kept as
   an internal note on the item. hero's own messages there are never taken.
2. **Send** what that queued (the outbox: claimed, looked up before a retry).
3. **Mirror**: a parent for each item that has none, an edit for each parent whose
   text changed (whose turn, past the target, assignee, snoozed, closed), a thread
   message for each new customer message; then send those.

Every write is an outbox entry committed with the row that says it was queued, so a
crash at any point neither loses nor doubles one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from herocli.channels.base import Channel
from herocli.channels.slack.convert import permalink
from herocli.config_mirror import MirrorSettings
from herocli.errors import ChannelError, HeroError
from herocli.exchange import Conversation, FetchPage, SyncProgress
from herocli.models import JSON, Clock, ItemState, Message, StoredMessage
from herocli.services.mirror_text import (
    edited_note,
    edited_notice,
    follow_up_text,
    merged_text,
    parent_text,
)
from herocli.services.mirror_writes import MIRROR_CHANNEL, RELAY_KEY, relay_key
from herocli.services.outbox import ChannelFor, Delivery, deliver, enqueue
from herocli.services.sync import SyncResult
from herocli.services.team import TeamDirectory
from herocli.store import Store, cursors, log, mirror, queue, threads
from herocli.store import outbox as rows
from herocli.store.outbox import MIRROR_OPS, Op, OutboxState

#: A closed item's thread is still read this long, for a teammate's late answer.
WATCH_AFTER_CLOSE = timedelta(days=7)
#: A thread is read on every sync this long after an answer there was taken, to see
#: whether the teammate edited it (Slack's history does not show an edited reply).
EDIT_WATCH = timedelta(hours=1)


@runtime_checkable
class MirrorReader(Protocol):
    def fetch_mirror(
        self,
        target: str,
        watch: set[str],
        cursor: JSON,
        progress: SyncProgress,
        reread: frozenset[str] = frozenset(),
    ) -> Iterator[FetchPage]: ...


class Counts:
    def __init__(self) -> None:
        self.posted = self.edited = self.followed = self.relayed = self.noted = 0
        self.deliveries: list[Delivery] = []

    def deliver(self, store: Store, channel_for: ChannelFor, clock: Clock, me: str | None) -> None:
        """Send what is unfinished, each entry at most once per sync."""
        tried = {d.entry.id for d in self.deliveries}
        self.deliveries += deliver_mirror(store, channel_for, clock, me, skip=tried)

    def summary(self) -> str:
        failed = sum(1 for d in self.deliveries if not d.ok)
        parts = [
            f"{self.posted} posted",
            f"{self.edited} updated",
            f"{self.followed} follow-ups",
            f"{self.relayed} relayed",
            f"{self.noted} notes",
        ]
        if failed:
            parts.append(f"{failed} not sent (see `hero outbox`)")
        return ", ".join(parts)


def sync_mirror(
    store: Store,
    settings: MirrorSettings,
    channel_for: ChannelFor,
    team: TeamDirectory,
    clock: Clock,
    *,
    target_minutes: int,
    progress: SyncProgress,
    me: str | None = None,
) -> SyncResult:
    """Read the mirror's threads, relay and note what teammates wrote, then bring every
    parent up to date; one step failing is reported and the others still run."""
    counts = Counts()
    result = SyncResult("mirror")

    def read() -> None:
        read_threads(store, settings, channel_for(MIRROR_CHANNEL), team, clock, progress, counts)

    steps = (
        read,
        lambda: counts.deliver(store, channel_for, clock, me),
        lambda: queue_mirror(store, settings.slack_channel, clock, target_minutes, counts),
        lambda: counts.deliver(store, channel_for, clock, me),
    )
    for step in steps:
        try:
            step()
        except HeroError as exc:
            result.error = result.error or exc
    # A write that failed now fails the sync (an uncertain one waits for the hero: it is
    # reported by `hero outbox`, not on every sync).
    failed = [d.error for d in counts.deliveries if d.entry.state is OutboxState.FAILED]
    result.error = result.error or next((e for e in failed if e is not None), None)
    result.summary = counts.summary()
    return result


def read_threads(
    store: Store,
    settings: MirrorSettings,
    slack: Channel,
    team: TeamDirectory,
    clock: Clock,
    progress: SyncProgress,
    counts: Counts,
) -> None:
    """Take every new teammate message in the watched parents' threads, page by page."""
    if not isinstance(slack, MirrorReader):
        raise ChannelError(f"the {slack.name} channel cannot read the team mirror")
    watch = mirror.watched(store.conn, clock.now() - WATCH_AFTER_CLOSE)
    if not watch:
        return  # no parent posted yet: nothing to read, no request made
    cursor = cursors.load(store.conn, cursors.MIRROR)
    # A relayed answer's thread is read again for a while: an edit moves nothing else.
    reread = frozenset(mirror.relayed_threads(store.conn, clock.now() - EDIT_WATCH))
    pages = slack.fetch_mirror(settings.slack_channel, set(watch), cursor, progress, reread)
    for page in pages:
        now = clock.now()
        with store.transaction() as db:
            for conv in page.conversations:
                item_id = watch.get(str(conv.meta.get("ts") or ""))
                if item_id is not None:
                    # A merged item's thread is still answered: into the item it lives on in.
                    _take(db, conv, threads.resolve(db, item_id), settings, team, now, counts)
            cursors.save(db, cursors.MIRROR, page.cursor, now)


def relayed_body(text: str, settings: MirrorSettings) -> str | None:
    """What of a teammate's message goes to the customer; None when it stays a note."""
    if settings.relay == "all":
        return text.strip() or None
    prefix = settings.relay_prefix.strip()
    body = text.lstrip()
    if not body.startswith(prefix):
        return None
    rest = body[len(prefix) :]
    if rest and not rest[0].isspace() and settings.relay_prefix.endswith(tuple(" \t\n")):
        return None  # "!replying" is not "!reply "
    return rest.strip() or None


def _take(
    db: sqlite3.Connection,
    conv: Conversation,
    item_id: int,
    settings: MirrorSettings,
    team: TeamDirectory,
    now: datetime,
    counts: Counts,
) -> None:
    channel_id = str(conv.meta.get("channel") or "")
    parent_ts = str(conv.meta.get("ts") or "")
    for message in conv.messages[1:]:  # the first is hero's parent
        # Every message hero posts carries its outbox key (a follow-up, a notice).
        if message.deleted or not message.author_id or message.meta.get("key"):
            continue
        ts = str(message.meta.get("ts") or "")
        member = team.member_for("slack", message.author_id)
        who = member.name if member else message.author_name or message.author_id
        body = relayed_body(message.body, settings)
        mark = str(message.edited_at.timestamp()) if message.edited_at else ""
        seen = mirror.Seen(ts, parent_ts, "note" if body is None else "relay", who, mark)
        if not mirror.mark_seen(db, seen, item_id, now):
            _edited_after(db, channel_id, item_id, seen, message.body, now)
            continue  # taken before: never relayed again
        if body is None:
            log.add_note(db, item_id, now, who, message.body)
            counts.noted += 1
            continue
        item = queue.get_item(db, item_id, now)
        if item is None:
            continue
        rows.add_once(
            db,
            key=relay_key(channel_id, ts),
            item_id=item_id,
            channel=item.channel,
            op=Op.REPLY,
            payload={
                "body": body,
                "by": who,
                "sender": who,
                # ``thread``: where the teammate wrote, told there if it fails.
                "relay": {"ts": ts, "react": settings.confirm_reaction, "thread": parent_ts},
                **({"sign_as": who} if settings.relay_names else {}),
            },
            at=now,
        )
        counts.relayed += 1


def _edited_after(
    db: sqlite3.Connection,
    channel_id: str,
    item_id: int,
    now_seen: mirror.Seen,
    text: str,
    now: datetime,
) -> None:
    """A relayed answer edited in Slack after hero took it: the edit is not sent (the
    customer has, or gets, the text as first read); it is noted on the item, and the
    thread is told, once per edit."""
    before = mirror.seen_before(db, now_seen.ts)
    if before is None or before.kind != "relay" or before.mark == now_seen.mark:
        return
    mirror.set_mark(db, now_seen.ts, now_seen.mark)
    if before.mark is None:
        return  # taken before hero kept marks: what it is now is all there is to go on
    key = relay_key(channel_id, now_seen.ts)
    sent = rows.state_of(db, key) is OutboxState.SENT
    log.add_note(db, item_id, now, now_seen.author, edited_note(text, sent=sent))
    rows.add_once(
        db,
        key=f"{key}-edited-{now_seen.mark}",
        item_id=item_id,
        channel=MIRROR_CHANNEL,
        op=Op.MIRROR_NOTE,
        payload={"text": edited_notice(sent=sent), "thread": before.thread_ts},
        at=now,
    )


def queue_mirror(
    store: Store, target: str, clock: Clock, target_minutes: int, counts: Counts
) -> None:
    """Queue a parent for each new item, an edit where a parent's text changed, and a
    thread message for each new customer message, in one transaction."""
    now = clock.now()
    with store.transaction() as db:
        ours = mirror.mirror_channel_ids(db)
        # The channel's id once a parent landed there: no name lookup for every new item.
        where = next(iter(ours)) if len(ours) == 1 else target
        for item_id in mirror.unmirrored(db):
            item = queue.get_item(db, item_id, now)
            if item is None or (item.channel == "slack" and item.meta.get("channel") in ours):
                continue  # never mirror the mirror channel itself
            messages = queue.messages(db, item_id)
            shown = next((m for m in messages if not m.message.deleted), None)
            text = parent_text(item, shown.message if shown else None, now, target_minutes)
            payload = {"target": where, "text": text}
            enqueue(
                store,
                clock,
                channel=MIRROR_CHANNEL,
                op=Op.MIRROR_POST,
                item_id=item_id,
                payload=payload,
            )
            # The parent shows the first message; every later one the customer wrote
            # (a follow-up already there when the parent is first posted) goes into its
            # thread, after it and in order: queued after the parent, so sent after it.
            _follow_up(store, clock, item_id, [m for m in messages if m is not shown], counts)
            upto = max((m.id for m in messages), default=0)
            shown_id = shown.id if shown else None
            closed = item.state is ItemState.CLOSED
            mirror.add_thread(db, item_id, text, upto, shown_id, now, settled=closed)
            counts.posted += 1
        for thread in mirror.followed(db):
            item = queue.get_item(db, thread.item_id, now)
            if item is None:
                continue
            messages = queue.messages(db, thread.item_id)
            text = parent_text(item, _quoted(messages, thread.shown), now, target_minutes)
            if text != thread.wanted:
                _write(store, clock, Op.MIRROR_EDIT, item.id, text)
                mirror.set_wanted(db, item.id, text, settled=item.state is ItemState.CLOSED)
                counts.edited += 1
            later = [m for m in messages if m.id > thread.upto]
            _follow_up(store, clock, item.id, later, counts)
            if later:
                mirror.set_upto(db, item.id, max(m.id for m in later))
        _queue_merged(store, db, clock, counts)


def _queue_merged(store: Store, db: sqlite3.Connection, clock: Clock, counts: Counts) -> None:
    """Edit the parent of each item merged into another to say where it went, with a link
    to the surviving item's parent once that is posted (then it is settled)."""
    team_url = str(cursors.load(db, cursors.MIRROR).get("team_url") or "")
    for thread in mirror.merged(db):
        into = threads.resolve(db, thread.item_id)
        survivor = mirror.thread_of(db, into)
        link = None
        if survivor is not None and survivor.parent_ts and survivor.channel_id:
            link = permalink(team_url, survivor.channel_id, survivor.parent_ts)
        text = merged_text(thread.wanted, into, link)
        if text != thread.wanted:
            _write(store, clock, Op.MIRROR_EDIT, thread.item_id, text)
            counts.edited += 1
        mirror.set_wanted(db, thread.item_id, text, settled=link is not None)


def _quoted(messages: list[StoredMessage], shown: int | None) -> Message | None:
    """The message a parent quotes: the one it was posted with while it is there (a mail
    written earlier that arrives later goes into the thread, and takes nothing the team
    saw out of the parent), else the item's first."""
    alive = [m for m in messages if not m.message.deleted]
    kept = next((m for m in alive if m.id == shown), None) or next(iter(alive), None)
    return kept.message if kept else None


def _follow_up(
    store: Store, clock: Clock, item_id: int, messages: list[StoredMessage], counts: Counts
) -> None:
    """Queue a thread message for each of ``messages`` a customer wrote, in their order."""
    for m in messages:
        if m.from_team or m.message.deleted:
            continue  # only what customers write; never hero's own
        _write(store, clock, Op.MIRROR_NOTE, item_id, follow_up_text(m.message))
        counts.followed += 1


def _write(store: Store, clock: Clock, op: Op, item_id: int, text: str) -> None:
    """Queue an edit of the item's parent, or a message in its thread, saying ``text``."""
    payload = {"text": text}
    enqueue(store, clock, channel=MIRROR_CHANNEL, op=op, item_id=item_id, payload=payload)


def deliver_mirror(
    store: Store,
    channel_for: ChannelFor,
    clock: Clock,
    me: str | None,
    *,
    skip: set[int] | frozenset[int] = frozenset(),
) -> list[Delivery]:
    """Send every unfinished mirror write and relayed answer (but ``skip``), oldest first."""
    return [
        deliver(store, entry.id, channel_for, clock, me=me)
        for entry in rows.unsent_of(store.conn, MIRROR_OPS, RELAY_KEY)
        if entry.id not in skip
    ]
