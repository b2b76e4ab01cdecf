"""The kill test: a send over SendGrid (the fake v3 server) reaches everyone exactly once,
even when the sending process is SIGKILLed mid-way or the connection drops mid-request.

The send that gets killed runs in a child process (tests/send_child.py). To kill it at a
known point, the server holds the answer to one request *after* recording it as accepted:
the child is then blocked waiting for SendGrid's answer with that batch in flight in its
ledger, which is the case nobody can resolve afterwards (the provider took the batch, the
ledger never heard). Nothing races: the test waits on the server's event, not on a clock.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import Settings, load_config
from newsletter.deliver.job import SendReport, run_send, skip_desk_check
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.send import issue_job
from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.pipeline.build import build
from newsletter.pipeline.manifest import content_variants
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.golden import FIXTURE_PROJECT, copy_sample

REPO = Path(__file__).resolve().parents[2]
SECRET = b"a-test-secret-of-enough-length"  # the same as tests/send_child.py
MONTH = "2026-11"
BATCH = 5
SEGMENT_SIZES = {"client": 20, "partner": 15, "prospect": 15}  # 4 + 3 + 3 batches of 5
HOLD_REQUEST = 6  # the 2nd partner batch: 25 sent before it, 20 still to go after it
DEADLINE = 20.0  # seconds; generous upper bounds, never waited out when all goes well


# -- the built sample project, built once per module and copied for each test -----------


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("built") / "project"
    copy_sample(project)
    build(load_config(project / "newsletter.yaml"), MONTH, out_root=project / "build", offline=True)
    return project


@pytest.fixture
def project(built_sample: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built sample (the build does not read the subscriber list)."""
    copy = tmp_path / "project"
    shutil.copytree(built_sample, copy)
    return copy


@pytest.fixture
def holding_sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid(hold_request=HOLD_REQUEST, hold_limit=DEADLINE) as server:
        yield server


# -- helpers ------------------------------------------------------------------------------


def settings_of(project: Path) -> Settings:
    return load_config(project / "newsletter.yaml")


def send(
    project: Path,
    server: FakeSendGrid,
    max_batch: int | None = None,
    concurrency: int = 1,
    **options: Any,
) -> SendReport:
    transport = SendGridTransport(
        API_KEY, base_url=server.base_url, timeout=5, max_retries=0, concurrency=concurrency
    )
    if max_batch is not None:
        transport.max_batch = max_batch  # run_send chunks by the instance's max_batch
    with transport, Ledger(project / "state" / "ledger.sqlite") as ledger:
        return run_send(
            issue_job(settings_of(project), MONTH, out_root=project / "build", secret=SECRET),
            transport=transport,
            ledger=ledger,
            desk_check=skip_desk_check,
            **options,
        )


def ledger_counts(project: Path) -> dict[str, int]:
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        return ledger.counts(MONTH)


def expected_sample_addresses() -> set[str]:
    """The sample's email-channel subscribers minus its suppressions, read from the CSVs."""
    folder = FIXTURE_PROJECT / "subscribers"
    with (folder / "suppressions.csv").open(encoding="utf-8", newline="") as f:
        suppressed = {row["email"].strip().lower() for row in csv.DictReader(f)}
    with (folder / "subscribers.csv").open(encoding="utf-8", newline="") as f:
        return {
            row["email"].strip().lower()
            for row in csv.DictReader(f)
            if row["channels"] in ("email", "both")
            and row["email"].strip().lower() not in suppressed
        }


