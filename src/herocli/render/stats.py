"""Stats, the rota and the handoff for the terminal: a bar chart of volume per day, and tables.

Untrusted text (titles, names, notes) only reaches Rich as ``safe()`` Text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from herocli.render.figures import channel_cells, duration, local_time
from herocli.render.markdown import REPLY_UNCERTAIN
from herocli.render.text import safe
from herocli.services.handoff import GROUPS, HandoffItem, HandoffOutcome, HandoffPlan, HandoffReport
from herocli.services.rota import RotaView
from herocli.services.stats import Stats

BAR_WIDTH = 40
BAR_CHARS = {"github": ("█", "blue"), "email": ("▓", "green"), "slack": ("▒", "magenta")}
OTHER_BAR = ("░", "yellow")
GROUP_TITLES = {
    "waiting_on_us": "Waiting on us",
    "waiting_on_them": "Waiting on them",
    "snoozed": "Snoozed",
}


def volume_chart(s: Stats) -> RenderableType:
    """New items per local day, one stacked bar per day (a character and colour per channel)."""
    peak = max((sum(c.values()) for _, c in s.volume), default=0)
    scale = BAR_WIDTH / peak if peak > BAR_WIDTH else 1.0
    table = Table(box=None, show_header=False, padding=(0, 1), title="New items per day")
    table.add_column("day")
    table.add_column("bar", no_wrap=True)
    table.add_column("count", justify="right")
    for day, counts in s.volume:
        bar = Text()
        for channel in s.channels:
            char, style = BAR_CHARS.get(channel, OTHER_BAR)
            n = counts.get(channel, 0)
            bar.append(char * round(n * scale), style=style)
        table.add_row(day.strftime("%a %d %b"), bar, str(sum(counts.values())))
    legend = Text("  ")
    for channel in s.channels:
        char, style = BAR_CHARS.get(channel, OTHER_BAR)
        legend.append(f"{char} {channel}  ", style=style)
    total = sum(sum(c.values()) for _, c in s.volume)
    legend.append(f"total {total}")
    return Group(table, legend)


def channel_table(s: Stats, *, boxed: bool = True) -> Table:
    table = Table(
        title="Response and close times",
        title_justify="left",
        box=box.HEAVY_HEAD if boxed else None,
    )
    for name in ("Channel", "New", "Answered", "First resp. median", "p90", "mean"):
        table.add_column(name, justify="left" if name == "Channel" else "right")
    table.add_column(f"Within {s.target_minutes}m", justify="right")
    for name in ("Closed", "Close median", "p90"):
        table.add_column(name, justify="right")
    for c in [*s.by_channel, s.totals]:
        table.add_row(
            Text(c.channel, style="bold" if c is s.totals else ""),
            *channel_cells(c),
            end_section=c is s.by_channel[-1] if s.by_channel else False,
        )
    return table


def _counts(title: str, pairs: list[tuple[str, int]]) -> Text:
    text = Text(f"{title}: ", style="bold")
    if not pairs:
        text.append("none")
    for n, (name, count) in enumerate(pairs):
        if n:
            text.append(", ")
        text.append_text(safe(name, single_line=True))
        text.append(f" {count}")
    return text


def stats_view(s: Stats, *, boxed: bool = True) -> RenderableType:
    """Everything `hero stats` shows; ``boxed=False`` draws the tables without lines (pipes)."""
    w = s.window
    head = Text(
        f"Stats {w.label}: {w.first_day:%a %d %b} to {w.last_day:%a %d %b %Y} ({w.zone})",
        style="bold",
    )
    waiting = Table(
        title=f"Waiting on us: {len(s.waiting)}",
        title_justify="left",
        box=box.HEAVY_HEAD if boxed else None,
    )
    waiting.add_column(
        "#", justify="right", no_wrap=True, min_width=_id_width(i.id for i in s.waiting)
    )
    waiting.add_column("Channel")
    waiting.add_column("Title", max_width=50, overflow="ellipsis", no_wrap=True)
    waiting.add_column("Waiting", justify="right", no_wrap=True)
    waiting.add_column("Assignee")
    for item in s.waiting[:15]:
        waiting.add_row(
            str(item.id),
            item.channel,
            safe(item.title, single_line=True),
            duration(item.age_seconds),
            safe(item.assignee or "-", single_line=True),
        )
    more = len(s.waiting) - 15
    parts: list[RenderableType] = [
        head,
        Text(),
        volume_chart(s),
        Text(),
        channel_table(s, boxed=boxed),
        Text(),
    ]
    parts.append(_counts("Waiting by age", s.waiting_ages))
    parts += [waiting] if s.waiting else []
    if more > 0:
        parts.append(Text(f"... and {more} more (hero inbox)", style="dim"))
    parts += [
        _counts("Roped in", s.roped_in),
        _counts("Replies by", s.replies_by),
        _counts("Top labels", s.top_labels),
    ]
    return Group(*parts)


def rota_view(v: RotaView) -> RenderableType:
    """Who is on now, this turn's dates, and the turns ahead."""
    head = Text("On duty today ", style="bold")
    head.append(f"({v.today:%a %d %b %Y}, {v.timezone}): ")
    head.append_text(safe(v.on_duty or "nobody (no [rota] configured)"))
    p = v.period
    table = Table(title="Rota", title_justify="left")
    table.add_column("From")
    table.add_column("To")
    table.add_column("Hero")
    table.add_column("Swaps")
    for n, period in enumerate([p, *v.upcoming]):
        swaps = ", ".join(f"{d:%a %d %b}: {h}" for d, h in period.swaps)
        table.add_row(
            f"{period.first:%a %d %b}",
            f"{period.last:%a %d %b}",
            safe(period.hero or "-"),
            safe(swaps or ""),
            style="bold" if n == 0 else "",
        )
    return Group(head, table)


