"""Keeping secrets out of every message that is printed, logged or stored.

A library error can quote what it was given: ``Illegal header value b'Bearer
xoxb-…'``, a URL with a token in it. ``redact`` removes, from any text, every
secret value this process has read (each ``Secret`` remembers itself here) and
anything shaped like a GitHub or Slack token or an Authorization header value.
The error hierarchy redacts its messages on construction, and what is stored
(the outbox's last error) goes through here too.
"""

from __future__ import annotations

import re

MASK = "[redacted]"
# Shorter values are too likely to be ordinary words to be cut out of messages;
# no real token or password a server accepts is that short.
_MIN_LENGTH = 6
# A pattern, not compiled here: every command imports this module, few ever redact.
_SHAPES = (
    r"(?i)\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|xox[abposer]-[A-Za-z0-9-]{6,})"
    r"|(?<=Bearer )[^\s'\",]+|(?<=Basic )[^\s'\",]+|(?<=token )[A-Za-z0-9_\-.]{16,}"
)
_known: set[str] = set()


def remember(value: str) -> None:
    """Redact ``value`` (and the escaped forms a repr would show) from now on."""
    for form in (value, value.strip(), value.encode("unicode_escape").decode("ascii")):
        if len(form) >= _MIN_LENGTH:
            _known.add(form)


def redact(text: str) -> str:
    """``text`` without any remembered secret or token-shaped word in it."""
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return re.sub(_SHAPES, MASK, text)


def debug_traceback(exc: BaseException | None) -> str:
    """The traceback --debug shows for ``exc``, redacted like every other message."""
    import traceback

    if exc is None:
        return ""
    return redact("".join(traceback.format_exception(exc)))
