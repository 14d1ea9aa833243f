"""The queue's time text: fixed-width UTC, whatever zone the time came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from herocli.store.timefmt import from_db, to_db

_ZONES = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-899, 899))


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.none(), st.just(UTC), _ZONES),
)
def test_to_db_is_the_utc_strftime_form(moment: datetime, zone: timezone | None) -> None:
    value = moment if zone is None else moment.replace(tzinfo=zone)
    utc = value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)
    assert to_db(value) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if utc.year >= 1000:
        assert from_db(to_db(value)) == utc


def test_to_db_keeps_microseconds_and_the_z() -> None:
    assert to_db(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"


def test_the_same_instant_gives_the_same_text_from_any_zone_in_any_order() -> None:
    """Texts are remembered by time: one instant in two zones, and a naive time with the
    same fields as an aware one, each get their own right text whichever comes first."""
    aware = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    shifted = aware.astimezone(timezone(timedelta(hours=5, minutes=30)))
    naive = datetime(2026, 1, 2, 3, 4, 5, 6)
    other = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=-2)))
    for order in ([aware, shifted, naive, other], [other, naive, shifted, aware]):
        texts = [to_db(value) for value in order]
        expected = [
            value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            for value in order
        ]
        assert texts == [e.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for e in expected]
    assert to_db(other) == "2026-01-02T05:04:05.000006Z"


def test_more_times_than_are_remembered_are_still_written_right() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=n) for n in range(20_000)]
    for moment in moments + moments[:100]:
        assert to_db(moment) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
