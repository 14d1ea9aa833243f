"""Stats over a window of the hero's local days: exact numbers from the queue's messages and events.

Definitions (also in docs/handoff.md):
- a *new item* is one whose first message falls in the window; it is counted on
  the hero's local day of that message;
- *time to first response* runs from an item's first message to the first
  team message after it, on any channel; items the team opened itself are not
  counted. Items not answered yet count as missed once their wait passes the
  target, and are left out while it has not;
- *time to close* runs from an item's first message to its close, for items
  closed in the window and not reopened before its end (the last close counts);
- the median is the middle value (the mean of the two middle values for an
  even count); p90 is the nearest-rank 90th percentile (the value at rank
  ceil(0.9 n) of the sorted durations).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from herocli.config import RotaSettings
from herocli.errors import UsageError
from herocli.models import Item, ItemState, Waiting, iso
from herocli.services import rota as rota_service
from herocli.services.team import TeamDirectory
from herocli.store import Store, queue, reports
from herocli.store.queue import ItemFilter

CHANNEL_ORDER = ("github", "email", "slack")
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1h", 3600),
    ("1-4h", 4 * 3600),
    ("4-24h", 24 * 3600),
    ("1-3d", 3 * 86400),
    ("> 3d", math.inf),
)


@dataclass(frozen=True)
class Window:
    """``start <= t < end`` in UTC, covering the local days ``first_day``..``last_day``."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    zone: tzinfo
    label: str

    @property
    def days(self) -> list[date]:
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(n)]

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def window_for_days(first: date, last: date, zone: tzinfo, label: str) -> Window:
    """The window of whole local days ``first``..``last`` (DST days are 23 or 25 hours long)."""
    start = rota_service.midnight(first, zone)
    end = rota_service.midnight(last + timedelta(days=1), zone)
    return Window(start, end, first, last, zone, label)


def resolve_window(
    rota: RotaSettings,
    zone: tzinfo,
    now: datetime,
    *,
    since: date | None = None,
    week: bool = False,
    last_week: bool = False,
) -> Window:
    """The window a command asks for; the current rota week (or calendar week) by default."""
    if sum((since is not None, week, last_week)) > 1:
        raise UsageError("choose one of --since, --week and --last-week")
    today = rota_service.today(now, zone)
    if since is not None:
        if since > today:
            raise UsageError(f"--since {since.isoformat()} is in the future")
        return window_for_days(since, today, zone, f"since {since.isoformat()}")
    period = rota_service.period_of(rota, today)
    if last_week:
        period = rota_service.period_of(rota, period.first - timedelta(days=1))
        label = "last week"
    else:
        label = "this week"
    return window_for_days(period.first, period.last, zone, label)


