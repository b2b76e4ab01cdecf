"""Public holidays and custom observances listed in an issue."""

from __future__ import annotations

from datetime import date

import pytest

from newsletter.config.settings import CustomObservance, HolidaysConfig
from newsletter.errors import ConfigError
from newsletter.model import Holiday
from newsletter.sources.holidays import upcoming_holidays


def observance(name: str, when: str) -> CustomObservance:
    return CustomObservance(name=name, date=when)


def test_public_holidays_in_the_window_are_listed() -> None:
    found = upcoming_holidays(HolidaysConfig(country="US", days_ahead=30), date(2026, 11, 1))
    assert found == (
        Holiday(date(2026, 11, 11), "Veterans Day"),
        Holiday(date(2026, 11, 26), "Thanksgiving Day"),
    )


def test_window_includes_its_last_day() -> None:
    # Thanksgiving 2026 is 26 November: exactly 25 days after the 1st.
    found = upcoming_holidays(HolidaysConfig(country="US", days_ahead=25), date(2026, 11, 1))
    assert Holiday(date(2026, 11, 26), "Thanksgiving Day") in found
    shorter = upcoming_holidays(HolidaysConfig(country="US", days_ahead=24), date(2026, 11, 1))
    assert Holiday(date(2026, 11, 26), "Thanksgiving Day") not in shorter


def test_holidays_for_subdivision() -> None:
    december = date(2026, 12, 1)
    national = upcoming_holidays(HolidaysConfig(country="US", days_ahead=31), december)
    wisconsin = upcoming_holidays(
        HolidaysConfig(country="US", subdivision="WI", days_ahead=31), december
    )
    assert Holiday(date(2026, 12, 24), "Christmas Eve") in wisconsin
    assert Holiday(date(2026, 12, 24), "Christmas Eve") not in national


def test_window_spanning_new_year_reaches_into_next_year() -> None:
    found = upcoming_holidays(HolidaysConfig(country="US", days_ahead=45), date(2026, 12, 1))
    assert Holiday(date(2027, 1, 1), "New Year's Day") in found


def test_custom_observance_repeats_every_year() -> None:
    config = HolidaysConfig(country="US", custom=(observance("Furnace filter day", "01-15"),))
    assert Holiday(date(2027, 1, 15), "Furnace filter day") in upcoming_holidays(
        config, date(2027, 1, 1)
    )
    assert Holiday(date(2031, 1, 15), "Furnace filter day") in upcoming_holidays(
        config, date(2031, 1, 1)
    )


def test_custom_observance_with_a_year_happens_once() -> None:
    config = HolidaysConfig(
        country="US", custom=(observance("Shop's 40th birthday", "2027-01-20"),)
    )
    assert Holiday(date(2027, 1, 20), "Shop's 40th birthday") in upcoming_holidays(
        config, date(2027, 1, 1)
    )
    assert not [
        h for h in upcoming_holidays(config, date(2028, 1, 1)) if h.name == "Shop's 40th birthday"
    ]


def test_leap_day_observance_is_skipped_in_other_years() -> None:
    config = HolidaysConfig(country="US", custom=(observance("Leap day", "02-29"),))
    assert Holiday(date(2028, 2, 29), "Leap day") in upcoming_holidays(config, date(2028, 2, 1))
    assert not [h for h in upcoming_holidays(config, date(2027, 2, 1)) if h.name == "Leap day"]


def test_holidays_are_sorted_by_date_then_name() -> None:
    config = HolidaysConfig(
        country="US",
        days_ahead=60,
        custom=(observance("Winter solstice", "12-21"), observance("Avoid frozen pipes", "12-21")),
    )
    found = upcoming_holidays(config, date(2026, 11, 1))
    assert found == tuple(sorted(found, key=lambda h: (h.day, h.name)))
    solstice = [h.name for h in found if h.day == date(2026, 12, 21)]
    assert solstice == ["Avoid frozen pipes", "Winter solstice"]


def test_observance_matching_a_public_holiday_is_listed_once() -> None:
    config = HolidaysConfig(
        country="US", days_ahead=31, custom=(observance("Christmas Day", "12-25"),)
    )
    found = upcoming_holidays(config, date(2026, 12, 1))
    assert [h for h in found if h.day == date(2026, 12, 25)] == [
        Holiday(date(2026, 12, 25), "Christmas Day")
    ]


def test_unknown_country_is_a_config_error_on_its_key() -> None:
    with pytest.raises(ConfigError) as caught:
        upcoming_holidays(HolidaysConfig(country="XX"), date(2026, 11, 1))
    assert caught.value.key == "holidays.country"
    assert "'XX'" in caught.value.message


def test_unknown_subdivision_is_a_config_error_listing_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        upcoming_holidays(HolidaysConfig(country="US", subdivision="ZZ"), date(2026, 11, 1))
    assert caught.value.key == "holidays.subdivision"
    assert "'ZZ'" in caught.value.message and "WI" in caught.value.message
