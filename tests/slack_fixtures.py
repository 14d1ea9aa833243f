"""A Slack workspace on the simulator, and channels pointed at it, for the Slack tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from herocli.channels.slack import SlackChannel
from herocli.channels.slack.mrkdwn import escape, unescape
from herocli.config import SlackSettings
from herocli.models import FetchPage, SilentProgress
from herocli.secrets import EnvSecrets
from herocli.simulators.slack import SlackSimulator
from tests.clock import FakeClock

SUPPORT = "C0SUPPORT"
CUSTOMER = "U0CUST"
TEAM = frozenset({"U0HANA", "U0RAVI"})


def workspace_seed() -> dict[str, Any]:
    """A workspace with #support and #general, two team members and two customers."""
    users = [
        ("U0HANA", "Hana"),
        ("U0RAVI", "Ravi"),
        (CUSTOMER, "Chris Customer"),
        ("U0DANA", "Dana"),
    ]
    return {
        "team": {"id": "T0TEST", "name": "Test", "domain": "test-ws"},
        "bot": {"user_id": "U0HEROBOT", "bot_id": "B0HERO", "name": "hero"},
        "tokens": {"xoxb-test": "U0HEROBOT"},
        "users": [
            {"id": uid, "name": name.lower(), "real_name": name, "profile": {"display_name": name}}
            for uid, name in users
        ],
        "channels": [
            {"id": SUPPORT, "name": "support", "is_member": True},
            {"id": "C0GENERAL", "name": "general", "is_member": True},
            {"id": "C0OUTSIDE", "name": "outside", "is_member": False},
        ],
    }


class SlackBackend:
    """The contract's view of a Slack workspace: customers write, the channel reads."""

    customer = CUSTOMER

    def __init__(self, sim: SlackSimulator, clock: FakeClock) -> None:
        self.sim = sim
        self.clock = clock
        self.env = {"SLACK_TOKEN": sim.token}

    def settings(self, **overrides: Any) -> SlackSettings:
        values: dict[str, Any] = {"api_url": self.sim.url, "channels": (SUPPORT,)}
        values.update(overrides)
        return SlackSettings(**values)

    def make_channel(self, **overrides: Any) -> SlackChannel:
        return SlackChannel(self.settings(**overrides), EnvSecrets(self.env), self.clock, TEAM)

    def say(
        self, user: str, text: str, *, thread_ts: str | None = None, channel: str = SUPPORT
    ) -> str:
        """Post ``text`` as a Slack client would: the three characters escaped."""
        self.clock.advance(minutes=1)
        return self.sim.post(channel, user, escape(text), thread_ts=thread_ts)

    def start_conversation(self, title: str, body: str) -> None:
        self.say(self.customer, f"{title}\n{body}")

    def customer_says(self, external_id: str, body: str) -> None:
        channel, _, ts = external_id.partition(":")
        self.say(self.customer, body, thread_ts=ts, channel=channel)

    def remote_bodies(self, external_id: str) -> list[str]:
        channel, _, ts = external_id.partition(":")
        return [unescape(str(m.get("text", ""))) for m in self.sim.thread(channel, ts)]


def collect(channel: SlackChannel, cursor: dict[str, Any] | None = None) -> list[FetchPage]:
    return list(channel.fetch(cursor or {}, SilentProgress()))


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    return FakeClock()


@pytest.fixture(name="sim")
def sim_fixture(clock: FakeClock) -> Iterator[SlackSimulator]:
    with SlackSimulator(workspace_seed(), clock=lambda: clock.now().timestamp()) as running:
        yield running


@pytest.fixture(name="backend")
def backend_fixture(sim: SlackSimulator, clock: FakeClock) -> SlackBackend:
    return SlackBackend(sim, clock)
