"""The GitHub simulator's rate limits, injected faults and request log."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from herocli.simulators.github.state import GithubState
from herocli.simulators.github.wire import JSON, HttpFailure, iso

RATE_LIMIT = 5000
GRAPHQL_LIMIT = 5000


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    counted: bool  # spent one unit of rate limit
    resource: str = "core"
    operation: str | None = None  # GraphQL operationName


@dataclass
class Fault:
    kind: str
    times: int = 1
    path: re.Pattern[str] | None = None
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    reset_in: int = 60
    remaining: int | None = None  # primary: 0 unless given; secondary: the window's own


class RateLimits(GithubState):
    """Per-token rate-limit windows, queued faults and the log of every request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests: list[Request] = []
        self._faults: list[Fault] = []
        self._used: dict[tuple[str, str], int] = {}  # (token, resource) -> used this window
        self._window_start = self.clock.now()
        # Points per window and its length; tests shrink them to meet the limit often.
        self.limits = {"core": RATE_LIMIT, "graphql": GRAPHQL_LIMIT}
        self.window = timedelta(hours=1)
        # The most items a page holds (GitHub: 100); tests lower it so small repos page.
        self.page_cap = 100
        self._hooks: list[tuple[int, Callable[[], None]]] = []

    # ------------------------------------------------------------------ hooks
    def after_requests(self, count: int, change: Callable[[], None]) -> None:
        """Run ``change`` once the ``count``-th request from now is answered, before the next.

        The change lands between two pages of whatever hero is reading, as an
        edit on github.com would. It runs on the server thread, under the lock.
        """
        with self._lock:
            self._hooks.append((len(self.requests) + count, change))

    def _run_hooks(self) -> None:
        with self._lock:
            due = [h for h in self._hooks if h[0] <= len(self.requests)]
            self._hooks = [h for h in self._hooks if h[0] > len(self.requests)]
            for _at, change in due:
                change()

    def spent(self, token: str, resource: str) -> bool:
        """Whether the token has no points left in this window."""
        with self._lock:
            self._reset_epoch()
            return self._used.get((token, resource), 0) >= self.limits[resource]

    # ------------------------------------------------------------------ faults
    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        reset_in: int = 60,
        remaining: int | None = None,
    ) -> None:
        """Queue a fault for the next matching request(s).

        ``kind`` is ``primary_rate_limit`` (403, ``remaining`` points left, 0 by
        default, reset in ``reset_in`` s; GraphQL: a 200 with ``RATE_LIMITED``),
        ``secondary_rate_limit`` (``status`` 403 or 429, with ``retry-after`` when
        given; with ``remaining`` given, that many points left and the window reset in
        ``reset_in`` s, as GitHub sends when the secondary limit meets an empty
        window), ``bad_credentials`` (401), ``not_found``
        (404), ``server_error`` (``status`` 5xx, 502 by default) or
        ``connection_reset`` (the connection is closed without an answer) or
        ``server_error_after`` (the request is carried out, then answered with
        that 5xx, as when a proxy times out on a slow write). ``path`` is a
        regular expression searched in the request path.
        """
        kinds = {
            "server_error_after",
            "primary_rate_limit",
            "secondary_rate_limit",
            "bad_credentials",
            "not_found",
            "server_error",
            "connection_reset",
        }
        if kind not in kinds:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(kinds)}")
        with self._lock:
            self._faults.append(
                Fault(
                    kind,
                    times=times,
                    path=re.compile(path) if path else None,
                    method=method,
                    status=status,
                    retry_after=retry_after,
                    reset_in=reset_in,
                    remaining=remaining,
                )
            )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is not None and not fault.path.search(path):
                    continue
                if fault.method is not None and fault.method != method:
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ rate limits
    def _reset_epoch(self) -> int:
        now = self.clock.now()
        if now - self._window_start >= self.window:
            self._window_start = now
            self._used.clear()
        return int((self._window_start + self.window).timestamp())

    def rate_headers(self, token: str, resource: str, spend: int) -> dict[str, str]:
        with self._lock:
            reset = self._reset_epoch()
            limit = self.limits[resource]
            used = self._used.get((token, resource), 0) + spend
            self._used[(token, resource)] = used
            return {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(max(limit - used, 0)),
                "x-ratelimit-used": str(used),
                "x-ratelimit-reset": str(reset),
                "x-ratelimit-resource": resource,
            }

    def counted(self, **match: str) -> int:
        """How many logged requests spent rate limit (optionally filtered by method/path)."""
        return sum(
            1
            for r in self.requests
            if r.counted and all(getattr(r, k) == v for k, v in match.items())
        )

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def _rate_limit_body(self) -> JSON:
        reset = self._reset_epoch()

        def res(limit: int, resource: str) -> JSON:
            used = sum(v for (_t, r), v in self._used.items() if r == resource)
            return {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}

        core = res(self.limits["core"], "core")
        graphql = res(self.limits["graphql"], "graphql")
        return {"resources": {"core": core, "graphql": graphql}, "rate": core}

    def _graphql_rate(self) -> JSON:
        reset = datetime.fromtimestamp(self._reset_epoch(), UTC)
        used = sum(v for (_t, r), v in self._used.items() if r == "graphql")
        left = max(self.limits["graphql"] - used - 1, 0)
        return {"cost": 1, "remaining": left, "resetAt": iso(reset)}


def spent_failure(sim: RateLimits, token: str, resource: str) -> HttpFailure:
    """The answer to a request made with no points left in the window."""
    return fault_failure(sim, Fault("primary_rate_limit"), token, resource, sim._reset_epoch())


def fault_failure(
    sim: RateLimits, fault: Fault, token: str, resource: str, reset: int | None = None
) -> HttpFailure:
    if fault.kind == "primary_rate_limit":
        reset = reset or int(sim.clock.now().timestamp()) + fault.reset_in
        headers = sim.rate_headers(token, resource, 0)
        left = 0 if fault.remaining is None else fault.remaining
        headers.update({"x-ratelimit-remaining": str(left), "x-ratelimit-reset": str(reset)})
        message = "API rate limit exceeded for user ID 1."
        if resource == "graphql":
            # GraphQL answers its primary limit with a 200 and an error in the body.
            body = {"errors": [{"type": "RATE_LIMITED", "message": message}]}
            return HttpFailure(fault.status or 200, message, headers, body)
        return HttpFailure(fault.status or 403, message, headers)
    if fault.kind == "secondary_rate_limit":
        headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.remaining is not None:
            reset = int(sim.clock.now().timestamp()) + fault.reset_in
            headers.update(
                {"x-ratelimit-remaining": str(fault.remaining), "x-ratelimit-reset": str(reset)}
            )
        return HttpFailure(
            fault.status or 403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            headers,
        )
    if fault.kind == "bad_credentials":
        return HttpFailure(401, "Bad credentials")
    if fault.kind == "not_found":
        return HttpFailure(404, "Not Found")
    return HttpFailure(fault.status or 502, "Server Error")
