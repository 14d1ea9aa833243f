"""Who is the hero: turns in order, swaps for single days, the calendar week without a rota."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from herocli.config import HeroSettings, RotaSettings, RotaSwap
from herocli.services import rota

ROTA = RotaSettings(
    heroes=("Hana", "Ben", "Cleo"),
    start=date(2026, 11, 2),
    swaps=(RotaSwap(date(2026, 11, 18), "Cleo"),),
)


def test_turns_follow_the_order_and_wrap() -> None:
    assert rota.hero_on(ROTA, date(2026, 11, 2)) == "Hana"
    assert rota.hero_on(ROTA, date(2026, 11, 8)) == "Hana"
    assert rota.hero_on(ROTA, date(2026, 11, 9)) == "Ben"
    assert rota.hero_on(ROTA, date(2026, 11, 16)) == "Cleo"
    assert rota.hero_on(ROTA, date(2026, 11, 23)) == "Hana"
    assert rota.hero_on(ROTA, date(2026, 11, 1)) == "Cleo"  # the turn before the start


def test_a_swap_covers_one_day() -> None:
    assert rota.hero_on(ROTA, date(2026, 11, 11)) == "Ben"
    swapped = RotaSettings(
        heroes=ROTA.heroes, start=ROTA.start, swaps=(RotaSwap(date(2026, 11, 11), "Hana"),)
    )
    assert rota.hero_on(swapped, date(2026, 11, 11)) == "Hana"
    assert rota.hero_on(swapped, date(2026, 11, 12)) == "Ben"
    period = rota.period_of(swapped, date(2026, 11, 12))
    assert period.swaps == ((date(2026, 11, 11), "Hana"),)


def test_periods_of_other_lengths() -> None:
    fortnight = RotaSettings(heroes=("Hana", "Ben"), start=date(2026, 1, 5), length_days=14)
    period = rota.period_of(fortnight, date(2026, 1, 20))
    assert (period.first, period.last, period.hero) == (date(2026, 1, 19), date(2026, 2, 1), "Ben")
    assert rota.next_hero(fortnight, date(2026, 1, 20)) == "Hana"


def test_next_hero_honours_a_swap_on_the_first_day() -> None:
    swapped = RotaSettings(
        heroes=ROTA.heroes, start=ROTA.start, swaps=(RotaSwap(date(2026, 11, 9), "Cleo"),)
    )
    assert rota.next_hero(ROTA, date(2026, 11, 4)) == "Ben"
    assert rota.next_hero(swapped, date(2026, 11, 4)) == "Cleo"


def test_without_a_rota_the_week_is_the_calendar_week() -> None:
    period = rota.period_of(RotaSettings(), date(2026, 11, 19))
    assert (period.first, period.last, period.hero) == (
        date(2026, 11, 16),
        date(2026, 11, 22),
        None,
    )
    assert rota.next_hero(RotaSettings(), date(2026, 11, 19)) is None


def test_view_uses_the_local_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on Sunday 8 November is already Monday in Berlin: Ben's turn.
    v = rota.view(ROTA, berlin, datetime(2026, 11, 8, 23, 30, tzinfo=UTC), weeks=3)
    assert v.today == date(2026, 11, 9)
    assert v.on_duty == "Ben"
    assert [p.hero for p in v.upcoming] == ["Cleo", "Hana", "Ben"]
    data = rota.view_json(v)
    assert data["on_duty"] == "Ben"
    assert data["timezone"] == "Europe/Berlin"
    assert data["upcoming"][0] == {  # type: ignore[index]
        "first_day": "2026-11-16",
        "last_day": "2026-11-22",
        "hero": "Cleo",
        "swaps": [{"date": "2026-11-18", "hero": "Cleo"}],
    }


def test_local_zone() -> None:
    assert str(rota.local_zone(HeroSettings(timezone="Europe/Berlin"))) == "Europe/Berlin"
    assert rota.local_zone(HeroSettings()) is not None


def test_midnight_on_the_day_summer_time_ends() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert rota.midnight(date(2026, 10, 25), berlin) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert rota.midnight(date(2026, 10, 26), berlin) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
