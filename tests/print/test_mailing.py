"""Who gets the post: separate consents, postal opt-outs, returned mail, bad rows, layouts."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.errors import ContentError
from newsletter.model import Address
from newsletter.print.mailing import MailingList, MailRecipient, mailing_list
from newsletter.print.postal import address_lines
from newsletter.print.shop import CSV_COLUMNS, mailing_list_csv
from tests.print.support import LANDING, settings_with

SECRET = b"print-test-secret-0123456789"
HEADER = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,country"
)
ROWS = {
    "ann": "ann@example.com,Ann,Lee,,client,both,9 Elm Street,Madison,WI,53714,US",
    "bo": "bo@example.com,Bo,Berg,Berg Builders,partner,mail,1 Oak Avenue,Madison,WI,53703,US",
    "cy": "cy@example.com,Cy,Cho,,client,email,,,,,",
    "di": "di@example.com,Di,Diaz,,prospect,both,5 Pine Road,Madison,WI,53704,US",
    "ed": "ed@example.com,Ed,Ekk,,client,mail,7 Birch Lane,Madison,WI,53705,US",
}


def write(settings: Settings, rows: list[str], suppressions: Sequence[str] = ()) -> None:
    folder = settings.subscribers_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "subscribers.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    lines = ["email,reason,date,source,channel", *suppressions]
    (folder / "suppressions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def post(settings: Settings, **options: bool) -> MailingList:
    return mailing_list(settings, secret=SECRET, landing_url=LANDING, month="2026-11", **options)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_with(tmp_path)


def as_spreadsheet_reads(recipients: Sequence[MailRecipient]) -> io.StringIO:
    """The mailing list's text as a spreadsheet reads it: the byte-order mark taken off."""
    return io.StringIO(mailing_list_csv(recipients).removeprefix("\ufeff"))


def emails(mailing: MailingList) -> list[str]:
    return [r.email for r in mailing.recipients]


def test_only_subscribers_with_the_mail_channel_get_post(settings: Settings) -> None:
    write(settings, list(ROWS.values()))
    assert "cy@example.com" not in emails(post(settings))


def test_post_is_sorted_by_postal_code(settings: Settings) -> None:
    write(settings, list(ROWS.values()))
    assert [r.address.postal_code for r in post(settings).recipients] == [
        "53703",
        "53704",
        "53705",
        "53714",
    ]


def test_email_unsubscribe_and_bounce_never_remove_anyone_from_the_post(
    settings: Settings,
) -> None:
    write(
        settings,
        list(ROWS.values()),
        [
            "ann@example.com,unsubscribe,2026-10-01,list-unsubscribe,email",
            "di@example.com,bounce,2026-10-02,sendgrid:bounces,",
        ],
    )
    assert {"ann@example.com", "di@example.com"} <= set(emails(post(settings)))


def test_postal_opt_out_removes_from_the_post_only(settings: Settings) -> None:
    write(settings, list(ROWS.values()), ["ANN@example.com,unsubscribe,2026-10-01,phone,mail"])
    mailing = post(settings)
    assert "ann@example.com" not in emails(mailing)
    assert mailing.opted_out == 1


def test_opt_out_from_everything_covers_the_post(settings: Settings) -> None:
    write(settings, list(ROWS.values()), ["bo@example.com,manual,2026-10-01,letter,all"])
    assert "bo@example.com" not in emails(post(settings))


def test_returned_mail_is_skipped_and_counted_apart(settings: Settings) -> None:
    write(settings, list(ROWS.values()), ["ed@example.com,bounce,2026-10-20,returned mail,mail"])
    mailing = post(settings)
    assert "ed@example.com" not in emails(mailing)
    assert (mailing.returned, mailing.opted_out) == (1, 0)


def test_mail_subscriber_without_a_street_is_an_error_naming_the_csv_line(
    settings: Settings,
) -> None:
    write(settings, [ROWS["ann"], "fay@example.com,Fay,Fox,,client,mail,,Madison,WI,,US"])
    with pytest.raises(ContentError) as caught:
        post(settings)
    assert caught.value.line == 3
    assert caught.value.path == str(settings.subscribers_dir / "subscribers.csv")
    assert "no street, postal_code" in caught.value.message


def test_every_mail_subscriber_without_an_address_is_named_at_once(settings: Settings) -> None:
    fay = "fay@example.com,Fay,Fox,,client,mail,,Madison,WI,,US"
    gus = "gus@example.com,Gus,Gray,,partner,both,2 Elm Street,,WI,53703,US"
    write(settings, [fay, ROWS["ann"], gus])
    with pytest.raises(ContentError) as caught:
        post(settings)
    lines = [caught.value.line, *(problem.line for problem in caught.value.also)]
    assert lines == [2, 4]
    assert "no city" in caught.value.also[0].message


