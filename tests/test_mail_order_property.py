"""Grouping does not depend on arrival order: random orders and batches equal one sync.

Generated conversations (every client's reply shape, threading headers missing at
random) are delivered in a random order, in random batches, one sync per batch. The
items must come out as one sync over everything gives them, and no item may hold two
conversations. Many examples run against the grouping (parsing, threading and the real
queue, without IMAP); fewer run through Dovecot or pymap end to end.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herocli.store import Store
from tests.mail_conversations_gen import World, deliveries, describe, splits_and_mixes, worlds
from tests.mail_grouping import MailQueue
from tests.mail_servers import ImapServer, dovecot_available, start_dovecot
from tests.test_mail_channel import grouping, make_channel, sync_into


@pytest.fixture(scope="module")
def dovecot() -> Iterator[ImapServer]:
    if not dovecot_available():
        pytest.skip("Dovecot is not installed (or not root)")
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


def _one_sync(world: World) -> set[frozenset[str]]:
    q = MailQueue()
    q.deliver_raw([(m.folder, m.raw) for m in world.mails])
    return q.groups()


@settings(max_examples=200, deadline=None, print_blob=True)
@given(st.data())
def test_any_order_and_batching_groups_as_one_sync(data: st.DataObject) -> None:
    world = data.draw(worlds())
    batches = data.draw(deliveries(world))
    q = MailQueue()
    for batch in batches:
        q.deliver_raw([(m.folder, m.raw) for m in batch])
    got = q.groups()
    assert got == _one_sync(world), describe(batches)
    split, mixed = splits_and_mixes(got, world.conversation_of())
    assert mixed == 0, "an item holds two conversations"
    assert split == 0, "a conversation is split over several items"


@pytest.mark.imap
@settings(
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_any_order_through_the_server_groups_as_one_sync(
    dovecot: ImapServer, data: st.DataObject
) -> None:
    world = data.draw(worlds(max_conversations=4, max_messages=4))
    batches = data.draw(deliveries(world))
    dovecot.reset()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "queue.db")
        channel = make_channel(dovecot)
        for batch in batches:
            for m in batch:
                dovecot.append(m.folder, m.raw)
            sync_into(store, channel)
        got = {frozenset(ids) for ids in grouping(store).values()}
        channel.shutdown()
        # One sync over everything, into a queue of its own.
        once = Store.open(Path(tmp) / "once.db")
        fresh = make_channel(dovecot)
        sync_into(once, fresh)
        expected = {frozenset(ids) for ids in grouping(once).values()}
        fresh.shutdown()
        store.close()
        once.close()
    assert got == expected
    assert splits_and_mixes(got, world.conversation_of()) == (0, 0)
