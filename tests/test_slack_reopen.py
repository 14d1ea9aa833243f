"""Closed Slack threads stay watched for a while, so a customer's later reply reopens the item.

Driven through the real sync service into a real queue file, on the simulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from herocli.config import parse_config
from herocli.errors import ConfigError
from herocli.models import ItemState, Waiting
from herocli.services import outbox
from herocli.simulators.slack import SlackSimulator
from herocli.store import queue
from herocli.store.queue import ItemFilter
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


def answered(desk: Desk) -> str:
    """A customer asks, Hana answers, a sync files both."""
    asked = desk.backend.say(CUSTOMER, "Exports time out")
    desk.backend.say("U0HANA", "Fixed in 2.4.1", thread_ts=asked)
    desk.sync()
    assert desk.item().waiting is Waiting.THEM
    return asked


def answered_and_closed(desk: Desk) -> str:
    """An answered thread the hero closes; a sync sees the close reaction."""
    asked = answered(desk)
    desk.close()
    assert desk.sync().closed == 0  # already closed here; the reaction confirms it
    assert desk.item().state is ItemState.CLOSED
    return asked


def replies_calls(sim: SlackSimulator) -> list[str]:
    return [r.params["ts"] for r in sim.requests if r.method == "conversations.replies"]


def test_a_customer_reply_within_the_window_reopens_the_item(
    desk: Desk, sim: SlackSimulator
) -> None:
    asked = answered_and_closed(desk)
    desk.clock.advance(days=5)
    sim.clear_requests()
    assert desk.sync().reopened == 0
    assert replies_calls(sim) == []  # a quiet closed thread costs no replies call
    desk.backend.say(CUSTOMER, "Still broken on 2.4.1", thread_ts=asked)
    sim.clear_requests()
    result = desk.sync()
    assert result.reopened == 1
    assert result.new_messages == 1
    item = desk.item()
    assert item.state is ItemState.OPEN
    assert item.waiting is Waiting.US
    assert item.message_count == 3
    assert replies_calls(sim) == [asked]
    sim.clear_requests()
    again = desk.sync()
    assert (again.reopened, again.new_messages) == (0, 0)
    assert replies_calls(sim) == []


def test_a_reopened_thread_closed_again_reopens_again(desk: Desk, sim: SlackSimulator) -> None:
    asked = answered_and_closed(desk)
    desk.backend.say(CUSTOMER, "One more thing", thread_ts=asked)
    assert desk.sync().reopened == 1
    desk.close()  # the reaction is already there
    desk.sync()
    assert desk.item().state is ItemState.CLOSED
    desk.clock.advance(days=6)  # the window counts from the thread's latest change
    desk.backend.say(CUSTOMER, "And another", thread_ts=asked)
    assert desk.sync().reopened == 1
    assert desk.item().waiting is Waiting.US


def test_a_reply_between_hero_close_and_the_next_sync_reopens_the_item(
    desk: Desk, sim: SlackSimulator
) -> None:
    asked = answered(desk)
    desk.close()
    desk.backend.say(CUSTOMER, "Still broken on 2.4.1", thread_ts=asked)
    result = desk.sync()
    assert result.reopened == 1
    assert desk.item().waiting is Waiting.US


def test_a_close_by_hand_in_slack_after_the_customer_thanks_closes_the_item(
    desk: Desk, sim: SlackSimulator
) -> None:
    asked = answered(desk)
    desk.backend.say(CUSTOMER, "Works now, thanks!", thread_ts=asked)
    sim.react(SUPPORT, asked, "white_check_mark", "U0HANA")
    result = desk.sync()
    assert (result.closed, result.reopened) == (1, 0)
    assert desk.item().state is ItemState.CLOSED


def test_a_team_reply_in_a_closed_thread_does_not_reopen_it(
    desk: Desk, sim: SlackSimulator
) -> None:
    asked = answered_and_closed(desk)
    desk.backend.say("U0HANA", "For the record: shipped in 2.4.1", thread_ts=asked)
    result = desk.sync()
    assert (result.reopened, result.new_messages) == (0, 1)
    assert desk.item().state is ItemState.CLOSED
    assert desk.item().message_count == 3


def test_after_the_window_a_closed_thread_is_not_watched(desk: Desk, sim: SlackSimulator) -> None:
    asked = answered_and_closed(desk)
    desk.clock.advance(days=8)
    desk.backend.say(CUSTOMER, "A newer question")  # keeps the channel's history moving
    desk.sync()
    desk.backend.say(CUSTOMER, "Still broken on 2.4.1", thread_ts=asked)
    sim.clear_requests()
    result = desk.sync()
    assert result.reopened == 0
    assert replies_calls(sim) == []
    history = [r for r in sim.requests if r.method == "conversations.history"]
    assert history
    assert all(float(r.params["oldest"]) > float(asked) for r in history)
    closed = [
        i
        for i in queue.list_items(
            desk.store.conn, ItemFilter(states=(ItemState.CLOSED,), waiting=None), desk.clock.now()
        )
    ]
    assert [i.external_id for i in closed] == [f"{SUPPORT}:{asked}"]


def test_a_window_of_zero_stops_watching_at_close(
    backend: SlackBackend, sim: SlackSimulator, tmp_path: Path
) -> None:
    desk = Desk(backend, tmp_path / "queue.db", reopen_window_days=0)
    try:
        asked = answered_and_closed(desk)
        desk.backend.say(CUSTOMER, "Still broken", thread_ts=asked)
        sim.clear_requests()
        assert desk.sync().reopened == 0
        assert replies_calls(sim) == []
        assert desk.item().state is ItemState.CLOSED
    finally:
        desk.channel.shutdown()
        desk.store.close()


def test_a_thread_quiet_longer_than_the_window_when_closed_is_not_watched(
    desk: Desk, sim: SlackSimulator
) -> None:
    asked = desk.backend.say(CUSTOMER, "Old question nobody closed")
    desk.sync()
    desk.clock.advance(days=30)
    desk.close()  # a backlog cleanup
    desk.sync()
    desk.backend.say(CUSTOMER, "Hello again", thread_ts=asked)
    sim.clear_requests()
    assert desk.sync().reopened == 0
    assert replies_calls(sim) == []


def test_removing_the_close_reaction_reopens_a_watched_thread(
    desk: Desk, sim: SlackSimulator
) -> None:
    asked = answered_and_closed(desk)
    desk.channel.reopen(outbox.thread_for(desk.store, desk.item().id, desk.clock))
    assert desk.sync().reopened == 1
    assert desk.item().state is ItemState.OPEN
    assert "reactions" not in sim.message(SUPPORT, asked)


def test_the_window_is_read_from_config() -> None:
    text = '[slack]\nchannels = ["#support"]\nreopen_window_days = 3\n'
    three = parse_config(text, "config.toml").slack
    assert three is not None
    assert three.reopen_window_days == 3
    default = parse_config('[slack]\nchannels = ["#support"]\n', "config.toml").slack
    assert default is not None
    assert default.reopen_window_days == 7
    with pytest.raises(ConfigError, match="reopen_window_days"):
        parse_config('[slack]\nchannels = ["#support"]\nreopen_window_days = -1\n', "c.toml")
