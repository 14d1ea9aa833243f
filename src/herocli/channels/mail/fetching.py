"""What ``UID FETCH`` answers, read into the channel's terms.

``Fetched`` is one message as the session hands it over. ``plain_fetch_answers``
reads the answer shapes the channel asks for itself (UID, FLAGS, RFC822.SIZE,
one ``BODY[]`` literal, X-GM-THRID) without imapclient's general parser, which
costs seconds on a first sync; any other shape is left to that parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from herocli.models import Attachment

__all__ = [
    "Fetched",
    "as_text",
    "flags_of",
    "plain_fetch_answers",
    "size_of",
    "thrid_of",
    "uidset",
]


@dataclass(frozen=True)
class Fetched:
    """One message as fetched. ``raw`` is the whole message, or for a large one its
    headers and text parts only, with ``listed`` naming the attachments left on the server."""

    uid: int
    raw: bytes
    flags: tuple[str, ...]
    gm_thrid: int | None = None
    listed: tuple[Attachment, ...] = ()


def as_text(value: Any) -> str:
    """A flag, name or capability as text, whether the server library gave bytes or str."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def size_of(data: dict[bytes, Any]) -> int:
    """RFC822.SIZE of one answer (0 when not given)."""
    value = data.get(b"RFC822.SIZE")
    return int(value) if value is not None else 0


def flags_of(data: dict[bytes, Any]) -> tuple[str, ...]:
    """The flags of one answer, as text."""
    return tuple(as_text(f) for f in data.get(b"FLAGS", ()))


def thrid_of(data: dict[bytes, Any]) -> int | None:
    """Gmail's thread id of one answer, if the server gave one."""
    value = data.get(b"X-GM-THRID")
    return int(value) if value is not None else None


_SIZE_RE = re.compile(rb"[( ]RFC822\.SIZE (\d+)")
_UID_RE = re.compile(rb"[( ]UID (\d+)")
_FLAGS_RE = re.compile(rb"[( ]FLAGS \(([^()]*)\)")
_THRID_RE = re.compile(rb"[( ]X-GM-THRID (\d+)")


def plain_fetch_answers(data: list[Any]) -> dict[int, dict[bytes, Any]] | None:
    """Read the FETCH answers the channel asks for (UID, FLAGS, one BODY[] literal,
    X-GM-THRID) without the general parser, which costs seconds on a first sync.

    None when an answer has any other shape: the general parser then reads them all.
    """
    out: dict[int, dict[bytes, Any]] = {}
    i = 0
    while i < len(data):
        element = data[i]
        body: bytes | None = None
        if isinstance(element, tuple) and len(element) == 2:
            head, body = element
            if not (isinstance(head, bytes) and head.endswith(b"BODY[] {%d}" % len(body))):
                return None
            tail = data[i + 1] if i + 1 < len(data) else b")"
            if not isinstance(tail, bytes):
                return None
            text, i = head + b" " + tail, i + 2
        elif isinstance(element, bytes):
            text, i = element, i + 1
        else:
            return None
        uid = _UID_RE.search(text)
        if uid is None:
            return None
        entry: dict[bytes, Any] = {}
        flags = _FLAGS_RE.search(text)
        if flags is not None:
            entry[b"FLAGS"] = tuple(flags.group(1).split())
        size = _SIZE_RE.search(text)
        if size is not None:
            entry[b"RFC822.SIZE"] = int(size.group(1))
        thrid = _THRID_RE.search(text)
        if thrid is not None:
            entry[b"X-GM-THRID"] = int(thrid.group(1))
        if body is not None:
            entry[b"BODY[]"] = body
        out[int(uid.group(1))] = entry
    return out


def uidset(uids: list[int]) -> str:
    """Compact ``1:5,7,9:12`` form of sorted UIDs."""
    parts: list[str] = []
    start = prev = None
    for uid in sorted(uids):
        if start is None:
            start = prev = uid
        elif prev is not None and uid == prev + 1:
            prev = uid
        else:
            parts.append(f"{start}" if start == prev else f"{start}:{prev}")
            start = prev = uid
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}:{prev}")
    return ",".join(parts)
