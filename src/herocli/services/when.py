"""Reading when a snooze ends, in the forms people type.

A duration (``2h``, ``in 2 hours``, ``1d 12h``), a clock time today (``14:00``,
``3pm``), a day (``tomorrow``/``tmrw``, ``friday``, ``next week``, ``eod``), a day
and a time (``friday 3pm``, ``tomorrow 14:30``), or a date (``2026-12-01``,
``2026-12-01T14:00``). Days without a time wake at 09:00 local time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from herocli.errors import UsageError

_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}
_DURATION = re.compile(
    r"(\d+)\s*(minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|w)"
)
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TOMORROW = {"tomorrow", "tmrw", "tmr", "tomorow"}
# Further ahead than this is a typo (or an overflow waiting to happen), not a snooze.
MAX_AHEAD = timedelta(days=3660)
MORNING = time(9, 0)  # a snooze "until Monday" wakes at the start of the working day
END_OF_DAY = time(17, 0)  # "eod"

FORMS = (
    "2h, in 2 hours, 14:00, 3pm, eod, tomorrow (tmrw), friday, friday 3pm, next week, 2026-12-01"
)


def parse_until(text: str, now: datetime, zone: tzinfo | None = None) -> datetime:
    """When a snooze given as ``text`` ends, in UTC (the zone reads days and clock times).

    A time more than ten years ahead (or too far to compute) is a ``UsageError``.
    """
    try:
        when = _parse_until(text, now, zone)
    except (OverflowError, ValueError):
        when = None
    if when is None or when - now > MAX_AHEAD:
        raise UsageError(f"{text.strip()[:40]!r} is more than ten years ahead")
    return when


def _parse_until(text: str, now: datetime, zone: tzinfo | None) -> datetime:
    zone = zone or UTC
    value = " ".join(text.strip().lower().split())
    if not value:
        raise UsageError("say how long or until when", hint=f"forms: {FORMS}")
    if value.startswith("-"):
        raise UsageError(
            f"{text.strip()!r} is in the past: a snooze must end in the future",
            hint=f"forms: {FORMS}",
        )
    local_now = now.astimezone(zone)
    moment = _duration(value, now) or _day_and_time(value, local_now, zone) or _iso(text, zone)
    if moment is None:
        raise UsageError(f"cannot read {text.strip()!r} as a time", hint=f"forms: {FORMS}")
    return moment


def _duration(value: str, now: datetime) -> datetime | None:
    rest = value.removeprefix("in ").strip()
    parts = _DURATION.findall(rest)
    if not parts or _DURATION.sub("", rest).replace("and", "").strip(" ,"):
        return None
    delta = timedelta()
    for amount, unit in parts:
        delta += timedelta(**{_UNITS[unit]: int(amount)})
    return now + delta


def _day_and_time(value: str, local_now: datetime, zone: tzinfo) -> datetime | None:
    words = value.removeprefix("at ").split(" ")
    if value in {"eod", "end of day"}:
        return _at(local_now.date(), END_OF_DAY, zone, after=local_now, roll=True)
    if value == "next week":
        ahead = 7 - local_now.weekday()  # the coming Monday
        return _at(local_now.date() + timedelta(days=ahead), MORNING, zone)
    clock = _clock(" ".join(words))
    if clock is not None:  # "14:00", "3pm": today, or tomorrow once it has passed
        return _at(local_now.date(), clock, zone, after=local_now, roll=True)
    day = _day(words[0], local_now)
    if day is None:
        return None
    if len(words) == 1:
        return _at(day, MORNING, zone)
    clock = _clock(" ".join(words[1:]).removeprefix("at "))
    return None if clock is None else _at(day, clock, zone)


def _day(word: str, local_now: datetime) -> date | None:
    if word in _TOMORROW:
        return local_now.date() + timedelta(days=1)
    if word == "today":
        return local_now.date()
    if word in _DAYS or (len(word) == 3 and word in {d[:3] for d in _DAYS}):
        target = next(i for i, d in enumerate(_DAYS) if d.startswith(word[:3]))
        ahead = (target - local_now.weekday()) % 7 or 7
        return local_now.date() + timedelta(days=ahead)
    return None


def _clock(text: str) -> time | None:
    match = _CLOCK.match(text.replace(" ", "") if text.endswith(("am", "pm")) else text)
    if match is None:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half is None and match[2] is None:
        return None  # a bare "3" is not a time
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _at(
    day: date, clock: time, zone: tzinfo, *, after: datetime | None = None, roll: bool = False
) -> datetime:
    moment = datetime.combine(day, clock, tzinfo=zone)
    if roll and after is not None and moment <= after:
        moment = datetime.combine(day + timedelta(days=1), clock, tzinfo=zone)
    return moment.astimezone(UTC)


def _iso(text: str, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if len(text.strip()) == 10:
        return _at(moment.date(), MORNING, zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