@dataclass(frozen=True)
class Durations:
    """Seconds; ``None`` when there is nothing to measure."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None


def durations(values: Sequence[float]) -> Durations:
    if not values:
        return Durations(0, None, None, None)
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    p90 = ordered[max(math.ceil(0.9 * n), 1) - 1]
    return Durations(n, float(median), float(p90), sum(ordered) / n)


@dataclass(frozen=True)
class ChannelStats:
    channel: str  # "all" for the totals
    new_items: int
    opened_by_team: int
    answered: int
    unanswered: int
    within_target: int
    target_base: int  # answered + unanswered past the target
    first_response: Durations
    closed: int
    time_to_close: Durations

    @property
    def within_target_share(self) -> float | None:
        return self.within_target / self.target_base if self.target_base else None


@dataclass(frozen=True)
class WaitingItem:
    id: int
    channel: str
    title: str
    waiting_since: datetime
    age_seconds: float
    assignee: str | None


@dataclass(frozen=True)
class Stats:
    window: Window
    now: datetime
    target_minutes: int
    channels: list[str]
    volume: list[tuple[date, dict[str, int]]]  # per local day: new items per channel
    totals: ChannelStats
    by_channel: list[ChannelStats]
    waiting: list[WaitingItem]  # open items waiting on us, longest wait first
    waiting_ages: list[tuple[str, int]]
    roped_in: list[tuple[str, int]]
    replies_by: list[tuple[str, int]]
    top_labels: list[tuple[str, int]]
    closed: list[reports.ClosedItem] = field(default_factory=list)


def ordered_channels(names: set[str]) -> list[str]:
    known = [c for c in CHANNEL_ORDER if c in names]
    return known + sorted(names - set(CHANNEL_ORDER))


def _channel_stats(
    channel: str,
    new: list[reports.NewItem],
    closed: list[reports.ClosedItem],
    now: datetime,
    target: timedelta,
) -> ChannelStats:
    answered: list[float] = []
    unanswered = overdue = 0
    for item in new:
        if item.opened_by_team:
            continue
        if item.first_reply_at is None:
            unanswered += 1
            overdue += int(now - item.first_message_at > target)
        else:
            answered.append((item.first_reply_at - item.first_message_at).total_seconds())
    to_close = [
        (c.closed_at - c.first_message_at).total_seconds()
        for c in closed
        if c.first_message_at is not None
    ]
    return ChannelStats(
        channel=channel,
        new_items=len(new),
        opened_by_team=sum(1 for i in new if i.opened_by_team),
        answered=len(answered),
        unanswered=unanswered,
        within_target=sum(1 for s in answered if s <= target.total_seconds()),
        target_base=len(answered) + overdue,
        first_response=durations(answered),
        closed=len(closed),
        time_to_close=durations(to_close),
    )


def open_items(store: Store, now: datetime, channels: Sequence[str] = ()) -> list[Item]:
    """Every item not closed (snoozed ones included), longest wait first."""
    f = ItemFilter(
        states=(ItemState.OPEN, ItemState.SNOOZED), waiting=None, channels=tuple(channels)
    )
    return queue.list_items(store.conn, f, now)


def compute(
    store: Store,
    window: Window,
    now: datetime,
    *,
    team: TeamDirectory,
    target_minutes: int = 60,
    channels: Sequence[str] = (),
    open_now: list[Item] | None = None,
) -> Stats:
    """Every number `hero stats` shows, for ``window`` as of ``now``."""
    db = store.conn
    new = reports.new_items(db, window.start, window.end, channels)
    closed = reports.closed_items(db, window.start, window.end, channels)
    target = timedelta(minutes=target_minutes)
    names = {i.channel for i in new} | {c.channel for c in closed} | set(channels)
    chans = ordered_channels(names)

    per_day: dict[date, dict[str, int]] = {d: dict.fromkeys(chans, 0) for d in window.days}
    for item in new:
        day = window.day_of(item.first_message_at)
        per_day.setdefault(day, dict.fromkeys(chans, 0))[item.channel] += 1

    items = open_items(store, now, channels) if open_now is None else open_now
    waiting = [
        WaitingItem(
            i.id,
            i.channel,
            i.title,
            i.waiting_since,
            (now - i.waiting_since).total_seconds(),
            i.assignee,
        )
        for i in items
        if i.state is ItemState.OPEN and i.waiting is Waiting.US and i.waiting_since is not None
    ]
    waiting.sort(key=lambda w: (w.waiting_since, w.id))
    ages = Counter(_bucket(w.age_seconds) for w in waiting)

    # Roped in: assignments a hero made, not the handoff's carry-over to the next hero.
    roped = Counter(
        a.to
        for a in reports.assignments(db, window.start, window.end, channels)
        if a.to and a.why != "handoff"
    )
    replies: Counter[str] = Counter()
    for r in reports.team_replies(db, window.start, window.end, channels):
        # Sent through hero: the member who sent it, not the bot or shared box that carried it.
        member = (
            (team.find(r.sent_by) if r.sent_by else None)
            or team.member_for(r.channel, r.author_id)
            or team.member_named(r.author_name)
        )
        replies[member.name if member else r.sent_by or r.author_name or r.author_id] += r.count

    return Stats(
        window=window,
        now=now,
        target_minutes=target_minutes,
        channels=chans,
        volume=sorted(per_day.items()),
        totals=_channel_stats("all", new, closed, now, target),
        by_channel=[
            _channel_stats(
                c,
                [i for i in new if i.channel == c],
                [x for x in closed if x.channel == c],
                now,
                target,
            )
            for c in chans
        ],
        waiting=waiting,
        waiting_ages=[(label, ages.get(label, 0)) for label, _ in AGE_BUCKETS],
        roped_in=_ranked(roped),
        replies_by=_ranked(replies),
        top_labels=reports.top_labels(db, window.start, window.end, channels),
        closed=closed,
    )


def _bucket(seconds: float) -> str:
    for label, limit in AGE_BUCKETS:
        if seconds < limit:
            return label
    return AGE_BUCKETS[-1][0]


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))


def durations_json(d: Durations) -> dict[str, object]:
    return {"count": d.count, "median_s": d.median, "p90_s": d.p90, "mean_s": d.mean}


def channel_json(c: ChannelStats) -> dict[str, object]:
    return {
        "channel": c.channel,
        "new_items": c.new_items,
        "opened_by_team": c.opened_by_team,
        "answered": c.answered,
        "unanswered": c.unanswered,
        "first_response": durations_json(c.first_response),
        "within_target": c.within_target,
        "within_target_base": c.target_base,
        "within_target_share": c.within_target_share,
        "closed": c.closed,
        "time_to_close": durations_json(c.time_to_close),
    }


def stats_json(s: Stats) -> dict[str, object]:
    """The stable `--json` shape of the stats."""
    return {
        "window": {
            "label": s.window.label,
            "start": iso(s.window.start),
            "end": iso(s.window.end),
            "first_day": s.window.first_day.isoformat(),
            "last_day": s.window.last_day.isoformat(),
            "timezone": str(s.window.zone),
        },
        "now": iso(s.now),
        "target_minutes": s.target_minutes,
        "channels": s.channels,
        "volume": [
            {"day": d.isoformat(), "by_channel": counts, "total": sum(counts.values())}
            for d, counts in s.volume
        ],
        "totals": channel_json(s.totals),
        "by_channel": [channel_json(c) for c in s.by_channel],
        "waiting_on_us": {
            "count": len(s.waiting),
            "ages": dict(s.waiting_ages),
            "items": [
                {
                    "id": w.id,
                    "channel": w.channel,
                    "title": w.title,
                    "waiting_since": iso(w.waiting_since),
                    "age_s": w.age_seconds,
                    "assignee": w.assignee,
                }
                for w in s.waiting
            ],
        },
        "roped_in": [{"member": n, "count": c} for n, c in s.roped_in],
        "replies_by": [{"author": n, "count": c} for n, c in s.replies_by],
        "top_labels": [{"label": n, "count": c} for n, c in s.top_labels],
    }
