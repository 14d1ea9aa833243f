"""The rota: who is the hero on a given day, the weeks ahead, and the hero's local time.

Heroes take turns in the configured order, each for ``length_days`` days from
``start``; a swap hands a single day to someone else. Without a rota the
"week" is the calendar week, Monday first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from herocli.config import HeroSettings, RotaSettings
from herocli.errors import ConfigError, ConfigProblem


@dataclass(frozen=True)
class Period:
    """One turn of the rota: ``first`` to ``last`` inclusive, local days."""

    first: date
    last: date
    hero: str | None  # None when no rota is configured
    swaps: tuple[tuple[date, str], ...] = ()  # days in this period covered by someone else

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def local_zone(settings: HeroSettings) -> tzinfo:
    """``[hero] timezone``, else the system's zone (by name where it can be found, so DST holds)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    names = [settings.timezone] if settings.timezone else [os.environ.get("TZ", "").lstrip(":")]
    if not settings.timezone:
        names.append(_system_zone_name())
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if settings.timezone:
                raise ConfigError(
                    [ConfigProblem("config", "hero.timezone", f"unknown time zone {name!r}")]
                ) from None
    return datetime.now(UTC).astimezone().tzinfo or UTC


def _system_zone_name() -> str:
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    if "/zoneinfo/" in target:
        return target.split("/zoneinfo/", 1)[1]
    try:
        return Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def today(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date()


def midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant at which local ``day`` begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_of(rota: RotaSettings, day: date) -> Period:
    """The rota turn (or calendar week) that contains ``day``."""
    if not rota.heroes or rota.start is None:
        first = day - timedelta(days=day.weekday())
        return Period(first, first + timedelta(days=6), None)
    length = rota.length_days
    turn = (day - rota.start).days // length
    first = rota.start + timedelta(days=turn * length)
    last = first + timedelta(days=length - 1)
    hero = rota.heroes[turn % len(rota.heroes)]
    swaps = tuple((s.day, s.hero) for s in sorted(rota.swaps, key=lambda s: s.day))
    return Period(first, last, hero, tuple(s for s in swaps if first <= s[0] <= last))


def hero_on(rota: RotaSettings, day: date) -> str | None:
    """Who is on duty on ``day``: a swap for that day wins over the rota order."""
    for swap in rota.swaps:
        if swap.day == day:
            return swap.hero
    return period_of(rota, day).hero


def upcoming(rota: RotaSettings, day: date, count: int = 4) -> list[Period]:
    """The period containing ``day`` and the ``count - 1`` after it."""
    periods = [period_of(rota, day)]
    while len(periods) < count:
        periods.append(period_of(rota, periods[-1].last + timedelta(days=1)))
    return periods


def next_hero(rota: RotaSettings, day: date) -> str | None:
    """Who takes over after the period containing ``day`` (on its first day, swaps included)."""
    return hero_on(rota, period_of(rota, day).last + timedelta(days=1))


@dataclass(frozen=True)
class RotaView:
    today: date
    on_duty: str | None
    period: Period
    upcoming: list[Period]
    timezone: str


def view(rota: RotaSettings, zone: tzinfo, now: datetime, weeks: int = 4) -> RotaView:
    """What `hero rota` shows: who is on now, this turn's dates, and the turns ahead."""
    day = today(now, zone)
    periods = upcoming(rota, day, weeks + 1)
    return RotaView(day, hero_on(rota, day), periods[0], periods[1:], str(zone))


def view_json(v: RotaView) -> dict[str, object]:
    def period(p: Period) -> dict[str, object]:
        return {
            "first_day": p.first.isoformat(),
            "last_day": p.last.isoformat(),
            "hero": p.hero,
            "swaps": [{"date": d.isoformat(), "hero": h} for d, h in p.swaps],
        }

    return {
        "today": v.today.isoformat(),
        "on_duty": v.on_duty,
        "timezone": v.timezone,
        "current": period(v.period),
        "upcoming": [period(p) for p in v.upcoming],
    }
