"""The mirror while mail arrives in any order: items merge, and the team misses nothing.

Generated conversations (tests/mail_conversations_gen.py: every client's reply shape)
arrive in a random order, in random batches; after each batch (one mail sync, into a
real queue) the mirror syncs against the Slack simulator. After every mirror sync:

- each item has at most one parent, and each live item exactly one, not saying merged;
- the parent of each item merged into another says it went into the item it lives on in;
- every customer mail delivered so far shows in the mirror, in the parent or the thread
  of the item holding it or of one merged into that item (the parent's first lines, or a
  follow-up in its thread), also when that item already held it when its parent was
  posted (the mail of one sync: a question and its follow-ups);
- no follow-up is posted twice in one thread.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from herocli.channels.slack import SlackChannel
from herocli.config import TeamSettings
from herocli.config_mirror import MirrorSettings
from herocli.config_slack import SlackSettings
from herocli.exchange import SilentProgress
from herocli.models import TeamMember
from herocli.secrets import EnvSecrets
from herocli.services.mirror import sync_mirror
from herocli.services.team import TeamDirectory
from herocli.simulators.slack import SlackSimulator
from herocli.store import threads
from tests.clock import FakeClock
from tests.mail_conversations_gen import START, SUBJECTS, US, Mail, World, describe, worlds
from tests.mail_grouping import MailQueue
from tests.slack_fixtures import workspace_seed

TEAM = TeamSettings(members=(TeamMember("Hana", slack="U0HANA"),))
NUMBER = re.compile(r"^\*#(\d+)\* ")
MERGED = re.compile(r"Merged into (?:<[^|>]*\|)?#(\d+)")
_channels = itertools.count()


class Clock:
    """The running example's clock, for a simulator that outlives examples."""

    current = FakeClock()


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackSimulator]:
    with SlackSimulator(workspace_seed(), clock=lambda: Clock.current.now().timestamp()) as sim:
        yield sim


def _number(text: str) -> int:
    found = NUMBER.match(text)
    assert found is not None, text
    return int(found[1])


def _check(
    q: MailQueue,
    sim: SlackSimulator,
    channel: str,
    delivered: list[Mail],
) -> None:
    db = q.store.conn
    merged = {
        int(r[0]): threads.resolve(db, int(r[0]))
        for r in db.execute("SELECT id FROM items WHERE merged_into IS NOT NULL")
    }
    live = q.items()
    top = [m for m in sim.messages(channel) if m.get("thread_ts", m["ts"]) == m["ts"]]
    parents = {_number(str(m["text"])): m for m in top}
    counts = Counter(_number(str(m["text"])) for m in top)
    assert all(n == 1 for n in counts.values()), counts
    for number in live:
        assert number in parents, (number, sorted(parents))
        assert "Merged into" not in parents[number]["text"], parents[number]["text"]
    for number, into in merged.items():
        if number in parents:
            said = MERGED.search(str(parents[number]["text"]))
            assert said is not None, parents[number]
            assert int(said[1]) == into, (number, into, parents[number])
    shown: dict[int, list[str]] = {}
    for number, parent in parents.items():
        thread = [str(m["text"]) for m in sim.thread(channel, parent["ts"])[1:]]
        assert len(thread) == len(set(thread)), thread
        home = merged.get(number, number)
        shown.setdefault(home, []).extend([str(parent["text"]), *thread])
    for mail in delivered:
        if mail.folder != "INBOX":
            continue
        [home] = [n for n, ids in live.items() if mail.message_id in ids]
        body = mail.raw.rsplit(b"\r\n\r\n", 1)[1].decode().strip()
        assert any(body in text for text in shown.get(home, ())), (mail.message_id, home)


@st.composite
def chains(draw: st.DrawFn) -> World:
    """Conversations whose replies name only their parent (In-Reply-To, as many clients
    write): a reply that comes before its parent starts an item of its own."""
    world = World()
    for c in range(draw(st.integers(1, 2))):
        customer = f"cust{c}@c{c}.example"
        parent: str | None = None
        for n in range(draw(st.integers(2, 5))):
            ours = n % 2 == 1
            mid = f"<c{c}.m{n}@{'acme.dev' if ours else 'c.example'}>"
            raw = "\r\n".join(
                [
                    f"From: {US if ours else customer}",
                    f"To: {customer if ours else US}",
                    f"Subject: {'Re: ' if n else ''}{SUBJECTS[c]}",
                    f"Date: {format_datetime(START + timedelta(hours=3 * n))}",
                    f"Message-ID: {mid}",
                    *([f"In-Reply-To: {parent}"] if parent else []),
                    "Content-Type: text/plain; charset=utf-8",
                    "",
                    f"message {n} of conversation {c}",
                    "",
                ]
            )
            world.mails.append(Mail(c, mid, "Sent" if ours else "INBOX", raw.encode()))
            parent = mid
    return world


@st.composite
def one_or_two_at_a_time(draw: st.DrawFn, world: World) -> list[list[Mail]]:
    """The world's mail in a random order, a sync every one or two: late parents merge."""
    rest = list(draw(st.permutations(world.mails)))
    batches = []
    while rest:
        size = draw(st.integers(1, 2))
        batches.append(rest[:size])
        rest = rest[size:]
    return batches


def _settings(sim: SlackSimulator, channel: str) -> tuple[SlackSettings, MirrorSettings]:
    return SlackSettings(api_url=sim.url, channels=()), MirrorSettings(slack_channel=channel)


@settings(
    max_examples=80,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_mail_in_any_order_keeps_one_parent_per_item_and_shows_every_mail(
    slack: SlackSimulator, data: st.DataObject
) -> None:
    world = data.draw(st.one_of(chains(), worlds(max_conversations=2, max_messages=5)))
    batches = data.draw(one_or_two_at_a_time(world))
    channel = f"C0MERGE{next(_channels)}"
    slack.add_channel(channel, channel.lower(), is_member=True)
    q = MailQueue()
    Clock.current = q.clock
    slack_settings, mirror_settings = _settings(slack, channel)
    app = SlackChannel(slack_settings, EnvSecrets({"SLACK_TOKEN": slack.token}), q.clock)
    delivered: list[Mail] = []

    def channel_for(_name: str) -> Any:
        return app

    try:
        for batch in batches:
            q.deliver_raw([(m.folder, m.raw) for m in batch])
            delivered += batch
            q.clock.advance(minutes=5)
            result = sync_mirror(
                q.store,
                mirror_settings,
                channel_for,
                TeamDirectory(TEAM),
                q.clock,
                target_minutes=60,
                progress=SilentProgress(),
            )
            assert result.error is None, result.error
            _check(q, slack, channel, delivered)
        merges = q.store.conn.execute("SELECT count(*) FROM items WHERE merged_into IS NOT NULL")
        event(f"items merged: {min(int(merges.fetchone()[0]), 2)}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{describe(batches)}") from None
    finally:
        app.shutdown()
