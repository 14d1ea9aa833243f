"""Reading when a snooze ends: a duration (2h, 3d, 1w, 90m), a weekday, or a date."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from herocli.errors import UsageError

_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d+)\s*(min|m|h|d|w)")
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Further ahead than this is a typo (or an overflow waiting to happen), not a snooze.
MAX_AHEAD = timedelta(days=3660)
MORNING = time(9, 0)  # a snooze "until Monday" wakes at the start of the working day


def parse_until(text: str, now: datetime, zone: tzinfo | None = None) -> datetime:
    """When a snooze given as ``text`` ends, in UTC. Days and dates wake at 09:00 local time.

    A time more than ten years ahead (or too far to compute) is a ``UsageError``.
    """
    try:
        when = _parse_until(text, now, zone)
    except (OverflowError, ValueError):
        when = None
    if when is None or when - now > MAX_AHEAD:
        raise UsageError(f"WHEN {text[:40]!r} is more than ten years ahead")
    return when


def _parse_until(text: str, now: datetime, zone: tzinfo | None) -> datetime:
    zone = zone or UTC
    value = text.strip().lower()
    if not value:
        raise UsageError("say how long: 2h, 3d, 1w, tomorrow, monday or 2026-12-01")
    parts = _DURATION.findall(value)
    if parts and _DURATION.sub("", value).strip() == "":
        delta = timedelta()
        for amount, unit in parts:
            delta += timedelta(**{_UNITS[unit]: int(amount)})
        return now + delta
    local_now = now.astimezone(zone)
    if value == "tomorrow":
        return _morning(local_now.date() + timedelta(days=1), zone)
    if value in _DAYS or (value[:3] in {d[:3] for d in _DAYS} and len(value) == 3):
        target = next(i for i, d in enumerate(_DAYS) if d.startswith(value[:3]))
        ahead = (target - local_now.weekday()) % 7 or 7
        return _morning(local_now.date() + timedelta(days=ahead), zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"cannot read {text!r} as a time",
            hint="use 2h, 3d, 1w, tomorrow, monday, 2026-12-01 or 2026-12-01T14:00",
        ) from None
    if len(text.strip()) == 10:
        return _morning(moment.date(), zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _morning(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=zone).astimezone(UTC)
