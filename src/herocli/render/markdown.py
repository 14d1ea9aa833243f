"""The handoff as Markdown: GitHub tables, or Slack mrkdwn (which has no tables).

Titles, bodies, names and notes are untrusted. On GitHub a cell escapes
Markdown, HTML, table pipes, code spans, @mentions and #references. Slack text
goes out through the Slack channel, which escapes ``& < >`` in every message it
sends, so ``<!channel>`` or ``<@U…>`` arrive as literal text and links cannot be
forged; here Slack text only loses newlines, backticks (no code spans to break
out of) and @-words (no ``@channel`` with link_names). Long reports split into parts on block
boundaries; a table split across parts repeats its header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import tzinfo

from herocli.channels.base import Markup, PostFormat
from herocli.render.figures import channel_cells, duration, local_time
from herocli.render.text import UNSAFE_IN_LINE
from herocli.services.handoff import GROUPS, HandoffItem, HandoffReport
from herocli.services.stats import Stats

TITLE_MAX = 100
SUMMARY_MAX = 90
NOTE_MAX = 200
#: Said of an item whose reply may not have gone out (``Item.reply_uncertain``): it is
#: carried over as waiting on us, and the next hero settles the reply.
REPLY_UNCERTAIN = "reply uncertain: hero outbox"

_GITHUB_SPECIAL = re.compile(r"([\\`*_\[\]~|!])")
GROUP_TITLES = {
    "waiting_on_us": "Waiting on us",
    "waiting_on_them": "Waiting on them",
    "snoozed": "Snoozed",
}


def _one_line(text: str, limit: int) -> str:
    text = " ".join(re.sub(UNSAFE_IN_LINE, " ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape_github(text: str, limit: int = TITLE_MAX) -> str:
    """Untrusted text as literal GitHub Markdown, safe inside a table cell."""
    text = _one_line(text, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _GITHUB_SPECIAL.sub(r"\\\1", text)
    # A zero-width space stops @mentions and #123 / owner/repo#123 references.
    return text.replace("@", "@\u200b").replace("#", "#\u200b")


def escape_slack(text: str, limit: int = TITLE_MAX) -> str:
    """Untrusted text for a Slack message body (the Slack channel escapes ``& < >`` on send)."""
    text = _one_line(text, limit)
    return text.replace("`", "\u02cb").replace("@", "@\u200b")


def _safe_url(url: str | None) -> str | None:
    if not url or not url.startswith(("https://", "http://")) or re.search(UNSAFE_IN_LINE, url):
        return None
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace("|", "%7C")
    )


@dataclass
class Block:
    """Lines that stay together; a table's rows may split, repeating ``head`` and ``tail``."""

    rows: list[str]
    head: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)

    def text(self, rows: list[str] | None = None) -> str:
        return "\n".join([*self.head, *(self.rows if rows is None else rows), *self.tail])


def _stat_rows(s: Stats) -> list[list[str]]:
    return [[c.channel, *channel_cells(c)] for c in [*s.by_channel, s.totals]]


def _stat_header(s: Stats) -> list[str]:
    return [
        "Channel",
        "New",
        "Answered",
        "First response median",
        "p90",
        "mean",
        f"Within {s.target_minutes}m",
        "Closed",
        "Close median",
        "p90",
    ]


def _volume_rows(s: Stats) -> tuple[list[str], list[list[str]]]:
    header = ["Day", *s.channels, "Total"]
    rows = [
        [d.strftime("%a %d %b"), *(str(c.get(ch, 0)) for ch in s.channels), str(sum(c.values()))]
        for d, c in s.volume
    ]
    totals = [sum(c.get(ch, 0) for _, c in s.volume) for ch in s.channels]
    rows.append(["Total", *(str(t) for t in totals), str(sum(totals))])
    return header, rows


def _pairs(pairs: list[tuple[str, int]], markup: Markup) -> str:
    if not pairs:
        return "none"
    esc = escape_github if markup is Markup.GITHUB else escape_slack
    return ", ".join(f"{esc(name, 40)} {count}" for name, count in pairs)


