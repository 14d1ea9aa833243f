"""What the team mirror says in Slack: an item's parent message and its follow-ups.

Slack mrkdwn made by hero; every word from outside (titles, names, bodies, links)
is escaped, so nothing a customer wrote becomes a link or pings anyone. Times are
Slack date tokens, shown by each reader's client in their own timezone and words
("today 14:05"): the text changes only when the item's state does, so a parent
is edited on a state change, never because time passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from herocli.channels.slack.mrkdwn import escape, to_plain
from herocli.models import Item, ItemState, Message, Waiting, utc

SOURCES = {"github": "GitHub", "email": "Email", "slack": "Slack"}
FIRST_LINES = 3
LINE_WIDTH = 200
FOLLOW_UP_LIMIT = 3000


def parent_text(item: Item, first: Message | None, now: datetime, target_minutes: int) -> str:
    """The parent: number, source, title (a link where the item has one), customer,
    the first lines of the question, and the state line."""
    title = escape(_cut(item.title, LINE_WIDTH)) or "(no title)"
    source = SOURCES.get(item.channel, item.channel)
    link = f"<{escape(item.url)}|{title}>" if item.url and _linkable(item.url) else f"*{title}*"
    lines = [f"*#{item.id}* · {source} · {link}"]
    if first is not None:
        lines.append(f"From {escape(_cut(first.author_name or first.author_id, LINE_WIDTH))}")
        body = [line.strip() for line in first.body.splitlines() if line.strip()]
        lines.extend(f"> {escape(_cut(line, LINE_WIDTH))}" for line in body[:FIRST_LINES])
        if len(body) > FIRST_LINES:
            lines.append("> …")
    lines.append(state_line(item, now, target_minutes))
    return "\n".join(lines)


def state_line(item: Item, now: datetime, target_minutes: int) -> str:
    """Whose turn and since when, past the response target, snoozed or closed, assignee."""
    if item.state is ItemState.CLOSED:
        parts = [f":white_check_mark: Closed {_when(item.closed_at or item.updated_at)}"]
    elif item.state is ItemState.SNOOZED and item.snoozed_until is not None:
        parts = [f":zzz: Snoozed until {_when(item.snoozed_until)}"]
    elif item.waiting is Waiting.US and item.waiting_since is not None:
        parts = [f":hourglass_flowing_sand: Waiting on us since {_when(item.waiting_since)}"]
        if utc(now) - utc(item.waiting_since) > timedelta(minutes=target_minutes):
            parts.append(f":rotating_light: past the {target_minutes} min response target")
    elif item.waiting is Waiting.THEM:
        parts = [f":speech_balloon: Waiting on them since {_when(item.last_message_at)}"]
    else:
        parts = [":inbox_tray: Open"]
    parts.append(f"Assigned to {escape(item.assignee)}" if item.assignee else "Unassigned")
    return " · ".join(parts)


def merged_text(wanted: str, into: int, link: str | None) -> str:
    """A merged item's parent: as it was, its state line (the last) saying where it went."""
    lines = wanted.splitlines()
    kept = lines[:-1] if len(lines) > 1 else lines
    target = f"<{escape(link)}|#{into}>" if link and _linkable(link) else f"#{into}"
    return "\n".join(
        [*kept, f":twisted_rightwards_arrows: Merged into {target}: the conversation goes on there"]
    )


def follow_up_text(message: Message) -> str:
    """A customer's later message, for the parent's thread."""
    who = escape(_cut(message.author_name or message.author_id, LINE_WIDTH))
    body = escape(_cut(message.body.strip(), FOLLOW_UP_LIMIT)) or "(no text)"
    return f"*{who}* wrote:\n{body}"


def failure_text(error: str, *, uncertain: bool) -> str:
    """What the thread is told when a relayed answer did not go out."""
    if uncertain:
        return (
            f":warning: This answer may not have reached the customer: {escape(error)}. "
            "hero will not resend it by itself; see `hero outbox`."
        )
    return (
        f":warning: Not sent to the customer: {escape(error)}. "
        "It waits in hero's outbox; `hero outbox retry` sends it."
    )


def edited_note(text: str, *, sent: bool) -> str:
    """The item's note about a relayed answer edited in Slack after hero took it."""
    when = "after it was sent" if sent else "after hero read it"
    return (
        f"Edited in Slack {when}; the edit was not sent, the customer has only the text "
        f"as first read. It now reads:\n{text}"
    )


def edited_notice(*, sent: bool) -> str:
    """What the thread is told about such an edit."""
    when = "after it was sent" if sent else "after hero read it"
    return (
        f":pencil2: Edited {when}: the customer has only the text as first read. "
        "To send more, write a new message."
    )


def plain_text(text: str) -> str:
    """A mirror message as its reader sees it, without Slack's markup (``hero demo``)."""
    return to_plain(text, lambda user: user).replace("*", "")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "(unknown)"
    stamp = utc(moment)
    fallback = stamp.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(stamp.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _linkable(url: str | None) -> bool:
    return (
        bool(url)
        and str(url).startswith(("https://", "http://"))
        and not any(c in str(url) for c in "|<> \t\n")
    )


def _cut(text: str, width: int) -> str:
    line = " ".join(text.split()) if width <= LINE_WIDTH else text
    return line if len(line) <= width else line[: width - 1] + "…"
