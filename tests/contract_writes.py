"""The contract, writing: each write lands at the source once, checked at the source.

Writes a channel has no capability for stay local: no outbox entry, nothing
upstream, and the next sync keeps the local change.
"""

from __future__ import annotations

from herocli.exchange import OutgoingReply
from herocli.models import ItemState, Waiting
from herocli.services import outbox, triage
from herocli.store import outbox as outbox_rows
from herocli.store.outbox import Op
from tests.contract_harness import Harness, HarnessFixture, require, require_not


class WriteContract(HarnessFixture):
    # --- replies: every channel has them
    def test_reply_lands_once_and_turns_the_wait(self, hx: Harness) -> None:
        item = hx.synced_item("Billing question", "Why was I charged twice?")
        delivery = triage.reply(
            hx.store, hx.actor, item.id, "Sorry about that, refund is on its way."
        )
        assert delivery.ok, delivery.error
        assert hx.remote_count(item.external_id, "refund is on its way") == 1
        assert hx.only_item().waiting is Waiting.THEM
        hx.sync()
        after = hx.only_item()
        assert after.message_count == 2, hx.bodies(item.id)
        assert after.waiting is Waiting.THEM

    def test_retry_after_a_crash_does_not_send_twice(self, hx: Harness) -> None:
        item = hx.synced_item("Crash test", "Does the retry post twice?")
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
        hx.claimed_by_a_dead_sender(entry_id)
        thread = outbox.thread_for(hx.store, item.id, hx.clock)
        hx.channel.send_reply(thread, outbox._reply(entry))
        hx.reconnect()
        delivery = outbox.deliver(hx.store, entry_id, lambda _n: hx.channel, hx.clock)
        assert delivery.ok, delivery.error
        assert delivery.already_sent
        assert hx.remote_count(item.external_id, "It does not.") == 1

    def test_the_same_words_twice_are_two_replies(self, hx: Harness) -> None:
        """An earlier attempt is found by the entry's key, never by its text."""
        item = hx.synced_item("Twice", "Say it twice?")
        first = triage.reply(hx.store, hx.actor, item.id, "Thanks, looking into it.")
        assert first.ok, first.error
        entry_id = outbox.enqueue(
            hx.store,
            hx.clock,
            channel=hx.channel.name,
            op=Op.REPLY,
            item_id=item.id,
            payload={"body": "Thanks, looking into it."},
        )
        hx.claimed_by_a_dead_sender(entry_id)  # a crashed attempt: the retry looks first
        hx.reconnect()
        second = outbox.deliver(hx.store, entry_id, lambda _n: hx.channel, hx.clock)
        assert second.ok, second.error
        assert not second.already_sent
        assert hx.remote_count(item.external_id, "Thanks, looking into it.") == 2

    def test_find_sent_knows_its_own_key_and_no_other(self, hx: Harness) -> None:
        item = hx.synced_item("Lookup", "Is my reply there?")
        delivery = triage.reply(hx.store, hx.actor, item.id, "Yes, it is here.")
        assert delivery.ok, delivery.error
        assert delivery.sent is not None
        hx.reconnect()  # nothing remembered in memory: the answer comes from the source
        thread = outbox.thread_for(hx.store, item.id, hx.clock)
        found = hx.channel.find_sent(thread, OutgoingReply(delivery.entry.key, "Yes, it is here."))
        assert found is not None
        assert found.external_id == delivery.sent.external_id
        unknown = OutgoingReply(key="never-sent-0000", body="A reply nobody sent.")
        assert hx.channel.find_sent(thread, unknown) is None

    # --- close and reopen
    def test_close_and_reopen_reach_the_source(self, hx: Harness) -> None:
        item = hx.synced_item("Done soon", "Quick one.")
        require(hx, lambda c: c.remote_close, "remote close")
        assert not hx.backend.remote_closed(item.external_id)
        delivery = triage.close(hx.store, hx.actor, item.id)
        assert delivery is not None
        assert delivery.ok, delivery.error
        assert hx.backend.remote_closed(item.external_id)
        hx.sync()
        assert hx.only_item().state is ItemState.CLOSED
        reopened = triage.reopen(hx.store, hx.actor, item.id)
        assert reopened is not None
        assert reopened.ok, reopened.error
        assert not hx.backend.remote_closed(item.external_id)
        hx.sync()
        assert hx.only_item().state is ItemState.OPEN

    def test_without_remote_close_closing_stays_local(self, hx: Harness) -> None:
        item = hx.synced_item("Done soon", "Quick one.")
        require_not(hx, lambda c: c.remote_close, "remote close")
        assert triage.close(hx.store, hx.actor, item.id) is None
        assert hx.outbox_size() == 0
        hx.sync()
        assert hx.only_item().state is ItemState.CLOSED

    # --- labels
    def test_labels_reach_the_source(self, hx: Harness) -> None:
        item = hx.synced_item("Labelled", "Please tag me.")
        require(hx, lambda c: c.labels, "labels")
        added = triage.label(hx.store, hx.actor, item.id, ("bug", "p1"), ())
        assert added is not None
        assert added.ok, added.error
        assert sorted(hx.backend.remote_labels(item.external_id)) == ["bug", "p1"]
        removed = triage.label(hx.store, hx.actor, item.id, (), ("p1",))
        assert removed is not None
        assert removed.ok, removed.error
        assert hx.backend.remote_labels(item.external_id) == ["bug"]
        hx.sync()
        assert hx.only_item().labels == ("bug",)

    def test_without_labels_a_label_stays_local(self, hx: Harness) -> None:
        item = hx.synced_item("Labelled", "Please tag me.")
        require_not(hx, lambda c: c.labels, "labels")
        assert triage.label(hx.store, hx.actor, item.id, ("bug",), ()) is None
        assert hx.outbox_size() == 0
        hx.backend.customer_says(item.external_id, "Any news?")
        hx.sync()
        assert hx.only_item().labels == ("bug",)

    # --- assignees and mentions
    def test_assign_reaches_the_source(self, hx: Harness) -> None:
        item = hx.synced_item("Assigned", "Who takes this?")
        require(hx, lambda c: c.assignees, "assignees")
        delivery = triage.assign(hx.store, hx.actor, item.id, hx.backend.member)
        assert delivery is not None
        assert delivery.ok, delivery.error
        assert hx.backend.remote_assignees(item.external_id) == [hx.backend.member_id]
        hx.sync()
        assert hx.only_item().assignee == hx.backend.member.name

    def test_without_assignees_an_assignment_stays_local(self, hx: Harness) -> None:
        item = hx.synced_item("Assigned", "Who takes this?")
        require_not(hx, lambda c: c.assignees, "assignees")
        assert triage.assign(hx.store, hx.actor, item.id, hx.backend.member) is None
        assert hx.outbox_size() == 0
        hx.sync()
        assert hx.only_item().assignee == hx.backend.member.name

    def test_a_ping_mentions_the_member_in_the_thread_once(self, hx: Harness) -> None:
        item = hx.synced_item("Pinged", "Can someone look?")
        require(hx, lambda c: c.mentions, "mentions")
        delivery = triage.assign(hx.store, hx.actor, item.id, hx.backend.member, ping=True)
        assert delivery is not None
        assert delivery.ok, delivery.error
        assert hx.remote_count(item.external_id, "could you take a look at this one?") == 1
