"""The Slack channel's model-based test, with the team mirror on top.

The machine of ``test_slack_model`` (customers post, reply, edit and delete; the hero
replies, closes and reopens; syncs are killed half way; Slack answers 429) gains a
mirror channel: mirror syncs, and teammates writing in the mirror threads, prefixed
answers and chatter, and editing their answers. After every mirror sync, besides the
channel's own invariant: each item has at most one parent, every prefixed answer landed
once in its customer's thread (or, for a question deleted upstream, the thread was told
it failed) with the text it had when hero took it, never changed by a later edit, and
no word of chatter nor of hero's notes about edits ever left hero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from itertools import islice

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from herocli.channels.slack import SlackChannel
from herocli.channels.slack.convert import message_key
from herocli.config_mirror import MirrorSettings
from herocli.exchange import FetchPage, SilentProgress, SyncProgress
from herocli.models import JSON
from herocli.services.mirror import sync_mirror
from herocli.services.mirror_writes import relay_key
from herocli.services.team import TeamDirectory
from herocli.store import mirror
from tests.slack_fixtures import CUSTOMER, SUPPORT
from tests.test_slack_model import TEAM, WORDS, SlackWorkspaceMachine

MIRROR = "C0MIRROR"
SETTINGS = MirrorSettings(slack_channel=MIRROR)


class KilledMirror(SlackChannel):
    """The real channel, its mirror read stopped after ``pages`` pages."""

    pages = 1

    def fetch_mirror(
        self,
        target: str,
        watch: set[str],
        cursor: JSON,
        progress: SyncProgress,
        reread: frozenset[str] = frozenset(),
    ) -> Iterator[FetchPage]:
        pages = super().fetch_mirror(target, watch, cursor, progress, reread)
        return islice(pages, self.pages)


class SlackMirrorMachine(SlackWorkspaceMachine):
    @initialize()
    def start(self) -> None:
        super().start()
        self.sim.add_channel(MIRROR, "team")
        self.relays: dict[str, str] = {}  # ts in the mirror -> the answer's text
        self.versions: dict[str, list[str]] = {}  # ts -> every text it had, edits included
        self.landed: dict[str, str] = {}  # ts -> the text that reached the customer
        self.read_as: dict[str, str] = {}  # ts -> its text when hero took it
        self.chatter: list[str] = []
        # A question mirrored from the start, so teammates have a thread to write in.
        self.backend.say(CUSTOMER, "first question")
        self.hero_sync_and_check()

    def parents(self) -> list[dict[str, object]]:
        return [
            m
            for m in self.sim.messages(MIRROR)
            if m.get("thread_ts", m["ts"]) == m["ts"] and m.get("bot_id")
        ]

    @precondition(lambda self: self.parents())
    @rule(data=st.data(), text=WORDS, prefixed=st.booleans())
    def teammate_writes_in_the_mirror(self, data: st.DataObject, text: str, prefixed: bool) -> None:
        parent = data.draw(st.sampled_from(self.parents()))
        n = len(self.relays) + len(self.chatter)
        if prefixed:
            answer = f"answer{n} {text}"
            ts = self.backend.say(
                "U0HANA", f"!reply {answer}", thread_ts=str(parent["ts"]), channel=MIRROR
            )
            self.relays[ts] = answer
            self.versions[ts] = [answer]
        else:
            note = f"chatter{n} {text}"
            self.backend.say("U0HANA", note, thread_ts=str(parent["ts"]), channel=MIRROR)
            self.chatter.append(note)

    @precondition(lambda self: self.relays)
    @rule(data=st.data(), text=WORDS)
    def teammate_edits_an_answer(self, data: st.DataObject, text: str) -> None:
        """Hana edits a `!reply` in Slack, before or after hero read or sent it."""
        ts = data.draw(st.sampled_from(sorted(self.relays)))
        answer = f"edit{len(self.versions[ts])}of{ts.replace('.', '')} {text}"
        self.sim.edit(MIRROR, ts, f"!reply {answer}")
        self.versions[ts].append(answer)

    @precondition(lambda self: self.parents())
    @rule(pages=st.integers(0, 1))
    def a_mirror_read_is_killed(self, pages: int) -> None:
        """The mirror's read stops after ``pages`` pages, before anything is sent."""
        from herocli.services.mirror import Counts, read_threads

        killed = KilledMirror(
            self.channel.settings, self.backend_secrets(), self.clock, self.channel.team_user_ids
        )
        killed.pages = pages
        read_threads(
            self.store,
            SETTINGS,
            killed,
            TeamDirectory(TEAM),
            self.clock,
            SilentProgress(),
            Counts(),
        )
        killed.shutdown()
        self.note_reads()

    def note_reads(self) -> None:
        """The text each answer had when hero took it: its latest, as edits come between reads."""
        for ts, kind in mirror.seen_kinds(self.store.conn).items():
            if kind == "relay" and ts in self.versions:
                self.read_as.setdefault(ts, self.versions[ts][-1])

    @rule()
    def hero_sync_and_check(self) -> None:
        """What `hero sync` does: the channel, then the mirror."""
        self.sync_and_check()
        result = sync_mirror(
            self.store,
            SETTINGS,
            lambda _name: self.channel,
            TeamDirectory(TEAM),
            self.clock,
            target_minutes=60,
            progress=SilentProgress(),
            me="Hana",
        )
        assert result.error is None or "deleted" in result.error.message, result.error
        self.check_mirror()

    def check_mirror(self) -> None:
        self.note_reads()
        numbers = Counter(str(p["text"]).split(" · ")[0] for p in self.parents())
        assert all(n == 1 for n in numbers.values()), numbers
        support = self.sim.messages(SUPPORT)
        keys = Counter(message_key(m) for m in support)
        mirror_keys = {message_key(m) for m in self.sim.messages(MIRROR)}
        seen = mirror.seen_kinds(self.store.conn)
        for ts, answer in self.relays.items():
            if seen.get(ts) != "relay":
                continue  # its thread was not read yet (no mirror sync since it was written)
            key = relay_key(MIRROR, ts)
            landed = keys[key]
            told = f"{key}-failed" in mirror_keys
            assert landed == 1 or (landed == 0 and told), (answer, landed, told)
            if landed:
                (sent,) = [m for m in support if message_key(m) == key]
                # The message as hero took it, whatever edits came after; never changed.
                text = str(sent["text"])
                assert text.startswith(self.read_as[ts].split(" ", 1)[0]), (self.read_as, text)
                assert self.landed.setdefault(ts, text) == text, (self.landed[ts], text)
        for note in self.chatter:
            assert not any(note in str(m.get("text")) for m in support), note
        # What hero notes about an edit stays in the team's channel.
        assert not any("Edited in Slack" in str(m.get("text")) for m in support)
        assert not any(":pencil2:" in str(m.get("text")) for m in support)


TestSlackMirror = SlackMirrorMachine.TestCase
TestSlackMirror.settings = settings(
    max_examples=40, stateful_step_count=50, deadline=None, print_blob=True
)
