"""The contract, reading: conversations come into the queue once, whole, and in order."""

from __future__ import annotations

import pytest

from herocli.config import TeamSettings
from herocli.exchange import SilentProgress
from herocli.models import Waiting
from herocli.services.sync import sync_channel
from herocli.store import queue
from tests.contract_harness import Harness, HarnessFixture


class CtrlCAfterFirstPage(SilentProgress):
    """A user who presses Ctrl-C at the first progress report after a page is committed."""

    def __init__(self, hx: Harness) -> None:
        self.hx = hx

    def update(
        self, description: str, *, completed: int | None = None, total: int | None = None
    ) -> None:
        if self.hx.cursor():
            raise KeyboardInterrupt


class SyncContract(HarnessFixture):
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
        item = hx.synced_item("Webhook fails", "Our webhook gets a 500.")
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

    def test_untrusted_text_is_kept_verbatim(self, hx: Harness) -> None:
        body = "Grüße ✓ [bold red]x[/] a < b & c > d"
        item = hx.synced_item("Odd characters", body)
        assert any(body in b for b in hx.bodies(item.id)), hx.bodies(item.id)

    def test_a_sync_interrupted_mid_way_resumes_from_its_cursor(self, hx: Harness) -> None:
        count = hx.backend.page_size + 1
        for n in range(count):
            hx.backend.start_conversation(f"Question {n}", f"Body of question number {n}.")
        with pytest.raises(KeyboardInterrupt):
            sync_channel(hx.store, hx.channel, TeamSettings(), hx.clock, CtrlCAfterFirstPage(hx))
        kept = len(hx.items())
        assert 0 < kept < count, "the interruption came after no page, or after the last"
        hx.reconnect()
        resumed = hx.sync()
        items = hx.items()
        assert len(items) == count
        assert resumed.new_items == count - kept
        assert sorted(i.message_count for i in items) == [1] * count
        assert {i.title for i in items} == {f"Question {n}" for n in range(count)}
