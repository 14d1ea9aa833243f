"""One conversation for people: local times, names instead of ids, and a plain-text form
for pipes (no boxes, nothing cut), beside the Rich view the terminal gets."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from herocli.models import Delivery, Item, ItemState, Note, StoredMessage, Waiting, shown_text
from herocli.render.rows import closed_why
from herocli.render.text import clean
from herocli.render.times import age
from herocli.services.display import Names

#: A reply whose send is uncertain, in the words `hero outbox` uses for its entry.
UNCERTAIN_NOTE = "delivery uncertain: not an answer until settled in `hero outbox`"


def local_time(moment: datetime, now: datetime, zone: tzinfo | None) -> str:
    """``Mon 23 Nov 10:00`` in the hero's zone (the year too when it is not this year)."""
    here = moment.astimezone(zone)
    shown = (
        f"{here:%a %d %b %H:%M}"
        if here.year == now.astimezone(zone).year
        else f"{here:%a %d %b %Y %H:%M}"
    )
    return f"{shown} ({age(now - moment)} ago)"


def author(stored: StoredMessage) -> str:
    """Who wrote it: the name, with the address on email, and the member who sent it
    through hero when another identity carried it."""
    msg = stored.message
    name = msg.author_name or msg.author_id
    if "@" in msg.author_id and msg.author_id != name and not msg.author_id.startswith("<"):
        name = f"{name} <{msg.author_id}>"
    sent_by = stored.sent_by
    if sent_by and sent_by.casefold() not in name.casefold():
        name = f"{sent_by} (as {name})"
    return clean(name, single_line=True)


def message_notes(stored: StoredMessage) -> list[str]:
    """The small facts after a message's author: team, to the team, edited, deleted."""
    msg = stored.message
    notes = []
    if stored.from_team:
        notes.append("team")
    if stored.internal:
        notes.append("to the team, not an answer")
    if stored.delivery is Delivery.UNCERTAIN:
        notes.append(UNCERTAIN_NOTE)
    elif stored.delivery is Delivery.DROPPED:
        notes.append("dropped from the outbox: not an answer")
    if msg.edited_at:
        notes.append("edited")
    if msg.deleted:
        notes.append("deleted")
    return notes


def shown_body(stored: StoredMessage, names: Names, *, full: bool) -> tuple[str, bool]:
    """The text to show and whether quoted history or a signature was hidden."""
    msg = stored.message
    body = msg.body if full else shown_text(msg)
    return names.text(body.rstrip()), body != msg.body


def item_facts(item: Item, now: datetime, names: Names, zone: tzinfo | None) -> list[str]:
    """The item's line of facts: channel and place, whose turn, assignee, labels, snooze."""
    facts = [f"{item.channel} {clean(names.place(item), single_line=True)}".strip()]
    if item.state is ItemState.CLOSED:
        why = closed_why(item)
        ago = f" {age(now - item.closed_at)} ago" if item.closed_at else ""
        facts.append(f"closed{': ' + why if why else ''}{ago}")
    elif item.state is ItemState.SNOOZED and item.snoozed_until:
        facts.append(f"snoozed until {local_time(item.snoozed_until, now, zone).split(' (')[0]}")
    elif item.waiting is Waiting.US and item.waiting_since:
        facts.append(f"waiting on us for {age(now - item.waiting_since)}")
    elif item.waiting is Waiting.THEM and item.last_message_at:
        facts.append(f"waiting on them for {age(now - item.last_message_at)}")
    if item.state is not ItemState.CLOSED and item.meta.get("provisional"):
        facts[-1] += " (provisional: replies not read yet)"
    if item.reply_uncertain:
        facts.append("a reply's delivery is uncertain (`hero outbox`)")
    facts.append(
        f"assigned to {clean(item.assignee, single_line=True)}" if item.assignee else "unassigned"
    )
    if item.labels:
        facts.append("labels: " + clean(", ".join(item.labels), single_line=True))
    return facts


def thread_text(
    item: Item,
    messages: list[StoredMessage],
    notes: list[Note],
    now: datetime,
    *,
    zone: tzinfo | None = UTC,
    names: Names | None = None,
    full: bool = False,
) -> str:
    """The conversation as plain text for a pipe or a file: no boxes, no colours, every URL
    whole, untrusted text made safe."""
    names = names or Names()
    lines = [
        f"#{item.id} {clean(item.title, single_line=True)}",
        " · ".join(item_facts(item, now, names, zone)),
    ]
    if item.url:
        lines.append(clean(item.url, single_line=True))
    for stored in messages:
        msg = stored.message
        extra = message_notes(stored)
        head = f"--- {author(stored)}" + (f" ({', '.join(extra)})" if extra else "")
        lines += ["", f"{head} · {local_time(msg.sent_at, now, zone)}"]
        body, hidden = shown_body(stored, names, full=full)
        lines.append(clean(body) or "(no text)")
        lines += [clean(f"attachment: {a.name} ({a.size:,} bytes)") for a in msg.attachments]
        if hidden:
            lines.append("(quoted text hidden; --full shows it)")
        if msg.url:
            lines.append(clean(msg.url, single_line=True))
    for note in notes:
        lines += [
            "",
            f"--- note by {clean(note.author or '', single_line=True)} · {local_time(note.at, now, zone)}",
        ]
        lines.append(clean(note.body))
    return "\n".join(lines) + "\n"
