"""The Slack channel against the Slack Web API simulator, over real HTTP."""

from __future__ import annotations

from tests.contract import ChannelContract
from tests.slack_fixtures import backend, clock, sim  # noqa: F401


class TestSlackContract(ChannelContract):
    pass
