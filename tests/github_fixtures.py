"""A running GitHub simulator, a channel pointed at it, and the contract backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herocli.channels.github import GithubChannel
from herocli.channels.github.fetch import PAGE
from herocli.config_github import GithubSettings
from herocli.errors import NotFoundError
from herocli.exchange import Conversation, FetchPage, SilentProgress, SyncProgress
from herocli.models import JSON, TeamMember
from herocli.records import replace
from herocli.secrets import EnvSecrets
from herocli.simulators.github import GithubSimulator
from herocli.simulators.server import free_port
from herocli.store import Store
from tests.clock import FakeClock

REPO = "acme/widget"
TOKEN = "ghp-test-token"
TEAM = frozenset({"hana", "ravi"})


class RecordingProgress(SilentProgress):
    def __init__(self) -> None:
        self.waits: list[tuple[float, str]] = []

    def waiting(self, seconds: float, reason: str) -> None:
        self.waits.append((seconds, reason))


class GithubWorld:
    """One simulator plus everything needed to build channels against it."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.sim = GithubSimulator(tokens={TOKEN: "hero-bot"}, clock=self.clock).start()
        self.sim.add_repo(REPO)
        self.settings = GithubSettings(api_url=self.sim.url, repos=(REPO,))
        self.env = {"GH_TOKEN": TOKEN}
        self.made: list[GithubChannel] = []  # shut down with the world: no socket left open

    def channel(self, **changes: Any) -> GithubChannel:
        settings = replace(self.settings, **changes)
        made = GithubChannel(settings, EnvSecrets(self.env), self.clock, TEAM)
        self.made.append(made)
        return made

    def issue(self, title: str = "Help", body: str = "It broke.", **fields: Any) -> JSON:
        self.clock.advance(minutes=1)
        return self.sim.add_issue(
            REPO, title=title, body=body, user=fields.pop("user", "carol"), **fields
        )

    def comment(self, number: int, body: str, user: str = "carol", **fields: Any) -> JSON:
        self.clock.advance(minutes=1)
        return self.sim.add_comment(REPO, number, body=body, user=user, **fields)

    def stop(self) -> None:
        for channel in self.made:
            channel.shutdown()
        self.sim.stop()


def run(
    channel: GithubChannel, cursor: JSON, progress: SyncProgress | None = None
) -> tuple[list[Conversation], JSON]:
    """All conversations of one fetch and the cursor it ends on."""
    pages: list[FetchPage] = list(channel.fetch(cursor, progress or SilentProgress()))
    conversations = [c for p in pages for c in p.conversations]
    return conversations, (pages[-1].cursor if pages else cursor)


class GithubContractBackend:
    customer = "carol"
    member = TeamMember("Hana", github="hana")
    member_id = "hana"
    credential_variable = "$GH_TOKEN"
    page_size = PAGE
    vanished_thread_error = NotFoundError

    def __init__(self, world: GithubWorld) -> None:
        self.world = world
        self.reachable = True

    def make_channel(self) -> GithubChannel:
        if self.reachable:
            return self.world.channel()
        return self.world.channel(api_url=f"http://127.0.0.1:{free_port()}")

    def start_conversation(self, title: str, body: str) -> None:
        self.world.issue(title, body, user=self.customer)

    def customer_says(self, external_id: str, body: str) -> None:
        self.world.comment(_number(external_id), body, user=self.customer)

    def _issue(self, external_id: str) -> JSON:
        return self.world.sim.issue(REPO, _number(external_id))

    def remote_bodies(self, external_id: str) -> list[str]:
        comments = self.world.sim.comments_of(REPO, _number(external_id))
        return [self._issue(external_id)["body"] or "", *(c["body"] for c in comments)]

    def remote_closed(self, external_id: str) -> bool:
        return self._issue(external_id)["state"] == "closed"

    def remote_labels(self, external_id: str) -> list[str]:
        return [label["name"] for label in self._issue(external_id)["labels"]]

    def remote_assignees(self, external_id: str) -> list[str]:
        return [user["login"] for user in self._issue(external_id)["assignees"]]

    bad_post_target = REPO  # an issue needs its number

    def post_target(self) -> str:
        board = self.world.issue("Handoffs", "The weekly handoff is posted here.")
        return f"{REPO}#{board['number']}"

    def remote_posts(self, target: str) -> list[str]:
        return [c["body"] for c in self.world.sim.comments_of(REPO, _number(target))]

    def revoke_credential(self) -> str:
        self.world.env = {"GH_TOKEN": "ghp-revoked-token"}
        return "ghp-revoked-token"

    def remove_credential(self) -> None:
        self.world.env = {}

    def set_reachable(self, reachable: bool) -> None:
        self.reachable = reachable

    def delete_conversation(self, external_id: str) -> None:
        self.world.sim.delete_issue(REPO, _number(external_id))


def _number(external_id: str) -> int:
    repo, _, number = external_id.rpartition("#")
    assert repo == REPO, external_id
    return int(number)


@pytest.fixture(name="gw")
def gw_fixture() -> Iterator[GithubWorld]:
    """A running GitHub simulator and the channels made on it, stopped afterwards."""
    w = GithubWorld()
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture(name="store")
def store_fixture(tmp_path: Path) -> Iterator[Store]:
    """A queue file of its own."""
    s = Store.open(tmp_path / "queue.db")
    yield s
    s.close()
