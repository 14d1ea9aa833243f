"""Split a well-formed raw message into header fields and body in one pass.

The email package's feed parser reads a message line by line through a
generator; for the common message (a clean header block, then a blank line)
that is most of a first sync's parsing cost. ``split_message`` gives the same
``Message`` that ``BytesParser(policy=compat32).parsebytes(raw, headersonly=True)``
gives, or None when the header block has any shape the feed parser treats
specially (mixed line endings, an envelope ``From `` line, a continuation
first, a line that is no header): the caller then uses the feed parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

__all__ = ["Split", "split_fields", "split_message"]

# The feed parser's header line (email.feedparser.headerRE) with a name of one char or more:
# no blank in the name, so neither an envelope "From " line nor a continuation matches.
_FIELD_RE = re.compile(r"([\041-\071\073-\176]+):[ \t]*(.*)", re.DOTALL)
_FIELD_SPLIT = {eol: re.compile(f"{eol}(?![ \t])") for eol in ("\r\n", "\n")}


@dataclass(frozen=True)
class Split:
    """A header block split into fields (name and raw value, folds kept) and the body."""

    fields: list[tuple[str, str]]
    body: bytes
    #: The values by lower-cased name, in order (what ``RawHeaders`` holds).
    by_name: dict[str, list[str]]


def split_fields(raw: bytes) -> Split | None:
    """The fields and body of ``raw``, or None when only the feed parser should read it."""
    text = raw.decode("ascii", "surrogateescape")  # as BytesParser decodes
    first = text.find("\n")
    if first <= 0:
        return None
    eol = "\r\n" if text[first - 1] == "\r" else "\n"
    end = text.find(eol + eol)
    if end <= 0:
        return None
    head = text[:end]
    if eol == "\n":
        if "\r" in head:
            return None
    elif not (head.count("\r") == head.count("\n") == head.count("\r\n")):
        return None
    fields = []
    by_name: dict[str, list[str]] = {}
    # One field per line that does not start with a blank; the folds stay in its value.
    for field in _FIELD_SPLIT[eol].split(head):
        found = _FIELD_RE.match(field)
        if found is None:
            # An envelope "From " line, a continuation first, a line that is no field.
            return None
        # compat32's header_source_parse: the value left-stripped, the folds kept.
        name, value = found.group(1), found.group(2).rstrip("\r\n")
        fields.append((name, value))
        by_name.setdefault(name.lower(), []).append(value)
    return Split(fields, raw[end + 2 * len(eol) :], by_name)  # a byte a character: same offset


def split_message(raw: bytes) -> Message | None:
    """The headers-only parse of ``raw``, or None when only the feed parser should read it."""
    split = split_fields(raw)
    if split is None:
        return None
    msg = Message(policy=compat32)
    for name, value in split.fields:
        msg.set_raw(name, value)
    msg.set_payload(split.body.decode("ascii", "surrogateescape"))
    return msg
