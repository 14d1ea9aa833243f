"""The in-memory reference channel passes the contract (and so keeps the contract honest).

It runs twice: with every capability, and with none, so both sides of each
capability test run on every change to the services.
"""

from __future__ import annotations

import pytest

from herocli.channels.base import Capabilities
from herocli.channels.memory import EVERYTHING, MemoryBackend, MemoryChannel
from herocli.errors import NotFoundError
from herocli.models import RemoteState, TeamMember
from tests.clock import FakeClock
from tests.contract import ChannelContract


class MemoryContractBackend:
    customer = "ann"
    member = TeamMember("Hana")
    member_id = "Hana"
    page_size = 2
    vanished_thread_error = NotFoundError

    def __init__(self, capabilities: Capabilities = EVERYTHING) -> None:
        self.clock = FakeClock()
        self.source = MemoryBackend(self.clock)
        self.capabilities = capabilities
        self.credential_variable = f"${self.source.credential_variable}"
        self.count = 0

    def make_channel(self) -> MemoryChannel:
        return MemoryChannel(self.source, page_size=self.page_size, capabilities=self.capabilities)

    def start_conversation(self, title: str, body: str) -> None:
        self.count += 1
        self.clock.advance(minutes=1)
        self.source.start(f"t{self.count}", title, self.customer, body)

    def customer_says(self, external_id: str, body: str) -> None:
        self.clock.advance(minutes=1)
        self.source.add(external_id, self.customer, body)

    def remote_bodies(self, external_id: str) -> list[str]:
        return [m.body for m in self.source.threads[external_id].messages]

    def remote_closed(self, external_id: str) -> bool:
        return self.source.threads[external_id].state is RemoteState.CLOSED

    def remote_labels(self, external_id: str) -> list[str]:
        return list(self.source.threads[external_id].labels)

    def remote_assignees(self, external_id: str) -> list[str]:
        return list(self.source.threads[external_id].assignees)

    bad_post_target = "two words"

    def post_target(self) -> str:
        return "#team"

    def remote_posts(self, target: str) -> list[str]:
        return [message.body for _key, message in self.source.posts.get(target, [])]

    def revoke_credential(self) -> str:
        self.source.credential_valid = False
        return "memory-secret"

    def remove_credential(self) -> None:
        self.source.credential_set = False

    def set_reachable(self, reachable: bool) -> None:
        self.source.reachable = reachable

    def delete_conversation(self, external_id: str) -> None:
        self.source.delete(external_id)


class TestMemoryChannel(ChannelContract):
    @pytest.fixture
    def backend(self) -> MemoryContractBackend:
        return MemoryContractBackend()


class TestMemoryChannelWithoutCapabilities(ChannelContract):
    @pytest.fixture
    def backend(self) -> MemoryContractBackend:
        return MemoryContractBackend(Capabilities())
