"""The Slack simulator's request log, injected faults and per-method rate-limit tiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from herocli.simulators.slack.workspace import SlackWorkspace

# Requests a minute per method, as Slack's rate-limit tiers document them (Tier 2: 20,
# Tier 3: 50, Tier 4: 100; chat.postMessage: about one a second).
TIER_LIMITS = {
    "auth.test": 100,
    "conversations.list": 20,
    "conversations.info": 50,
    "conversations.history": 50,
    "conversations.replies": 50,
    "users.info": 100,
    "users.list": 20,
    "team.info": 50,
    "reactions.add": 50,
    "reactions.get": 50,
    "reactions.remove": 20,
    "chat.postMessage": 60,
    "chat.update": 50,
}


@dataclass(frozen=True)
class LoggedRequest:
    """One call the simulator answered."""

    method: str
    params: Mapping[str, Any]
    status: int
    error: str | None = None
    at: float = 0.0  # the workspace clock when it was answered


class RateLimits(SlackWorkspace):
    """The workspace with the log of every request, queued faults and Slack's rate tiers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rate_limits: dict[str, list[float]] = {}  # method -> [retry_after, times left]
        self._faults: dict[str, list[int]] = {}  # method -> HTTP statuses to answer next (0: drop)
        self._hang_ups: dict[str, int] = {}  # method -> calls left to drop after acting
        self._tier_buckets: dict[str, tuple[float, float]] | None = None  # method -> tokens, at
        self._log: list[LoggedRequest] = []

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def calls(self, method: str | None = None) -> int:
        """How many requests were answered, for ``method`` or in all."""
        with self._lock:
            return sum(1 for r in self._log if method is None or r.method == method)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def inject_hang_up(self, method: str, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method``, then drop the connection unanswered."""
        with self._lock:
            self._hang_ups[method] = self._hang_ups.get(method, 0) + times

    def take_hang_up(self, method: str) -> bool:
        with self._lock:
            left = self._hang_ups.get(method, 0)
            if left:
                self._hang_ups[method] = left - 1
            return left > 0

    def inject_rate_limit(self, method: str, retry_after: float, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        with self._lock:
            self._rate_limits[method] = [retry_after, times]

    def enforce_tiers(self, enabled: bool = True) -> None:
        """Answer HTTP 429 past each method's documented per-minute rate, on the workspace clock.

        Each method has its own bucket of ``TIER_LIMITS[method]`` requests, refilled
        continuously over a minute (Slack allows short bursts, then the tier's rate).
        """
        with self._lock:
            self._tier_buckets = {} if enabled else None

    def _tier_wait(self, method: str) -> float:
        """Seconds until ``method`` may be called again (0: take a token now)."""
        if self._tier_buckets is None:
            return 0.0
        per_minute = TIER_LIMITS.get(method, 60)
        now = float(self._clock())
        tokens, stamp = self._tier_buckets.get(method, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - stamp) * per_minute / 60)
        if tokens < 1 - 1e-6:
            self._tier_buckets[method] = (tokens, now)
            return (1 - tokens) * 60 / per_minute
        self._tier_buckets[method] = (tokens - 1, now)
        return 0.0

    def inject_server_error(
        self, method: str, status: int = 500, times: int = 1, *, after: int = 0
    ) -> None:
        """Answer ``times`` calls of ``method`` with HTTP ``status`` and no JSON.

        ``after``: let that many calls through first.
        """
        with self._lock:
            self._faults.setdefault(method, []).extend([-1] * after + [status] * times)

    def inject_drop(self, method: str, times: int = 1, *, after: int = 0) -> None:
        """Close the connection without an answer on ``times`` calls of ``method``."""
        self.inject_server_error(method, 0, times, after=after)

    def _next_fault(self, method: str) -> int | None:
        queued = self._faults.get(method)
        fault = queued.pop(0) if queued else None
        return None if fault == -1 else fault
