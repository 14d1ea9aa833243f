"""The Slack channel when the world misbehaves: bad channels, server errors, deleted questions.

Driven through the real sync and outbox services into a real queue file, on the
simulator over real HTTP.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from herocli.channels.slack.api import SlackApi
from herocli.cli.sync import failure_code
from herocli.errors import ChannelError, ExitCode, NotFoundError, UnreachableError
from herocli.exchange import SilentProgress
from herocli.models import ItemState
from herocli.render.thread_view import thread_view
from herocli.secrets import EnvSecrets
from herocli.services import outbox, triage
from herocli.simulators.slack import SlackSimulator
from herocli.store import outbox as rows
from herocli.store import outbox_claims as claims
from herocli.store import queue
from herocli.store.outbox import Op, OutboxState
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock
from tests.slack_fixtures import (  # noqa: F401
    CUSTOMER,
    SUPPORT,
    Desk,
    SlackBackend,
    backend_fixture,
    clock_fixture,
    desk_fixture,
    sim_fixture,
)

# -- one bad channel never stops the others ------------------------------------


def test_a_channel_the_app_is_not_in_and_a_misspelt_one_do_not_stop_the_good_one(
    backend: SlackBackend, tmp_path: Path
) -> None:
    backend.say(CUSTOMER, "Login fails")
    backend.say(CUSTOMER, "Hi from general", channel="C0GENERAL")
    desk = Desk(backend, tmp_path / "q.db", channels=("#outside", "#support", "#suport", "general"))
    result = desk.try_sync()
    assert desk.titles() == ["Hi from general", "Login fails"]
    assert result.error is not None
    message = result.error.message
    assert "#outside" in message
    assert "not a member" in message
    assert "#suport" in message
    assert "#support:" not in message
    assert "/invite" in (result.error.hint or "")
    # Two kinds of failure (not a member: 1, does not exist: 5) exit 1.
    assert failure_code([result]) is ExitCode.ERROR
    # Next time the good channels sync again from their cursors; the bad ones are named again.
    backend.say(CUSTOMER, "Second question")
    again = desk.try_sync()
    assert desk.titles() == ["Hi from general", "Login fails", "Second question"]
    assert again.error is not None
    assert "#outside" in again.error.message


def test_a_channel_that_does_not_exist_exits_5_and_the_others_sync(
    backend: SlackBackend, tmp_path: Path
) -> None:
    backend.say(CUSTOMER, "Login fails")
    desk = Desk(backend, tmp_path / "q.db", channels=("#suport", "#support", "C0NOSUCH1"))
    result = desk.try_sync()
    assert desk.titles() == ["Login fails"]
    assert isinstance(result.error, ChannelError)
    assert "#suport" in result.error.message
    assert "C0NOSUCH1" in result.error.message
    assert failure_code([result]) is ExitCode.NOT_FOUND


# -- transient errors are retried -----------------------------------------------


def test_a_500_and_a_dropped_connection_mid_sync_are_retried_and_nothing_is_lost(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock
) -> None:
    posted = [
        sim.post(SUPPORT, CUSTOMER, f"message {n}", ts=f"{1795000000 + n}.000100")
        for n in range(2100)
    ]
    threaded = posted[0]  # on the last page
    sim.post(SUPPORT, "U0HANA", "Looking", thread_ts=threaded, ts="1795003000.000100")
    channel = backend.make_channel()
    pages = channel.fetch({}, SilentProgress())
    seen = [c.external_id for c in next(pages).conversations]
    sim.inject_server_error("conversations.history", 500)
    sim.inject_drop("conversations.history")
    sim.inject_server_error("conversations.history", 503)
    sim.inject_drop("conversations.replies")
    sim.inject_server_error("users.info", 500)
    rest = [c for page in pages for c in page.conversations]
    seen += [c.external_id for c in rest]
    assert sorted(set(seen)) == sorted(f"{SUPPORT}:{ts}" for ts in posted)
    # Filed from history at once, then again with its replies.
    *_, thread = [c for c in rest if c.external_id == f"{SUPPORT}:{threaded}"]
    assert [m.author_name for m in thread.messages] == ["Chris Customer", "Hana"]
    assert clock.sleeps == [1, 2, 4, 1, 1]  # backoff per call, on the injected clock
    failed = [r.status for r in sim.requests if r.error == "injected"]
    assert failed == [500, 0, 503, 0, 500]


def test_a_server_that_keeps_failing_stops_the_sync_and_a_rerun_resumes(
    backend: SlackBackend, sim: SlackSimulator, desk: Desk
) -> None:
    for n in range(1500):
        sim.post(SUPPORT, CUSTOMER, f"message {n}", ts=f"{1795000000 + n}.000100")
    sim.inject_server_error("conversations.history", 500)  # retried
    result = desk.try_sync()
    assert result.error is None
    sim.post(SUPPORT, CUSTOMER, "one more", ts="1795009999.000100")
    sim.inject_server_error("conversations.history", 502, times=4)
    failed = desk.try_sync()
    assert isinstance(failed.error, ChannelError)
    assert "HTTP 502 to conversations.history 4 times" in failed.error.message
    assert len(desk.titles()) == 1500
    assert desk.try_sync().error is None
    assert len(desk.titles()) == 1501


def test_a_post_is_never_retried_blindly(backend: SlackBackend, sim: SlackSimulator) -> None:
    asked = backend.say(CUSTOMER, "Help")
    sim.inject_drop("chat.postMessage")
    api = SlackApi(backend.settings(), EnvSecrets(backend.env), backend.clock)
    with pytest.raises(UnreachableError):
        api.call("chat.postMessage", {"channel": SUPPORT, "text": "hi", "thread_ts": asked})
    assert sim.calls("chat.postMessage") == 1


# -- deleted questions ---------------------------------------------------------------


def only_item(desk: Desk) -> Any:
    [item] = queue.list_items(
        desk.store.conn, ItemFilter(states=(), waiting=None), desk.clock.now()
    )
    return item


@pytest.mark.parametrize("with_replies", [False, True])
def test_a_question_deleted_upstream_closes_the_item_and_a_reply_is_refused(
    backend: SlackBackend, sim: SlackSimulator, desk: Desk, with_replies: bool
) -> None:
    asked = backend.say(CUSTOMER, "Where is my invoice?")
    if with_replies:
        backend.say("U0DANA", "Same here", thread_ts=asked)
    desk.try_sync()
    item = only_item(desk)
    assert item.state is ItemState.OPEN
    sim.delete(SUPPORT, asked)
    result = desk.try_sync()
    assert result.error is None
    assert result.closed == 1
    item = only_item(desk)
    assert item.state is ItemState.CLOSED
    assert item.title == "Where is my invoice?"  # the queue keeps the title it had
    out = StringIO()
    Console(file=out, width=120, color_system=None).print(
        thread_view(item, queue.messages(desk.store.conn, item.id), [], desk.clock.now())
    )
    assert "closed: the question was deleted in Slack" in out.getvalue()
    delivery = triage.reply(desk.store, desk.actor, item.id, "Here it is")
    assert not delivery.ok
    assert isinstance(delivery.error, NotFoundError)
    assert "was deleted" in delivery.error.message
    assert delivery.entry.state is not OutboxState.SENT
    assert [e.id for e in rows.unsent(desk.store.conn)] == [delivery.entry.id]
    assert sim.calls("chat.postMessage") == 0


def test_a_reply_to_a_thread_deleted_since_the_last_sync_is_refused(
    backend: SlackBackend, sim: SlackSimulator, desk: Desk
) -> None:
    asked = backend.say(CUSTOMER, "Where is my invoice?")
    backend.say("U0DANA", "Same here", thread_ts=asked)
    desk.try_sync()
    sim.delete(SUPPORT, asked)  # a tombstone stays, and Slack would still take replies
    delivery = triage.reply(desk.store, desk.actor, only_item(desk).id, "Here it is")
    assert isinstance(delivery.error, NotFoundError)
    assert sim.calls("chat.postMessage") == 0
    assert len(rows.unsent(desk.store.conn)) == 1


# -- an earlier attempt is found however many messages came after it -------------


def test_a_handoff_retried_after_150_newer_messages_is_posted_once(
    backend: SlackBackend, sim: SlackSimulator, desk: Desk
) -> None:
    entry_id = outbox.enqueue(
        desk.store,
        desk.clock,
        channel="slack",
        op=Op.POST,
        item_id=None,
        payload={"target": "#general", "body": "Handoff part 2 of 3"},
    )
    entry = rows.get(desk.store.conn, entry_id)
    assert entry is not None
    # The first attempt reached Slack, but its answer was lost before it was recorded.
    with desk.store.transaction() as db:  # ... by a sender whose lease has run out
        now = desk.clock.now()
        claims.claim(db, entry_id, owner="elsewhere:1:gone", now=now, until=now)
    desk.channel.post("#general", "Handoff part 2 of 3", entry.key)
    for n in range(150):
        backend.say("U0DANA", f"chatter {n}", channel="C0GENERAL")
    sim.clear_requests()
    delivery = outbox.deliver(desk.store, entry_id, lambda _n: desk.channel, desk.clock)
    assert delivery.ok
    assert delivery.already_sent
    assert sim.calls("chat.postMessage") == 0
    posted = [m for m in sim.messages("C0GENERAL") if m.get("bot_id")]
    assert len(posted) == 1
    # It paged from the entry's time, at the largest page size, not the whole channel.
    [history] = [r for r in sim.requests if r.method == "conversations.history"]
    assert float(history.params["oldest"]) <= entry.created_at.timestamp()
    assert history.params["limit"] == "999"


# -- paging and pacing ------------------------------------------------------------------


def test_each_method_is_paced_on_its_own_bucket(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock
) -> None:
    threads = [backend.say(CUSTOMER, f"question {n}") for n in range(60)]
    for ts in threads:
        sim.post(SUPPORT, "U0HANA", "answer", thread_ts=ts)
    start = clock.now().timestamp()
    channel = backend.make_channel(channels=(SUPPORT, "C0GENERAL"))
    cursor = list(channel.fetch({}, SilentProgress()))[-1].cursor
    list(channel.fetch(cursor, SilentProgress()))  # a re-sync right after
    log = sim.requests
    replies = [r.at - start for r in log if r.method == "conversations.replies"]
    history = [r.at - start for r in log if r.method == "conversations.history"]
    assert len(replies) == 60
    # Tier 3 is 50 a minute for conversations.replies: a burst of 50, then one per 1.2 s.
    assert replies[:50] == [0.0] * 50
    assert replies[50:] == pytest.approx([1.2 * n for n in range(1, 11)])
    # The re-sync's conversations.history is not held back by the empty replies bucket.
    assert history[-1] == pytest.approx(replies[-1])
    assert all(r.params.get("limit") == "999" for r in log if r.method == "conversations.history")
