"""`hero assign --ping` mentions the teammate once, and never writes to an email customer."""

from __future__ import annotations

from pathlib import Path

import pytest

from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.config import TeamSettings
from herocli.errors import UsageError
from herocli.exchange import SilentProgress
from herocli.models import TeamMember
from herocli.services import outbox, triage
from herocli.services.sync import sync_channel
from herocli.store import Store, queue
from herocli.store import outbox as rows
from tests.clock import FakeClock

RAVI = TeamMember("Ravi", github="ravi")


class NoMentions(MemoryChannel):
    """A channel like email: there is no way to mention someone in the thread."""

    def mention(self, member: TeamMember) -> str | None:
        return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _setup(tmp_path: Path, clock: FakeClock, channel_type: type[MemoryChannel], name: str):  # type: ignore[no-untyped-def]
    backend = MemoryBackend(clock)
    backend.start("t1", "Help", "ann", "It broke")
    channel = channel_type(backend, name=name)
    store = Store.open(tmp_path / "q.db")
    assert sync_channel(store, channel, TeamSettings(), clock, SilentProgress()).ok
    actor = triage.Actor("Hana", lambda _n: channel, clock)
    return backend, channel, store, actor


def test_ping_writes_one_mention_even_when_retried(tmp_path: Path, clock: FakeClock) -> None:
    backend, channel, store, actor = _setup(tmp_path, clock, MemoryChannel, "github")
    delivery = triage.assign(store, actor, 1, RAVI, ping=True)
    assert delivery is not None
    assert delivery.ok, delivery
    bodies = [m.body for m in backend.threads["t1"].messages]
    assert bodies == ["It broke", "@Ravi, could you take a look at this one?"]
    assert backend.threads["t1"].assignees == ["Ravi"]
    # As if the process had died after posting and before recording it: retry looks first.
    with store.transaction() as db:
        db.execute("UPDATE outbox SET state = 'pending'")
    [again] = outbox.deliver_pending(store, lambda _n: channel, clock)
    assert again.ok
    assert again.already_sent
    assert len(backend.threads["t1"].messages) == 2


def test_ping_is_refused_where_mentions_do_not_exist(tmp_path: Path, clock: FakeClock) -> None:
    backend, _channel, store, actor = _setup(tmp_path, clock, NoMentions, "email")
    with pytest.raises(UsageError, match="no @mentions"):
        triage.assign(store, actor, 1, RAVI, ping=True)
    item = queue.get_item(store.conn, 1, clock.now())
    assert item is not None
    assert item.assignee is None  # nothing changed
    assert rows.unsent(store.conn) == []
    assert len(backend.threads["t1"].messages) == 1
