"""The in-memory reference channel passes the contract (and so keeps the contract honest)."""

from __future__ import annotations

import pytest

from herocli.channels.memory import MemoryBackend, MemoryChannel
from tests.clock import FakeClock
from tests.contract import ChannelContract


class MemoryContractBackend:
    customer = "ann"

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.source = MemoryBackend(self.clock)
        self.count = 0

    def make_channel(self) -> MemoryChannel:
        return MemoryChannel(self.source)

    def start_conversation(self, title: str, body: str) -> None:
        self.count += 1
        self.clock.advance(minutes=1)
        self.source.start(f"t{self.count}", title, self.customer, body)

    def customer_says(self, external_id: str, body: str) -> None:
        self.clock.advance(minutes=1)
        self.source.add(external_id, self.customer, body)

    def remote_bodies(self, external_id: str) -> list[str]:
        return [m.body for m in self.source.threads[external_id].messages]


class TestMemoryChannel(ChannelContract):
    @pytest.fixture
    def backend(self) -> MemoryContractBackend:
        return MemoryContractBackend()
