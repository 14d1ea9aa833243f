"""A local Slack Web API server for `hero demo`, the tests and the benchmarks.

It speaks the documented wire format of the methods herocli uses: form or JSON
bodies, ``Authorization: Bearer``, Slack's envelope (``{"ok": false, "error":
...}`` with HTTP 200), cursor pagination, HTTP 429 with ``Retry-After``, thread
parents with ``reply_count``/``latest_reply``/``reply_users``, ``edited`` marks
and tombstones for deleted thread parents. Every request is logged with its
method, parameters and status so tests can count calls.

State is seeded from JSON shaped like API responses (see
``data/slack_demo.json``); derived fields (reply counts) are computed.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from herocli.simulators.server import LocalServer
from herocli.simulators.slack.handler import handler_for
from herocli.simulators.slack.limits import LoggedRequest
from herocli.simulators.slack.methods import SlackWebApi
from herocli.simulators.slack.workspace import (
    DEFAULT_TOKEN,
    JSON,
    SlackApiError,
    demo_seed,
    format_ts,
)

__all__ = [
    "DEFAULT_TOKEN",
    "JSON",
    "LoggedRequest",
    "SlackApiError",
    "SlackSimulator",
    "demo_seed",
    "format_ts",
]


class SlackSimulator(SlackWebApi, LocalServer):
    """A Slack workspace behind a real HTTP server on 127.0.0.1 (see ``SlackWorkspace``)."""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return handler_for(self.handle, lambda: self.latency, self.take_hang_up, self._hold)

    @property
    def url(self) -> str:
        """The API base, as configured in ``[slack] api_url``."""
        return f"{self.base_url}/api"

    @property
    def token(self) -> str:
        """A token the simulator accepts (the first one given)."""
        return next(iter(self.tokens))
