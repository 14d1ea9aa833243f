"""Read the answers to one ``UID FETCH`` off the connection, as imaplib would, at less cost.

imaplib reads a response line by line in Python: each line is logged for its
debug trace, tried against several patterns, and each literal stored through
the same steps; for a first sync of 10,000 messages that is a tenth of a
second. ``read_fetch`` reads through the same session's ``readline`` and
``read`` and leaves the session as ``_command_complete`` followed by
``_untagged_response(..., "FETCH")`` would: the FETCH answers are returned
(any left from an earlier command first), every other untagged answer is
filed in ``untagged_responses`` under its type, and a ``BYE``, a lost
connection or a ``BAD`` raises imaplib's own error with imaplib's words.
``tests/test_mail_wire.py`` holds the two readers to the same results.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["read_fetch"]

# imaplib's own patterns: an untagged answer with a number (FETCH, EXISTS, EXPUNGE), one
# without (OK, NO, BAD, BYE, FLAGS...), a continuation, and the code in brackets after OK,
# NO and BAD.
_NUMBERED = re.compile(rb"\* (?P<data>\d+) (?P<type>[A-Z-]+)( (?P<data2>.*))?", re.ASCII)
_NAMED = re.compile(rb"\* (?P<type>[A-Z-]+)( (?P<data>.*))?")
_CONTINUATION = re.compile(rb"\+( (?P<data>.*))?")
_CODE = re.compile(rb"\[(?P<type>[A-Z-]+)( (?P<data>.*))?\]")
_LITERAL_SIZE = re.compile(rb"\{(\d+)\}\Z")


def read_fetch(imap: Any, tag: bytes) -> tuple[str, list[Any], list[Any]]:
    """The completion (type and data) of the ``UID FETCH`` sent as ``tag`` on the imaplib
    session ``imap``, and its FETCH answers in imaplib's shape: ``b"n (items"`` lines,
    ``(head, literal)`` pairs and the trailers after them (none after a ``NO``)."""
    _check_bye(imap)
    fetches: list[Any] = imap.untagged_responses.pop("FETCH", [])
    handed = False
    try:
        try:
            typ, data = _read(imap, tag, fetches)
        except imap.abort as exc:
            raise imap.abort(f"command: FETCH => {exc}") from None
        except imap.error as exc:
            raise imap.error(f"command: FETCH => {exc}") from None
        _check_bye(imap)
        if typ == "BAD":
            raise imap.error(f"FETCH command error: {typ} {data}")
        handed = typ != "NO"
        return typ, data, fetches if handed else []
    finally:
        if not handed and fetches:  # imaplib leaves them where they were
            imap.untagged_responses["FETCH"] = fetches


def _check_bye(imap: Any) -> None:
    bye = imap.untagged_responses.get("BYE")
    if bye:  # the server said goodbye and closes the connection
        raise imap.abort(bye[-1].decode("ascii", "replace"))


def _line(imap: Any) -> bytes:
    line: bytes = imap.readline()
    if not line:
        raise imap.abort("socket error: EOF")
    if not line.endswith(b"\r\n"):
        raise imap.abort(f"socket error: unterminated line: {line!r}")
    return line[:-2]


def _read(imap: Any, tag: bytes, fetches: list[Any]) -> tuple[str, list[Any]]:
    while True:
        _check_bye(imap)
        line = _line(imap)
        if not line.startswith(b"*"):  # a completion, or a continuation
            found = imap.tagre.match(line)
            if found is None:
                more = _CONTINUATION.match(line)
                if more is None:
                    raise imap.abort(f"unexpected response: {line!r}")
                imap.continuation_response = more.group("data")  # noted, passed over
                continue
            done = found.group("tag")
            if done not in imap.tagged_commands:
                raise imap.abort(f"unexpected tagged response: {line!r}")
            typ, data = found.group("type").decode("ascii"), found.group("data")
            _note_code(imap, typ, data)
            if done == tag:
                del imap.tagged_commands[tag]
                return typ, [data]
            imap.tagged_commands[done] = (typ, [data])
            continue
        found = _NUMBERED.match(line)
        if found is not None:
            typ, data = found.group("type").decode("ascii"), found.group("data")
            if found.group("data2"):
                data += b" " + found.group("data2")
        else:
            found = _NAMED.match(line)
            if found is None:
                raise imap.abort(f"unexpected response: {line!r}")
            typ, data = found.group("type").decode("ascii"), found.group("data") or b""
        into = fetches if typ == "FETCH" else None  # None: filed under its type
        size = _LITERAL_SIZE.search(data) if data.endswith(b"}") else None
        while size is not None:
            _file(imap, into, typ, (data, imap.read(int(size.group(1)))))
            data = _line(imap)  # the rest of the answer, which may end in another literal
            size = _LITERAL_SIZE.search(data) if data.endswith(b"}") else None
        _file(imap, into, typ, data)
        _note_code(imap, typ, data)


def _file(imap: Any, into: list[Any] | None, typ: str, value: Any) -> None:
    if into is not None:
        into.append(value)
    else:
        imap.untagged_responses.setdefault(typ, []).append(value)


def _note_code(imap: Any, typ: str, data: bytes) -> None:
    """File the code in brackets of an OK, NO or BAD (``[READ-ONLY]``) under its name."""
    if typ in ("OK", "NO", "BAD"):
        code = _CODE.match(data)
        if code is not None:
            named = code.group("type").decode("ascii")
            imap.untagged_responses.setdefault(named, []).append(code.group("data") or b"")
