"""A running GitHub simulator, a channel pointed at it, and the contract backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from herocli.channels.github import GithubChannel
from herocli.config import GithubSettings
from herocli.models import JSON, Conversation, FetchPage, SilentProgress, SyncProgress
from herocli.secrets import EnvSecrets
from herocli.simulators.github import GithubSimulator
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

    def channel(self, **changes: Any) -> GithubChannel:
        settings = replace(self.settings, **changes)
        return GithubChannel(settings, EnvSecrets(self.env), self.clock, TEAM)

    def issue(self, title: str = "Help", body: str = "It broke.", **fields: Any) -> JSON:
        self.clock.advance(minutes=1)
        return self.sim.add_issue(
            REPO, title=title, body=body, user=fields.pop("user", "carol"), **fields
        )

    def comment(self, number: int, body: str, user: str = "carol", **fields: Any) -> JSON:
        self.clock.advance(minutes=1)
        return self.sim.add_comment(REPO, number, body=body, user=user, **fields)

    def stop(self) -> None:
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

    def __init__(self, world: GithubWorld) -> None:
        self.world = world

    def make_channel(self) -> GithubChannel:
        return self.world.channel()

    def start_conversation(self, title: str, body: str) -> None:
        self.world.issue(title, body, user=self.customer)

    def customer_says(self, external_id: str, body: str) -> None:
        number = int(external_id.rsplit("#", 1)[1])
        self.world.comment(number, body, user=self.customer)

    def remote_bodies(self, external_id: str) -> list[str]:
        repo, number = external_id.rsplit("#", 1)
        issue = self.world.sim.issue(repo, int(number))
        comments = self.world.sim.comments_of(repo, int(number))
        return [issue["body"] or "", *(c["body"] for c in comments)]


def world() -> Iterator[GithubWorld]:
    w = GithubWorld()
    try:
        yield w
    finally:
        w.stop()
