"""The contract every channel passes, against its real server or simulator.

A channel's test module subclasses ``ChannelContract`` and provides a
``backend`` fixture (see ``ContractBackend``). The tests drive the real sync
and outbox services into a real queue file, so what is checked is what a user
gets: one item per conversation, no duplicates, replies that land once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pytest

from herocli.channels.base import Channel
from herocli.config import TeamSettings
from herocli.models import Item, SilentProgress, Waiting
from herocli.services import outbox, triage
from herocli.services.sync import SyncResult, sync_channel
from herocli.store import Store, queue
from herocli.store import outbox as outbox_rows
from herocli.store.outbox import Op
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock


class ContractBackend(Protocol):
    customer: str  # a customer's author id on this channel

    def make_channel(self) -> Channel: ...

    def start_conversation(self, title: str, body: str) -> None: ...

    def customer_says(self, external_id: str, body: str) -> None: ...

    def remote_bodies(self, external_id: str) -> list[str]: ...


class Harness:
    def __init__(self, backend: ContractBackend, path: Path) -> None:
        self.backend = backend
        self.store = Store.open(path)
        self.clock = FakeClock()
        self.channel = backend.make_channel()
        self.actor = triage.Actor("Hana", lambda _name: self.channel, self.clock)

    def sync(self) -> SyncResult:
        result = sync_channel(
            self.store, self.channel, TeamSettings(), self.clock, SilentProgress()
        )
        assert result.error is None, result.error
        return result

    def items(self) -> list[Item]:
        f = ItemFilter(states=(), waiting=None)
        return queue.list_items(self.store.conn, f, self.clock.now())

    def only_item(self) -> Item:
        items = self.items()
        assert len(items) == 1, [i.title for i in items]
        return items[0]

    def bodies(self, item_id: int) -> list[str]:
        return [m.message.body for m in queue.messages(self.store.conn, item_id)]

    def event_count(self) -> int:
        return int(self.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


class ChannelContract:
    """Subclass with a ``backend`` fixture returning a ``ContractBackend``."""

    @pytest.fixture
    def hx(self, backend: ContractBackend, tmp_path: Path) -> Harness:
        harness = Harness(backend, tmp_path / "queue.db")
        yield harness  # type: ignore[misc]
        harness.channel.shutdown()
        harness.store.close()

    def test_first_sync_files_the_conversation(self, hx: Harness) -> None:
        hx.backend.start_conversation("Cannot log in", "Hello, I cannot log in since Monday.")
        result = hx.sync()
        item = hx.only_item()
        assert result.new_items == 1
        assert "Cannot log in" in item.title or "cannot log in" in item.title
        assert item.waiting is Waiting.US
        [message] = queue.messages(hx.store.conn, item.id)
        assert "I cannot log in since Monday." in message.message.body
        assert message.message.author_id.casefold() == hx.backend.customer.casefold()
        assert message.message.sent_at.tzinfo is not None
        assert not message.from_team

    def test_sync_twice_changes_nothing(self, hx: Harness) -> None:
        hx.backend.start_conversation("Export is slow", "The CSV export takes ten minutes.")
        hx.sync()
        before = (hx.items(), hx.event_count())
        again = hx.sync()
        assert again.new_items == 0
        assert again.new_messages == 0
        assert (hx.items(), hx.event_count()) == before

    def test_a_new_message_joins_its_item(self, hx: Harness) -> None:
        hx.backend.start_conversation("Webhook fails", "Our webhook gets a 500.")
        hx.sync()
        item = hx.only_item()
        hx.backend.customer_says(item.external_id, "It happens for every event type.")
        hx.sync()
        again = hx.only_item()
        assert again.id == item.id
        assert again.message_count == 2
        assert any("every event type" in b for b in hx.bodies(item.id))
        assert again.waiting is Waiting.US

    def test_a_second_conversation_is_a_second_item(self, hx: Harness) -> None:
        hx.backend.start_conversation("First question", "How do I rotate keys?")
        hx.sync()
        hx.backend.start_conversation("Second question", "Where are the audit logs?")
        hx.sync()
        assert len(hx.items()) == 2

    def test_reply_lands_once_and_turns_the_wait(self, hx: Harness) -> None:
        hx.backend.start_conversation("Billing question", "Why was I charged twice?")
        hx.sync()
        item = hx.only_item()
        delivery = triage.reply(
            hx.store, hx.actor, item.id, "Sorry about that, refund is on its way."
        )
        assert delivery.ok, delivery.error
        remote = hx.backend.remote_bodies(item.external_id)
        assert sum("refund is on its way" in b for b in remote) == 1
        assert hx.only_item().waiting is Waiting.THEM
        hx.sync()
        after = hx.only_item()
        assert after.message_count == 2, hx.bodies(item.id)
        assert after.waiting is Waiting.THEM

    def test_retry_after_a_crash_does_not_send_twice(self, hx: Harness) -> None:
        hx.backend.start_conversation("Crash test", "Does the retry post twice?")
        hx.sync()
        item = hx.only_item()
        entry_id = outbox.enqueue(
            hx.store,
            hx.clock,
            channel=hx.channel.name,
            op=Op.REPLY,
            item_id=item.id,
            payload={"body": "It does not."},
        )
        entry = outbox_rows.get(hx.store.conn, entry_id)
        assert entry is not None
        # The process sent the reply and died before recording it.
        with hx.store.transaction() as db:
            outbox_rows.mark_attempt(db, entry_id, hx.clock.now())
        thread = outbox.thread_for(hx.store, item.id, hx.clock)
        hx.channel.send_reply(thread, outbox._reply(entry))
        delivery = outbox.deliver(hx.store, entry_id, lambda _n: hx.channel, hx.clock)
        assert delivery.ok, delivery.error
        assert delivery.already_sent
        remote = hx.backend.remote_bodies(item.external_id)
        assert sum("It does not." in b for b in remote) == 1

    def test_untrusted_text_is_kept_verbatim(self, hx: Harness) -> None:
        body = "Grüße ✓ [bold red]x[/] a < b & c > d"
        hx.backend.start_conversation("Odd characters", body)
        hx.sync()
        item = hx.only_item()
        assert any(body in b for b in hx.bodies(item.id)), hx.bodies(item.id)

    def test_close_is_accepted(self, hx: Harness) -> None:
        hx.backend.start_conversation("Done soon", "Quick one.")
        hx.sync()
        item = hx.only_item()
        delivery = triage.close(hx.store, hx.actor, item.id)
        assert delivery is not None
        assert delivery.ok, delivery.error
        hx.sync()
        assert hx.only_item().state.value == "closed"
