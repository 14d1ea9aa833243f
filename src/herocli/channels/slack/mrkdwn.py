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


def escape(text: str) -> str:
    """Escape ``&``, ``<``, ``>`` so nothing in ``text`` becomes a link or a ping.

    Plain user mentions (``<@U…>``, as ``mention`` produces) are kept: they
    notify one person on purpose; ``<!channel>`` and ``<!here>`` never survive.
    """
    parts: list[str] = []
    position = 0
    for match in _USER_MENTION.finditer(text):
        parts.append(_escape_all(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(_escape_all(text[position:]))
    return "".join(parts)


def _escape_all(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
