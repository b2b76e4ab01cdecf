"""The print shop's package: job ticket, zip with checksums, and emailing it to the shop."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.deliver.smtp import SmtpTransport
from newsletter.errors import ConfigError
from newsletter.print.mailing import MailingList
from newsletter.print.shop import (
    JobFacts,
    checksums,
    job_ticket,
    package,
    print_shop_message,
    send_to_printer,
)
from tests.fake_sendgrid import FakeSendGrid, validate_mail
from tests.print.support import recipients, settings_with
from tests.smtp_server import Recorder

FILES = {
    "issue.pdf": b"%PDF-1.7 issue",
    "addressed.pdf": b"%PDF-1.7 addressed",
    "labels.pdf": b"%PDF-1.7 labels",
    "mailing-list.csv": b"name,company\n",
    "job-ticket.txt": b"JOB TICKET\n",
}
SHOP = "orders@printshop.example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_with(
        tmp_path, print_shop=SHOP, fold="z", paper_description="80 lb matte text, white"
    )


@pytest.fixture
def ticket(settings: Settings) -> str:
    mailing = MailingList(tuple(recipients(5)), opted_out=2, returned=1, incomplete=0)
    return job_ticket(settings, JobFacts("The Hartwell Home Letter", "2026-11", 4, mailing, 1))


def test_job_ticket_states_quantity_trim_pages_bleed_fold_paper_and_colour(ticket: str) -> None:
    assert "Quantity:   5 addressed copies" in ticket
    assert "Trim size:  US Letter, 8.5 × 11 in" in ticket
    assert "Pages:      4 (2 sheets, printed on both sides)" in ticket
    assert "Bleed:      0.125 in on every side" in ticket
    assert "Fold:       Z-fold" in ticket
    assert "Paper:      80 lb matte text, white" in ticket
    assert "Colour:     full colour" in ticket


def test_job_ticket_counts_opt_outs_and_returned_mail_apart(ticket: str) -> None:
    assert "2 opted out of post" in ticket
    assert "1 marked undeliverable after returned mail" in ticket


def test_package_holds_the_five_files_and_their_checksums() -> None:
    archive = zipfile.ZipFile(io.BytesIO(package(FILES, date(2026, 11, 1))))
    assert sorted(archive.namelist()) == sorted([*FILES, "SHA256SUMS"])
    for line in archive.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest


def test_checksums_are_in_sha256sum_format() -> None:
    line = checksums({"a.txt": b"abc"}).strip()
    assert line == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.txt"


def test_package_is_the_same_bytes_for_the_same_files() -> None:
    assert package(FILES, date(2026, 11, 1)) == package(dict(FILES), date(2026, 11, 1))


def test_send_to_printer_through_sendgrid_attaches_the_package(
    settings: Settings, fake_sendgrid: FakeSendGrid
) -> None:
    data = package(FILES, date(2026, 11, 1))
    message = print_shop_message(
        settings, title="Issue", ticket="JOB", name="print-package-2026-11.zip", data=data
    )
    transport = SendGridTransport(fake_sendgrid.api_key, base_url=fake_sendgrid.base_url)
    send_to_printer(settings, transport, message)
    assert fake_sendgrid.emails() == [SHOP]
    (attachment,) = fake_sendgrid.requests[-1]["attachments"]
    assert attachment["filename"] == "print-package-2026-11.zip"
    assert attachment["type"] == "application/zip"
    assert base64.b64decode(attachment["content"]) == data


def test_send_to_printer_over_smtp_attaches_the_package(
    settings: Settings, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    data = package(FILES, date(2026, 11, 1))
    message = print_shop_message(
        settings, title="Issue", ticket="JOB TICKET", name="print-package-2026-11.zip", data=data
    )
    transport = SmtpTransport("127.0.0.1", port, tls="none", timeout=5)
    send_to_printer(settings, transport, message)
    transport.close()
    ((_, to, mail),) = recorder.messages
    assert to == [SHOP]
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "print-package-2026-11.zip"
    assert attachment.get_content_type() == "application/zip"
    assert attachment.get_content() == data
    assert "JOB TICKET" in mail.get_body(("plain",)).get_content()


def test_send_to_printer_without_a_print_shop_is_a_config_error(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)
    message = print_shop_message(settings, title="Issue", ticket="", name="p.zip", data=b"zip")
    with pytest.raises(ConfigError, match=r"print\.print_shop"):
        send_to_printer(settings, transport=None, message=message)  # type: ignore[arg-type]


def test_fake_sendgrid_rejects_an_attachment_that_is_not_base64() -> None:
    body = mail_with({"content": "not base64!", "filename": "a.zip", "type": "application/zip"})
    assert ("The attachment content must be base64 encoded.", "attachments.0.content") in (
        validate_mail(body)
    )


def test_fake_sendgrid_rejects_an_attachment_without_a_filename() -> None:
    body = mail_with({"content": base64.b64encode(b"zip").decode()})
    assert ("The attachment filename parameter is required.", "attachments.0.filename") in (
        validate_mail(body)
    )


def mail_with(attachment: dict[str, str]) -> dict[str, object]:
    return {
        "from": {"email": "news@example.com"},
        "subject": "s",
        "content": [{"type": "text/plain", "value": "t"}],
        "personalizations": [{"to": [{"email": SHOP}]}],
        "attachments": [attachment],
    }
