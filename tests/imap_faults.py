"""A relay in front of a real IMAP server that fails on cue: a dropped connection, or NO.

The channel connects to the relay's port; every byte goes through to the server
unchanged until a fault is armed. Then the relay counts the tagged commands the
clients send and, at the chosen one, either closes both sides of that connection
(a server or network that went away mid-command) or answers the command itself
with ``NO [UNAVAILABLE]`` (or the answer it is given) without passing it on (a
server that refuses). Armed with a ``verb``, it counts only the commands of that
verb. It only reads command lines, so arm it while no literal (an APPEND) is under
way; an APPEND it answers itself never gets to send its literal (imaplib waits for
the server's go-ahead). It counts the bytes the server sends (``received``): what
the clients downloaded.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import threading

_COMMAND = re.compile(rb"^([A-Za-z0-9.]+) ([A-Za-z]+)")
REFUSAL = b"NO [UNAVAILABLE] refused by the test"


class FaultyRelay:
    """Listens on 127.0.0.1:``port`` and relays each connection to ``target``."""

    def __init__(self, target: int) -> None:
        self.target = target
        # Bound to port 0 and asked which it got: a port picked first and bound later can
        # be taken meanwhile by another process on a shared machine.
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._countdown = 0
        self._verb: bytes | None = None
        self._answer = REFUSAL
        self.fired: list[str] = []  # the commands a fault hit, for the failure message
        self.received = 0  # bytes the server sent the clients, all connections together
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(
        self, fault: str, at_command: int, verb: str | None = None, answer: str | None = None
    ) -> None:
        """Fail the ``at_command``-th command from now (1 is the next; of ``verb`` only,
        when given): ``drop``, or ``no`` with ``answer`` (``NO [UNAVAILABLE] ...``)."""
        assert fault in ("drop", "no")
        with self._lock:
            self._fault, self._countdown = fault, at_command
            self._verb = verb.upper().encode() if verb else None
            self._answer = answer.encode() if answer is not None else REFUSAL

    def disarm(self) -> None:
        with self._lock:
            self._fault = None

    def stop(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _verdict(self, line: bytes) -> str | None:
        """What to do with one line from a client: None passes it on."""
        with self._lock:
            command = _COMMAND.match(line)
            if self._fault is None or command is None:
                return None
            if self._verb is not None and command.group(2).upper() != self._verb:
                return None
            self._countdown -= 1
            if self._countdown > 0:
                return None
            fault, self._fault = self._fault, None
            self.fired.append(f"{fault}: {line[:60]!r}")
            return fault

    def _relay(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        pending = b""
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [])
                if server in ready:
                    data = server.recv(65536)
                    if not data:
                        return
                    with self._lock:
                        self.received += len(data)
                    client.sendall(data)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    pending += data
                    while b"\r\n" in pending:
                        line, pending = pending.split(b"\r\n", 1)
                        verdict = self._verdict(line)
                        if verdict == "drop":
                            return
                        if verdict == "no":
                            tag = line.split(b" ", 1)[0]
                            client.sendall(tag + b" " + self._answer + b"\r\n")
                            continue
                        server.sendall(line + b"\r\n")
        except OSError:
            return
        finally:
            for end in (client, server):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
