"""The inbox table, the thread view, and the JSON shapes of items and messages."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from herocli.models import Item, ItemState, Note, StoredMessage, Waiting
from herocli.render.rows import closed_why, wait_start
from herocli.render.text import safe
from herocli.render.thread import author, item_facts, local_time, message_notes, shown_body
from herocli.render.times import since
from herocli.services.display import Names

CHANNEL_STYLE = {"github": "magenta", "email": "cyan", "slack": "green"}


def inbox_table(
    items: list[Item], now: datetime, *, title: str | None = None, width: int = 100
) -> Table:
    """One line per item: the queue is scanned, not read; `hero show` has the rest.

    Every column but the title keeps its natural width (capped); the title gets
    what is left of ``width`` and ends in an ellipsis when it does not fit.
    """
    rows = []
    for item in items:
        start = wait_start(item)
        rows.append(
            [
                Text(str(item.id)),
                Text(item.channel, style=CHANNEL_STYLE.get(item.channel, "")),
                safe(item.title, single_line=True),
                waiting_text(item),
                Text(since(start, now), style=urgency(item, start, now)),
                safe(item.last_author, single_line=True),
                safe(item.assignee or "", single_line=True),
                safe(", ".join(item.labels), "dim", single_line=True),
            ]
        )
    headers = ["#", "Chan", "Title", "Waiting", "For", "Last from", "Assignee", "Labels"]
    caps = [8, 6, 10**6, 23, 8, 24, 12, 20]
    widths = [
        min(max([len(h)] + [r[i].cell_len for r in rows]), cap)
        for i, (h, cap) in enumerate(zip(headers, caps, strict=True))
    ]
    # What is waiting and for how long always shows; on a narrow terminal the
    # side columns go, labels first, before the title drops under 30 cells.
    title_min = min(widths[2], 30)
    for name in ("Labels", "Assignee", "Last from"):
        used = sum(widths) - widths[2] + 3 * len(headers) - 1
        if used + title_min <= width:
            break
        i = headers.index(name)
        del headers[i], caps[i], widths[i]
        for row in rows:
            del row[i]
    used = sum(widths) - widths[2] + 3 * len(headers) - 1
    widths[2] = max(12, min(widths[2], width - used))
    table = Table(title=title, title_justify="left", header_style="bold", pad_edge=False)
    for header, column_width in zip(headers, widths, strict=True):
        table.add_column(
            header,
            justify="right" if header in ("#", "For") else "left",
            style="bold" if header == "#" else "",
            no_wrap=True,
            overflow="ellipsis",
            width=column_width,
        )
    for row in rows:
        table.add_row(*row)
    return table


def waiting_text(item: Item) -> Text:
    """Whose turn it is, in a word or two, styled."""
    if item.state is ItemState.CLOSED:
        why = closed_why(item)
        return Text(f"closed: {why}" if why else "closed", style="dim")
    if item.state is ItemState.SNOOZED:
        return Text("snoozed", style="blue")
    # "?": the channel has not read the whole conversation yet (a Slack thread's replies).
    mark = "?" if item.meta.get("provisional") else ""
    if item.waiting is Waiting.US and item.reply_uncertain:
        return Text(f"on us{mark}, reply uncertain", style="bold yellow")
    if item.waiting is Waiting.US:
        return Text(f"on us{mark}", style="bold yellow")
    if item.waiting is Waiting.THEM:
        return Text(f"on them{mark}", style="dim")
    return Text("")


def urgency(item: Item, start: datetime | None, now: datetime, target_minutes: int = 60) -> str:
    """The wait's colour: red past the response target, yellow past half of it."""
    if item.waiting is not Waiting.US or start is None or item.state is not ItemState.OPEN:
        return "dim"
    minutes = (now - start).total_seconds() / 60
    if minutes >= target_minutes:
        return "bold red"
    return "yellow" if minutes >= target_minutes / 2 else "green"


def thread_view(
    item: Item,
    messages: list[StoredMessage],
    notes: list[Note],
    now: datetime,
    *,
    full: bool = False,
    zone: tzinfo | None = UTC,
    names: Names | None = None,
) -> RenderableType:
    """The whole conversation, oldest first, with who is waiting and links back.

    Times are local to ``zone`` (``None``: the system's); ``names`` writes ids (Slack
    users and channels) as names.
    """
    names = names or Names()
    head = Text.assemble((f"#{item.id} ", "bold"), safe(item.title, "bold", single_line=True))
    facts = item_facts(item, now, names, zone)
    line = Text.assemble(
        (facts[0], CHANNEL_STYLE.get(item.channel, "")),
        "  ",
        (facts[1], "bold yellow" if item.waiting is Waiting.US else "dim"),
    )
    for fact in facts[2:]:
        line.append("  " + fact, style="dim")
    parts: list[RenderableType] = [head, line]
    if item.url:
        parts.append(safe(item.url, "underline dim"))
    for stored in messages:
        parts.append(_message_panel(stored, now, zone, names, full=full))
    for note in notes:
        parts.append(Rule(style="dim"))
        parts.append(
            Text.assemble(
                ("note ", "bold blue"),
                safe(note.author or "", "blue"),
                (f"  {local_time(note.at, now, zone)}\n", "dim"),
                safe(note.body),
            )
        )
    return Group(*parts)


def _message_panel(
    stored: StoredMessage, now: datetime, zone: tzinfo | None, names: Names, *, full: bool
) -> Panel:
    msg = stored.message
    body, hidden = shown_body(stored, names, full=full)
    text = safe(body or "(no text)", "strike dim" if msg.deleted else "")
    for attachment in msg.attachments:
        text.append("\n📎 ", style="dim")
        text.append_text(safe(f"{attachment.name} ({attachment.size:,} bytes)", "dim"))
    if hidden:
        text.append("\n(quoted text hidden; --full shows it)", style="dim italic")
    extra = [n for n in message_notes(stored) if n != "deleted"]
    title = Text.assemble(
        (author(stored), "bold cyan" if stored.from_team else "bold"),
        (f" ({', '.join(extra)})" if extra else "", "dim"),
        (f"  {local_time(msg.sent_at, now, zone)}", "dim"),
        (" (deleted)" if msg.deleted else "", "red"),
    )
    subtitle = safe(msg.url, "dim") if msg.url else None
    return Panel(
        text,
        title=title,
        title_align="left",
        subtitle=subtitle,
        subtitle_align="right",
        border_style="cyan" if stored.from_team else "white",
    )


def print_items(console: Console, items: list[Item], now: datetime, total: int, title: str) -> None:
    """The inbox as a table on a terminal, with a line when the limit hid some items."""
    console.print(inbox_table(items, now, title=title, width=console.width))
    if total > len(items):
        console.print(f"showing {len(items)} of {total}; --limit 0 shows all", style="dim")
