"""The inbox as a table on a terminal (the thread view is in render.thread_view)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING

from herocli.models import Item, ItemState, Waiting
from herocli.render.cells import widest
from herocli.render.rows import closed_why, wait_start
from herocli.render.table import Column, FixedTable
from herocli.render.text import clean
from herocli.render.times import since

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from herocli.render.screen import Screen

CHANNEL_STYLE = {"github": "magenta", "email": "cyan", "slack": "green"}


def inbox_table(
    items: list[Item], now: datetime, *, title: str | None = None, width: int = 100
) -> FixedTable:
    """One line per item: the queue is scanned, not read; `hero show` has the rest.

    Every column but the title keeps its natural width (capped); the title gets
    what is left of ``width`` and ends in an ellipsis when it does not fit.
    """
    # Each cell as (text, style): the table draws them without a Text for each.
    rows = []
    for item in items:
        start = wait_start(item)
        rows.append(
            [
                (str(item.id), ""),
                (item.channel, CHANNEL_STYLE.get(item.channel, "")),
                (clean(item.title, single_line=True), ""),
                waiting_words(item),
                (since(start, now), urgency(item, start, now)),
                (clean(item.last_author or "", single_line=True), ""),
                (clean(item.assignee or "", single_line=True), ""),
                (clean(", ".join(item.labels), single_line=True), "dim"),
            ]
        )
    headers = ["#", "Chan", "Title", "Waiting", "For", "Last from", "Assignee", "Labels"]
    caps = [8, 6, 10**6, 23, 8, 24, 12, 20]
    widths = [
        min(max(len(h), widest([r[i][0] for r in rows])), cap)
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
    columns = [
        Column(
            header,
            column_width,
            justify="right" if header in ("#", "For") else "left",
            style="bold" if header == "#" else "",
        )
        for header, column_width in zip(headers, widths, strict=True)
    ]
    return FixedTable(columns, rows, title=title)


def waiting_text(item: Item) -> Text:
    """Whose turn it is, in a word or two, styled."""
    from rich.text import Text

    return Text(*waiting_words(item))


def waiting_words(item: Item) -> tuple[str, str]:
    """``waiting_text`` as its words and their style."""
    if item.state is ItemState.CLOSED:
        why = closed_why(item)
        return (f"closed: {why}" if why else "closed", "dim")
    if item.state is ItemState.SNOOZED:
        return ("snoozed", "blue")
    # "?": the channel has not read the whole conversation yet (a Slack thread's replies).
    mark = "?" if item.meta.get("provisional") else ""
    if item.waiting is Waiting.US and item.reply_uncertain:
        return (f"on us{mark}, reply uncertain", "bold yellow")
    if item.waiting is Waiting.US:
        return (f"on us{mark}", "bold yellow")
    if item.waiting is Waiting.THEM:
        return (f"on them{mark}", "dim")
    return ("", "")


def urgency(item: Item, start: datetime | None, now: datetime, target_minutes: int = 60) -> str:
    """The wait's colour: red past the response target, yellow past half of it."""
    if item.waiting is not Waiting.US or start is None or item.state is not ItemState.OPEN:
        return "dim"
    minutes = (now - start).total_seconds() / 60
    if minutes >= target_minutes:
        return "bold red"
    return "yellow" if minutes >= target_minutes / 2 else "green"


def print_items(
    items: list[Item],
    now: datetime,
    total: int,
    title: str,
    *,
    screen: Screen | None,
    file: IO[str],
    console: Callable[[], Console],
) -> None:
    """The inbox as a table on a terminal, with a line when the limit hid some items.

    On a plain terminal (``screen``) it is written to ``file`` without Rich; anything
    else is printed by the ``console`` (made only then).
    """
    more = f"showing {len(items)} of {total}; --limit 0 shows all" if total > len(items) else None
    if screen is not None:
        from herocli.render.screen import draw

        table = inbox_table(items, now, title=title, width=screen.width)
        text = draw(table, screen, more)
        if text is not None:
            file.write(text)
            file.flush()
            return
    out = console()
    table = inbox_table(items, now, title=title, width=out.width)
    # A table that fits needs no line measured again to be cropped; one that does not is
    # drawn by Table, which may still be too wide.
    out.print(table, crop=table.width > out.width)
    if more is not None:
        from rich.text import Text

        # A Text, not a str: no markup or emoji codes to read (see render.table).
        out.print(Text(more, style="dim"))