def _summary_lines(r: HandoffReport, markup: Markup) -> list[str]:
    s = r.stats
    ages = ", ".join(f"{label}: {n}" for label, n in s.waiting_ages)
    return [
        f"Waiting on us now: {len(s.waiting)} ({ages}).",
        f"Roped in: {_pairs(s.roped_in, markup)}.",
        f"Replies by: {_pairs(s.replies_by, markup)}.",
        f"Top labels: {_pairs(s.top_labels, markup)}.",
    ]


def _heading(r: HandoffReport) -> tuple[str, str]:
    w = r.window
    who = f"{r.from_hero or 'the hero'} → {r.to_hero or 'the next hero'}"
    span = f"{w.first_day:%a %d %b} to {w.last_day:%a %d %b %Y}"
    written = r.now.astimezone(w.zone).strftime("%a %d %b %Y %H:%M")
    return f"Handoff: {who}", f"{span} ({w.zone}), written {written}."


# --- GitHub ---------------------------------------------------------------------------------


def _gh_table(header: list[str], rows: list[list[str]], right: set[int]) -> Block:
    align = ["---:" if n in right else "---" for n in range(len(header))]
    return Block(
        rows=["| " + " | ".join(r) + " |" for r in rows],
        head=["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"],
    )


def _gh_title(title: str, url: str | None) -> str:
    text = escape_github(title)
    link = _safe_url(url)
    return f"[{text}]({link})" if link else text


def _gh_item_row(h: HandoffItem, zone: tzinfo) -> list[str]:
    i = h.item
    last = "-"
    if h.last is not None:
        last = escape_github(f"{h.last_author}: {h.last.body}", SUMMARY_MAX)
    if i.reply_uncertain:
        last += f" · {REPLY_UNCERTAIN}"
    assignee = escape_github(i.assignee or "-", 40)
    if h.reassign_to:
        assignee += f" → {escape_github(h.reassign_to, 40)}"
    notes = " / ".join(escape_github(f"{n.author or '?'}: {n.body}", NOTE_MAX) for n in h.notes)
    when = age_text(h)
    if h.group == "snoozed" and i.snoozed_until is not None:
        when = local_time(i.snoozed_until, zone)
    return [str(i.id), i.channel, _gh_title(i.title, i.url), when, last, assignee, notes or "-"]


def age_text(h: HandoffItem) -> str:
    return duration(h.age_seconds)


def github_blocks(r: HandoffReport) -> list[Block]:
    title, subtitle = _heading(r)
    zone = r.window.zone
    blocks = [Block([f"# {escape_github(title, 200)}", "", subtitle])]
    blocks.append(Block(["## Stats"]))
    blocks.append(_gh_table(_stat_header(r.stats), _stat_rows(r.stats), set(range(1, 10))))
    header, rows = _volume_rows(r.stats)
    blocks.append(Block(["**New items per day**"]))
    blocks.append(_gh_table(header, rows, set(range(1, len(header)))))
    blocks.append(Block(_summary_lines(r, Markup.GITHUB)))
    for group in GROUPS:
        items = r.group(group)
        blocks.append(Block([f"## {GROUP_TITLES[group]} ({len(items)})"]))
        if not items:
            blocks.append(Block(["Nothing."]))
            continue
        since = (
            "Until"
            if group == "snoozed"
            else "Waiting"
            if group == "waiting_on_us"
            else "Quiet for"
        )
        header = ["No.", "Channel", "Title", since, "Last message", "Assignee", "Notes"]
        blocks.append(_gh_table(header, [_gh_item_row(h, zone) for h in items], {0}))
    blocks.append(Block([f"## Closed this week ({len(r.closed)})"]))
    if not r.closed:
        blocks.append(Block(["Nothing."]))
    else:
        blocks.append(
            Block(
                [
                    f"- {c.id} · {c.channel} · {_gh_title(c.title, c.url)} · closed "
                    f"{local_time(c.closed_at, zone)}"
                    + (f" by {escape_github(c.closed_by, 40)}" if c.closed_by else "")
                    for c in r.closed
                ]
            )
        )
    return blocks


# --- Slack ----------------------------------------------------------------------------------