def test_a_bad_row_elsewhere_in_the_list_stops_the_mailing_list_too(settings: Settings) -> None:
    write(settings, [ROWS["ann"], "not-an-address,,,,client,email,,,,,"])
    with pytest.raises(ContentError) as caught:
        post(settings)
    assert (caught.value.line, caught.value.key) == (3, "email")


def test_skip_incomplete_leaves_them_off_with_a_warning(settings: Settings) -> None:
    write(settings, [ROWS["ann"], "fay@example.com,Fay,Fox,,client,mail,,Madison,WI,,US"])
    mailing = post(settings, skip_incomplete=True)
    assert emails(mailing) == ["ann@example.com"]
    assert mailing.incomplete == 1
    assert "subscribers.csv:3: fay@example.com: no postal address" in mailing.warnings[0]


def test_codes_and_links_are_personal(settings: Settings) -> None:
    write(settings, [ROWS["ann"], ROWS["bo"]])
    first, second = post(settings).recipients
    assert first.code != second.code
    assert f"ref={first.code}" in first.link and "utm_medium=print" in first.link


def test_mailing_list_csv_has_the_mail_merge_columns(settings: Settings) -> None:
    write(settings, [ROWS["bo"]])
    rows = list(
        csv.reader(io.StringIO(mailing_list_csv(post(settings).recipients).removeprefix("\ufeff")))
    )
    assert (
        tuple(rows[0])
        == CSV_COLUMNS
        == (
            "name",
            "company",
            "address_1",
            "address_2",
            "city",
            "region",
            "postal_code",
            "country",
            "referral_code",
        )
    )
    assert rows[1][:8] == [
        "Bo Berg",
        "Berg Builders",
        "1 OAK AVE",  # USPS Publication 28 form
        "",
        "MADISON",
        "WI",
        "53703",
        "US",
    ]


def test_mailing_list_csv_rows_follow_the_copies_order(settings: Settings) -> None:
    write(settings, list(ROWS.values()))
    mailing = post(settings)
    rows = list(
        csv.DictReader(io.StringIO(mailing_list_csv(mailing.recipients).removeprefix("\ufeff")))
    )
    assert [r["referral_code"] for r in rows] == [r.code for r in mailing.recipients]


def test_mailing_list_csv_neutralizes_cells_a_spreadsheet_would_run(settings: Settings) -> None:
    # In Canada: printed as written (a US address would be standardized, punctuation gone).
    hostile = (
        'eve@example.com,"=HYPERLINK(""http://evil.example"",""x"")",Eve,@Corp,client,mail,'
        "+1 Main Street,-Madison,WI,53703,CA"
    )
    write(settings, [hostile])
    (row,) = list(
        csv.DictReader(
            io.StringIO(mailing_list_csv(post(settings).recipients).removeprefix("\ufeff"))
        )
    )
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x") Eve'
    assert (row["company"], row["address_1"], row["city"]) == (
        "'@Corp",
        "'+1 Main Street",
        "'-Madison",
    )


def test_domestic_address_has_no_country_line() -> None:
    lines = address_lines(
        "Ann Lee", "", Address("9 Elm St", "Madison", "WI", "53714", "US"), home_country="US"
    )
    assert lines == ("Ann Lee", "9 Elm St", "Madison WI 53714")


def test_foreign_address_ends_with_the_country_in_capitals() -> None:
    address = Address("ul. Długa 5", "Gdańsk", "", "80-827", "PL")
    assert address_lines("Łukasz Nowak", "", address, home_country="US") == (
        "Łukasz Nowak",
        "ul. Długa 5",
        "80-827 Gdańsk",
        "POLAND",
    )


def test_british_postcode_goes_on_its_own_line() -> None:
    address = Address("10 Downing Street", "London", "", "SW1A 2AA", "GB")
    assert address_lines("A. Resident", "", address, home_country="US")[-3:] == (
        "London",
        "SW1A 2AA",
        "UNITED KINGDOM",
    )


def test_unknown_country_falls_back_to_the_generic_layout() -> None:
    address = Address("Plot 12", "Kigali", "Kigali City", "00000", "RW")
    assert address_lines("Ngozi Okafor", "", address, home_country="US")[-2:] == (
        "Kigali Kigali City 00000",
        "RW",
    )
