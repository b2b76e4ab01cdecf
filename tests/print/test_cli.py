"""`newsletter print` on the sample newsletter: files, package, split, bad input, the shop."""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from newsletter.cli import main
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.golden import copy_sample
from tests.print.support import page_texts

SECRET = "a-test-secret-of-enough-length"
MONTH = "2026-11"
SHOP = "orders@printshop.example.com"
INCOMPLETE = "nora.vance@example.com,Nora,Vance,,client,mail,,Madison,WI,,US,,,\n"


def invoke(project: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main,
        [*args, "--config", str(project / "newsletter.yaml")],
        env={"NEWSLETTER_SECRET": SECRET, **(env or {})},
    )


def print_args(project: Path, *extra: str) -> tuple[str, ...]:
    return ("print", "--month", MONTH, "--out", str(project / "build"), *extra)


def make_project(folder: Path, *, incomplete: bool = False) -> Path:
    """The sample newsletter without its feeds (a quick two-page issue), with a print shop."""
    copy_sample(folder)
    config = yaml.safe_load((folder / "newsletter.yaml").read_text(encoding="utf-8"))
    config["feeds"] = []
    config["print"] = {"print_shop": SHOP}
    (folder / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    if incomplete:
        with (folder / "subscribers" / "subscribers.csv").open("a", encoding="utf-8") as f:
            f.write(INCOMPLETE)
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = make_project(tmp_path_factory.mktemp("print-cli"), incomplete=True)
    result = invoke(folder, "build", "--month", MONTH, "--out", str(folder / "build"), "--offline")
    assert result.exit_code == 0, result.stderr
    yield folder


@pytest.fixture(scope="module")
def printed(project: Path) -> Iterator[Result]:
    # Also --send-to-printer without --yes: a dry run, so it can share this (slow) run.
    with FakeSendGrid() as server:
        env = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": server.base_url}
        args = ("--split", "--skip-incomplete-addresses", "--send-to-printer")
        result = invoke(project, *print_args(project, *args), env=env)
        assert server.requests == []  # the dry run sent nothing
    yield result


def test_print_writes_the_print_folder(project: Path, printed: Result) -> None:
    assert printed.exit_code == 0, printed.stderr
    folder = project / "build" / MONTH / "print"
    shown = (p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    assert sorted(shown) == [
        "addressed.pdf",
        "issue.pdf",
        "job-ticket.txt",
        "labels.pdf",
        "mailing-list.csv",
        f"print-package-{MONTH}.zip",
    ]


def test_the_print_folder_with_every_postal_address_is_private(
    project: Path, printed: Result
) -> None:
    folder = project / "build" / MONTH / "print"
    for path in (folder, folder / "addressed"):
        assert path.stat().st_mode & 0o777 == 0o700
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert written and {p.stat().st_mode & 0o777 for p in written} == {0o600}


def test_print_reports_pages_copies_and_skips(printed: Result) -> None:
    assert "2026-11: 2 pages, 9 addressed copies" in printed.stdout
    assert "1 without an address" in printed.stdout


def test_skipped_subscriber_is_a_warning_naming_the_csv_line(printed: Result) -> None:
    assert "subscribers.csv:23: nora.vance@example.com: no postal address" in printed.stderr


def test_package_zip_holds_the_print_files(project: Path, printed: Result) -> None:
    archive = zipfile.ZipFile(project / "build" / MONTH / "print" / f"print-package-{MONTH}.zip")
    assert sorted(archive.namelist()) == [
        "SHA256SUMS",
        "addressed.pdf",
        "issue.pdf",
        "job-ticket.txt",
        "labels.pdf",
        "mailing-list.csv",
    ]


def test_split_writes_one_pdf_per_recipient_in_postal_order(project: Path, printed: Result) -> None:
    names = sorted(p.name for p in (project / "build" / MONTH / "print" / "addressed").iterdir())
    assert len(names) == 9
    assert names[0].startswith("0001-53703-")


def test_addressed_copy_carries_the_referrers_progress_line(project: Path, printed: Result) -> None:
    copies = sorted((project / "build" / MONTH / "print" / "addressed").iterdir())
    maria = next(c for c in copies if "maria" in c.name.lower() or "gonz" in c.name.lower())
    text = " ".join(t.text for t in page_texts(maria.read_bytes()))
    # María referred 3 people under the running offer (subscribers/referrals.csv).
    assert "3 friends" in text


def test_send_to_printer_is_a_dry_run_without_yes(printed: Result) -> None:
    assert f"dry run: would email print-package-{MONTH}.zip" in printed.stdout
    assert f"to {SHOP}; add --yes to send" in printed.stdout


def test_send_to_printer_yes_emails_the_package_through_sendgrid(
    project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    env = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": fake_sendgrid.base_url}
    args = print_args(project, "--send-to-printer", "--yes", "--skip-incomplete-addresses")
    result = invoke(project, *args, env=env)
    assert result.exit_code == 0, result.stderr
    assert f"emailed print-package-{MONTH}.zip to {SHOP}" in result.stdout
    assert fake_sendgrid.emails() == [SHOP]
    (attachment,) = fake_sendgrid.requests[0]["attachments"]
    sent = base64.b64decode(attachment["content"])
    assert sent == (project / "build" / MONTH / "print" / f"print-package-{MONTH}.zip").read_bytes()


def test_incomplete_address_stops_with_the_csv_line_and_exit_2(tmp_path: Path) -> None:
    folder = make_project(tmp_path, incomplete=True)
    result = invoke(folder, *print_args(folder))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"newsletter: {folder / 'subscribers' / 'subscribers.csv'}:23:")
    assert "--skip-incomplete-addresses" in result.stderr


def test_print_needs_a_build_first(tmp_path: Path) -> None:
    folder = make_project(tmp_path)
    result = invoke(folder, *print_args(folder))
    assert result.exit_code == 2
    assert "run `newsletter build --month 2026-11` first" in result.stderr


def test_print_needs_the_secret_for_referral_codes(tmp_path: Path) -> None:
    folder = make_project(tmp_path)
    result = invoke(folder, *print_args(folder), env={"NEWSLETTER_SECRET": ""})
    assert result.exit_code == 2
    assert "NEWSLETTER_SECRET" in result.stderr
