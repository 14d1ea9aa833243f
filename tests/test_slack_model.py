"""The Slack channel, model-based: random workspace changes, syncs, kills and 429s.

Hypothesis drives the simulator over real sockets and a real queue file through
the real sync and triage services: customers post, reply, edit and delete; the
hero replies, closes and reopens; syncs are killed half way and Slack answers
429. After every complete sync the queue must be the projection of the
workspace within the window: one item per live customer question of the last
``history_days``, holding exactly the thread's live messages, closed exactly when
the question carries hero's close reaction or was deleted, and nothing older.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from herocli.channels.slack import SlackChannel
from herocli.channels.slack.mrkdwn import unescape
from herocli.config import TeamSettings
from herocli.exchange import SilentProgress, SyncProgress
from herocli.models import JSON, ItemState, TeamMember
from herocli.services import triage
from herocli.services.sync import sync_channel
from herocli.simulators.slack import SlackSimulator, format_ts
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock
from tests.slack_fixtures import CUSTOMER, SUPPORT, SlackBackend, workspace_seed

TEAM = TeamSettings(members=(TeamMember("Hana", slack="U0HANA"),))
CUSTOMERS = (CUSTOMER, "U0DANA")
WORDS = st.lists(
    st.sampled_from(["help", "it", "fails", "a<b", "&", "why?", "ok"]), min_size=1, max_size=4
).map(" ".join)


class Killed(SlackChannel):
    """The real channel, stopped after ``pages`` pages: a sync killed half way."""

    pages = 1

    def fetch(self, cursor: JSON, progress: SyncProgress) -> Any:
        return islice(super().fetch(cursor, progress), self.pages)


class SlackWorkspaceMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.clock = FakeClock()
        self.sim = SlackSimulator(workspace_seed(), clock=lambda: self.clock.now().timestamp())
        self.sim.__enter__()
        self.backend = SlackBackend(self.sim, self.clock)
        self.store = Store.open(Path(self.tmp.name) / "queue.db")
        self.channel = self.backend.make_channel()
        self.actor = triage.Actor("Hana", lambda _name: self.channel, self.clock)
        # Older than the window: never an item, never asked for.
        old = (self.clock.now() - timedelta(days=45)).timestamp()
        self.sim.post(SUPPORT, CUSTOMER, "ancient question", ts=format_ts(old))
        self.window = (self.clock.now() - timedelta(days=30)).timestamp()

    def teardown(self) -> None:
        if hasattr(self, "sim"):
            self.channel.shutdown()
            self.store.close()
            self.sim.__exit__(None, None, None)
            self.tmp.cleanup()

    # -- the workspace --------------------------------------------------------

    def tops(self) -> list[str]:
        return [
            m["ts"]
            for m in self.sim.messages(SUPPORT)
            if "thread_ts" not in m or m["thread_ts"] == m["ts"]
        ]

    def live(self) -> list[str]:
        return [
            ts for ts in self.tops() if self.sim.message(SUPPORT, ts).get("subtype") != "tombstone"
        ]

    @rule(
        who=st.sampled_from(CUSTOMERS),
        text=WORDS,
        answers=st.lists(st.sampled_from([*CUSTOMERS, "U0HANA"]), max_size=2),
    )
    def customer_asks(self, who: str, text: str, answers: list[str]) -> None:
        """A question, maybe with replies before hero sees it (its thread is read later)."""
        ts = self.backend.say(who, text)
        for n, author in enumerate(answers):
            self.backend.say(author, f"answer {n}", thread_ts=ts)

    @precondition(lambda self: self.live())
    @rule(data=st.data(), who=st.sampled_from([*CUSTOMERS, "U0HANA"]), text=WORDS)
    def someone_replies(self, data: st.DataObject, who: str, text: str) -> None:
        ts = data.draw(st.sampled_from(self.live()))
        self.backend.say(who, text, thread_ts=ts)

    @precondition(lambda self: self.live())
    @rule(data=st.data(), text=WORDS)
    def customer_edits_a_question(self, data: st.DataObject, text: str) -> None:
        ts = data.draw(st.sampled_from(self.live()))
        self.clock.advance(minutes=1)
        self.sim.edit(SUPPORT, ts, f"edited: {text}")

    @precondition(lambda self: self.sim.messages(SUPPORT))
    @rule(data=st.data())
    def someone_deletes(self, data: st.DataObject) -> None:
        # Not hero's own replies: one deleted before any sync read it is not seen
        # (docs/slack.md, known limits).
        candidates = [
            m["ts"]
            for m in self.sim.messages(SUPPORT)
            if m.get("subtype") != "tombstone"
            and m.get("text") != "ancient question"
            and not m.get("bot_id")
        ]
        if candidates:
            self.sim.delete(SUPPORT, data.draw(st.sampled_from(candidates)))

    @rule(method=st.sampled_from(["conversations.history", "conversations.replies", "users.info"]))
    def slack_rate_limits(self, method: str) -> None:
        self.sim.inject_rate_limit(method, 3, times=1)

    @rule(hours=st.integers(1, 6))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    # -- the hero -------------------------------------------------------------

    def items(self, state: ItemState | None = None) -> list[Any]:
        every = queue.list_items(
            self.store.conn, ItemFilter(states=(), waiting=None), self.clock.now()
        )
        return [i for i in every if state is None or i.state is state]

    @precondition(lambda self: self.items(ItemState.OPEN))
    @rule(data=st.data(), text=WORDS)
    def hero_replies(self, data: st.DataObject, text: str) -> None:
        item = data.draw(st.sampled_from(self.items(ItemState.OPEN)))
        triage.reply(self.store, self.actor, item.id, text)  # refused for deleted questions

    @precondition(lambda self: self.items(ItemState.OPEN))
    @rule(data=st.data())
    def hero_closes(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.items(ItemState.OPEN)))
        triage.close(self.store, self.actor, item.id)

    def reopenable(self) -> list[Any]:
        # Not an item whose question was deleted upstream: that stays closed.
        return [i for i in self.items(ItemState.CLOSED) if not i.meta.get("why")]

    @precondition(lambda self: self.reopenable())
    @rule(data=st.data())
    def hero_reopens(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.reopenable()))
        triage.reopen(self.store, self.actor, item.id)

    @rule(pages=st.integers(1, 3))
    def a_sync_is_killed(self, pages: int) -> None:
        killed = Killed(
            self.channel.settings, self.backend_secrets(), self.clock, self.channel.team_user_ids
        )
        killed.pages = pages
        sync_channel(self.store, killed, TEAM, self.clock, SilentProgress())
        killed.shutdown()

    def backend_secrets(self) -> Any:
        from herocli.secrets import EnvSecrets

        return EnvSecrets(self.backend.env)

    @rule()
    def sync_and_check(self) -> None:
        self.sim.clear_requests()
        result = sync_channel(self.store, self.channel, TEAM, self.clock, SilentProgress())
        assert result.error is None, result.error
        self.check()

    # -- the invariant ----------------------------------------------------------

    def check(self) -> None:
        items = {i.external_id: i for i in self.items()}
        bot = self.sim.bot_user_id
        for ts in self.tops():
            parent = self.sim.message(SUPPORT, ts)
            key = f"{SUPPORT}:{ts}"
            if float(ts) < self.window:
                assert key not in items, "an item older than the window"
                continue
            gone = parent.get("subtype") == "tombstone"
            if parent.get("user") not in CUSTOMERS and not gone:
                assert key not in items
                continue
            if key not in items:
                assert gone, f"customer question {ts} is not in the queue"
                continue
            item = items[key]
            closers = {u for r in parent.get("reactions", []) for u in r["users"]}
            assert (item.state is ItemState.CLOSED) == (gone or bot in closers), (
                f"item {key}: {item.state}, reactions {closers}, deleted {gone}"
            )
            expected = [
                (f"{SUPPORT}:{m['ts']}", unescape(str(m["text"])))
                for m in self.sim.thread(SUPPORT, ts)
                if m.get("subtype") != "tombstone"
            ]
            stored = [
                (m.message.external_id, m.message.body)
                for m in queue.messages(self.store.conn, item.id)
                if not m.message.deleted
            ]
            assert stored == expected, f"item {key}"
            assert item.meta.get("provisional") is False
        for key, item in items.items():
            ts = key.split(":")[1]
            if ts not in self.tops():
                assert item.state is ItemState.CLOSED, f"{key} was deleted upstream"
        for request in self.sim.requests:
            if request.method == "conversations.history":
                assert float(request.params["oldest"]) >= self.window


TestSlackWorkspace = SlackWorkspaceMachine.TestCase
TestSlackWorkspace.settings = settings(
    max_examples=25, stateful_step_count=40, deadline=None, print_blob=True
)
