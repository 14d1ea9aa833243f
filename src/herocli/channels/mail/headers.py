"""Read header values: raw 8-bit bytes, RFC 2047 encoded words, ids, addresses and dates.

Every function here takes whatever a header holds and never raises on it; problems are
noted in the caller's defect list.
"""

from __future__ import annotations

import binascii
import contextlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from herocli.channels.mail.charsets import decode_bytes

__all__ = [
    "RawHeaders",
    "addresses",
    "decode_header_value",
    "fold_ws",
    "is_synthetic_id",
    "message_ids",
    "parse_date",
    "raw_to_str",
]

#: The domain of the ids made up for mail that has no Message-ID.
SYNTHETIC_DOMAIN = "herocli.invalid"

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_EW_GAP_RE = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s]+\?[QqBb]\?)")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_WS_RE = re.compile(r"\s+")


def raw_to_str(value: str, defects: list[str] | None = None) -> str:
    """Undo the surrogate escapes the parser leaves for raw 8-bit header bytes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", errors="surrogateescape")
        return decode_bytes(raw, None, defects if defects is not None else [], "header")
    return value


def _decode_word(match: re.Match[str], defects: list[str] | None) -> str:
    charset, encoding, text = match.group(1), match.group(2).upper(), match.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: =?utf-8*en?Q?...?=
    try:
        if encoding == "B":
            data = binascii.a2b_base64(text + "=" * (-len(text) % 4))
        else:
            data = binascii.a2b_qp(text.replace("_", " "), header=False)
    except (binascii.Error, ValueError):
        if defects is not None:
            defects.append("header with a broken encoded word, kept as is")
        return match.group(0)
    return decode_bytes(data, charset, defects if defects is not None else [], "header")


def decode_header_value(value: str | None, defects: list[str] | None = None) -> str:
    """Decode an unfolded header value: raw 8-bit bytes and RFC 2047 encoded words."""
    if not value:
        return ""
    text = raw_to_str(str(value), defects)
    text = _FOLD_RE.sub("", text)
    if "=?" not in text:
        return text
    text = _EW_GAP_RE.sub(r"\1", text)  # whitespace between adjacent encoded words is not text
    return _ENCODED_WORD_RE.sub(lambda m: _decode_word(m, defects), text)


def fold_ws(text: str) -> str:
    """Collapse runs of whitespace (folds included) to one space and strip the ends."""
    return _WS_RE.sub(" ", text).strip()


def is_synthetic_id(message_id: str) -> bool:
    """True for the ids the parser makes up for mail that had no Message-ID."""
    return message_id.lower().endswith(f"@{SYNTHETIC_DOMAIN}>")


_MSGID_RE = re.compile(r"<\s*([^<>\s]+?)\s*>")
_ONE_ID_RE = re.compile(r"<[^<>\s]+>")


def message_ids(value: str | None) -> list[str]:
    """Return normalised ``<id>`` values from a Message-ID / References / In-Reply-To value."""
    if not value:
        return []
    if value.isascii() and _ONE_ID_RE.fullmatch(value):
        return [value]  # the common case: one id, written as it should be
    text = raw_to_str(value)
    found = [f"<{m}>" for m in _MSGID_RE.findall(text)]
    if not found:
        # Some software leaves the angle brackets off; keep bare tokens that look like ids.
        found = [
            f"<{tok.strip('<>,;')}>"
            for tok in re.split(r"[\s,]+", text)
            if "@" in tok.strip("<>,;")
        ]
    seen: set[str] = set()
    out: list[str] = []
    for mid in found:
        if mid not in seen and len(mid) > 2:
            seen.add(mid)
            out.append(mid)
    return out


_NAME_ADDR_RE = re.compile(
    r'^\s*(?:"([^"\\]*)"\s*|([^"<>,;:()\\@]*))<\s*([^<>\s@",;:()\\]+@[^<>\s",;:()\\]+)\s*>\s*$'
)
_BARE_ADDR_RE = re.compile(r"^\s*([^<>\s@\",;:()\\]+@[^<>\s\",;:()\\]+)\s*$")


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """Fast path for the common shapes (``a@b``, ``Name <a@b>``, ``"Last, First" <a@b>``).

    Returns None when the value needs the full RFC 5322 parser (comments, groups, escapes).
    """
    if "(" in value or ";" in value or "\\" in value:
        return None
    if '"' in value:
        if value.count('"') != 2:
            return None
        items = [value]
    else:
        items = value.split(",")
    out: list[tuple[str, str]] = []
    for item in items:
        if not item.strip():
            continue
        match = _NAME_ADDR_RE.match(item)
        if match:
            out.append(((match.group(1) or match.group(2) or "").strip(), match.group(3)))
            continue
        match = _BARE_ADDR_RE.match(item)
        if not match:
            return None
        out.append(("", match.group(1)))
    return out


def addresses(values: list[str], defects: list[str] | None = None) -> list[tuple[str, str]]:
    """Return (display name, lower-cased address) pairs; names decoded, garbage dropped."""
    if not values:
        return []
    raw = [_FOLD_RE.sub("", raw_to_str(v, defects)) for v in values]
    pairs: list[tuple[str, str]] = []
    for value in raw:
        simple = _simple_addresses(value)
        if simple is not None:
            pairs.extend(simple)
            continue
        # The address parser has raised on hostile input before; such a value has no address.
        with contextlib.suppress(Exception):
            pairs.extend(getaddresses([value]))
    out: list[tuple[str, str]] = []
    for raw_name, raw_addr in pairs:
        name, addr = raw_name, raw_addr.strip().strip("<>").lower()
        if not addr or addr.split() != [addr] or "@" not in addr:  # no blank inside
            if name and "@" in name and " " not in name.strip():
                addr, name = name.strip().strip("<>").lower(), ""
            else:
                continue
        out.append((fold_ws(decode_header_value(name, defects)), addr))
    return out


# The Date most mail has: "Thu, 01 Jan 2026 10:00:00 +0100" (RFC 5322 section 3.3), read in
# one match; any other form goes to the standard parser, which gives the same for this one
# (a year under 1000 it reads its own way: those go to it too).
_MONTHS = {
    name: n
    for n, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_PLAIN_DATE_RE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) "
    rf"({'|'.join(_MONTHS)}) ([1-9]\d{{3}}) (\d\d):(\d\d):(\d\d) ([+-]\d{{4}})",
    re.ASCII,
)
# What to add to a local time in each zone seen ("+0100") to get UTC; a finite few.
_TO_UTC: dict[str, timedelta] = {}


def _plain_date(value: str) -> datetime | None:
    found = _PLAIN_DATE_RE.fullmatch(value)
    if found is None:
        return None
    day, month, year, hour, minute, second, zone = found.groups()
    to_utc = _TO_UTC.get(zone)
    if to_utc is None:
        hours, minutes = int(zone[1:3]), int(zone[3:])
        if hours * 60 + minutes >= 24 * 60:
            return None  # no zone: the standard parser says so
        to_utc = _TO_UTC[zone] = timedelta(hours=hours, minutes=minutes) * (
            1 if zone[0] == "-" else -1
        )
    try:
        moment = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
        return moment + to_utc
    except (ValueError, OverflowError):  # no such day, or out of range: as the parser finds
        return None


def parse_date(value: str | None, defects: list[str]) -> datetime | None:
    """The Date header as an aware UTC datetime, or None (noted) when it cannot be read."""
    if not value:
        return None
    plain = _plain_date(value)
    if plain is not None:
        return plain
    try:
        parsed = parsedate_to_datetime(fold_ws(raw_to_str(value)))
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("unparseable Date header")
        return None
    if parsed is None:  # pragma: no cover - older Pythons returned None
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        defects.append("Date header out of range")
        return None


class RawHeaders:
    """Raw header values by lower-cased name, read without the parser's own decoding."""

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        """From ``Message.raw_items()`` or split fields: (name, value) pairs in order."""
        self.values: dict[str, list[str]] = {}
        for key, value in items:
            self.values.setdefault(key.lower(), []).append(str(value))

    @classmethod
    def of(cls, by_name: dict[str, list[str]]) -> RawHeaders:
        """From values already grouped by lower-cased name (``headblock.Split.by_name``)."""
        headers = cls(())
        headers.values = by_name
        return headers

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None
