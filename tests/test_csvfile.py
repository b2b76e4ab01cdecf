"""CSV in and out: errors name the real line; files for people never carry a live formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import jinja2
import pytest

from newsletter.csvfile import MAX_FIELD, csv_rows, ledger_csv, neutralized, spreadsheet_csv
from newsletter.errors import ContentError
from newsletter.referrals.leads import add_lead
from newsletter.referrals.ledger import load_leads
from newsletter.referrals.outputs import report_files
from newsletter.referrals.reports import build_report
from tests.referral_factory import CHICAGO, MARIA, OFFER, at

PATH = Path("people.csv")
FORMULA = '=HYPERLINK("http://evil.example","x")'


def rows(text: str) -> list[tuple[int, dict[str, str]]]:
    return list(csv_rows(text, PATH, required=("a",), allowed=("a", "b")))


def error_line(text: str) -> int | None:
    with pytest.raises(ContentError) as caught:
        rows(text)
    return caught.value.line


# ---- the header ---------------------------------------------------------------------------


def test_a_column_given_twice_is_named_on_line_1() -> None:
    with pytest.raises(ContentError) as caught:
        list(csv_rows("a,b,b\n1,2,3\n", PATH, required=("a",), allowed=("a", "b")))
    assert (caught.value.line, caught.value.message) == (1, "column(s) given twice: b")


def test_a_byte_order_mark_before_the_header_is_dropped_from_text_and_from_lines() -> None:
    text = "\ufeffa,b\n1,2\n"
    expected = [(2, {"a": "1", "b": "2"})]
    assert rows(text) == expected
    assert list(csv_rows(iter(text.splitlines(True)), PATH, required=("a",), allowed="ab")) == (
        expected
    )


# ---- line numbers ------------------------------------------------------------------------


def test_quoting_error_names_its_own_line_not_the_one_before() -> None:
    assert error_line('a,b\n1,2\n3,"x"y\n') == 3


def test_extra_field_names_its_own_line() -> None:
    assert error_line("a,b\n1,2\n3,4,5\n") == 3


def test_row_spanning_lines_is_numbered_by_its_first_line() -> None:
    assert rows('a,b\n"one\ntwo",2\n3,4\n') == [
        (2, {"a": "one\ntwo", "b": "2"}),
        (4, {"a": "3", "b": "4"}),
    ]


def test_row_after_a_multi_line_value_names_its_own_line() -> None:
    assert error_line('a,b\n"one\ntwo",2\n3,4,5\n') == 4


def test_form_feed_and_line_separator_in_a_value_do_not_shift_line_numbers() -> None:
    assert rows("a,b\nx\x0cy,z\u2028w\n3,4\n")[1][0] == 3


def test_blank_lines_are_skipped_and_still_counted() -> None:
    assert [line for line, _ in rows("a,b\n\n1,2\n\n3,4\n")] == [3, 5]


def test_unclosed_quote_names_the_line_where_the_file_ends() -> None:
    assert error_line('a,b\n1,2\n3,"4\n5\n') == 4


def test_value_over_the_csv_limit_names_the_line_it_starts_on() -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    with pytest.raises(ContentError, match=f"longer than {MAX_FIELD:,} characters") as caught:
        rows(f'a,b\n1,2\n3,"{huge}\nmore"\n')
    assert caught.value.line == 3


def test_short_rows_are_padded_with_blanks() -> None:
    assert rows("a,b\n1\n") == [(2, {"a": "1", "b": ""})]


# ---- writing ----------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_cells_starting_like_a_formula_are_neutralized(start: str) -> None:
    assert neutralized(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("plain", ["Leo Santos", "(608) 555-0175", "1200.00", "", "a=b", "'quoted"])
def test_ordinary_cells_are_kept(plain: str) -> None:
    assert neutralized(plain) == plain


def test_spreadsheet_csv_quotes_every_cell() -> None:
    written = spreadsheet_csv(("name", "n"), [("Ann; =1+1", 3)])
    assert written == '\ufeff"name","n"\n"Ann; =1+1","3"\n'


def test_spreadsheet_csv_starts_with_a_byte_order_mark_so_spreadsheets_read_utf8() -> None:
    written = spreadsheet_csv(("name",), [("María",)]).encode("utf-8")
    assert written.startswith(b"\xef\xbb\xbf")
    assert written.decode("utf-8-sig").splitlines()[1] == '"María"'


def test_ledger_csv_keeps_values_exactly() -> None:
    assert (
        ledger_csv(("name",), [(FORMULA,)]) == 'name\n"=HYPERLINK(""http://evil.example"",""x"")"\n'
    )


def test_ledger_keeps_a_formula_lookalike_exactly_while_the_report_neutralizes_it(
    tmp_path: Path, env: jinja2.Environment
) -> None:
    ledger = tmp_path / "referrals.csv"
    add_lead(
        ledger,
        referrer_code=MARIA[0],
        referrer_email=MARIA[1],
        name=FORMULA,
        phone="+1 608 555 0100",
        need="@SUM(A1:A9)",
        received_at=at("2026-11-02T09:00:00-06:00"),
    )
    (lead,) = load_leads(ledger)
    assert (lead.name, lead.phone, lead.need) == (FORMULA, "+1 608 555 0100", "@SUM(A1:A9)")

    report = build_report(
        (lead,),
        (),
        {},
        offer=OFFER,
        month=at("2026-11-01T00:00:00-06:00").date(),
        now=at("2026-11-20T12:00:00-06:00"),
        tz=CHICAGO,
    )
    overdue = list(csv.DictReader(io.StringIO(report_files(report, env)["overdue.csv"])))
    assert overdue[0]["lead_name"] == f"'{FORMULA}"
    assert overdue[0]["lead_phone"] == "'+1 608 555 0100"
    assert overdue[0]["need"] == "'@SUM(A1:A9)"
