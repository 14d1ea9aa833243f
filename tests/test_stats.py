"""Stats over a hand-built week on three channels: every number checked against hand arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.config import RotaSettings, TeamSettings
from herocli.exchange import SilentProgress
from herocli.models import Item, TeamMember
from herocli.services import stats, triage
from herocli.services.sync import sync_channel
from herocli.services.team import TeamDirectory
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock

BERLIN = ZoneInfo("Europe/Berlin")
HANA = TeamMember("Hana", github="hana", emails=("hana@example.com",), slack="UHANA")
BEN = TeamMember("Ben", github="ben", emails=("ben@example.com",), slack="UBEN")
TEAM = TeamSettings(members=(HANA, BEN), email_domains=("example.com",))
ROTA = RotaSettings(heroes=("Hana", "Ben"), start=date(2026, 11, 16))


def berlin(text: str) -> datetime:
    """A Berlin wall-clock time, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


class World:
    """Three memory channels named like the real ones, synced into a real queue file."""

    def __init__(self, path: Path, start: datetime) -> None:
        self.clock = FakeClock(start)
        self.store = Store.open(path)
        self.backends = {name: MemoryBackend(self.clock) for name in ("github", "email", "slack")}
        self.channels = {
            name: MemoryChannel(backend, name=name) for name, backend in self.backends.items()
        }
        self.team = TeamDirectory(TEAM)
        self.actor = triage.Actor("Hana", lambda name: self.channels[name], self.clock)

    def at(self, local: str) -> World:
        """Set the clock to a Berlin wall-clock time; the world, to act at that time."""
        self.clock.current = berlin(local)
        return self

    def start(
        self, channel: str, key: str, title: str, author: str, *, labels: tuple[str, ...] = ()
    ) -> None:
        thread = self.backends[channel].start(key, title, author, f"{title} (from {author})")
        thread.labels = list(labels)

    def say(self, channel: str, key: str, author: str, body: str = "more") -> None:
        self.backends[channel].add(key, author, body)

    def sync(self) -> None:
        for channel in self.channels.values():
            result = sync_channel(self.store, channel, self.team, self.clock, SilentProgress())
            assert result.error is None, result.error

    def item(self, channel: str, key: str) -> Item:
        items = queue.list_items(
            self.store.conn,
            ItemFilter(states=(), waiting=None, channels=(channel,)),
            self.clock.now(),
        )
        [found] = [i for i in items if i.external_id == key]
        return found

    def id(self, channel: str, key: str) -> int:
        return self.item(channel, key).id


def build_week(path: Path) -> World:
    """Mon 16 - Sun 22 November 2026 in Berlin (CET, UTC+1); Hana is the hero, Ben a teammate."""
    w = World(path, berlin("2026-11-12T10:00"))
    # G3: an old item that comes back this week and is roped over to Ben.
    w.start("github", "G3", "Old bug", "carol3")
    w.at("2026-11-12T11:00").say("github", "G3", "hana", "Looking")
    w.sync()
    w.at("2026-11-16T08:00").say("github", "G3", "carol3", "Still broken")
    w.sync()
    w.at("2026-11-16T08:30")
    triage.assign(w.store, w.actor, w.id("github", "G3"), BEN, upstream=False)
    # G1: answered in 30 min, closed the next day.
    w.at("2026-11-16T09:00").start("github", "G1", "Crash on start", "carol", labels=("bug",))
    w.at("2026-11-16T09:30").say("github", "G1", "hana")
    w.sync()
    # G2: arrives at 00:30 Tuesday Berlin time (Monday in UTC), answered by Ben after 2 h.
    w.at("2026-11-17T00:30").start(
        "github", "G2", "Feature request", "carol2", labels=("bug", "enhancement")
    )
    w.at("2026-11-17T02:30").say("github", "G2", "ben")
    w.sync()
    # E1: answered in 45 min, closed, reopened, answered, closed again.
    w.at("2026-11-17T10:00").start("email", "E1", "Invoice wrong", "dan@customer.org")
    w.sync()
    triage.close(w.store, w.actor, w.id("github", "G1"), upstream=False)
    w.at("2026-11-17T10:45").say("email", "E1", "hana@example.com")
    w.sync()
    w.at("2026-11-17T11:00")
    triage.close(w.store, w.actor, w.id("email", "E1"), upstream=False)
    w.at("2026-11-18T09:00").say("email", "E1", "dan@customer.org", "It is still wrong")
    w.sync()
    triage.reopen(w.store, w.actor, w.id("email", "E1"))
    w.at("2026-11-18T09:20").say("email", "E1", "hana@example.com")
    w.sync()
    # E2: never answered.
    w.at("2026-11-18T14:00").start("email", "E2", "Password reset", "eve@customer.org")
    w.sync()
    w.at("2026-11-18T14:05")
    triage.assign(w.store, w.actor, w.id("email", "E2"), HANA, upstream=False)
    triage.note(w.store, w.actor, w.id("email", "E2"), "Asked billing | ops <!channel>")
    # S1: roped in Ben, answered in 10 min by Hana; the customer comes back on Sunday.
    w.at("2026-11-19T08:00").start("slack", "S1", "API timeouts", "UFRANK")
    w.sync()
    w.at("2026-11-19T08:05")
    triage.assign(w.store, w.actor, w.id("slack", "S1"), BEN, upstream=False)
    w.at("2026-11-19T08:10").say("slack", "S1", "UHANA")
    w.sync()
    w.at("2026-11-19T12:00")
    triage.close(w.store, w.actor, w.id("email", "E1"), upstream=False)
    # S2: answered in 5 min by Ben, then snoozed.
    w.at("2026-11-20T12:00").start("slack", "S2", "Docs question", "UGINA")
    w.at("2026-11-20T12:05").say("slack", "S2", "UBEN")
    w.sync()
    w.at("2026-11-20T12:10")
    triage.snooze(w.store, w.actor, w.id("slack", "S2"), berlin("2026-11-25T09:00"))
    # S3: the team opens a thread itself.
    w.at("2026-11-21T10:00").start("slack", "S3", "Team announcement", "UHANA")
    w.sync()
    w.at("2026-11-22T15:00").say("slack", "S1", "UFRANK", "Timeouts again")
    w.at("2026-11-22T17:30").start("email", "E3", "Fresh question", "fay@customer.org")
    w.sync()
    w.at("2026-11-22T18:00")
    return w


