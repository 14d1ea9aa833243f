"""Running a simulator's HTTP handler on 127.0.0.1 in a background thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, for servers that must be told one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that went away mid-answer (killed, timed out) is not the server's fault.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """Start/stop/URL for a simulator; subclasses say which handler serves it."""

    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    #: Seconds each answer is held back after its request was handled: a slow
    #: server, for crash tests that kill a client while it waits. Wall time.
    latency: float = 0.0
    #: Called on the server thread for each request, outside the state's lock, as
    #: ``hold(name, applied)``: with ``applied`` False before the request is carried out,
    #: True after it was (before the answer goes out). It may block (a server that
    #: stalls right there, for tests that kill a client at a chosen step); returning
    #: False drops the connection at that point (before: the request is never carried out).
    hold: Callable[[str, bool], bool] | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def _hold(self, name: str, applied: bool) -> bool:
        """Whether to go on with request ``name`` (see ``hold``)."""
        return self.hold is None or self.hold(name, applied)

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1 (idempotent)."""
        if self._server is not None:
            return self
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"
