"""The HTTP side of the simulator: form, JSON and query arguments in, JSON out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]
Answer = Callable[[str, Mapping[str, Any], str | None], tuple[int, JSON, dict[str, str]]]


def handler_for(
    handle: Answer,
    latency: Callable[[], float] = lambda: 0.0,
    hang_up: Callable[[str], bool] = lambda _method: False,
    hold: Callable[[str, bool], bool] = lambda _method, _applied: True,
) -> type[BaseHTTPRequestHandler]:
    """A request handler class that passes each ``/api/<method>`` call to ``handle``.

    Each answer waits ``latency()`` seconds (a slow server); when
    ``hang_up(method)`` says so, the call is carried out and the connection
    closed without an answer (a connection dropped after the server acted).
    ``hold(method, applied)`` is asked before and after the call is carried out
    (see ``LocalServer.hold``); False drops the connection there.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every keep-alive request.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length) if length else b"")

        def _answer(self, raw: bytes | None) -> None:
            split = urlsplit(self.path)
            params: dict[str, Any] = dict(parse_qsl(split.query))
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if raw:
                if kind == "application/json":
                    try:
                        loaded = json.loads(raw)
                    except ValueError:
                        loaded = None
                    if not isinstance(loaded, dict):
                        self._send(200, {"ok": False, "error": "invalid_json"}, {})
                        return
                    params.update(loaded)
                else:
                    params.update(parse_qsl(raw.decode("utf-8", "replace")))
            token = params.pop("token", None)
            header = self.headers.get("Authorization") or ""
            if header.lower().startswith("bearer "):
                token = header[7:].strip()
            method = (
                split.path.rstrip("/").rsplit("/", 1)[-1] if split.path.startswith("/api/") else ""
            )
            if not hold(method, False):
                self.close_connection = True
                return
            status, body, headers = handle(method, params, str(token) if token else None)
            if latency():
                time.sleep(latency())
            if hang_up(method) or not hold(method, True):
                self.close_connection = True
                return
            self._send(status, body, headers)

        def _send(self, status: int, body: JSON, headers: dict[str, str]) -> None:
            if status == 0:  # an injected dropped connection
                self.close_connection = True
                return
            if status >= 500 and not body:  # an injected server error: a proxy's HTML page
                data = b"<html><body>Internal error</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
