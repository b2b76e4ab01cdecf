"""`newsletter mail returned` through the console script: a returned address gets no copy,
no label, no mailing-list row and no card until it changes; the reader keeps their email."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.print.postal_project import (
    MONTH,
    QUARTER,
    READERS,
    newsletter,
    postal_project,
    rows,
    write_readers,
)
from tests.print.support import page_texts

RETURNS_HEADER = (
    "name,company,address_1,address_2,city,region,postal_code,country,referral_code,"
    "reason,returned_on\n"
)


def returned_csv(config: Path) -> Path:
    return config.parent / "subscribers" / "returned-mail.csv"


def mailing_list(config: Path) -> list[dict[str, str]]:
    return rows(config.parent / "build" / MONTH / "print" / "mailing-list.csv")


def mailing_names(config: Path) -> list[str]:
    return [r["name"] for r in mailing_list(config)]


def card_names(config: Path) -> list[str]:
    folder = config.parent / "build" / "cards" / QUARTER
    return [r["name"] for r in rows(folder / "mailing-list.csv")]


def print_month(config: Path) -> str:
    out = ("--out", config.parent / "build")
    build = newsletter(config, "build", "--month", MONTH, "--offline", *out)
    assert build.returncode == 0, build.stderr
    printed = newsletter(config, "print", "--month", MONTH, *out, "--silent")
    assert printed.returncode == 0, printed.stderr
    return printed.stdout


def returned(config: Path, *args: str, secret: bool = True) -> subprocess.CompletedProcess[str]:
    return newsletter(config, "mail", "returned", *args, secret=secret)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return postal_project(tmp_path / "project")


def test_without_yes_nothing_is_recorded(config: Path) -> None:
    result = returned(config, "--email", "ola@example.com", "--reason", "Vacant")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "+ ola@example.com: Vacant (9 Elm Street, Madison, WI 53714)",
        "dry run: 1 to record (0 recorded before, 0 with another address by now, 0 set aside); "
        "add --yes to record",
    ]
    assert not returned_csv(config).exists()


def test_a_returned_piece_is_recorded_with_the_address_it_went_to_owner_only(config: Path) -> None:
    args = ("mail", "returned", "--email", "ola@example.com", "--reason", "moved, left no address")
    result = newsletter(config, *args, "--on", "2026-11-20", "--yes")
    assert result.returncode == 0, result.stderr
    assert rows(returned_csv(config)) == [
        {
            "email": "ola@example.com",
            "returned_on": "2026-11-20",
            "reason": "moved",
            "street": "9 Elm Street",
            "city": "Madison",
            "region": "WI",
            "postal_code": "53714",
            "country": "US",
            "source": "by hand",
        }
    ]
    assert returned_csv(config).stat().st_mode & 0o777 == 0o600


def test_a_returned_reader_gets_no_copy_no_label_and_no_card_and_is_counted(config: Path) -> None:
    args = ("mail", "returned", "--email", "eve@example.com", "--reason", "No such number")
    assert newsletter(config, *args, "--yes").returncode == 0

    stdout = print_month(config)
    out = ("--out", config.parent / "build")
    cards = newsletter(config, "cards", "--quarter", QUARTER, *out, "--silent")

    assert "1 returned as undeliverable" in stdout
    assert "Eve Stone" not in mailing_names(config)
    labels = (config.parent / "build" / MONTH / "print" / "labels.pdf").read_bytes()
    label_text = " ".join(t.text for t in page_texts(labels))
    assert "Ola Berg" in label_text and "Eve Stone" not in label_text
    ticket = (config.parent / "build" / MONTH / "print" / "job-ticket.txt").read_text()
    assert "1 marked undeliverable after returned mail (not printed)" in ticket
    assert cards.returncode == 0, cards.stderr
    assert "1 returned as undeliverable" in cards.stdout
    assert "Eve Stone" not in card_names(config)


def test_the_reader_keeps_email_the_list_and_suppressions_are_untouched(config: Path) -> None:
    listed = (config.parent / "subscribers" / "subscribers.csv").read_bytes()
    args = ("mail", "returned", "--email", "eve@example.com", "--reason", "vacant", "--yes")
    assert newsletter(config, *args).returncode == 0
    assert (config.parent / "subscribers" / "subscribers.csv").read_bytes() == listed
    assert not (config.parent / "subscribers" / "suppressions.csv").exists()


def test_a_new_address_in_the_list_lets_the_post_go_again(config: Path) -> None:
    args = ("mail", "returned", "--email", "ola@example.com", "--reason", "vacant", "--yes")
    assert newsletter(config, *args).returncode == 0
    moved = dict(READERS)
    moved["ola"] = (*READERS["ola"][:6], "14 Birch Lane", "Madison", "WI", "53705", "US")
    write_readers(config.parent, moved)

    print_month(config)

    assert "Ola Berg" in mailing_names(config)
    check = newsletter(config, "check", "--month", MONTH)
    assert "post: 8 readers, 0 held back after returned mail (1 cleared by a new address)" in (
        check.stdout
    )


def test_writing_the_same_address_in_usps_form_keeps_the_reader_held_back(config: Path) -> None:
    args = ("mail", "returned", "--email", "ola@example.com", "--reason", "vacant", "--yes")
    assert newsletter(config, *args).returncode == 0
    assert newsletter(config, "mail", "standardize", "--yes").returncode == 0

    print_month(config)

    assert "Ola Berg" not in mailing_names(config)


def test_a_piece_named_by_the_code_on_its_label_needs_the_secret(config: Path) -> None:
    print_month(config)
    code = next(r["referral_code"] for r in mailing_list(config) if r["name"] == "Eve Stone")

    without = returned(config, "--ref", code, "--reason", "refused", secret=False)
    recorded = returned(config, "--ref", code, "--reason", "refused", "--yes")

    assert without.returncode == 2
    assert without.stderr.splitlines() == [
        "newsletter: a referral code is looked up with NEWSLETTER_SECRET, which is not set"
    ]
    assert recorded.returncode == 0, recorded.stderr
    assert [r["email"] for r in rows(returned_csv(config))] == ["eve@example.com"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "ola@example.com", "--reason", "lost in space"), "--reason: say why"),
        (("--email", "no@example.com", "--reason", "vacant"), "no@example.com is not on the list"),
        (("--email", "ola@example.com", "--reason", "vacant", "--on", "2099-01-01"),
         "--on: 2099-01-01 is after today"),
        (("--street", "1 Nowhere Rd", "--postal-code", "53703", "--reason", "vacant"),
         "nobody who gets post lives at that address"),
    ],
)  # fmt: skip
def test_a_piece_that_cannot_be_recorded_is_one_line_and_exit_2(
    config: Path, args: tuple[str, ...], message: str
) -> None:
    result = returned(config, *args, "--yes")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("newsletter: ") and message in line
    assert not returned_csv(config).exists()


def test_the_print_shops_returns_file_records_what_it_can_and_sets_the_rest_aside(
    config: Path, tmp_path: Path
) -> None:
    returns = tmp_path / "returns-2026-11.csv"
    returns.write_text(
        "\ufeff"
        + RETURNS_HEADER
        # a household's copy, named as the mailing list names it, in other spellings
        + '"The Nguyen family","","123 North Main Street #4","","Madison","WI","53703","US",'
        '"","Return to sender - Vacant","2026-11-21"\n'
        # one reader at a door that has two
        + '"Kim Park","","123 N Main St Apt 5","","Madison","WI","53703","US","","NSN",""\n'
        # a door nobody on the list lives at
        + '"Al Gore","","1 Nowhere Rd","","Madison","WI","53703","US","","vacant",""\n'
        # a reason the post does not give
        + '"Ola Berg","","9 Elm St","","Madison","WI","53714","US","","lost","2026-11-21"\n',
        encoding="utf-8",
    )

    first = returned(config, "--file", returns, "--yes")
    again = returned(config, "--file", returns, "--yes")

    assert first.returncode == 1, first.stderr
    recorded = {(r["email"], r["reason"], r["source"]) for r in rows(returned_csv(config))}
    assert recorded == {
        ("anh@example.com", "vacant", "returns-2026-11.csv:2"),
        ("bao@example.com", "vacant", "returns-2026-11.csv:2"),
        ("linh@example.com", "vacant", "returns-2026-11.csv:2"),
        ("kim@example.com", "no-such-number", "returns-2026-11.csv:3"),
    }
    assert (
        "! returns-2026-11.csv:4: Al Gore, 1 Nowhere Rd, Madison, WI 53703: "
        "nobody who gets post lives at that address"
    ) in first.stdout
    assert "! returns-2026-11.csv:5: Ola Berg, 9 Elm St: unknown reason 'lost'" in first.stdout
    assert "recorded 4 in" in first.stdout
    assert "recorded 0 in" in again.stdout and "4 recorded before" in again.stdout


def test_a_returns_file_without_a_reason_column_is_one_line_and_exit_2(
    config: Path, tmp_path: Path
) -> None:
    returns = tmp_path / "returns.csv"
    returns.write_text("name,address_1,postal_code\nOla Berg,9 Elm St,53714\n", encoding="utf-8")
    result = returned(config, "--file", returns)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"newsletter: {returns}:1: missing column(s): reason"]


def test_a_malformed_returned_mail_file_stops_print_naming_the_line(config: Path) -> None:
    returned_csv(config).write_text(
        "email,returned_on,reason,street,postal_code\n"
        "ola@example.com,2026-11-31,vacant,9 Elm St,53714\n",
        encoding="utf-8",
    )
    result = newsletter(config, "print", "--month", MONTH, "--out", config.parent / "build")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"newsletter: {returned_csv(config)}:2: returned_on: not a date (YYYY-MM-DD): '2026-11-31'"
    ]


def test_the_monthly_report_counts_readers_held_back_by_reason(config: Path) -> None:
    for email, reason in (("ola@example.com", "vacant"), ("eve@example.com", "NSN")):
        assert returned(config, "--email", email, "--reason", reason, "--yes").returncode == 0

    result = newsletter(
        config, "report", "--month", MONTH, "--out", config.parent / "build", "--silent"
    )

    assert result.returncode == 0, result.stderr
    assert "Held back, returned: Vacant" in result.stdout
    page = (config.parent / "build" / "reports" / MONTH / "index.html").read_text()
    assert "Held back, returned: Vacant" in page and "Held back, returned: No such number" in page


def test_a_killed_writers_temporary_file_is_removed_by_the_next_record(config: Path) -> None:
    left = config.parent / "subscribers" / ".returned-mail.csv.k1ll3d.tmp"
    left.write_text("ola@example.com,2026-11-20,vacant\n", encoding="utf-8")
    assert (
        returned(config, "--email", "ola@example.com", "--reason", "vacant", "--yes").returncode
        == 0
    )
    assert not left.exists()
