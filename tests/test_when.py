"""Reading snooze times: durations, weekdays, dates, in the configured zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from herocli.errors import UsageError
from herocli.services.when import parse_until

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("45min", timedelta(minutes=45)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d 12h", timedelta(days=1, hours=12)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert parse_until(text, NOW) == NOW + delta
    assert parse_until(text, NOW, BERLIN) == NOW + delta  # a duration ignores the zone


def test_tomorrow_is_nine_in_the_morning_local() -> None:
    assert parse_until("tomorrow", NOW) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert parse_until("Tomorrow", NOW, BERLIN) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_tomorrow_follows_the_local_date() -> None:
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # already Tuesday in Berlin
    assert parse_until("tomorrow", late, BERLIN) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert parse_until("tomorrow", late, NEW_YORK) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("tuesday", 24),
        ("tue", 24),
        ("Friday", 27),
        ("sun", 29),
        ("monday", 30),  # today is Monday: the next one
        ("mon", 30),
    ],
)
def test_weekdays(text: str, day: int) -> None:
    assert parse_until(text, NOW, BERLIN) == datetime(2026, 11, day, 8, 0, tzinfo=UTC)


def test_dates_and_times() -> None:
    assert parse_until("2026-12-01", NOW, BERLIN) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert parse_until("2026-12-01T14:00", NOW, BERLIN) == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert parse_until("2026-12-01T14:00+00:00", NOW, BERLIN) == datetime(
        2026, 12, 1, 14, 0, tzinfo=UTC
    )
    assert parse_until("2026-07-01", NOW, BERLIN) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # DST
    assert parse_until("2026-12-01", NOW) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_results_are_utc() -> None:
    for text in ("2h", "tomorrow", "fri", "2026-12-01", "2026-12-01T14:00"):
        assert parse_until(text, NOW, NEW_YORK).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text", ["", "   ", "soon", "2x", "2h soon", "12", "h", "25:00", "13pm", "friday soon"]
)
def test_unreadable(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_until(text, NOW)
    assert caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:00", datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),  # 16:30 in Berlin: tomorrow
        ("17:45", datetime(2026, 11, 23, 16, 45, tzinfo=UTC)),  # still to come today
        ("6pm", datetime(2026, 11, 23, 17, 0, tzinfo=UTC)),
        ("eod", datetime(2026, 11, 23, 16, 0, tzinfo=UTC)),  # 17:00 in Berlin
        ("friday 3pm", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        ("Fri 3 PM", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        ("tomorrow 14:30", datetime(2026, 11, 24, 13, 30, tzinfo=UTC)),
        ("tmrw", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        ("next week", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),  # the coming Monday
        ("in 2 hours", NOW + timedelta(hours=2)),
        ("in 90 minutes", NOW + timedelta(minutes=90)),
        ("in 1 day and 2 hours", NOW + timedelta(days=1, hours=2)),
    ],
)
def test_forms_people_type(text: str, expected: datetime) -> None:
    assert parse_until(text, NOW, BERLIN) == expected


def test_eod_after_five_is_tomorrows() -> None:
    evening = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert parse_until("eod", evening, BERLIN) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_a_negative_duration_says_the_past_and_lists_the_forms() -> None:
    with pytest.raises(UsageError) as caught:
        parse_until("-2h", NOW)
    assert "past" in caught.value.message
    assert caught.value.hint is not None
    for form in ("14:00", "friday 3pm", "next week", "eod", "in 2 hours", "tmrw"):
        assert form in caught.value.hint
