"""What the channel contract needs from a channel's test module, and the queue it drives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from herocli.channels.base import Capabilities, Channel
from herocli.config import TeamSettings
from herocli.errors import HeroError
from herocli.exchange import SilentProgress
from herocli.models import Item, TeamMember
from herocli.services import triage
from herocli.services.sync import SyncResult, sync_channel
from herocli.store import Store, cursors, queue
from herocli.store import outbox as outbox_rows
from herocli.store import outbox_claims as claims
from herocli.store.outbox import OutboxEntry
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock


class ContractBackend(Protocol):
    """A channel's server as the contract sees it: people write, faults happen, state is read."""

    customer: str  # a customer's author id on this channel
    member: TeamMember  # a team member with an identity on this channel
    member_id: str  # that member's identity as the source shows it (login, user id)
    credential_variable: str  # where the credential comes from, as errors name it ("$GH_TOKEN")
    page_size: int  # this many conversations fill one fetch page; one more makes two
    # What a write to a conversation deleted at the source raises; None where the write
    # still goes out (a mail reply goes to an address, not into a thread on a server).
    vanished_thread_error: type[HeroError] | None

    def make_channel(self) -> Channel: ...

    # --- the world writes
    def start_conversation(self, title: str, body: str) -> None: ...

    def customer_says(self, external_id: str, body: str) -> None: ...

    # --- remote state, read from the server itself, never through the channel under test
    def remote_bodies(self, external_id: str) -> list[str]: ...

    def remote_closed(self, external_id: str) -> bool: ...

    def remote_labels(self, external_id: str) -> list[str]: ...

    def remote_assignees(self, external_id: str) -> list[str]: ...

    # --- posts outside any item; only asked where the channel claims ``post``
    bad_post_target: str  # a target the channel refuses to read

    def post_target(self) -> str:
        """A target a post can land on (made ready at the source when it needs to be)."""
        ...

    def remote_posts(self, target: str) -> list[str]:
        """The bodies posted at ``target``, read from the server."""
        ...

    # --- faults: channels made afterwards meet them
    def revoke_credential(self) -> str:
        """Make the credential the channel presents a rejected one; return its (secret) value."""
        ...

    def remove_credential(self) -> None:
        """Channels made from now on find no credential where they look for one."""
        ...

    def set_reachable(self, reachable: bool) -> None: ...

    def delete_conversation(self, external_id: str) -> None: ...


class Harness:
    """A queue file, a fake clock and one channel made by the backend."""

    def __init__(self, backend: ContractBackend, path: Path) -> None:
        self.backend = backend
        self.store = Store.open(path)
        self.clock = FakeClock()
        self.channel = backend.make_channel()
        self.actor = triage.Actor("Hana", lambda _name: self.channel, self.clock)

    def reconnect(self) -> None:
        """A new process: a fresh channel, which meets the backend's current faults."""
        self.channel.shutdown()
        self.channel = self.backend.make_channel()

    def try_sync(self) -> SyncResult:
        # The sync knows the member, as the config would: their identity upstream is their name.
        team = TeamSettings(members=(self.backend.member,))
        return sync_channel(self.store, self.channel, team, self.clock, SilentProgress())

    def sync(self) -> SyncResult:
        result = self.try_sync()
        assert result.error is None, result.error
        return result

    def items(self) -> list[Item]:
        f = ItemFilter(states=(), waiting=None)
        return queue.list_items(self.store.conn, f, self.clock.now())

    def only_item(self) -> Item:
        items = self.items()
        assert len(items) == 1, [i.title for i in items]
        return items[0]

    def synced_item(self, title: str = "Question", body: str = "Hello, can you help?") -> Item:
        """One conversation started upstream and synced into the queue."""
        self.backend.start_conversation(title, body)
        self.sync()
        return self.only_item()

    def bodies(self, item_id: int) -> list[str]:
        return [m.message.body for m in queue.messages(self.store.conn, item_id)]

    def event_count(self) -> int:
        return int(self.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def cursor(self) -> dict[str, object]:
        return cursors.load(self.store.conn, self.channel.name)

    def unsent(self) -> list[OutboxEntry]:
        return outbox_rows.unsent(self.store.conn)

    def claimed_by_a_dead_sender(self, entry_id: int) -> None:
        """The entry was claimed by a process that died: its lease has already run out."""
        with self.store.transaction() as db:
            now = self.clock.now()
            claims.claim(db, entry_id, owner="elsewhere:1:gone", now=now, until=now)

    def outbox_size(self) -> int:
        return int(self.store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def remote_count(self, external_id: str, text: str) -> int:
        return sum(text in b for b in self.backend.remote_bodies(external_id))


def require(hx: Harness, capability: Callable[[Capabilities], bool], what: str) -> None:
    """Skip unless the channel claims the capability."""
    if not capability(hx.channel.capabilities):
        pytest.skip(f"the {hx.channel.name} channel has no {what}")


def require_not(hx: Harness, capability: Callable[[Capabilities], bool], what: str) -> None:
    """Skip where the channel claims the capability."""
    if capability(hx.channel.capabilities):
        pytest.skip(f"the {hx.channel.name} channel has {what}")


class HarnessFixture:
    @pytest.fixture
    def hx(self, backend: ContractBackend, tmp_path: Path) -> Iterator[Harness]:
        harness = Harness(backend, tmp_path / "queue.db")
        yield harness
        harness.channel.shutdown()
        harness.store.close()