@pytest.fixture
def week(tmp_path: Path) -> World:
    world = build_week(tmp_path / "queue.db")
    yield world  # type: ignore[misc]
    world.store.close()


def compute(w: World, **kw: object) -> stats.Stats:
    window = stats.resolve_window(ROTA, BERLIN, w.clock.now(), **kw)  # type: ignore[arg-type]
    return stats.compute(w.store, window, w.clock.now(), team=w.team, target_minutes=60)


def test_the_window_is_the_rota_week_in_local_days(week: World) -> None:
    s = compute(week)
    assert s.window.first_day == date(2026, 11, 16)
    assert s.window.last_day == date(2026, 11, 22)
    assert s.window.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert s.window.end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def test_volume_per_local_day_and_channel(week: World) -> None:
    s = compute(week)
    assert s.channels == ["github", "email", "slack"]
    volume = {d.day: counts for d, counts in s.volume}
    assert volume == {
        16: {"github": 1, "email": 0, "slack": 0},
        17: {"github": 1, "email": 1, "slack": 0},  # G2 is Tuesday here, Monday in UTC
        18: {"github": 0, "email": 1, "slack": 0},
        19: {"github": 0, "email": 0, "slack": 1},
        20: {"github": 0, "email": 0, "slack": 1},
        21: {"github": 0, "email": 0, "slack": 1},
        22: {"github": 0, "email": 1, "slack": 0},
    }
    assert s.totals.new_items == 8  # G3 started the week before


def test_first_response_over_all_channels(week: World) -> None:
    t = compute(week).totals
    # Answered: S2 5m, S1 10m, G1 30m, E1 45m, G2 2h (by Ben, not the hero).
    assert t.answered == 5
    assert t.first_response.median == 30 * 60
    assert t.first_response.p90 == 2 * 3600  # rank ceil(0.9 * 5) = 5
    assert t.first_response.mean == (300 + 600 + 1800 + 2700 + 7200) / 5
    # E2 waits past the hour (a miss); E3 is 30 minutes old (not decided yet).
    assert t.unanswered == 2
    assert t.opened_by_team == 1  # S3
    assert (t.within_target, t.target_base) == (4, 6)
    assert t.within_target_share == pytest.approx(4 / 6)


def test_first_response_by_channel(week: World) -> None:
    by = {c.channel: c for c in compute(week).by_channel}
    assert by["github"].first_response.median == (1800 + 7200) / 2
    assert by["github"].first_response.p90 == 7200
    assert (by["github"].within_target, by["github"].target_base) == (1, 2)
    assert by["email"].first_response.median == 2700
    assert (by["email"].answered, by["email"].unanswered) == (1, 2)
    assert (by["email"].within_target, by["email"].target_base) == (1, 2)
    assert by["slack"].first_response.median == 450
    assert by["slack"].first_response.p90 == 600
    assert (by["slack"].new_items, by["slack"].opened_by_team) == (3, 1)
    assert (by["slack"].within_target, by["slack"].target_base) == (2, 2)


def test_time_to_close_counts_a_reopened_item_once_at_its_last_close(week: World) -> None:
    s = compute(week)
    # G1: Mon 09:00 -> Tue 10:00 = 25 h. E1: Tue 10:00 -> Thu 12:00 = 50 h (its first close is not counted).
    assert s.totals.closed == 2
    assert s.totals.time_to_close.median == (25 + 50) * 3600 / 2
    assert s.totals.time_to_close.p90 == 50 * 3600
    assert [c.title for c in s.closed] == ["Crash on start", "Invoice wrong"]


