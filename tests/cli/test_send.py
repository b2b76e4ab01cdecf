"""`newsletter send` and `newsletter suppressions sync` against the fake SendGrid server."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main
from tests.fake_sendgrid import API_KEY, FakeSendGrid

SECRET = "a-test-secret-of-enough-length"
MONTH = "2026-11"


def invoke(project: Path, *args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(
        main,
        [*args, "--config", str(project / "newsletter.yaml")],
        env={"NEWSLETTER_SECRET": SECRET, **(env or {})},
    )
    return result.exit_code, result.stdout, result.stderr


def build(project: Path) -> None:
    code, _, err = invoke(
        project, "build", "--month", MONTH, "--out", str(project / "build"), "--offline"
    )
    assert code == 0, err


def sendgrid_env(server: FakeSendGrid) -> dict[str, str]:
    return {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": server.base_url}


def send_args(project: Path, *extra: str) -> tuple[str, ...]:
    return ("send", "--month", MONTH, "--out", str(project / "build"), "--silent", *extra)


def test_send_is_a_dry_run_by_default(sample_project: Path, fake_sendgrid: FakeSendGrid) -> None:
    build(sample_project)
    code, out, _ = invoke(
        sample_project, *send_args(sample_project), env=sendgrid_env(fake_sendgrid)
    )
    assert code == 0
    assert "2026-11: would send 17 (7 client, 4 partner, 6 prospect)" in out
    assert "1 suppressed, 3 post only" in out
    assert "dry run: nothing sent" in out
    assert fake_sendgrid.emails() == []
    sample = sample_project / "state" / "preview" / "2026-11-client.eml"
    assert b"List-Unsubscribe" in sample.read_bytes()


def test_send_yes_delivers_through_sendgrid(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    build(sample_project)
    code, out, err = invoke(
        sample_project, *send_args(sample_project, "--yes"), env=sendgrid_env(fake_sendgrid)
    )
    assert code == 0, err
    assert "sent 17" in out
    assert len(fake_sendgrid.emails()) == len(set(fake_sendgrid.emails())) == 17


def test_test_copies_are_marked_and_leave_the_ledger_alone(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    build(sample_project)
    env = sendgrid_env(fake_sendgrid)
    code, out, _ = invoke(
        sample_project,
        *send_args(sample_project, "--test", "me@example.com,you@example.com"),
        env=env,
    )
    assert code == 0
    assert "sent 2 test copies" in out
    assert fake_sendgrid.requests[0]["subject"].startswith("[TEST] ")
    _, out, _ = invoke(sample_project, *send_args(sample_project), env=env)
    assert "would send 17" in out


def test_missing_api_key_is_named_and_nothing_sent(sample_project: Path) -> None:
    build(sample_project)
    code, _, err = invoke(sample_project, *send_args(sample_project, "--yes"))
    assert code == 2
    assert "SENDGRID_API_KEY" in err


def test_invalid_api_key_stops_without_printing_it(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    build(sample_project)
    env = {**sendgrid_env(fake_sendgrid), "SENDGRID_API_KEY": "SG.wrong-key-value"}
    code, out, err = invoke(sample_project, *send_args(sample_project, "--yes"), env=env)
    assert code == 2
    assert "API key invalid or lacks mail.send permission" in err
    assert "SG.wrong-key-value" not in out + err


def test_a_live_send_without_a_secret_is_an_error_even_for_the_sample(
    sample_project: Path,
) -> None:
    build(sample_project)
    code, _, err = invoke(
        sample_project, *send_args(sample_project, "--yes"), env={"NEWSLETTER_SECRET": ""}
    )
    assert code == 2
    assert err.startswith("newsletter: NEWSLETTER_SECRET: set NEWSLETTER_SECRET")


def test_suppressions_sync_merges_sendgrid_lists(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    fake_sendgrid.suppressions["bounces"].append(
        {
            "email": "tom.becker@example.net",
            "created": 1763000000,
            "reason": "550",
            "status": "5.1.1",
        }
    )
    fake_sendgrid.suppressions["unsubscribes"].append(
        {"email": "Greg.Palmer@example.org", "created": 1763000000}
    )
    code, out, err = invoke(sample_project, "suppressions", "sync", env=sendgrid_env(fake_sendgrid))
    assert (code, out.strip()) == (0, "suppressions: 1 new"), err
    rows = list(csv.DictReader((sample_project / "subscribers" / "suppressions.csv").open()))
    assert [(r["email"], r["reason"]) for r in rows] == [
        ("greg.palmer@example.org", "unsubscribe"),
        ("tom.becker@example.net", "bounce"),
    ]


def test_a_send_that_leaves_recipients_uncertain_says_so_and_exits_1(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    build(sample_project)
    fake_sendgrid.drop_next = 1  # the first request's answer is lost
    code, out, err = invoke(
        sample_project, *send_args(sample_project, "--yes"), env=sendgrid_env(fake_sendgrid)
    )
    assert code == 1, err
    assert "uncertain: " in out and "--resend-uncertain" in out
    assert 0 < len(fake_sendgrid.emails()) < 17  # the rest went out


def test_recipients_sendgrid_refuses_are_listed_with_its_reason_and_the_send_succeeds(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    build(sample_project)
    fake_sendgrid.refuse = {"maria.gonzalez@example.com"}
    code, out, err = invoke(
        sample_project, *send_args(sample_project, "--yes"), env=sendgrid_env(fake_sendgrid)
    )
    assert code == 0, err
    assert "2026-11: sent 16 " in out
    assert "not sent: 1 rejected for good, 0 to retry" in out
    assert (
        "  rejected: maria.gonzalez@example.com: SendGrid: Does not contain a valid address. "
        "(personalizations.0.to.0.email)" in out
    )
    _, again, _ = invoke(
        sample_project, *send_args(sample_project, "--yes"), env=sendgrid_env(fake_sendgrid)
    )
    assert "skipped: 16 already sent, 1 rejected or uncertain before," in again
    assert len(fake_sendgrid.emails()) == 16