def write_synthetic_subscribers(project: Path) -> list[str]:
    """Replace the sample's list with 50 email subscribers; returns their addresses."""
    header = (
        "email,first_name,last_name,company,segment,channels,street,city,region,"
        "postal_code,country,consent_source,consent_date,tags"
    )
    lines, addresses = [header], []
    for segment, size in SEGMENT_SIZES.items():
        for i in range(size):
            email = f"{segment}{i:02d}@example.com"
            addresses.append(email)
            lines.append(f"{email},Reader{i},Test,,{segment},email,,,,,,website form,2026-01-15,")
    (project / "subscribers" / "subscribers.csv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    return addresses


def kill_mid_send(project: Path, server: FakeSendGrid, concurrency: int = 1) -> None:
    """Run the send in a child process and SIGKILL it while the server holds a batch."""
    args = [str(project), MONTH, server.base_url, API_KEY, str(BATCH), str(concurrency)]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.send_child", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not server.held.wait(DEADLINE):
            pytest.fail("the child never reached the held batch")
        assert child.poll() is None, "the child finished although its batch was held"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(DEADLINE) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
        if child.stderr:
            child.stderr.close()
        server.release.set()
    assert "Traceback" not in stderr, stderr


# -- tests --------------------------------------------------------------------------------


def test_send_over_sendgrid_reaches_every_email_subscriber_once(
    project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    report = send(project, fake_sendgrid)
    got = Counter(email.lower() for email in fake_sendgrid.emails())
    expected = expected_sample_addresses()
    assert len(expected) == 17
    assert set(got) == expected and set(got.values()) == {1}
    assert report.sent == 17 and report.uncertain == []
    assert ledger_counts(project)["sent"] == 17


def test_send_killed_mid_way_resumes_without_duplicates(
    project: Path, holding_sendgrid: FakeSendGrid
) -> None:
    server = holding_sendgrid
    everyone = write_synthetic_subscribers(project)
    kill_mid_send(project, server)
    in_flight = server.emails_of(server.held_id)
    assert len(in_flight) == BATCH
    before_kill = len(server.emails())
    assert before_kill == HOLD_REQUEST * BATCH  # the held batch was accepted, then the kill

    report = send(project, server, max_batch=BATCH)

    got = Counter(server.emails())
    assert sorted(got) == sorted(everyone)
    assert set(got.values()) == {1}  # nobody twice, the killed run's in-flight batch included
    assert report.uncertain == in_flight  # reported, not resent
    assert report.sent == len(everyone) - before_kill
    assert (report.already_sent, report.done_otherwise) == (before_kill - BATCH, BATCH)
    counts = ledger_counts(project)
    assert (counts["sent"], counts["uncertain"], counts["in_flight"]) == (45, BATCH, 0)


def test_resend_uncertain_after_a_kill_resends_only_the_in_flight_batch(
    project: Path, holding_sendgrid: FakeSendGrid
) -> None:
    server = holding_sendgrid
    everyone = write_synthetic_subscribers(project)
    kill_mid_send(project, server)
    in_flight = server.emails_of(server.held_id)

    first = send(project, server, max_batch=BATCH)
    assert first.uncertain == in_flight
    again = send(project, server, max_batch=BATCH, resend_uncertain=True)

    got = Counter(server.emails())
    assert sorted(got) == sorted(everyone)
    assert sorted(email for email, n in got.items() if n > 1) == in_flight
    assert set(got.values()) == {1, 2}  # the uncertain exactly twice (once resent), no more
    assert again.sent == BATCH and again.uncertain == []
    assert ledger_counts(project)["sent"] == len(everyone)


def test_a_lost_answer_leaves_that_batch_uncertain_and_the_send_goes_on(
    project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    server = fake_sendgrid
    server.drop_next = 1  # the first batch (clients, and partners as theirs reads the same)

    report = send(project, server)

    settings = settings_of(project)
    manifest = json.loads((project / "build" / MONTH / "manifest.json").read_text())
    variants = content_variants(manifest, settings.config.segments)
    clients = sorted(
        email
        for email in expected_sample_addresses()
        if variants[_segment_of(settings, email)] == "client"
    )
    assert report.uncertain == clients and report.newly_uncertain == len(clients)
    got = Counter(email.lower() for email in server.emails())
    assert set(got) == expected_sample_addresses() - set(clients)  # the rest went out
    assert set(got.values()) == {1}
    assert report.sent == 17 - len(clients)


def test_the_run_after_a_kill_counts_the_dead_runs_batch_as_newly_uncertain(
    project: Path, holding_sendgrid: FakeSendGrid
) -> None:
    server = holding_sendgrid
    write_synthetic_subscribers(project)
    kill_mid_send(project, server)  # the killed run never reported its batch in flight

    after_kill = send(project, server, max_batch=BATCH)
    later = send(project, server, max_batch=BATCH)

    assert after_kill.newly_uncertain == BATCH  # so the command exits 1: look at them
    assert later.newly_uncertain == 0 and later.uncertain == after_kill.uncertain


def test_uncertain_stay_reported_and_unsent_on_every_later_run(
    project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    server = fake_sendgrid
    server.drop_next = 1
    uncertain = send(project, server).uncertain
    assert uncertain  # the dropped client batch

    third = send(project, server)

    assert third.uncertain == uncertain and third.sent == 0
    assert not set(uncertain) & {email.lower() for email in server.emails()}


def _segment_of(settings: Settings, email: str) -> str:
    with (settings.subscribers_dir / "subscribers.csv").open(encoding="utf-8") as f:
        return next(row["segment"] for row in csv.DictReader(f) if row["email"].lower() == email)


def test_segments_whose_email_reads_the_same_share_batches(
    project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    report = send(project, fake_sendgrid)
    segments = sorted(r["custom_args"]["segment"] for r in fake_sendgrid.requests)
    # The sample's client and partner emails are identical; prospects get no offer.
    assert segments == ["client+partner", "prospect"]
    assert report.batches == 2 and report.sent == 17


def test_a_kill_with_batches_in_flight_leaves_only_those_uncertain(
    project: Path, holding_sendgrid: FakeSendGrid
) -> None:
    server = holding_sendgrid
    everyone = write_synthetic_subscribers(project)
    kill_mid_send(project, server, concurrency=4)
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        in_flight = ledger.in_flight(MONTH)
        sent_before = ledger.sent(MONTH)
    assert set(server.emails_of(server.held_id)) <= in_flight
    assert len(in_flight) <= 4 * BATCH  # at most `concurrency` batches out at the kill

    report = send(project, server, max_batch=BATCH, concurrency=4)

    got = Counter(server.emails())
    assert set(report.uncertain) == in_flight
    assert set(got) | in_flight == set(everyone)
    assert all(got[email] == 1 for email in set(everyone) - in_flight)  # exactly once
    assert all(got[email] <= 1 for email in in_flight)  # uncertain: at most once
    assert sent_before <= set(got)