def _code_table(header: list[str], rows: list[list[str]]) -> Block:
    """A fixed-width table in a code block: only our own values (numbers, channel names) go here."""
    widths = [max(len(r[n]) for r in [header, *rows]) for n in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if n == 0 else c.rjust(w)
            for n, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return Block(rows=[line(r) for r in rows], head=["```", line(header)], tail=["```"])


def _slack_item(h: HandoffItem, zone: tzinfo) -> str:
    i = h.item
    url = _safe_url(i.url)
    title = escape_slack(i.title) + (f" ({url})" if url else "")
    when = (
        f"until {local_time(i.snoozed_until, zone)}"
        if h.group == "snoozed" and i.snoozed_until
        else age_text(h)
    )
    assignee = escape_slack(i.assignee or "unassigned", 40)
    if h.reassign_to:
        assignee += f" → {escape_slack(h.reassign_to, 40)}"
    lines = [f"• *{i.id}* · {i.channel} · {title} · {when} · {assignee}"]
    if h.last is not None:
        lines.append(f"    last: {escape_slack(f'{h.last_author}: {h.last.body}', SUMMARY_MAX)}")
    if i.reply_uncertain:
        lines.append(f"    {REPLY_UNCERTAIN}")
    lines.extend(
        f"    note: {escape_slack((n.author or '?') + ': ' + n.body, NOTE_MAX)}" for n in h.notes
    )
    return "\n".join(lines)


def slack_blocks(r: HandoffReport) -> list[Block]:
    title, subtitle = _heading(r)
    zone = r.window.zone
    blocks = [Block([f"*{escape_slack(title, 200)}*", subtitle])]
    blocks.append(Block(["*Stats*"]))
    blocks.append(_code_table(_stat_header(r.stats), _stat_rows(r.stats)))
    header, rows = _volume_rows(r.stats)
    blocks.append(Block(["*New items per day*"]))
    blocks.append(_code_table(header, rows))
    blocks.append(Block(_summary_lines(r, Markup.SLACK)))
    for group in GROUPS:
        items = r.group(group)
        blocks.append(Block([f"*{GROUP_TITLES[group]} ({len(items)})*"]))
        blocks.append(Block([_slack_item(h, zone) for h in items] or ["Nothing."]))
    blocks.append(Block([f"*Closed this week ({len(r.closed)})*"]))
    closed = []
    for c in r.closed:
        url = _safe_url(c.url)
        name = escape_slack(c.title) + (f" ({url})" if url else "")
        closed.append(f"• {c.id} · {c.channel} · {name} · closed {local_time(c.closed_at, zone)}")
    blocks.append(Block(closed or ["Nothing."]))
    return blocks


# --- whole and in parts ---------------------------------------------------------------------


def blocks(r: HandoffReport, markup: Markup = Markup.GITHUB) -> list[Block]:
    return github_blocks(r) if markup is Markup.GITHUB else slack_blocks(r)


def render(r: HandoffReport, markup: Markup = Markup.GITHUB) -> str:
    """The whole report as one document in ``markup``."""
    return "\n\n".join(b.text() for b in blocks(r, markup)) + "\n"


def split(parts_of: list[Block], limit: int) -> list[str]:
    """Pack blocks into parts of at most ``limit`` characters, splitting tables by rows."""
    parts: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            parts.append("\n\n".join(current))
        current, size = [], 0

    def add(text: str) -> None:
        nonlocal size
        extra = len(text) + (2 if current else 0)
        if current and size + extra > limit:
            flush()
            extra = len(text)
        current.append(text)
        size += extra

    for block in parts_of:
        text = block.text()
        if len(text) + (2 if current else 0) + size <= limit or len(text) <= limit:
            add(text)
            continue
        rows: list[str] = []
        for row in block.rows:
            candidate = block.text([*rows, row])
            room = limit - size - (2 if current else 0)
            if rows and len(candidate) > room:
                add(block.text(rows))
                flush()
                rows = []
            rows.append(row)
        if rows:
            add(block.text(rows))
    flush()
    return parts


def parts(r: HandoffReport, form: PostFormat) -> list[str]:
    """The report in the markup a channel's posts take, split to fit one post each."""
    return split(blocks(r, form.markup), form.limit)
