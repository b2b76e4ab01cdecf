"""With a ``desk:`` section, what goes out leads to the desk: read back from a real dry-run
message (its header and both parts), the built web page, and the QR codes of the printed
issue and of a real addressed copy (decoded by zbar)."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from newsletter.audience.tokens import unsubscribe_tokens
from tests.desk.support import SECRET, newsletter_ok, without_desk
from tests.golden import copy_sample
from tests.print.support import scanned_qr_codes

DESK = "https://desk.hartwellhvac.example.com/"
MONTH = "2026-11"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = copy_sample(tmp_path_factory.mktemp("desk-links") / "project")
    config = folder / "newsletter.yaml"
    config.write_text(without_desk(config.read_text()) + f"\ndesk:\n  public_url: {DESK}\n")
    newsletter_ok(folder, "build", "--month", MONTH, "--offline")
    newsletter_ok(folder, "send", "--month", MONTH)  # a dry run, with its sample message
    newsletter_ok(folder, "print", "--month", MONTH, "--silent")
    yield folder


@pytest.fixture(scope="module")
def sample(project: Path) -> EmailMessage:
    raw = (project / "state" / "preview" / f"{MONTH}-client.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def part(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=(kind,))
    assert body is not None
    return str(body.get_content())


def unsubscribe_link(message: EmailMessage) -> str:
    token = unsubscribe_tokens(SECRET.encode()).token(message["To"].addresses[0].addr_spec)
    return f"{DESK}unsubscribe?t={token}"


def test_list_unsubscribe_is_the_desks_one_click_endpoint(sample: EmailMessage) -> None:
    assert f"<{unsubscribe_link(sample)}>" in sample["List-Unsubscribe"]
    assert sample["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_link_in_both_parts_is_the_desks(sample: EmailMessage) -> None:
    link = unsubscribe_link(sample)
    assert link in part(sample, "plain")
    assert link.replace("&", "&amp;") in part(sample, "html") or link in part(sample, "html")


def test_referral_link_in_the_message_opens_the_desks_referral_page(
    sample: EmailMessage,
) -> None:
    links = set(re.findall(re.escape(DESK) + r"r/[A-Z0-9]+\?[^\s\"<>]+", part(sample, "plain")))
    assert links, "no personal referral link on the desk"
    assert all("utm_medium=email" in link and "ref=" not in link for link in links)


def test_web_page_points_readers_at_the_desks_bare_referral_form(project: Path) -> None:
    page = (project / "build" / MONTH / "web" / "index.html").read_text(encoding="utf-8")
    assert f'href="{DESK}r"' in page
    assert "hartwellhvac.example.com/refer" not in page


def test_addressed_copys_qr_code_opens_the_desks_referral_page(project: Path) -> None:
    addressed = project / "build" / MONTH / "print" / "addressed.pdf"
    [target] = scanned_qr_codes(addressed.read_bytes(), 0)
    assert re.fullmatch(re.escape(DESK) + r"r/[A-Z0-9]+\?.*utm_medium=print.*", target)


def test_printed_issues_qr_code_opens_the_desks_bare_referral_form(project: Path) -> None:
    issue = project / "build" / MONTH / "print" / "issue.pdf"
    assert scanned_qr_codes(issue.read_bytes(), 0) == [f"{DESK}r"]
