"""Public holidays and the business's own observances coming up after the issue date."""

from __future__ import annotations

from datetime import date, timedelta

import holidays as holiday_calendars

from newsletter.config.settings import CustomObservance, HolidaysConfig
from newsletter.errors import ConfigError
from newsletter.model import Holiday


def upcoming_holidays(config: HolidaysConfig, start: date) -> tuple[Holiday, ...]:
    """Holidays and custom observances from ``start`` to ``start + days_ahead``, inclusive.

    Public holidays come from the ``holidays`` package for the configured country and
    subdivision; custom ``MM-DD`` observances repeat every year, ``YYYY-MM-DD`` ones happen
    once. Sorted by date then name, each (date, name) listed once.
    """
    end = start + timedelta(days=config.days_ahead)
    years = range(start.year, end.year + 1)
    public = _public_calendar(config, list(years))
    found = {
        Holiday(day=day, name=name)
        for day in public
        if start <= day <= end
        # The package joins names that share a date ("A; B"); list them separately.
        for name in public.get_list(day)
    }
    found.update(
        Holiday(day=day, name=observance.name)
        for observance in config.custom
        for day in _observance_days(observance, years)
        if start <= day <= end
    )
    return tuple(sorted(found, key=lambda h: (h.day, h.name)))


def _public_calendar(config: HolidaysConfig, years: list[int]) -> holiday_calendars.HolidayBase:
    try:
        return holiday_calendars.country_holidays(
            config.country, subdiv=config.subdivision, years=years
        )
    except NotImplementedError:  # how the package says "no such country or subdivision"
        pass
    supported = holiday_calendars.list_supported_countries()
    if config.country not in supported:
        raise ConfigError(
            f"no public holidays are known for country {config.country!r}",
            key="holidays.country",
        )
    known = ", ".join(supported[config.country]) or "none"
    raise ConfigError(
        f"unknown subdivision {config.subdivision!r} of {config.country} (known: {known})",
        key="holidays.subdivision",
    )


def _observance_days(observance: CustomObservance, years: range) -> list[date]:
    if len(observance.date) == 10:  # YYYY-MM-DD: once
        return [date.fromisoformat(observance.date)]
    month, day = (int(part) for part in observance.date.split("-"))
    days = []
    for year in years:
        try:
            days.append(date(year, month, day))
        except ValueError:  # 02-29 outside leap years: not observed that year
            continue
    return days
