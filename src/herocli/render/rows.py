"""The queue as plain data: JSON shapes and tab-separated rows, with no Rich.

Piped and ``--json`` output is written from here alone, so a script that reads
`hero inbox` never pays for the terminal renderer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from herocli.models import Item, ItemState, StoredMessage, Waiting, iso
from herocli.render.text import field


def wait_start(item: Item, waiting: Waiting | None = None) -> datetime | None:
    """Since when the current side has been waiting (``waiting``: ``item.waiting``, if known)."""
    if (waiting or item.waiting) is Waiting.US:
        return item.waiting_since
    return item.last_message_at


def closed_why(item: Item) -> str | None:
    """Why a closed item was closed at its source (completed, not_planned, transferred,
    deleted, gone, filtered), when the channel said."""
    if item.state is not ItemState.CLOSED:  # the queue's usual case: no meta to read
        return None
    why = item.meta.get("why")
    return str(why) if why else None


def item_json(item: Item, now: datetime) -> dict[str, Any]:
    """Stable field names for --json; times in ISO 8601 UTC.

    The states are the enums' members and the labels a tuple: a ``StrEnum`` member is
    its value, and JSON writes a tuple as a list, so the text is the same for less work
    (``--json`` of a listing makes one of these per item).
    """
    waiting = item.waiting
    start = wait_start(item, waiting)
    last = item.last_message_at
    last_at = iso(last)
    return {
        "number": item.id,
        "channel": item.channel,
        "external_id": item.external_id,
        "title": item.title,
        "url": item.url,
        "state": item.state,
        "waiting": waiting,
        # The channel has not read the whole conversation yet (a Slack thread's replies).
        "waiting_provisional": bool(item.meta.get("provisional")),
        # A team reply whose send is uncertain (see `hero outbox`): it is no answer yet.
        "reply_uncertain": item.reply_uncertain,
        # Mostly the last message's time: always when they wait (since our last word),
        # and when we wait on one unanswered message.
        "waiting_since": last_at if start == last else iso(start),
        "wait_seconds": int((now - start).total_seconds()) if start else None,
        "assignee": item.assignee,
        "labels": item.labels,
        "last_author": item.last_author,
        "last_message_at": last_at,
        "message_count": item.message_count,
        "snoozed_until": iso(item.snoozed_until),
        "created_at": iso(item.created_at),
        "closed_at": iso(item.closed_at),
        "closed_why": closed_why(item),
    }


def message_json(m: StoredMessage) -> dict[str, Any]:
    msg = m.message
    return {
        "id": msg.external_id,
        "author": msg.author_name,
        "author_id": msg.author_id,
        "from_team": m.from_team,
        # None for a message that counts; "uncertain" or "dropped" for a reply that does not.
        "delivery": m.delivery.value if m.delivery else None,
        "sent_at": iso(msg.sent_at),
        "edited_at": iso(msg.edited_at),
        "deleted": msg.deleted,
        "url": msg.url,
        "body": msg.body,
        "attachments": [{"name": a.name, "size": a.size} for a in msg.attachments],
    }


def inbox_lines(items: list[Item], now: datetime) -> list[str]:
    """Tab-separated rows for pipes: machine values, no colours, one item per line."""
    out = []
    for item in items:
        waiting = item.waiting
        start = wait_start(item, waiting)
        # Stored text goes through field(); the numbers, times and words made here
        # hold no whitespace and nothing unsafe, so field() would give them back as they are.
        fields = [
            str(item.id),
            field(item.channel),
            field(item.title),
            waiting.value if waiting else "",
            iso(start) or "",
            str(int((now - start).total_seconds())) if start else "",
            field(item.assignee),
            field(",".join(item.labels)),
        ]
        out.append("\t".join(fields))
    return out
