"""``newsletter send`` and ``newsletter suppressions sync`` through the console script, on
a project of the tests' own, against the fake SendGrid server: odd input is one line and
exit 2, what the provider refuses is said, and the dry run's sample is what a reader gets."""

from __future__ import annotations

import csv
import os
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.project_factory import MONTH, NEWSLETTER, make_project, read_config, write_config

SECRET = "a-test-secret-of-enough-length"
# The smallest PNG there is: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def newsletter(
    root: Path, *args: str, server: FakeSendGrid | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET}
    if server is not None:
        env |= {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": server.base_url}
    return subprocess.run(
        [NEWSLETTER, *args, "--config", str(root / "newsletter.yaml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A built project with a logo and an offer with a reward to earn."""
    root = make_project(tmp_path / "project")
    offer = root / "content" / "offers" / "friends.yaml"
    milestones = "milestones:\n  - referrals: 2\n    reward: A loaf of our rye\n"
    offer.write_text(offer.read_text(encoding="utf-8") + milestones, encoding="utf-8")
    (root / "content" / "images").mkdir()
    (root / "content" / "images" / "logo.png").write_bytes(PIXEL)
    config = read_config(root)
    config["brand"] = {"logo": {"src": "images/logo.png", "alt": "Fixture Plumbing"}}
    write_config(root, config)
    done = newsletter(root, "build", "--month", MONTH, "--offline")
    assert done.returncode == 0, done.stderr
    return root


def send(root: Path, server: FakeSendGrid, *options: str) -> subprocess.CompletedProcess[str]:
    return newsletter(root, "send", "--month", MONTH, "--silent", *options, server=server)


def test_a_test_copy_to_a_value_that_is_not_an_address_is_one_line_and_sends_nothing(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    done = send(built, fake_sendgrid, "--test", "not-an-email")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("newsletter: --test: not an email address: 'not-an-email'")
    assert fake_sendgrid.requests == []


def test_a_header_slipped_in_after_a_test_address_is_refused_and_nothing_is_sent(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    done = send(built, fake_sendgrid, "--test", "a@example.com, Bcc: x@example.org")
    assert done.returncode == 2
    assert "'Bcc: x@example.org'" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert fake_sendgrid.requests == []


def test_a_test_address_the_provider_refuses_is_listed_with_its_reason_and_exits_1(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    fake_sendgrid.refuse.add("bounced@example.org")
    done = send(built, fake_sendgrid, "--test", "me@example.com,bounced@example.org")
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == "sent 1 test copies (the ledger is untouched)"
    assert "  refused: bounced@example.org: SendGrid: Does not contain a valid address." in (
        done.stdout
    )
    assert fake_sendgrid.emails() == ["me@example.com"]


def test_test_copies_to_more_than_a_thousand_addresses_are_one_line_and_exit_2(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    addresses = ",".join(f"tester{n}@example.com" for n in range(1001))
    done = send(built, fake_sendgrid, "--test", addresses)
    assert done.returncode == 2
    assert done.stderr == (
        "newsletter: --test: at most 1,000 test addresses (1,001 given): a larger list is a send\n"
    )
    assert fake_sendgrid.requests == []


def test_suppressions_sync_keeps_every_address_sendgrid_gives_and_names_the_odd_ones(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    odd = ["user@localhost", '"quoted"@example.com', "user@gmial..com"]
    bounces = [*odd, "ana@example.com"]
    fake_sendgrid.suppressions["bounces"] += [{"email": e, "created": 1763000000} for e in bounces]
    fake_sendgrid.suppressions["blocks"].append({"email": "", "created": 1763000000})

    done = newsletter(built, "suppressions", "sync", server=fake_sendgrid)

    assert (done.returncode, done.stdout) == (0, "suppressions: 4 new\n"), done.stderr
    warnings = done.stderr.splitlines()
    assert warnings == [
        *(
            f"warning: sendgrid:bounces: {e!r} is not an address we can read; kept as written"
            for e in odd
        ),
        "warning: sendgrid:blocks: '' is not an address we can read; left out: not an address",
    ]
    with (built / "subscribers" / "suppressions.csv").open(encoding="utf-8") as rows:
        assert [row["email"] for row in csv.DictReader(rows)] == bounces
    fake_sendgrid.suppressions["bounces"].append({"email": "USER@LOCALHOST", "created": 1})
    again = newsletter(built, "suppressions", "sync", server=fake_sendgrid)
    assert again.stdout == "suppressions: 0 new\n"  # the same mailbox, whatever its case
    dry_run = send(built, fake_sendgrid)  # the list reads back: ana is suppressed
    assert "would send 0" in dry_run.stdout and "1 suppressed" in dry_run.stdout


def sample(root: Path, server: FakeSendGrid):
    done = send(root, server)
    assert done.returncode == 0, done.stderr
    path = root / "state" / "preview" / f"{MONTH}-client.eml"
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_the_dry_runs_sample_carries_the_readers_referral_progress_as_a_send_does(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    message = sample(built, fake_sendgrid)
    line = "Send us 2 friends and you’ll earn a loaf of our rye."
    assert line in message.get_body(("plain",)).get_content()
    assert line in message.get_body(("html",)).get_content()
    assert message["To"] == "Ana Lee <ana@example.com>"
    live = send(built, fake_sendgrid, "--yes")
    assert live.returncode == 0, live.stderr
    (request,) = fake_sendgrid.requests
    (reader,) = request["personalizations"]
    assert line in reader["substitutions"].values()


def test_the_dry_runs_sample_shows_its_images_before_the_issue_is_published(
    built: Path, fake_sendgrid: FakeSendGrid
) -> None:
    message = sample(built, fake_sendgrid)
    html = message.get_body(("html",)).get_content()
    assert f"https://news.shop.example.com/{MONTH}/images/logo.png" not in html  # unpublished
    (logo,) = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert logo.get_content() == PIXEL
    assert f'src="cid:{logo["Content-ID"].strip("<>")}"' in html
