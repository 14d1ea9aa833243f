"""A Slack workspace on the simulator, and channels pointed at it, for the Slack tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herocli.channels.slack import SlackChannel
from herocli.channels.slack.mrkdwn import escape, unescape
from herocli.channels.slack.sync import HISTORY_LIMIT
from herocli.config import TeamSettings
from herocli.config_slack import SlackSettings
from herocli.errors import NotFoundError
from herocli.exchange import FetchPage, SilentProgress
from herocli.models import Item, TeamMember
from herocli.secrets import EnvSecrets
from herocli.services import triage
from herocli.services.sync import SyncResult, sync_channel
from herocli.simulators.server import free_port
from herocli.simulators.slack import SlackSimulator
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock

SUPPORT = "C0SUPPORT"
CUSTOMER = "U0CUST"
TEAM = frozenset({"U0HANA", "U0RAVI"})
BOT = "U0HEROBOT"  # the user the app's token acts as
HANA_ONLY = TeamSettings(members=(TeamMember("Hana", slack="U0HANA"),))


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
        "bot": {"user_id": BOT, "bot_id": "B0HERO", "name": "hero"},
        "tokens": {"xoxb-test": BOT},
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
    member = TeamMember("Hana", slack="U0HANA")
    member_id = "U0HANA"
    credential_variable = "$SLACK_TOKEN"
    page_size = HISTORY_LIMIT
    vanished_thread_error = NotFoundError

    def __init__(self, sim: SlackSimulator, clock: FakeClock) -> None:
        self.sim = sim
        self.clock = clock
        self.env = {"SLACK_TOKEN": sim.token}
        self.reachable = True
        self.made: list[SlackChannel] = []

    def settings(self, **overrides: Any) -> SlackSettings:
        values: dict[str, Any] = {"api_url": self.sim.url, "channels": (SUPPORT,)}
        if not self.reachable:
            values["api_url"] = f"http://127.0.0.1:{free_port()}/api"
        values.update(overrides)
        return SlackSettings(**values)

    def make_channel(self, **overrides: Any) -> SlackChannel:
        made = SlackChannel(self.settings(**overrides), EnvSecrets(self.env), self.clock, TEAM)
        self.made.append(made)
        return made

    def shutdown(self) -> None:
        """Close every channel made here: no socket is left for the garbage collector."""
        for channel in self.made:
            channel.shutdown()

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

    def remote_closed(self, external_id: str) -> bool:
        channel, _, ts = external_id.partition(":")
        reaction = SlackSettings().close_reaction
        reactions = self.sim.message(channel, ts).get("reactions") or ()
        return any(r["name"] == reaction and BOT in r["users"] for r in reactions)

    def remote_labels(self, external_id: str) -> list[str]:
        raise AssertionError("Slack threads have no labels")

    def remote_assignees(self, external_id: str) -> list[str]:
        raise AssertionError("Slack threads have no assignees")

    bad_post_target = " # "  # names no channel

    def post_target(self) -> str:
        return "#general"

    def remote_posts(self, target: str) -> list[str]:
        assert target == "#general", target
        return [unescape(str(m.get("text", ""))) for m in self.sim.messages("C0GENERAL")]

    def revoke_credential(self) -> str:
        self.env["SLACK_TOKEN"] = "xoxb-revoked"
        return "xoxb-revoked"

    def remove_credential(self) -> None:
        self.env.clear()

    def set_reachable(self, reachable: bool) -> None:
        self.reachable = reachable

    def delete_conversation(self, external_id: str) -> None:
        channel, _, ts = external_id.partition(":")
        self.sim.delete(channel, ts)


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
def backend_fixture(sim: SlackSimulator, clock: FakeClock) -> Iterator[SlackBackend]:
    backend = SlackBackend(sim, clock)
    yield backend
    backend.shutdown()


class Desk:
    """One hero's queue synced from the Slack simulator; ``settings`` override ``[slack]`` keys."""

    def __init__(self, backend: SlackBackend, path: Path, **settings: Any) -> None:
        self.backend = backend
        self.clock = backend.clock
        self.store = Store.open(path)
        self.channel: SlackChannel = backend.make_channel(**settings)
        self.actor = triage.Actor("Hana", lambda _name: self.channel, self.clock)

    def try_sync(self) -> SyncResult:
        return sync_channel(self.store, self.channel, HANA_ONLY, self.clock, SilentProgress())

    def sync(self) -> SyncResult:
        result = self.try_sync()
        assert result.error is None, result.error
        return result

    def items(self) -> list[Item]:
        return queue.list_items(
            self.store.conn, ItemFilter(states=(), waiting=None), self.clock.now()
        )

    def titles(self) -> list[str]:
        return sorted(i.title for i in self.items())

    def item(self) -> Item:
        [item] = self.items()
        return item

    def close(self) -> None:
        delivery = triage.close(self.store, self.actor, self.item().id)
        assert delivery is not None
        assert delivery.ok, delivery.error

    def shutdown(self) -> None:
        self.channel.shutdown()
        self.store.close()


@pytest.fixture(name="desk")
def desk_fixture(backend: SlackBackend, tmp_path: Path) -> Iterator[Desk]:
    made = Desk(backend, tmp_path / "queue.db")
    yield made
    made.shutdown()
