"""Issue months: any text is a month the tool can serve, or one error naming it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.errors import NewsletterError
from newsletter.months import FIRST_YEAR, LAST_YEAR, next_month, parse_month


def test_a_month_is_its_first_day() -> None:
    assert parse_month("2026-11") == date(2026, 11, 1)


@pytest.mark.parametrize("written", ["0000-01", "0001-01", "1999-12", "2100-01", "9999-12"])
def test_a_month_out_of_the_plausible_years_is_an_error_naming_it(written: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        parse_month(written)
    assert caught.value.one_line() == (
        f"--month: {written!r} is not a plausible month (2000-01 to 2099-12)"
    )


@given(st.text(max_size=12) | st.from_regex(r"\A\d{4}-\d{2}\Z"))
def test_any_text_is_a_month_in_range_or_an_error_naming_it(text: str) -> None:
    try:
        first = parse_month(text)
    except NewsletterError as exc:
        assert repr(text) in exc.one_line() and exc.key == "--month"
        return
    assert FIRST_YEAR <= first.year <= LAST_YEAR and first.day == 1
    assert f"{first:%Y-%m}" == text.strip()
    assert next_month(first) > first
