"""The week's figures as text, the same in the terminal view and the Markdown report."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from herocli.render.times import age
from herocli.services.stats import ChannelStats


def duration(seconds: float | None) -> str:
    return "-" if seconds is None else age(timedelta(seconds=seconds))


def local_time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


def share(c: ChannelStats) -> str:
    part = c.within_target_share
    return "-" if part is None else f"{part:.0%} ({c.within_target}/{c.target_base})"


def channel_cells(c: ChannelStats) -> list[str]:
    """One channel's row of the response-and-close table, after its name."""
    fr = c.first_response
    return [
        str(c.new_items),
        f"{c.answered}/{c.answered + c.unanswered}",
        duration(fr.median),
        duration(fr.p90),
        duration(fr.mean),
        share(c),
        str(c.closed),
        duration(c.time_to_close.median),
        duration(c.time_to_close.p90),
    ]