def test_a_close_later_undone_is_not_counted_in_its_window(week: World) -> None:
    window = stats.window_for_days(date(2026, 11, 17), date(2026, 11, 18), BERLIN, "tue-wed")
    s = stats.compute(week.store, window, week.clock.now(), team=week.team)
    # E1 was closed on Tuesday but reopened on Wednesday: only G1's close stays.
    assert [c.title for c in s.closed] == ["Crash on start"]


def test_waiting_on_us_and_ages(week: World) -> None:
    s = compute(week)
    assert [w.title for w in s.waiting] == [
        "Old bug",
        "Password reset",
        "API timeouts",
        "Fresh question",
    ]
    assert [w.age_seconds for w in s.waiting] == [
        (6 * 24 + 10) * 3600,
        (4 * 24 + 4) * 3600,
        3 * 3600,
        30 * 60,
    ]
    assert dict(s.waiting_ages) == {"< 1h": 1, "1-4h": 1, "4-24h": 0, "1-3d": 0, "> 3d": 2}


def test_roped_in_replies_and_labels(week: World) -> None:
    s = compute(week)
    assert s.roped_in == [("Ben", 2), ("Hana", 1)]
    assert s.replies_by == [("Hana", 5), ("Ben", 2)]
    assert s.top_labels == [("bug", 2), ("enhancement", 1)]


def test_channel_filter(week: World) -> None:
    window = stats.resolve_window(ROTA, BERLIN, week.clock.now())
    s = stats.compute(week.store, window, week.clock.now(), team=week.team, channels=("slack",))
    assert s.channels == ["slack"]
    assert s.totals.new_items == 3
    assert [w.title for w in s.waiting] == ["API timeouts"]
    assert s.roped_in == [("Ben", 1)]


def test_json_holds_every_number(week: World) -> None:
    data = stats.stats_json(compute(week))
    assert data["window"]["timezone"] == "Europe/Berlin"  # type: ignore[index]
    assert data["totals"]["first_response"] == {  # type: ignore[index]
        "count": 5,
        "median_s": 1800.0,
        "p90_s": 7200.0,
        "mean_s": 2520.0,
    }
    assert data["waiting_on_us"]["count"] == 4  # type: ignore[index]
    assert [v["total"] for v in data["volume"]] == [1, 2, 1, 1, 1, 1, 1]  # type: ignore[attr-defined]


def test_last_week_and_since(week: World) -> None:
    last = compute(week, last_week=True)
    assert (last.window.first_day, last.window.last_day) == (date(2026, 11, 9), date(2026, 11, 15))
    assert last.totals.new_items == 1  # G3
    since = compute(week, since=date(2026, 11, 20))
    assert since.totals.new_items == 3  # S2, S3, E3


def test_percentiles_by_hand() -> None:
    assert stats.durations([]) == stats.Durations(0, None, None, None)
    assert stats.durations([5]) == stats.Durations(1, 5, 5, 5)
    ten = stats.durations(list(range(1, 11)))
    assert (ten.median, ten.p90) == (5.5, 9)
    eleven = stats.durations(list(range(1, 12)))
    assert (eleven.median, eleven.p90) == (6, 10)


def test_a_week_across_the_end_of_summer_time(tmp_path: Path) -> None:
    """Berlin leaves summer time on Sunday 25 October 2026: that week is 169 hours long."""
    w = World(tmp_path / "queue.db", datetime(2026, 10, 18, 21, 30, tzinfo=UTC))
    rota = RotaSettings(heroes=("Hana", "Ben"), start=date(2026, 10, 19))
    w.start("github", "before", "Sunday night, the week before", "c1")  # 23:30 CEST Sun 18
    w.clock.current = datetime(2026, 10, 18, 22, 30, tzinfo=UTC)  # 00:30 CEST Mon 19
    w.start("github", "monday", "First thing Monday", "c2")
    w.clock.current = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST Sun 25
    w.start("email", "sunday-early", "Before the change", "x@customer.org")
    w.clock.current = datetime(2026, 10, 25, 22, 30, tzinfo=UTC)  # 23:30 CET Sun 25
    w.start("slack", "sunday-late", "After the change", "UX")
    w.clock.current = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)  # 00:30 CET Mon 26
    w.start("slack", "next", "Next week", "UY")
    w.sync()
    w.clock.current = datetime(2026, 10, 27, 9, 0, tzinfo=UTC)
    window = stats.resolve_window(rota, BERLIN, w.clock.now(), last_week=True)
    assert window.start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert window.end - window.start == timedelta(hours=169)
    s = stats.compute(w.store, window, w.clock.now(), team=w.team)
    totals = {d: sum(c.values()) for d, c in s.volume}
    assert totals == {
        date(2026, 10, 19): 1,
        date(2026, 10, 20): 0,
        date(2026, 10, 21): 0,
        date(2026, 10, 22): 0,
        date(2026, 10, 23): 0,
        date(2026, 10, 24): 0,
        date(2026, 10, 25): 2,
    }
    w.store.close()
