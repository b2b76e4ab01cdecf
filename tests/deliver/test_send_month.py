"""send_month(): the whole send as the command runs it, called as a library function."""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.cli.send import report_lines, split_addresses
from newsletter.config import load_config
from newsletter.deliver.job import skip_desk_check
from newsletter.deliver.run import send_month, send_test_copies
from newsletter.pipeline.build import build
from tests.fake_sendgrid import API_KEY, FakeSendGrid

SECRET = b"a-test-secret-of-enough-length"
MONTH = "2026-11"


def built(project: Path):
    settings = load_config(project / "newsletter.yaml")
    build(settings, MONTH, out_root=project / "build", offline=True)
    return settings


def test_a_dry_run_writes_a_private_sample_and_sends_nothing(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = built(sample_project)
    outcome = send_month(
        settings,
        MONTH,
        out_root=sample_project / "build",
        secret=SECRET,
        live=False,
        desk_check=skip_desk_check,
    )
    assert outcome.sample == sample_project / "state" / "preview" / "2026-11-client.eml"
    assert os.stat(outcome.sample).st_mode & 0o777 == 0o600
    assert report_lines(outcome)[0] == "2026-11: would send 17 (7 client, 4 partner, 6 prospect)"
    assert report_lines(outcome)[-1] == "dry run: nothing sent; add --yes to send"
    assert fake_sendgrid.emails() == []


def test_a_live_send_records_everyone_in_the_state_ledger(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = built(sample_project)
    environ = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": fake_sendgrid.base_url}
    planned: list[int] = []
    outcome = send_month(
        settings,
        MONTH,
        out_root=sample_project / "build",
        secret=SECRET,
        live=True,
        desk_check=skip_desk_check,
        on_plan=planned.append,
        environ=environ,
    )
    assert (outcome.report.sent, planned, outcome.left_to_retry) == (17, [17], False)
    assert settings.send_ledger == sample_project / "state" / "ledger.sqlite"
    assert settings.send_ledger.exists()


def test_test_copies_go_to_the_given_addresses_only(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    settings = built(sample_project)
    environ = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": fake_sendgrid.base_url}
    addresses = split_addresses(" a@example.com, ,b@example.com")
    receipt = send_test_copies(
        settings,
        MONTH,
        out_root=sample_project / "build",
        secret=SECRET,
        addresses=addresses,
        environ=environ,
    )
    assert addresses == ["a@example.com", "b@example.com"]
    assert sorted(receipt.sent) == addresses
    assert not settings.send_ledger.exists()
