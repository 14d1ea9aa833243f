"""A usable Slack queue in the first minute: history first, threads newest first, within a window.

Also the people: users.list when it is fewer requests, cached with an expiry, and
Slack Connect (people of another workspace are customers, shown with it).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from herocli.channels.slack import SlackChannel
from herocli.cli.sync import with_history_days
from herocli.config import Config, TeamSettings
from herocli.config_slack import SlackSettings
from herocli.exchange import FetchPage, SilentProgress
from herocli.models import ItemState, Message, RemoteState, TeamMember
from herocli.services.sync import SyncResult, sync_channel
from herocli.simulators.slack import SlackSimulator, format_ts
from herocli.store import Store, cursors, ingest, queue
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock
from tests.slack_fixtures import (  # noqa: F401
    CUSTOMER,
    SUPPORT,
    SlackBackend,
    backend_fixture,
    clock_fixture,
    collect,
    sim_fixture,
)

TEAM = TeamSettings(members=(TeamMember("Hana", slack="U0HANA"),))


def days_ago(clock: FakeClock, days: float) -> str:
    return format_ts((clock.now() - timedelta(days=days)).timestamp())


def sync(store: Store, channel: SlackChannel, clock: FakeClock) -> SyncResult:
    result = sync_channel(store, channel, TEAM, clock, SilentProgress())
    assert result.error is None, result.error
    return result


def test_first_sync_reads_only_the_window_and_files_every_message_before_any_thread(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock
) -> None:
    old = sim.post(SUPPORT, CUSTOMER, "Old question", ts=days_ago(clock, 45))
    sim.post(SUPPORT, "U0HANA", "old answer", thread_ts=old, ts=days_ago(clock, 44))
    threads = [
        sim.post(SUPPORT, CUSTOMER, f"Question {n}", ts=days_ago(clock, 20 - n)) for n in range(3)
    ]
    for n, ts in enumerate(threads):
        # The oldest question had the latest reply: it is read first.
        sim.post(SUPPORT, "U0HANA", "answer", thread_ts=ts, ts=days_ago(clock, 1 + n))
    lonely = sim.post(SUPPORT, "U0DANA", "No replies yet", ts=days_ago(clock, 2))
    pages: list[FetchPage] = collect(backend.make_channel())
    first = pages[0].conversations
    # The history page files every message of the window at once; threads are provisional.
    assert {c.external_id.split(":")[1] for c in first} == {*threads, lonely}
    assert all(c.meta["provisional"] for c in first if c.external_id.split(":")[1] in threads)
    assert not next(c for c in first if c.external_id.endswith(lonely)).meta["provisional"]
    later = [c for p in pages[1:] for c in p.conversations]
    assert all(not c.meta["provisional"] and len(c.messages) == 2 for c in later)
    replies = [r.params["ts"] for r in sim.requests if r.method == "conversations.replies"]
    latest = {ts: sim.thread(SUPPORT, ts)[-1]["ts"] for ts in threads}
    assert replies == sorted(threads, key=lambda t: latest[t], reverse=True)
    assert old not in replies
    [history] = [r for r in sim.requests if r.method == "conversations.history"]
    assert float(history.params["oldest"]) == (clock.now() - timedelta(days=30)).timestamp()


def test_the_inbox_shows_a_provisional_wait_until_the_thread_is_read(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    asked = backend.say(CUSTOMER, "Help")
    backend.say("U0HANA", "On it", thread_ts=asked)
    store = Store.open(tmp_path / "q.db")
    channel = backend.make_channel()
    pages = channel.fetch({}, SilentProgress())
    history = next(pages)  # killed after the history page was stored

    def is_team(m: Message) -> bool:
        return m.author_id == "U0HANA" or bool(m.team_hint)

    with store.transaction() as db:
        for conv in history.conversations:
            ingest.ingest(db, conv, is_team, clock.now())
        cursors.save(db, "slack", history.cursor, clock.now())
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert item.meta["provisional"] is True
    assert item.waiting is not None
    assert item.waiting.value == "us"
    # A sync resumed from that cursor reads the pending thread and settles the wait.
    sync(store, backend.make_channel(), clock)
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert item.meta["provisional"] is False
    assert item.waiting is not None
    assert item.waiting.value == "them"


def test_older_history_is_read_only_on_request(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    sim.post(SUPPORT, CUSTOMER, "Ninety days ago", ts=days_ago(clock, 90))
    sim.post(SUPPORT, CUSTOMER, "Forty days ago", ts=days_ago(clock, 40))
    sim.post(SUPPORT, CUSTOMER, "Ten days ago", ts=days_ago(clock, 10))
    store = Store.open(tmp_path / "q.db")
    sync(store, backend.make_channel(), clock)

    def titles() -> list[str]:
        f = ItemFilter(states=(), waiting=None)
        return sorted(i.title for i in queue.list_items(store.conn, f, clock.now()))

    assert titles() == ["Ten days ago"]
    sim.clear_requests()
    sync(store, backend.make_channel(), clock)
    assert all(
        float(r.params["oldest"]) >= float(days_ago(clock, 30))
        for r in sim.requests
        if r.method == "conversations.history"
    )
    sync(store, backend.make_channel(history_days=60), clock)
    assert titles() == ["Forty days ago", "Ten days ago"]
    sim.clear_requests()
    sync(store, backend.make_channel(history_days=60), clock)  # nothing more to backfill
    [again] = [r for r in sim.requests if r.method == "conversations.history"]
    assert float(again.params["oldest"]) == float(days_ago(clock, 40))  # the oldest open item


def test_history_days_on_the_command_line_only_ever_reaches_further() -> None:
    config = Config(slack=SlackSettings(channels=("#support",)))
    assert with_history_days(config, 90).slack is not None
    assert with_history_days(config, 90).slack.history_days == 90  # type: ignore[union-attr]
    assert with_history_days(config, 7) is config


def test_people_come_from_users_list_when_that_is_fewer_requests_and_expire(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock
) -> None:
    for n in range(6):
        sim.add_user(f"U0P{n}", f"Person {n}")
        backend.say(f"U0P{n}", f"question {n}")
    channel = backend.make_channel()
    _, cursor = run(channel)
    assert sim.calls("users.list") == 1
    assert sim.calls("users.info") == 0
    backend.say("U0P1", "again")
    sim.clear_requests()
    _, cursor = run(channel, cursor)
    assert sim.calls("users.list") + sim.calls("users.info") == 0  # cached
    clock.advance(days=8)
    backend.say("U0P2", "a week later")
    sim.clear_requests()
    convs, _ = run(channel, cursor)
    # A week on, the people of the window are looked up again: one users.list page.
    assert sim.calls("users.list") == 1
    assert sim.calls("users.info") == 0
    assert convs[-1].messages[0].author_name == "Person 2"


def run(channel: SlackChannel, cursor: dict[str, Any] | None = None) -> tuple[list[Any], Any]:
    pages = collect(channel, cursor)
    return [c for p in pages for c in p.conversations], pages[-1].cursor


def test_slack_connect_people_of_another_workspace_are_customers_shown_with_it(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    sim.add_channel("C0SHARED", "acme-support", is_ext_shared=True)
    sim.add_team("T0ACME", "Acme Corp")
    sim.add_user("U0ALICE", "Alice", team_id="T0ACME")
    sim.add_user("U0OURS", "Omar")  # our workspace, not listed under [team]
    asked = backend.say("U0ALICE", "Our exports fail", channel="C0SHARED")
    backend.say("U0OURS", "Looking into it", thread_ts=asked, channel="C0SHARED")
    backend.say("U0OURS", "FYI: deploy at 5", channel="C0SHARED")
    convs, _ = run(backend.make_channel(channels=("C0SHARED",)))
    *_, conv = convs
    assert {c.external_id for c in convs} == {f"C0SHARED:{asked}"}  # Omar starts no item
    alice, omar = conv.messages
    assert alice.author_name == "Alice (Acme Corp)"
    assert alice.team_hint is None
    assert omar.author_name == "Omar"
    assert omar.team_hint is True
    # In an ordinary channel, people of our own workspace are customers as before.
    backend.say("U0OURS", "How do I export?")
    convs, _ = run(backend.make_channel())
    assert [c.messages[0].author_id for c in convs] == ["U0OURS"]


def test_a_customer_reply_in_a_closed_thread_takes_off_the_close_reaction(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    asked = backend.say(CUSTOMER, "Exports time out")
    store = Store.open(tmp_path / "q.db")
    channel = backend.make_channel()
    sync(store, channel, clock)
    sim.react(SUPPORT, asked, "white_check_mark", "U0HEROBOT")  # as `hero close` does
    sync(store, channel, clock)
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert item.state is ItemState.CLOSED
    assert item.remote_state is RemoteState.CLOSED
    clock.advance(days=2)
    backend.say(CUSTOMER, "Still timing out", thread_ts=asked)
    result = sync(store, channel, clock)
    assert result.reopened == 1
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert item.state is ItemState.OPEN
    assert item.remote_state is RemoteState.OPEN
    assert "reactions" not in sim.message(SUPPORT, asked)
    # Hana closes it by hand; a customer's reply reopens it again, and her reaction
    # (which the app cannot remove) no longer closes the thread.
    sim.react(SUPPORT, asked, "white_check_mark", "U0HANA")
    sync(store, channel, clock)
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert item.state is ItemState.CLOSED
    backend.say(CUSTOMER, "Hello?", thread_ts=asked)
    assert sync(store, channel, clock).reopened == 1
    sync(store, channel, clock)
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert item.state is ItemState.OPEN
    assert item.remote_state is RemoteState.OPEN
