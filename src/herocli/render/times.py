"""Times for people (relative, on a terminal) and for machines (ISO 8601, when piped)."""

from __future__ import annotations

from datetime import datetime, timedelta


def age(delta: timedelta) -> str:
    """A short duration: 45s, 12m, 3h 05m, 2d 4h."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def since(moment: datetime | None, now: datetime) -> str:
    return "" if moment is None else age(now - moment)
