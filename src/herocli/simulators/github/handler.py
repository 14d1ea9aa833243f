"""The GitHub simulator's HTTP side: authentication, faults, ETags, headers, the log."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from herocli.simulators.github.graphql import GraphqlApi, operation_name
from herocli.simulators.github.limits import Request, fault_failure, spent_failure
from herocli.simulators.github.rest import RestApi
from herocli.simulators.github.wire import DOCS, HttpFailure


class Simulated(RestApi, GraphqlApi):
    """REST and GraphQL over one state: what the handler serves."""

    latency: float = 0.0  # seconds each answer waits; see LocalServer.latency
    hold: Callable[[str, bool], bool] | None = None  # see LocalServer.hold

    def holds(self, name: str, applied: bool) -> bool:
        """Whether ``hold`` stops request ``name`` here (before or after it is carried out)."""
        return self.hold is not None and not self.hold(name, applied)


class Handler(BaseHTTPRequestHandler):
    sim: Simulated
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com-simulator"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    answered_at: str | None = None

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the simulated clock, as GitHub's follows its own,
        # and says when the answer was made (a change hooked after it comes later).
        return self.answered_at or format_datetime(
            self.sim.clock.now().astimezone(UTC), usegmt=True
        )

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        sim = self.sim
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        is_graphql = path in ("/graphql", "/api/graphql")
        resource = "graphql" if is_graphql else "core"
        token = _token(self.headers.get("authorization", ""))
        operation: str | None = None
        headers: dict[str, str] = {}
        counted = True
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if is_graphql and isinstance(body, dict):
            operation = body.get("operationName") or operation_name(str(body.get("query", "")))
        step = f"{method} {path}"
        if sim.holds(step, False):
            self.close_connection = True
            return
        try:
            if token not in sim.tokens:
                counted = False
                raise HttpFailure(401, "Bad credentials")
            fault = sim._take_fault(method, path)
            if fault is not None and fault.kind == "connection_reset":
                # Dropped before any answer, as a proxy or a flaky network does.
                with sim._lock:
                    sim.requests.append(Request(method, path, query, 0, False, resource, operation))
                self.close_connection = True
                sim._run_hooks()
                return
            if fault is not None and fault.kind != "server_error_after":
                raise fault_failure(sim, fault, token, resource)
            if sim.spent(token, resource):
                raise spent_failure(sim, token, resource)
            if is_graphql:
                if method != "POST":
                    raise HttpFailure(404, "Not Found")
                extra: dict[str, str] = {}
                status, payload = 200, sim.graphql(body)
            else:
                status, payload, extra = sim.handle(method, path, query, body, sim.tokens[token])
            data = b"" if payload is None else json.dumps(payload).encode()
            headers.update(extra)
            if fault is not None:  # done, and then answered with an error anyway
                raise fault_failure(sim, fault, token, resource)
            if method == "GET" and status == 200:
                # Of the body alone, as GitHub's: a list that grew past a full page keeps
                # that page's ETag, and only the 304's Link header says there is more.
                etag = 'W/"' + hashlib.sha256(data).hexdigest()[:40] + '"'
                headers["etag"] = etag
                if etag in [t.strip() for t in self.headers.get("if-none-match", "").split(",")]:
                    status, data, counted = 304, b"", False
            headers.update(sim.rate_headers(token, resource, 1 if counted else 0))
        except HttpFailure as failure:
            status = failure.status
            data = json.dumps(
                failure.body
                or {"message": failure.message, "documentation_url": DOCS, "status": str(status)}
            ).encode()
            if status == 401:
                counted = False
            else:
                headers.update(sim.rate_headers(token, resource, 1 if counted else 0))
            headers.update(failure.headers)
        with sim._lock:
            sim.requests.append(Request(method, path, query, status, counted, resource, operation))
        self.answered_at = format_datetime(sim.clock.now().astimezone(UTC), usegmt=True)
        sim._run_hooks()
        if sim.latency:
            time.sleep(sim.latency)
        if sim.holds(step, True):
            self.close_connection = True
            return
        self.send_response(status)
        if status != 304 and data:
            self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)


def _token(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else ""
