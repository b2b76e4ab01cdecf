"""``newsletter import`` of a Mailchimp audience export (tests/fixtures/import/mailchimp/,
written from the export's documented columns), through the installed console script."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from newsletter.audience.importing.mailchimp import split_tags, unpacked_address
from newsletter.audience.importing.records import Postal
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import load_suppressions
from tests.audience.importing.project import MAILCHIMP, bakery, by_email, rows, run_import

SUBSCRIBED = MAILCHIMP / "subscribed_members_export_7f3a9c21e4.csv"
UNSUBSCRIBED = MAILCHIMP / "unsubscribed_members_export_7f3a9c21e4.csv"
CLEANED = MAILCHIMP / "cleaned_members_export_7f3a9c21e4.csv"
COUNTS = "added 3, updated 1, unchanged 1, suppressed 4, refused 1"


def test_the_whole_export_gives_the_right_counts_and_a_dry_run_writes_nothing(
    tmp_path: Path,
) -> None:
    config = bakery(tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "subscribers").iterdir()}

    done = run_import(config, MAILCHIMP)

    assert done.returncode == 1, done.stderr  # one row refused; the rest would go in
    assert done.stdout.splitlines()[-2:] == [
        COUNTS,
        "dry run: nothing written; run again with --yes to import",
    ]
    assert {p.name: p.read_bytes() for p in (tmp_path / "subscribers").iterdir()} == before


def test_the_dry_run_shows_each_change_with_its_file_and_line(tmp_path: Path) -> None:
    lines = run_import(bakery(tmp_path), MAILCHIMP).stdout.splitlines()

    assert lines[:3] == [
        f"reading {CLEANED}: Mailchimp audience export (cleaned); "
        "not imported: Phone Number, Birthday",
        f"reading {UNSUBSCRIBED}: Mailchimp audience export (unsubscribed); "
        "not imported: Phone Number, Birthday",
        f"reading {SUBSCRIBED}: Mailchimp audience export (subscribed); "
        "not imported: Phone Number, Birthday",
    ]
    assert lines[3:-2] == [
        f"- {CLEANED}:2: old.address@example.com: bounce on 2023-12-01",
        f"- {UNSUBSCRIBED}:2: ruth@example.com: unsubscribe on 2024-03-05",
        f"- {UNSUBSCRIBED}:3: tom@example.net: unsubscribe on 2024-07-03",
        f"+ {SUBSCRIBED}:2: ann.lee@example.com: Ann Lee; client, email and post; "
        "consent 2023-04-02 (Mailchimp sign-up); tags customer, wedding-cakes",
        f"~ {SUBSCRIBED}:3: MARCO.ROSSI@Example.com: line 2 gains first_name Marco; "
        "last_name Rossi; consent; tags customer; the email channel",
        f"+ {SUBSCRIBED}:4: priya@example.net: Priya Shah; client, post only",
        f"! {SUBSCRIBED}:5: refused: leo@example.org: no evidence of consent to email, "
        "and no complete postal address for post only",
        f"- {SUBSCRIBED}:6: dana@example.com: not added: unsubscribe on 2024-05-01 "
        "(line 2 of suppressions.csv)",
        f"+ {SUBSCRIBED}:7: sam@example.com: Sam Ortiz; client, email; "
        "consent 2024-08-19 (Mailchimp sign-up)",
    ]


def test_yes_writes_the_list_that_the_dry_run_showed(tmp_path: Path) -> None:
    config = bakery(tmp_path)
    folder = tmp_path / "subscribers"

    done = run_import(config, MAILCHIMP, "--yes")

    assert done.returncode == 1
    assert done.stdout.splitlines()[-2:] == [
        COUNTS,
        "wrote subscribers.csv: 3 added, 1 updated; suppressions.csv: 3 added; "
        "consents.csv: 3 added",
    ]
    listed = by_email(folder / "subscribers.csv")
    assert list(listed) == [
        "marco.rossi@example.com",
        "ruth@example.com",
        "jürgen@bücher.example",
        "ann.lee@example.com",
        "priya@example.net",
        "sam@example.com",
    ]
    assert listed["ann.lee@example.com"] == {
        "email": "ann.lee@example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "company": "",
        "segment": "client",
        "channels": "both",
        "street": "12 Oak St, Apt 3",
        "city": "Portland",
        "region": "OR",
        "postal_code": "97201",
        "country": "US",
        "consent_source": "Mailchimp sign-up",
        "consent_date": "2023-04-02",
        "tags": "customer;wedding-cakes",
        "source": "client",
    }
    marco = listed["marco.rossi@example.com"]
    assert (marco["first_name"], marco["channels"], marco["street"]) == (
        "Marco",
        "both",
        "88 Elm St",
    )
    assert (marco["consent_source"], marco["consent_date"]) == ("Mailchimp audience", "2022-09-15")
    assert listed["priya@example.net"]["channels"] == "mail"
    assert listed["priya@example.net"]["street"] == "5 Birch Ave"
    assert listed["sam@example.com"]["channels"] == "email"
    assert len(load_subscribers(folder / "subscribers.csv")) == 6  # the list's own loader


def test_unsubscribed_and_cleaned_members_become_suppressions(tmp_path: Path) -> None:
    config = bakery(tmp_path)

    run_import(config, MAILCHIMP, "--yes")

    entries = load_suppressions(tmp_path / "subscribers" / "suppressions.csv")
    assert [(s.email, s.reason, s.date.isoformat(), s.source) for s in entries] == [
        ("dana@example.com", "unsubscribe", "2024-05-01", "list-unsubscribe"),
        ("gone@example.com", "bounce", "2023-11-01", "sendgrid bounces"),
        ("old.address@example.com", "bounce", "2023-12-01", "mailchimp: cleaned (Holiday treats)"),
        (
            "ruth@example.com",
            "unsubscribe",
            "2024-03-05",
            "mailchimp: unsubscribed (I no longer want to receive these emails; Spring menu)",
        ),
        (
            "tom@example.net",
            "unsubscribe",
            "2024-07-03",
            "mailchimp: unsubscribed (Other; Summer hours)",
        ),
    ]


def test_the_opt_in_times_and_addresses_are_kept_as_consent_records(tmp_path: Path) -> None:
    config = bakery(tmp_path)

    run_import(config, MAILCHIMP, "--yes")

    form = "Mailchimp audience export (subscribed_members_export_7f3a9c21e4.csv)"
    assert rows(tmp_path / "subscribers" / "consents.csv") == [
        {
            "email": "ann.lee@example.com",
            "requested_at": "2023-04-02T17:20:11+00:00",
            "confirmed_at": "2023-04-02T17:25:40+00:00",
            "form": form,
            "request_ip": "198.51.100.7",
            "confirm_ip": "198.51.100.7",
            "desk_event": "",
        },
        {
            "email": "marco.rossi@example.com",
            "requested_at": "",
            "confirmed_at": "2022-09-15T08:00:00+00:00",
            "form": form,
            "request_ip": "",
            "confirm_ip": "",
            "desk_event": "",
        },
        {
            "email": "sam@example.com",
            "requested_at": "",
            "confirmed_at": "2024-08-20T02:30:00+00:00",
            "form": form,
            "request_ip": "",
            "confirm_ip": "192.0.2.44",
            "desk_event": "",
        },
    ]


def test_the_files_it_writes_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    config = bakery(tmp_path)

    run_import(config, MAILCHIMP, "--yes")

    for name in ("subscribers.csv", "suppressions.csv", "consents.csv"):
        assert stat.S_IMODE((tmp_path / "subscribers" / name).stat().st_mode) == 0o600, name


def test_rows_without_consent_are_refused_when_the_business_says_so(tmp_path: Path) -> None:
    done = run_import(bakery(tmp_path), SUBSCRIBED, "--without-consent", "refuse")

    assert (
        f"! {SUBSCRIBED}:4: refused: priya@example.net: no evidence of consent to email "
        "(--without-consent refuse)"
    ) in done.stdout.splitlines()
    assert "added 2, updated 1, unchanged 0, suppressed 1, refused 2" in done.stdout


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    config = bakery(tmp_path)
    run_import(config, MAILCHIMP, "--yes")
    written = {p.name: p.read_bytes() for p in (tmp_path / "subscribers").glob("*.csv")}

    again = run_import(config, MAILCHIMP, "--yes")

    assert "added 0, updated 0, unchanged 8, suppressed 1, refused 1" in again.stdout
    assert {p.name: p.read_bytes() for p in (tmp_path / "subscribers").glob("*.csv")} == written


def test_the_files_one_at_a_time_give_the_list_the_whole_export_gives(tmp_path: Path) -> None:
    """An import cut short after its suppressions (the first file it writes) is finished
    by running it again: what it wrote already is not written twice."""
    at_once, one_by_one = bakery(tmp_path / "a"), bakery(tmp_path / "b")
    run_import(at_once, MAILCHIMP, "--yes")

    for export in (CLEANED, UNSUBSCRIBED, SUBSCRIBED):
        run_import(one_by_one, export, "--yes")

    for name in ("subscribers.csv", "suppressions.csv", "consents.csv"):
        assert rows(tmp_path / "b" / "subscribers" / name) == rows(
            tmp_path / "a" / "subscribers" / name
        ), name


def test_the_zip_that_mailchimp_sends_is_read_as_it_is(tmp_path: Path) -> None:
    archive = tmp_path / "members_export_7f3a9c21e4.zip"
    with zipfile.ZipFile(archive, "w") as export:
        for member in MAILCHIMP.iterdir():
            export.write(member, member.name)
        export.writestr("__MACOSX/._subscribed_members_export_7f3a9c21e4.csv", b"\x00\x05")

    done = run_import(bakery(tmp_path / "project"), archive)

    assert COUNTS in done.stdout
    assert f"- {archive}:unsubscribed_members_export_7f3a9c21e4.csv:3: tom@example.net: " in (
        done.stdout
    )


def test_an_export_trimmed_to_a_few_columns_is_known_by_its_file_names(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "subscribed_members_export_1.csv").write_text(
        '"Email Address","First Name",CONFIRM_TIME\nann@example.com,Ann,"2024-01-02 10:00:00"\n'
    )
    (export / "unsubscribed_members_export_1.csv").write_text(
        '"Email Address","First Name"\nbob@example.com,Bob\n'
    )

    done = run_import(bakery(tmp_path / "project"), export)

    assert done.stdout.splitlines()[:2] == [
        f"reading {export / 'unsubscribed_members_export_1.csv'}: Mailchimp audience export "
        "(unsubscribed)",
        f"reading {export / 'subscribed_members_export_1.csv'}: Mailchimp audience export "
        "(subscribed)",
    ]
    assert "added 1, updated 0, unchanged 0, suppressed 1, refused 0" in done.stdout


def test_one_map_serves_a_merge_field_of_the_export_and_another_csv(tmp_path: Path) -> None:
    members = tmp_path / "subscribed_members_export_2.csv"
    members.write_text(
        '"Email Address",Business,MEMBER_RATING,CONFIRM_TIME,LEID\n'
        'ann@example.com,Ann\'s Cakes,2,"2024-01-02 10:00:00",1\n'
    )
    other = tmp_path / "other.csv"
    other.write_text("Courriel,Consent source\nbob@example.com,counter\n")

    done = run_import(
        bakery(tmp_path / "project"),
        members,
        other,
        "--map",
        "Business=company,Courriel=email",
        "--yes",
    )

    assert done.returncode == 0, done.stderr
    listed = by_email(tmp_path / "project" / "subscribers" / "subscribers.csv")
    assert listed["ann@example.com"]["company"] == "Ann's Cakes"
    assert listed["bob@example.com"]["consent_source"] == "counter"


@pytest.mark.parametrize(
    ("packed", "postal"),
    [
        (
            "12 Oak St  Apt 3  Portland  OR  97201  US",
            Postal("12 Oak St, Apt 3", "Portland", "OR", "97201", "US"),
        ),
        (
            "5 Birch Ave  Beaverton  OR  97005",
            Postal("5 Birch Ave", "Beaverton", "OR", "97005", ""),
        ),
        (
            "1 Main St  Leeds  West Yorkshire  LS1 4AP  United Kingdom",
            Postal("1 Main St", "Leeds", "West Yorkshire", "LS1 4AP", "United Kingdom"),
        ),
        ("9 Pine Rd  Austin  TX  78701  USA", Postal("9 Pine Rd", "Austin", "TX", "78701", "US")),
        ("Portland  OR", Postal("Portland, OR")),
        ("", Postal()),
    ],
)
def test_the_address_field_unpacks_at_its_double_spaces(packed: str, postal: Postal) -> None:
    assert unpacked_address(packed) == postal


def test_tags_are_read_quoted_or_plain() -> None:
    assert split_tags('"Customer","Wedding cakes"') == ["Customer", "Wedding cakes"]
    assert split_tags("Customer, VIP") == ["Customer", "VIP"]
    assert split_tags("") == []
