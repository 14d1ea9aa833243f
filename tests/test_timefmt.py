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
