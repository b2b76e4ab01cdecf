"""Speed to lead: business hours, and the shares of leads called within an hour, an hour
of business time and a day."""

from __future__ import annotations

from datetime import timedelta

from newsletter.config.leads import BusinessHoursConfig
from newsletter.referrals.hours import BusinessHours
from newsletter.report.speed import speed_to_lead
from tests.referral_factory import CHICAGO, at, make_lead

HOURS = BusinessHours.of(BusinessHoursConfig(), CHICAGO)  # Monday to Friday, 8:00 to 17:00
FRIDAY_EVENING = at("2026-11-06T19:00:00-06:00")


def test_the_weekend_is_no_business_time() -> None:
    monday = at("2026-11-09T08:30:00-06:00")
    assert HOURS.elapsed(FRIDAY_EVENING, monday) == timedelta(minutes=30)
    assert HOURS.deadline(FRIDAY_EVENING, timedelta(hours=1)) == at("2026-11-09T09:00:00-06:00")


def test_an_hour_of_business_time_runs_on_into_the_next_open_day() -> None:
    late = at("2026-11-10T16:30:00-06:00")  # a Tuesday, half an hour before closing
    assert HOURS.deadline(late, timedelta(hours=1)) == at("2026-11-11T08:30:00-06:00")


def test_business_hours_across_the_change_to_winter_time_are_wall_clock_hours() -> None:
    friday = at("2026-10-30T16:00:00-05:00")  # CDT; clocks fall back on Sunday Nov 1
    assert HOURS.deadline(friday, timedelta(hours=2)) == at("2026-11-02T09:00:00-06:00")
    assert HOURS.elapsed(friday, at("2026-11-02T09:00:00-06:00")) == timedelta(hours=2)


def test_shares_count_from_the_clock_and_from_business_time() -> None:
    leads = [
        # called in 40 minutes: every share
        make_lead(1, "2026-11-10T09:00:00-06:00", contacted="2026-11-10T09:40:00-06:00",
                  status="contacted", phone="6085550101"),
        # in on Friday evening, called at 8:20 on Monday: an hour of business time only
        make_lead(2, "2026-11-06T19:00:00-06:00", contacted="2026-11-09T08:20:00-06:00",
                  status="contacted", phone="6085550102"),
        # called after 5 hours: within the day
        make_lead(3, "2026-11-10T09:00:00-06:00", contacted="2026-11-10T14:00:00-06:00",
                  status="contacted", phone="6085550103"),
        make_lead(4, "2026-11-10T09:00:00-06:00", phone="6085550104"),  # not called yet
    ]  # fmt: skip
    speed = speed_to_lead(leads, HOURS)
    assert (speed.qualified, speed.within_hour, speed.within_business_hour) == (4, 1, 2)
    assert speed.within_day == 2
