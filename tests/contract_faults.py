"""The contract, when the world misbehaves: every failure is a ``herocli.errors`` type.

A revoked credential is an ``AuthError`` naming where the credential comes
from (never its value); a server out of reach is an ``UnreachableError``; a
conversation deleted at the source is the backend's ``vanished_thread_error``.
In every case the queue and its cursor are left as they were and a reply
waits in the outbox, to land once when the fault is gone.
"""

from __future__ import annotations

from herocli.errors import AuthError, UnreachableError
from herocli.services import outbox, triage
from herocli.store.outbox import OutboxState
from tests.contract_harness import Harness, HarnessFixture


class FaultContract(HarnessFixture):
    def test_a_revoked_credential_stops_the_sync_naming_the_variable(self, hx: Harness) -> None:
        hx.backend.start_conversation("Locked out", "Hello?")
        secret = hx.backend.revoke_credential()
        hx.reconnect()
        result = hx.try_sync()
        assert isinstance(result.error, AuthError), result.error
        said = result.error.message + (result.error.hint or "")
        assert hx.backend.credential_variable in result.error.message
        assert secret not in said
        assert hx.items() == []
        assert hx.cursor() == {}

    def test_a_missing_credential_names_the_variable(self, hx: Harness) -> None:
        hx.backend.start_conversation("No token", "Hello?")
        hx.backend.remove_credential()
        hx.reconnect()
        result = hx.try_sync()
        assert isinstance(result.error, AuthError), result.error
        assert hx.backend.credential_variable in result.error.message
        assert hx.items() == []

    def test_a_revoked_credential_keeps_the_reply_in_the_outbox(self, hx: Harness) -> None:
        item = hx.synced_item("Locked out", "Hello?")
        hx.backend.revoke_credential()
        hx.reconnect()
        delivery = triage.reply(hx.store, hx.actor, item.id, "Answer that cannot go out.")
        assert isinstance(delivery.error, AuthError), delivery.error
        assert hx.backend.credential_variable in delivery.error.message
        assert delivery.entry.state is OutboxState.FAILED
        assert hx.remote_count(item.external_id, "Answer that cannot go out.") == 0

    def test_an_unreachable_server_stops_the_sync_and_keeps_the_cursor(self, hx: Harness) -> None:
        hx.synced_item("Before the outage", "First.")
        cursor = hx.cursor()
        hx.backend.start_conversation("During the outage", "Second.")
        hx.backend.set_reachable(False)
        hx.reconnect()
        result = hx.try_sync()
        assert isinstance(result.error, UnreachableError), result.error
        assert hx.cursor() == cursor
        assert len(hx.items()) == 1
        hx.backend.set_reachable(True)
        hx.reconnect()
        assert hx.sync().new_items == 1
        assert len(hx.items()) == 2

    def test_a_reply_while_unreachable_lands_once_when_the_server_is_back(
        self, hx: Harness
    ) -> None:
        item = hx.synced_item("Outage", "Are you there?")
        hx.backend.set_reachable(False)
        hx.reconnect()
        delivery = triage.reply(hx.store, hx.actor, item.id, "Yes, we are here.")
        assert isinstance(delivery.error, UnreachableError), delivery.error
        assert [e.id for e in hx.unsent()] == [delivery.entry.id]
        hx.backend.set_reachable(True)
        assert hx.remote_count(item.external_id, "Yes, we are here.") == 0
        hx.reconnect()
        [retried] = outbox.deliver_pending(hx.store, hx.actor.channel_for, hx.clock)
        assert retried.ok, retried.error
        assert hx.unsent() == []
        assert hx.remote_count(item.external_id, "Yes, we are here.") == 1

    def test_a_conversation_deleted_upstream(self, hx: Harness) -> None:
        item = hx.synced_item("Soon gone", "This will be deleted.")
        hx.backend.delete_conversation(item.external_id)
        hx.reconnect()
        expected = hx.backend.vanished_thread_error
        delivery = triage.reply(hx.store, hx.actor, item.id, "Too late?")
        if expected is None:
            assert delivery.ok, delivery.error
        else:
            assert isinstance(delivery.error, expected), delivery.error
            assert delivery.entry.state is OutboxState.FAILED
        if expected is not None and hx.channel.capabilities.remote_close:
            closed = triage.close(hx.store, hx.actor, item.id)
            assert closed is not None
            assert isinstance(closed.error, expected), closed.error
        # The next sync copes with the gap, and the queue keeps the item (its record).
        hx.sync()
        assert hx.only_item().id == item.id