def _id_width(ids: Iterable[int]) -> int:
    return max((len(str(i)) for i in ids), default=1)


def _item_table(items: list[HandoffItem], group: str, zone: tzinfo) -> Table:
    table = Table(title=f"{GROUP_TITLES[group]} ({len(items)})", title_justify="left")
    # The number is how the next hero finds the item: it never gives way to other columns.
    table.add_column(
        "#", justify="right", no_wrap=True, min_width=_id_width(h.item.id for h in items)
    )
    table.add_column("Channel", no_wrap=True, min_width=7)
    # Sized to fit 100 columns with the number, channel and age always whole.
    table.add_column("Title", max_width=28, overflow="ellipsis", no_wrap=True)
    table.add_column(
        "Until" if group == "snoozed" else "Age", justify="right", no_wrap=True, min_width=7
    )
    table.add_column("Last message", max_width=22, overflow="ellipsis", no_wrap=True)
    table.add_column("Assignee", max_width=14, overflow="ellipsis", no_wrap=True)
    for h in items:
        i = h.item
        when = duration(h.age_seconds)
        if group == "snoozed" and i.snoozed_until is not None:
            when = local_time(i.snoozed_until, zone)
        last = safe(f"{h.last_author}: {h.last.body}" if h.last else "-", single_line=True)
        assignee = safe(i.assignee or "-", single_line=True)
        if h.reassign_to:
            assignee.append(" → ")
            assignee.append_text(safe(h.reassign_to, single_line=True))
        table.add_row(str(i.id), i.channel, safe(i.title, single_line=True), when, last, assignee)
        if i.reply_uncertain:
            table.add_row("", "", Text(REPLY_UNCERTAIN, style="bold yellow"))
        for note in h.notes:
            table.add_row("", "", safe(f"note: {note.body}", style="italic", single_line=True))
    return table


def handoff_view(r: HandoffReport) -> RenderableType:
    """The handoff report for the terminal: the week's stats, then every open item, then closes."""
    head = Text("Handoff: ", style="bold")
    head.append_text(safe(r.from_hero or "the hero"))
    head.append(" → ")
    head.append_text(safe(r.to_hero or "the next hero (none in the rota; use --to)"))
    parts: list[RenderableType] = [head, stats_view(r.stats), Text()]
    zone = r.window.zone
    for group in GROUPS:
        items = r.group(group)
        if items:
            parts.append(_item_table(items, group, zone))
        else:
            parts.append(Text(f"{GROUP_TITLES[group]}: nothing", style="bold"))
    if not r.closed:
        parts.append(Text("Closed this week: nothing", style="bold"))
        return Group(*parts)
    closed = Table(title=f"Closed this week ({len(r.closed)})", title_justify="left")
    closed.add_column(
        "#", justify="right", no_wrap=True, min_width=_id_width(c.id for c in r.closed)
    )
    closed.add_column("Channel")
    closed.add_column("Title", max_width=50, overflow="ellipsis", no_wrap=True)
    closed.add_column("Closed")
    for c in r.closed:
        closed.add_row(
            str(c.id), c.channel, safe(c.title, single_line=True), local_time(c.closed_at, zone)
        )
    parts.append(closed)
    return Group(*parts)


def plan_view(p: HandoffPlan, *, dry_run: bool) -> RenderableType:
    """What the handoff will change (or, with --dry-run, would change)."""
    verb = "would" if dry_run else "will"
    lines = [Text(f"The handoff {verb}:", style="bold")]
    lines.append(Text(f"  record a handed-off event on {len(p.report.items)} items"))
    for m in p.reassign:
        line = Text(f"  reassign #{m.item_id} ({m.channel}) from ")
        line.append_text(safe(m.previous or "nobody"))
        line.append(" to ")
        line.append_text(safe(m.to))
        line.append(" locally and upstream" if p.upstream else " locally")
        lines.append(line)
    if p.output is not None and p.file_text is not None:
        lines.append(safe(f"  write {p.output} ({len(p.file_text.encode())} bytes)"))
    if p.post is not None:
        n = len(p.parts)
        lines.append(
            safe(
                f"  post to {p.post} in {n} part{'s' if n != 1 else ''} through the outbox "
                f"({', '.join(str(len(part)) for part in p.parts)} characters)"
            )
        )
    return Group(*lines)


def outcome_view(o: HandoffOutcome) -> RenderableType:
    lines = [Text(f"Handed off {o.handed_off} items; reassigned {len(o.reassigned)}.")]
    if o.written is not None:
        lines.append(safe(f"Wrote {o.written}"))
    posts = [d for d in o.deliveries if d.entry.op.value == "post"]
    if posts:
        sent = sum(1 for d in posts if d.entry.state.value == "sent")
        total = int(posts[0].entry.payload.get("parts") or len(posts))
        lines.append(Text(f"Posted {sent} of {total} parts."))
        if sent < total:
            lines.append(
                Text("The rest stay in the outbox; `hero outbox retry` sends them in order.")
            )
    for error in o.errors:
        lines.append(safe(f"failed: {error.message}", style="red"))
    return Group(*lines)
