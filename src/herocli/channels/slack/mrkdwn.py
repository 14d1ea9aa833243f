"""Slack's text format both ways: readable plain text in, safely escaped mrkdwn out."""

from __future__ import annotations

import re
from collections.abc import Callable

_ANGLE = re.compile(r"<([^<>]*)>")
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}


def unescape(text: str) -> str:
    """Undo Slack's three escapes; ``&amp;`` last so ``&amp;lt;`` stays ``&lt;``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def user_ids(text: str) -> list[str]:
    """User ids mentioned as ``<@U…>`` without a label, in order of appearance."""
    out: list[str] = []
    for match in _ANGLE.finditer(text):
        target, _, label = match.group(1).partition("|")
        if target.startswith("@") and not label and target[1:] not in out:
            out.append(target[1:])
    return out


def to_plain(text: str, user_name: Callable[[str], str]) -> str:
    """Render Slack text readably: ``<@U1>`` → ``@Name``, ``<url|label>`` → ``label (url)``."""
    parts: list[str] = []
    position = 0
    for match in _ANGLE.finditer(text):
        parts.append(unescape(text[position : match.start()]))
        parts.append(_render(match.group(1), user_name))
        position = match.end()
    parts.append(unescape(text[position:]))
    return "".join(parts)


def _render(inner: str, user_name: Callable[[str], str]) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        return f"@{label}" if label else f"@{user_name(target[1:])}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        command = target[1:]
        if command in _SPECIAL:
            return _SPECIAL[command]
        if label:
            return label
        if command.startswith("subteam^"):
            return "@" + command.split("^", 1)[1]
        return f"@{command.split('^', 1)[0]}"
    url = unescape(target)
    if url.startswith("mailto:"):
        return label or url[len("mailto:") :]
    if label and label != url:
        return f"{label} ({url})"
    return url


def escape(text: str, keep: tuple[str, ...] = ()) -> str:
    """Escape ``&``, ``<``, ``>`` so nothing in ``text`` becomes a link or a ping.

    Only the user mentions in ``keep`` (``<@U…>``, as ``mention`` produces for
    ``hero assign --ping``) stay live; anything the hero typed, ``<@U…>``,
    ``<!channel>`` or ``<!here>`` included, is shown literally and pings nobody.
    """
    parts: list[str] = []
    position = 0
    for match in _USER_MENTION.finditer(text):
        if match.group(0) not in keep:
            continue
        parts.append(_escape_all(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(_escape_all(text[position:]))
    return "".join(parts)


def _escape_all(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Slack's markdown block takes standard Markdown, 12,000 characters for all of a message's
# markdown blocks together; a longer reply goes out as several messages, in order.
MARKDOWN_LIMIT = 12000


def markdown_parts(text: str, limit: int = MARKDOWN_LIMIT, keep: tuple[str, ...] = ()) -> list[str]:
    """Split ``text`` at paragraph boundaries into parts whose escaped form fits ``limit``.

    Blank lines inside a fenced code block are not boundaries. A paragraph too
    long on its own is split at line ends, and a line too long at ``limit``. The
    separator where two parts meet is dropped (each part is its own message).
    """
    pieces: list[tuple[str, str]] = []  # (separator before it, piece)
    current: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if line == "" and not fenced and current:
            _add(pieces, "\n\n", "\n".join(current), limit, keep)
            current = []
            continue
        current.append(line)
    if current:
        _add(pieces, "\n\n", "\n".join(current), limit, keep)
    parts: list[str] = []
    for separator, piece in pieces:
        joined = f"{parts[-1]}{separator}{piece}" if parts else piece
        if parts and len(escape(joined, keep)) <= limit:
            parts[-1] = joined
        else:
            parts.append(piece)
    kept = [p for p in parts if p.strip()]
    return kept or [text]


def _add(
    pieces: list[tuple[str, str]], separator: str, text: str, limit: int, keep: tuple[str, ...]
) -> None:
    if len(escape(text, keep)) <= limit:
        pieces.append((separator, text))
    elif "\n" in text:
        for number, line in enumerate(text.split("\n")):
            _add(pieces, separator if number == 0 else "\n", line, limit, keep)
    else:
        # One line longer than the limit: cut it where its escaped form reaches the limit.
        size = 0
        for index, char in enumerate(text):
            size += len(_escape_all(char))
            if size > limit:
                cut = max(index, 1)
                pieces.append((separator, text[:cut]))
                _add(pieces, "", text[cut:], limit, keep)
                return


#: The longest name hero posts under (a Slack display name is at most 80 characters).
NAME_LIMIT = 80


def shown_name(name: str) -> str:
    """A teammate's name for ``chat.postMessage``'s ``username``: one line, printable, cut.

    Slack shows it as plain text, so no escaping is needed, only the line kept clean.
    """
    line = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    return line[:NAME_LIMIT].rstrip() or "?"
