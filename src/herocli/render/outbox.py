"""What the outbox did, and what a reply will do, in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from herocli.models import iso, shown_text
from herocli.render.text import clean, safe
from herocli.render.times import age
from herocli.services.display import Names
from herocli.services.drafts import with_scissors
from herocli.services.inbox import ItemDetail
from herocli.services.outbox import Delivery
from herocli.store.outbox import OutboxEntry

_HOW = {
    "github": "an issue comment",
    "email": "an email reply",
    "slack": "a reply in the Slack thread",
}


def reply_target(detail: ItemDetail, names: Names | None = None) -> str:
    """Where a reply goes, in words: the item, then the channel and its address there."""
    item = detail.item
    title = clean(item.title, single_line=True)
    if len(title) > 50:
        title = title[:49] + "…"
    how = _HOW.get(item.channel, f"a {item.channel} reply")
    return f"#{item.id} {title} — as {how} {_where(detail, names or Names())}"


def _where(detail: ItemDetail, names: Names) -> str:
    if detail.item.channel == "email":
        outside = [m.message for m in detail.messages if not m.from_team]
        if outside:
            meta = outside[-1].meta
            to = list(meta.get("reply_to") or []) or [
                str(meta.get("from") or outside[-1].author_id)
            ]
            return "to " + clean(", ".join(to), single_line=True)
    return f"on {clean(names.place(detail.item), single_line=True)}"


def reply_template(
    detail: ItemDetail, now: datetime, body: str = "", names: Names | None = None
) -> str:
    """The editor's starting text: ``body`` (a kept draft) to write in, then the scissors
    line and, under it, the conversation, which is never sent."""
    below = [
        f"# Reply to #{detail.item.id}: {clean(detail.item.title, single_line=True)}",
        f"# Sent as {_HOW.get(detail.item.channel, detail.item.channel)} "
        f"on {clean((names or Names()).place(detail.item), single_line=True)}.",
        "#",
    ]
    for stored in detail.messages[-5:]:
        msg = stored.message
        below.append(
            f"# --- {clean(msg.author_name, single_line=True)}, {age(now - msg.sent_at)} ago"
        )
        text = shown_text(msg)
        below.extend(f"# {clean(line)}".rstrip() for line in text.splitlines())
    return with_scissors(body, below)


def describe_delivery(delivery: Delivery) -> Text:
    entry = delivery.entry
    what = f"{entry.op.value} #{entry.item_id}" if entry.item_id else f"{entry.op.value}"
    if "part" in entry.payload:
        what += f" (part {entry.payload['part']} of {entry.payload.get('parts', '?')})"
    if delivery.waiting is not None:
        return Text.assemble(
            ("… ", "yellow"),
            safe(f"{what} on {entry.channel} not sent now: {delivery.waiting}. "),
            (f"Kept in the outbox as {entry.id}.", "yellow"),
        )
    if entry.state.value in ("superseded", "dropped"):
        return Text.assemble(
            ("- ", "dim"), safe(f"{what} on {entry.channel} is {entry.state.value}; not sent.")
        )
    if delivery.ok:
        note = " (it had already gone out; not sent again)" if delivery.already_sent else ""
        refused = delivery.sent.meta.get("refused") if delivery.sent else None
        if refused:
            # Sent to the others: said, never resent (that would double it for them).
            note += f"; the server refused {', '.join(map(str, refused))}"
        where = f" {delivery.sent.url}" if delivery.sent and delivery.sent.url else ""
        return Text.assemble(
            ("✓ ", "green"), safe(f"{what} done on {entry.channel}{note}"), (where, "dim")
        )
    message = delivery.error.message if delivery.error else "failed"
    if entry.state.value == "uncertain":
        return Text.assemble(
            ("? ", "bold yellow"),
            safe(
                f"{what} on {entry.channel} is uncertain: {message.removeprefix('uncertain: ')}. "
            ),
            (
                f"Not resent by itself, and no answer until settled: check whether it arrived, "
                f"then `hero outbox mark-sent {entry.id}`, `hero outbox retry --resend "
                f"{entry.id}` or `hero outbox drop {entry.id}`.",
                "yellow",
            ),
        )
    return Text.assemble(
        ("✗ ", "bold red"),
        safe(f"{what} on {entry.channel} failed: {message}. "),
        (f"Kept in the outbox as {entry.id}; `hero outbox retry` sends it again.", "yellow"),
    )


_STATE_STYLE = {
    "sent": "green",
    "failed": "red",
    "uncertain": "bold yellow",
    "superseded": "dim",
    "dropped": "dim",
}


def outbox_table(entries: list[OutboxEntry], now: datetime) -> Table:
    table = Table(header_style="bold", pad_edge=False)
    for column in ("Id", "Op", "Item", "Channel", "What", "State", "Tries", "Age", "Last error"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            str(e.id),
            e.op.value,
            f"#{e.item_id}" if e.item_id else safe(str(e.payload.get("target", ""))),
            e.channel,
            safe(e.excerpt(40), single_line=True),
            Text(e.state.value, style=_STATE_STYLE.get(e.state.value, "yellow")),
            str(e.attempts),
            age(now - e.created_at),
            safe(e.last_error or "", "dim", single_line=True),
        )
    return table


def outbox_json(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "op": entry.op.value,
        "item": entry.item_id,
        "channel": entry.channel,
        "state": entry.state.value,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "created_at": iso(entry.created_at),
        "sent_id": entry.sent_id,
        "sent_at": iso(entry.sent_at),
        "payload": entry.payload,
        "excerpt": entry.excerpt(),
    }
