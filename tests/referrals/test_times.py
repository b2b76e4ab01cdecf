"""Times typed and shown in the business's zone, compared as absolute time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from newsletter.errors import ReferralError
from newsletter.referrals.times import elapsed, format_shown, hours, parse_typed
from tests.referral_factory import CHICAGO, at


def test_typed_time_without_offset_is_in_the_business_zone() -> None:
    assert parse_typed("2026-11-02T09:14", CHICAGO, key="--at").isoformat() == (
        "2026-11-02T09:14:00-06:00"
    )


def test_typed_offset_is_kept() -> None:
    assert parse_typed("2026-11-02T09:14-05:00", CHICAGO, key="--at") == at(
        "2026-11-02T09:14-05:00"
    )


def test_time_that_happens_twice_at_fall_back_needs_an_offset() -> None:
    with pytest.raises(ReferralError) as caught:
        parse_typed("2026-11-01T01:30", CHICAGO, key="--received-at")
    assert caught.value.one_line() == (
        "--received-at: 2026-11-01T01:30 happens twice on 2026-11-01 (clocks fall back); "
        "add the offset, -05:00 or -06:00"
    )


def test_time_skipped_at_spring_forward_is_an_error() -> None:
    with pytest.raises(ReferralError, match="does not exist on 2027-03-14"):
        parse_typed("2027-03-14T02:30", CHICAGO, key="--at")


def test_text_that_is_not_a_time_is_an_error() -> None:
    with pytest.raises(ReferralError, match="not a time"):
        parse_typed("yesterday", CHICAGO, key="--at")


def test_elapsed_is_absolute_across_the_fall_back() -> None:
    # Both in one ZoneInfo: plain subtraction would compare wall clocks and say 24 hours.
    start = datetime(2026, 10, 31, 12, 0, tzinfo=CHICAGO)
    end = datetime(2026, 11, 1, 12, 0, tzinfo=CHICAGO)
    assert elapsed(start, end) == timedelta(hours=25)


def test_shown_time_names_the_zone_on_each_side_of_dst() -> None:
    assert format_shown(at("2026-10-31T22:00:00+00:00"), CHICAGO) == "2026-10-31 17:00 CDT"
    assert format_shown(at("2026-11-01T22:00:00+00:00"), CHICAGO) == "2026-11-01 16:00 CST"


def test_waiting_time_reads_in_days_and_hours() -> None:
    assert hours(timedelta(hours=23, minutes=59)) == "23h"
    assert hours(timedelta(hours=31)) == "1d 7h"
