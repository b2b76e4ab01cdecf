"""Addresses in USPS form through the console script: `newsletter check` shows the diff and
changes nothing, `newsletter mail standardize --yes` writes it, print uses it either way."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from newsletter.locks import locked
from tests.print.postal_project import MONTH, newsletter, postal_project, rows


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return postal_project(tmp_path / "project")


def listed(config: Path) -> Path:
    return config.parent / "subscribers" / "subscribers.csv"


def test_check_shows_each_change_as_a_diff_and_changes_nothing(config: Path) -> None:
    before = listed(config).read_bytes()
    result = newsletter(config, "check", "--month", MONTH)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index(f"{listed(config)}:3: bao@example.com")
    assert lines[at + 1 : at + 3] == [
        "-  123 North Main Street #4, Madison, Wisconsin 53703",
        "+  123 N MAIN ST # 4, MADISON, WI 53703",
    ]
    assert (
        "addresses: 7 to write in USPS form (`newsletter mail standardize --yes` writes them)"
        in (lines)
    )
    assert listed(config).read_bytes() == before


def test_zip_plus_4_is_kept_and_an_address_abroad_is_left_as_written(config: Path) -> None:
    result = newsletter(config, "mail", "standardize")
    assert "+  123 N MAIN ST UNIT 4, MADISON, WI 53703-1107" in result.stdout.splitlines()
    assert "Storgatan" not in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "dry run: 7 addresses to write in USPS form (0 already in that form, 0 that cannot be "
        "read whole and 1 outside the US left as written); add --yes to write them"
    )


def test_standardize_yes_rewrites_only_the_changed_rows_owner_only(config: Path) -> None:
    before = listed(config).read_text(encoding="utf-8").splitlines()

    result = newsletter(config, "mail", "standardize", "--yes")
    again = newsletter(config, "mail", "standardize")

    assert result.returncode == 0, result.stderr
    after = listed(config).read_text(encoding="utf-8").splitlines()
    assert after[0] == before[0] and after[-1] == before[-1]  # the header, the Swedish reader
    assert after[1] == (
        "anh@example.com,Anh,Nguyen,,client,both,123 N MAIN ST APT 4,MADISON,WI,53703,US"
    )
    assert listed(config).stat().st_mode & 0o777 == 0o600
    assert again.stdout.splitlines()[-1].startswith("dry run: 0 addresses to write")
    assert "7 already in that form" in again.stdout


def test_print_uses_the_usps_form_before_the_list_is_rewritten(config: Path) -> None:
    out = ("--out", config.parent / "build")
    assert newsletter(config, "build", "--month", MONTH, "--offline", *out).returncode == 0
    result = newsletter(config, "print", "--month", MONTH, *out, "--silent")
    assert result.returncode == 0, result.stderr
    mailing = {
        r["name"]: r for r in rows(config.parent / "build" / MONTH / "print" / "mailing-list.csv")
    }
    assert (mailing["Bao Nguyen"]["address_1"], mailing["Bao Nguyen"]["region"]) == (
        "123 N MAIN ST # 4",
        "WI",
    )
    assert mailing["Zoë Lindqvist"]["address_1"] == "Storgatan 4"


def test_standardize_waits_for_another_writer_of_the_list(config: Path) -> None:
    released = threading.Event()
    with locked(listed(config), purpose="desk pull"):
        writer = threading.Thread(
            target=lambda: (newsletter(config, "mail", "standardize", "--yes"), released.set())
        )
        writer.start()
        assert not released.wait(1.0)  # still waiting for the lock
    writer.join(timeout=120)
    assert released.is_set()
    assert "123 N MAIN ST APT 4" in listed(config).read_text(encoding="utf-8")
