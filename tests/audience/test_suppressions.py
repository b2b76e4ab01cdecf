"""suppressions.csv: nobody suppressed is sent to; merges append atomically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from newsletter.audience.addresses import normalized_address
from newsletter.audience.suppressions import (
    Suppression,
    load_suppressions,
    merge_suppressions,
    suppressed_emails,
)
from newsletter.errors import ContentError
from newsletter.locks import lock_path
from newsletter.model import normalize_email

REPO = Path(__file__).resolve().parents[2]
HEADER = "email,reason,date,source\n"


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "suppressions.csv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_sample_suppressions_load() -> None:
    assert load_suppressions(REPO / "subscribers" / "suppressions.csv")


def test_missing_file_means_nobody_is_suppressed(tmp_path: Path) -> None:
    assert load_suppressions(tmp_path / "suppressions.csv") == ()


def test_rows_load_with_email_channel_by_default(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,bounce,2025-04-02,sendgrid")
    assert load_suppressions(path) == (
        Suppression("a@example.com", "bounce", date(2025, 4, 2), "sendgrid", "email", line=2),
    )


def test_matching_is_case_insensitive(tmp_path: Path) -> None:
    path = write_csv(tmp_path, " Ann.Lee@Example.COM ,unsubscribe,2025-04-02,")
    assert suppressed_emails(load_suppressions(path)) == {"ann.lee@example.com"}


@pytest.mark.parametrize(
    ("written", "subscriber"),
    [
        ("idn@xn--exmple-cua.com", "idn@exämple.com"),
        ("IDN@EXÄMPLE.COM", "idn@xn--exmple-cua.com"),
        ("idn@exa\u0308mple.com", "Idn@Exämple.com"),
    ],
)
def test_a_suppression_covers_every_spelling_of_its_mailbox(
    tmp_path: Path, written: str, subscriber: str
) -> None:
    path = write_csv(tmp_path, f"{written},unsubscribe,2025-04-02,")
    assert normalize_email(normalized_address(subscriber)) in suppressed_emails(
        load_suppressions(path)
    )


def test_merging_the_other_spelling_of_a_suppressed_address_adds_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "idn@xn--exmple-cua.com,bounce,2025-04-02,")
    assert (
        merge_suppressions(path, [Suppression("idn@exämple.com", "bounce", date(2025, 5, 1))]) == 0
    )


def test_a_file_that_starts_with_a_byte_order_mark_takes_a_merge(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,bounce,2025-04-02,", header="\ufeff" + HEADER)
    new = [Suppression("b@example.com", "manual", date(2025, 5, 1), "phone", "mail")]
    assert merge_suppressions(path, new) == 1
    assert suppressed_emails(load_suppressions(path), "mail") == {"b@example.com"}
    assert suppressed_emails(load_suppressions(path)) == {"a@example.com"}


def test_channel_selects_who_is_suppressed(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "e@example.com,manual,2025-04-02,,email",
        "m@example.com,manual,2025-04-02,,mail",
        "x@example.com,complaint,2025-04-02,,all",
        header="email,reason,date,source,channel\n",
    )
    entries = load_suppressions(path)
    assert suppressed_emails(entries) == {"e@example.com", "x@example.com"}
    assert suppressed_emails(entries, "mail") == {"m@example.com", "x@example.com"}


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ("not-an-email,bounce,2025-04-02,", "email"),
        ("a@example.com,bored,2025-04-02,", "reason"),
        ("a@example.com,bounce,02/04/2025,", "date"),
    ],
)
def test_malformed_row_names_file_line_and_column(tmp_path: Path, row: str, key: str) -> None:
    path = write_csv(tmp_path, "ok@example.com,bounce,2025-04-02,", row)
    with pytest.raises(ContentError) as caught:
        load_suppressions(path)
    assert caught.value.line == 3
    assert caught.value.key == key
    assert caught.value.one_line().startswith(f"{path}:3: {key}: ")


def test_unknown_column_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,bounce,2025-04-02,,x", header=HEADER[:-1] + ",why\n")
    with pytest.raises(ContentError, match="unknown column"):
        load_suppressions(path)


def test_merge_appends_only_new_addresses_keeping_existing_rows(tmp_path: Path) -> None:
    original = HEADER + 'b@example.com,manual,2025-01-01,"note, with comma"\n'
    path = tmp_path / "suppressions.csv"
    path.write_text(original, encoding="utf-8")
    added = merge_suppressions(
        path,
        [
            Suppression("B@EXAMPLE.com", "bounce", date(2025, 5, 1), "sendgrid"),  # known
            Suppression("a@example.com", "bounce", date(2025, 5, 1), "sendgrid"),
            Suppression("A@example.com", "complaint", date(2025, 5, 2), "sendgrid"),  # dup
        ],
    )
    assert added == 1
    assert path.read_text(encoding="utf-8") == (
        original + "a@example.com,bounce,2025-05-01,sendgrid\n"
    )
    assert sorted(tmp_path.iterdir()) == [lock_path(path), path]  # no temporary file left


def test_merge_into_missing_file_creates_it_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "subscribers" / "suppressions.csv"
    assert merge_suppressions(path, [Suppression("a@example.com", "manual", date(2025, 5, 1))])
    assert path.read_text(encoding="utf-8") == HEADER + "a@example.com,manual,2025-05-01,\n"


def test_merge_of_nothing_new_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,bounce,2025-04-02,")
    before = path.stat().st_mtime_ns
    assert merge_suppressions(path, [Suppression("a@example.com", "bounce", date(2025, 5, 1))]) == 0
    assert path.stat().st_mtime_ns == before


def test_postal_opt_out_adds_the_channel_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,bounce,2025-04-02,sendgrid")
    added = merge_suppressions(
        path, [Suppression("a@example.com", "manual", date(2025, 5, 1), "phone", "mail")]
    )
    assert added == 1
    assert path.read_text(encoding="utf-8") == (
        "email,reason,date,source,channel\n"
        "a@example.com,bounce,2025-04-02,sendgrid,email\n"
        "a@example.com,manual,2025-05-01,phone,mail\n"
    )
    assert suppressed_emails(load_suppressions(path), "mail") == {"a@example.com"}


def test_an_all_channel_entry_covers_new_email_entries(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "a@example.com,manual,2025-04-02,,all",
        header="email,reason,date,source,channel\n",
    )
    assert merge_suppressions(path, [Suppression("a@example.com", "bounce", date(2025, 5, 1))]) == 0


def test_merge_refuses_an_entry_it_could_not_read_back(tmp_path: Path) -> None:
    path = write_csv(tmp_path)
    with pytest.raises(ContentError, match="reason"):
        merge_suppressions(path, [Suppression("a@example.com", "spam", date(2025, 5, 1))])
    assert path.read_text(encoding="utf-8") == HEADER
