"""One conversation on a terminal: the item's facts, then each message in a panel."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from herocli.models import Item, Note, StoredMessage, Waiting
from herocli.render.items import CHANNEL_STYLE
from herocli.render.text import safe
from herocli.render.thread import author, item_facts, local_time, message_notes, shown_body
from herocli.services.display import Names


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
