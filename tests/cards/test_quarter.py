"""Quarters: ``2026Q4`` parsed, its days and months, and clear errors for anything else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.cards import Quarter, parse_quarter, quarter_of
from newsletter.errors import NewsletterError
from newsletter.months import FIRST_YEAR, LAST_YEAR


def test_a_quarter_is_written_year_q_number() -> None:
    assert parse_quarter("2026Q4") == Quarter(2026, 4)
    assert str(Quarter(2026, 4)) == "2026Q4"


def test_the_fourth_quarter_runs_october_to_december() -> None:
    quarter = Quarter(2026, 4)
    assert (quarter.first_day, quarter.last_day) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter.months == ("2026-10", "2026-11", "2026-12")
    assert quarter.next() == Quarter(2027, 1)


@pytest.mark.parametrize("written", ["2026Q5", "2026Q0", "26Q4", "2026-Q4", "2026 Q4", "Q4", ""])
def test_anything_else_is_an_error_naming_the_option_and_value(written: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        parse_quarter(written)
    assert caught.value.key == "--quarter"
    assert repr(written) in caught.value.one_line()


@pytest.mark.parametrize("written", ["0000Q1", "1999Q4", "2100Q1", "9999Q4"])
def test_a_quarter_out_of_the_plausible_years_is_an_error_naming_it(written: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        parse_quarter(written)
    assert caught.value.one_line() == (
        f"--quarter: {written!r} is not a plausible quarter (2000Q1 to 2099Q4)"
    )


@given(st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31)))
def test_every_day_lies_in_its_quarter_and_round_trips(day: date) -> None:
    quarter = quarter_of(day)
    assert day in quarter
    assert parse_quarter(str(quarter)) == quarter
    assert quarter.next().first_day == quarter.last_day + timedelta(days=1)
