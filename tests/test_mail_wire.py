"""``read_fetch`` reads a FETCH's answers as imaplib itself does, over a real socket.

A scripted server on the other end of a socket pair greets, answers CAPABILITY,
then answers the client's ``UID FETCH`` with a generated mix of what servers
send: FETCH answers with none, one or two literals, EXISTS and EXPUNGE in
between, OK/NO with codes, continuations, BYE, garbage, a dropped connection,
and one of several completions. Two sessions get the same script; one is read by
imaplib (``_command_complete`` and ``_untagged_response``), the other by
``read_fetch``, and everything each leaves behind must be the same.
"""

from __future__ import annotations

import imaplib
import re
import socket
import threading
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from herocli.channels.mail.wire import read_fetch


class _Paired(imaplib.IMAP4):
    """An imaplib session over one end of a socket pair."""

    def __init__(self, sock: socket.socket) -> None:
        self._given = sock
        super().__init__()

    def open(self, host: str = "", port: int = 143, timeout: float | None = None) -> None:
        self.host, self.port = host, port
        self.sock = self._given
        self.file = self.sock.makefile("rb")


def _serve(sock: socket.socket, script: bytes) -> None:
    with sock, sock.makefile("rb") as commands:
        sock.sendall(b"* OK ready\r\n")
        tag = commands.readline().split(b" ")[0]
        sock.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
        tag = commands.readline().split(b" ")[0]
        sock.sendall(script.replace(b"OTHER", b"JKLM999").replace(b"TAG", tag))
        sock.shutdown(socket.SHUT_WR)  # whatever comes after the script: the end
        commands.read()


def _session(script: bytes) -> tuple[_Paired, bytes, threading.Thread]:
    ours, theirs = socket.socketpair()
    ours.settimeout(10)
    server = threading.Thread(target=_serve, args=(theirs, script), daemon=True)
    server.start()
    imap = _Paired(ours)
    # The same tags in both sessions, so that what each leaves can be compared as it is.
    imap.tagre = re.compile(imap.tagre.pattern.replace(imap.tagpre, b"JKLM"), re.ASCII)
    imap.tagpre = b"JKLM"
    imap.state = "SELECTED"
    imap.untagged_responses["FETCH"] = [b"1 (FLAGS (\\Seen))"]  # left from a command before
    tag = imap._command("UID", "FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
    return imap, tag, server


def _outcome(imap: _Paired, read: Any, tag: bytes) -> tuple[Any, ...]:
    try:
        got = ("done", *read(imap, tag))
    except imaplib.IMAP4.abort as exc:
        got = ("abort", str(exc))
    except imaplib.IMAP4.error as exc:
        got = ("error", str(exc))
    left = {k: list(v) for k, v in imap.untagged_responses.items()}
    return got, left, getattr(imap, "continuation_response", None), dict(imap.tagged_commands)


def _by_imaplib(imap: _Paired, tag: bytes) -> tuple[Any, ...]:
    typ, data = imap._command_complete("FETCH", tag)
    typ, answers = imap._untagged_response(typ, data, "FETCH")
    return typ, data, [] if answers == [None] or typ == "NO" else answers


def _both(script: bytes) -> None:
    results = []
    for read in (_by_imaplib, read_fetch):
        imap, tag, server = _session(script)
        results.append(_outcome(imap, read, tag))
        imap.shutdown()
        server.join(10)
    theirs, ours = results
    assert ours == theirs, script


def _fetch(n: int, literals: int, body: bytes) -> bytes:
    if literals == 0:
        return b"* %d FETCH (UID %d FLAGS ())\r\n" % (n, n)
    if literals == 1:
        return b"* %d FETCH (UID %d FLAGS (\\Seen) BODY[] {%d}\r\n%s)\r\n" % (n, n, len(body), body)
    return b"* %d FETCH (UID %d BODY[HEADER] {%d}\r\n%s BODY[TEXT] {2}\r\nhi)\r\n" % (
        n,
        n,
        len(body),
        body,
    )


_BODIES = st.sampled_from([b"", b"x", b"Subject: a\r\n\r\nbody\r\n", b"{3}\r\nodd)\r\n", b"\xff\r"])
_PIECE = st.one_of(
    st.builds(_fetch, st.integers(1, 9), st.integers(0, 2), _BODIES),
    st.sampled_from(
        [
            b"* 3 EXISTS\r\n",
            b"* 2 EXPUNGE\r\n",
            b"* 1 RECENT\r\n",
            b"* OK [ALERT] look here\r\n",
            b"* NO [UNAVAILABLE] slow\r\n",
            b"* OK\r\n",
            b"* FLAGS (\\Seen \\Answered)\r\n",
            b"* 4 FETCH (X-GM-THRID 12 BODY[] {0}\r\n)\r\n",
            b"+ go on\r\n",
            b"+\r\n",
        ]
    ),
)
_ENDS = st.sampled_from(
    [
        b"TAG OK [READ-ONLY] done\r\n",
        b"TAG OK done\r\n",
        b"TAG NO [UNAVAILABLE] try later\r\n",
        b"TAG BAD what\r\n",
        b"TAG OK\r\n",  # no text after the type: no completion imaplib knows
        b"OTHER OK done\r\n",  # a tag nobody sent
        b"* BYE [UNAVAILABLE] going down\r\nTAG OK done\r\n",
        b"hello\r\n",
        b"*  OK two spaces\r\n",
        b"* 5 FETCH (UID 5 BODY[] {10}\r\nshort",  # the connection ends inside a literal
        b"* 5 FETCH (UID 5",  # and inside a line
        b"",  # and between answers
    ]
)


@settings(max_examples=60, deadline=None, print_blob=True)
@given(st.lists(_PIECE, max_size=6), _ENDS)
@example([_fetch(1, 1, b"Subject: a\r\n\r\nbody\r\n"), b"* 3 EXISTS\r\n"], b"TAG OK done\r\n")
@example([_fetch(1, 2, b"x")], b"TAG NO [UNAVAILABLE] try later\r\n")
def test_read_fetch_leaves_what_imaplib_leaves(pieces: list[bytes], end: bytes) -> None:
    _both(b"".join(pieces) + end)
