"""Model-based: any interleaving of two senders, crashes anywhere, one write exactly once.

Two "processes" (lease owners on another host, so only an expired lease frees their
claim) deliver and retry entries of a real queue file against the memory channel,
crashing before or after the channel call (a BaseException leaves the lease held, as
a SIGKILL does). Between steps: no key upstream twice. At the end, after the leases
run out and a third process drains the outbox: every reply upstream exactly once, and
the item's state the one its newest close/reopen asked for.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from tempfile import mkdtemp

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.exchange import CloseReason, Conversation, OutgoingReply, Sent, Thread
from herocli.models import Message, RemoteState
from herocli.services import outbox
from herocli.store import Store, ingest
from herocli.store import outbox as rows
from herocli.store.outbox import Op, OutboxState
from tests.clock import FakeClock

OWNERS = ("elsewhere-a:1:1", "elsewhere-b:2:2")
EXTERNAL = "acme/widget#1"


class Crash(BaseException):
    """The process dies here: nothing after this line runs, the lease stays taken."""


class CrashingChannel(MemoryChannel):
    """The memory channel, dying before or after a write when told to."""

    def __init__(self, backend: MemoryBackend, crash: str | None, sent: list[str]) -> None:
        super().__init__(backend, name="github")
        self.crash = crash
        self.sent = sent

    def _before(self) -> None:
        if self.crash == "before":
            raise Crash

    def _after(self) -> None:
        if self.crash == "after":
            raise Crash

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        self._before()
        sent = super().send_reply(thread, reply)
        self.sent.append(reply.key)
        self._after()
        return sent

    def close(self, thread: Thread, reason: CloseReason) -> None:
        self._before()
        super().close(thread, reason)
        self._after()

    def reopen(self, thread: Thread) -> None:
        self._before()
        super().reopen(thread)
        self._after()


class TwoSenders(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.backend = MemoryBackend(self.clock)
        self.backend.start(EXTERNAL, "Help", "ann", "It broke.")
        self.store = Store.open(Path(mkdtemp()) / "queue.db")
        conv = Conversation(
            channel="github",
            external_id=EXTERNAL,
            title="Help",
            messages=(Message("m1", "ann", "ann", self.clock.now(), "It broke."),),
        )
        with self.store.transaction() as db:
            self.item = ingest.ingest(db, conv, lambda _m: False, self.clock.now()).item_id
        self.sent: list[str] = []
        self.entries: list[int] = []

    def teardown(self) -> None:
        self.store.close()

    def _deliver(self, entry_id: int, owner: str, crash: str | None) -> None:
        channel = CrashingChannel(self.backend, crash, self.sent)
        with suppress(Crash):
            outbox.deliver(self.store, entry_id, lambda _n: channel, self.clock, owner=owner)

    @rule(text=st.sampled_from(["Thanks!", "Fixed."]))
    def reply(self, text: str) -> None:
        self.entries.append(
            outbox.enqueue(
                self.store,
                self.clock,
                channel="github",
                op=Op.REPLY,
                item_id=self.item,
                payload={"body": text},
            )
        )

    @rule(op=st.sampled_from([Op.CLOSE, Op.REOPEN]))
    def set_state(self, op: Op) -> None:
        self.clock.advance(seconds=1)
        self.entries.append(
            outbox.enqueue(
                self.store, self.clock, channel="github", op=op, item_id=self.item, payload={}
            )
        )

    @precondition(lambda self: self.entries)
    @rule(
        data=st.data(),
        owner=st.sampled_from(OWNERS),
        crash=st.sampled_from([None, None, "before", "after"]),
    )
    def attempt(self, data: st.DataObject, owner: str, crash: str | None) -> None:
        entry_id = data.draw(st.sampled_from(self.entries))
        self._deliver(entry_id, owner, crash)

    @rule(owner=st.sampled_from(OWNERS), crash=st.sampled_from([None, "after"]))
    def retry_all(self, owner: str, crash: str | None) -> None:
        for entry in rows.unsent(self.store.conn):
            self._deliver(entry.id, owner, crash)

    @rule()
    def leases_run_out(self) -> None:
        self.clock.advance(seconds=outbox.LEASE.total_seconds() + 1)

    @invariant()
    def never_twice(self) -> None:
        assert all(self.sent.count(key) <= 1 for key in self.sent), self.sent

    def check_the_end(self) -> None:
        self.clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
        for _ in range(3):
            outbox.deliver_pending(
                self.store,
                lambda _n: CrashingChannel(self.backend, None, self.sent),
                self.clock,
                owner="drainer:3:3",
            )
        entries = [rows.get(self.store.conn, e) for e in self.entries]
        for entry in entries:
            assert entry is not None
            assert entry.state in (OutboxState.SENT, OutboxState.SUPERSEDED), entry
            if entry.op is Op.REPLY:
                assert self.sent.count(entry.key) == 1, (entry, self.sent)
        states = [e for e in entries if e is not None and e.op in (Op.CLOSE, Op.REOPEN)]
        if states:
            want = RemoteState.CLOSED if states[-1].op is Op.CLOSE else RemoteState.OPEN
            assert self.backend.threads[EXTERNAL].state is want, states


class TwoSendersToTheEnd(TwoSenders):
    def teardown(self) -> None:
        try:
            self.check_the_end()
        finally:
            super().teardown()


TwoSendersToTheEnd.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None, print_blob=True
)
test_any_interleaving_of_two_senders_sends_each_write_once = TwoSendersToTheEnd.TestCase


def test_a_newer_write_in_flight_makes_an_older_one_wait(tmp_path: Path) -> None:
    """While a reopen is being sent, the older close it overrides is not sent at all."""
    clock = FakeClock()
    backend = MemoryBackend(clock)
    backend.start(EXTERNAL, "Help", "ann", "It broke.")
    store = Store.open(tmp_path / "queue.db")
    conv = Conversation(
        "github", EXTERNAL, "Help", (Message("m1", "ann", "ann", clock.now(), "x"),)
    )
    with store.transaction() as db:
        item = ingest.ingest(db, conv, lambda _m: False, clock.now()).item_id
    close = outbox.enqueue(store, clock, channel="github", op=Op.CLOSE, item_id=item, payload={})
    channel = CrashingChannel(backend, "before", [])
    with suppress(Crash):  # the close's sender dies holding its lease
        outbox.deliver(store, close, lambda _n: channel, clock, owner=OWNERS[0])
    reopen = outbox.enqueue(store, clock, channel="github", op=Op.REOPEN, item_id=item, payload={})
    waiting = outbox.deliver(store, reopen, lambda _n: MemoryChannel(backend), clock, owner="b:2:2")
    assert waiting.waiting == f"it goes out after entry {close}"
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    assert outbox.deliver(store, reopen, lambda _n: MemoryChannel(backend), clock).ok
    late = outbox.deliver(store, close, lambda _n: MemoryChannel(backend), clock)
    assert late.entry.state is OutboxState.SUPERSEDED
    assert backend.threads[EXTERNAL].state is RemoteState.OPEN
    assert backend.write_log == [f"reopen {EXTERNAL}"]
    store.close()
