"""An IMAP proxy on 127.0.0.1 that can stall a chosen write command, for kill-point tests.

Dovecot has no hook before or after a command, so hero is pointed at this proxy
instead, which passes every byte through to the real server and parses just enough
of IMAP (lines, and literals ``{n}`` / ``{n+}`` in both directions) to see each
tagged command and its tagged answer. For the write commands (``APPEND``, ``STORE``,
``UID STORE``; the name of a store carries its ``+FLAGS``/``-FLAGS``) it calls
``hold(name, applied)`` twice: before the command goes to the server
(``applied=False``; answering False drops the connection with the command unsent)
and after the server answered it, before the answer goes to hero (``applied=True``;
False drops the connection with the answer unsent). Every other command passes.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import BinaryIO

LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
WRITES = (b"APPEND", b"STORE")

Hold = Callable[[str, bool], bool]


def _unit(stream: BinaryIO) -> bytes:
    """One IMAP line with the literals it announces (a command, or a server response)."""
    out = b""
    while True:
        line = stream.readline()
        if not line:
            raise EOFError
        out += line
        found = LITERAL.search(line)
        if found is None:
            return out
        size = int(found.group(1))
        data = stream.read(size)
        if len(data) < size:
            raise EOFError
        out += data


def write_name(command: bytes) -> str | None:
    """``IMAP APPEND``, ``IMAP UID STORE -FLAGS``…, for a write command; None otherwise."""
    words = command.split(b"\r\n", 1)[0].split()
    verb = words[1:2]
    if verb and verb[0].upper() == b"UID":
        verb = words[1:3]
    if not verb or verb[-1].upper() not in WRITES:
        return None
    name = "IMAP " + " ".join(v.decode("ascii", "replace").upper() for v in verb)
    if verb[-1].upper() == b"STORE":
        at = len(verb) + 2  # tag, verb words, the message set: then the item name
        item = words[at : at + 1]
        name += " " + (item[0].decode("ascii", "replace").upper().split(".")[0] if item else "")
    return name


class ImapSteps:
    """The proxy: ``port`` to configure as ``imap_port``; ``hold`` may be changed any time."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.hold: Hold | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        with suppress(OSError):
            self._listener.close()

    def __enter__(self) -> ImapSteps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ask(self, name: str, applied: bool) -> bool:
        hold = self.hold
        return True if hold is None else hold(name, applied)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            Connection(self, client, server).start()


class Connection:
    """One client's connection, passed through in two threads."""

    def __init__(self, proxy: ImapSteps, client: socket.socket, server: socket.socket) -> None:
        self.proxy, self.client, self.server = proxy, client, server
        self.waiting: dict[bytes, str] = {}  # tag of a write sent on -> its name
        self.lock = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._upward, daemon=True).start()
        threading.Thread(target=self._downward, daemon=True).start()

    def drop(self) -> None:
        for sock in (self.client, self.server):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()

    def _upward(self) -> None:
        """Client to server, a command at a time (a synchronising literal's ``+`` comes
        back on the other thread while this one waits for the literal's bytes)."""
        stream = self.client.makefile("rb")
        try:
            while True:
                first = stream.readline()
                if not first:
                    break
                name = write_name(first)
                tag = first.split(b" ", 1)[0]
                if name is not None:
                    if not self.proxy._ask(name, False):
                        break
                    with self.lock:
                        self.waiting[tag] = name
                self.server.sendall(first)
                found = LITERAL.search(first)
                while found is not None:
                    size = int(found.group(1))
                    data = stream.read(size)
                    if len(data) < size:
                        raise EOFError
                    rest = stream.readline()
                    self.server.sendall(data + rest)
                    found = LITERAL.search(rest)
        except (OSError, EOFError, ValueError):
            pass
        self.drop()

    def _downward(self) -> None:
        """Server to client; a write's tagged answer waits for ``hold`` first."""
        stream = self.server.makefile("rb")
        try:
            while True:
                unit = _unit(stream)
                tag = unit.split(b" ", 1)[0]
                with self.lock:
                    name = self.waiting.pop(tag, None)
                if name is not None and not self.proxy._ask(name, True):
                    break
                self.client.sendall(unit)
        except (OSError, EOFError, ValueError):
            pass
        self.drop()
