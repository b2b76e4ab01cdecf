"""A full disk during a send: the list's spool or the ledger cannot be written. The send
stops with one line naming the file, the ledger says exactly who was sent, and the rerun
after space is freed sends the rest, each reader once.

Simulated in this process (SQLite's page limit, which refuses a write as a full disk does;
``/dev/full`` for the spool), and met for real through the console script on a small
tmpfs (root only: skipped with the reason elsewhere)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.config import Settings, load_config
from newsletter.deliver import ledger as ledger_module
from newsletter.deliver.job import SendReport, run_send, skip_desk_check
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.send import issue_job
from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.errors import LedgerError, StorageError
from tests.deliver.test_send_console import newsletter
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.project_factory import MONTH, NEWSLETTER, make_project, read_config, write_config
from tests.tmpfs import fill, mounted_tmpfs

SECRET = "a-test-secret-of-enough-length"
READERS = 400
HEADER = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
    "country,consent_source,consent_date,tags\n"
)


def project_of(root: Path, readers: int = READERS) -> Path:
    """A built project of the tests' own with ``readers`` email readers."""
    make_project(root)
    rows = "".join(
        f"reader{n:05d}@example.com,R{n},,,client,email,,,,,,website form,2025-01-14,\n"
        for n in range(readers)
    )
    (root / "subscribers" / "subscribers.csv").write_text(HEADER + rows, encoding="utf-8")
    done = newsletter(root, "build", "--month", MONTH, "--offline")
    assert done.returncode == 0, done.stderr
    return root


def send(settings: Settings, server: FakeSendGrid) -> SendReport:
    transport = SendGridTransport(API_KEY, base_url=server.base_url, max_retries=0, concurrency=2)
    transport.max_batch = 20
    with transport, Ledger(settings.send_ledger) as ledger:
        return run_send(
            issue_job(settings, MONTH, out_root=settings.root / "build", secret=SECRET.encode()),
            transport=transport,
            ledger=ledger,
            desk_check=skip_desk_check,
        )


def received_once_each(server: FakeSendGrid, readers: int = READERS) -> bool:
    return sorted(server.emails()) == [f"reader{n:05d}@example.com" for n in range(readers)]


def test_a_ledger_that_fills_mid_send_stops_it_and_the_rerun_sends_the_rest_once(
    tmp_path: Path, fake_sendgrid: FakeSendGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_config(project_of(tmp_path / "p") / "newsletter.yaml")
    connect = ledger_module._connect

    def small_disk(path: Path) -> sqlite3.Connection:
        db = connect(path)
        db.execute("PRAGMA max_page_count = 8")  # SQLite then refuses as on a full disk
        return db

    monkeypatch.setattr(ledger_module, "_connect", small_disk)
    with pytest.raises(LedgerError) as full:
        send(settings, fake_sendgrid)
    assert full.value.one_line().startswith(
        f"{settings.send_ledger}: cannot write the send ledger: database or disk is full"
    )
    sent_before = set(fake_sendgrid.emails())
    assert 0 < len(sent_before) < READERS

    monkeypatch.setattr(ledger_module, "_connect", connect)  # space freed
    with Ledger(settings.send_ledger) as ledger:
        counts = ledger.counts(MONTH)
        assert counts["sent"] + counts["in_flight"] == len(sent_before)
        assert ledger.with_status(MONTH, "sent") <= sent_before
    report = send(settings, fake_sendgrid)  # a batch left in flight is not sent again
    assert report.sent == READERS - len(sent_before)
    assert received_once_each(fake_sendgrid)


def test_a_spool_that_cannot_be_written_stops_the_send_before_anything_goes_out(
    tmp_path: Path, fake_sendgrid: FakeSendGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_config(project_of(tmp_path / "p") / "newsletter.yaml")

    def full(dir: Path) -> object:  # a file on a full disk: every write refused
        return open("/dev/full", "w+b")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    with pytest.raises(StorageError) as refused:
        send(settings, fake_sendgrid)
    assert refused.value.one_line() == (
        f"{settings.state_dir}: cannot write the send's list of readers: No space left on "
        "device; nothing was sent"
    )
    assert fake_sendgrid.requests == []
    monkeypatch.undo()
    send(settings, fake_sendgrid)
    assert received_once_each(fake_sendgrid)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test (root only; skipped where it cannot be)."""
    yield from mounted_tmpfs(tmp_path / "disk", "4m")


def test_a_disk_that_fills_mid_send_is_one_line_and_the_rerun_sends_the_rest_once(
    tmp_path: Path, fake_sendgrid: FakeSendGrid, small_disk: Path
) -> None:
    readers = 2500  # three requests, one at a time: the disk fills while the second is out
    root = project_of(tmp_path / "p", readers)
    config = read_config(root)
    config["paths"] = {"state": str(small_disk / "state")}
    config["delivery"] = {"sendgrid": {"concurrency": 1}}
    write_config(root, config)
    fake_sendgrid.hold_request = 2
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "SENDGRID_API_KEY": API_KEY}
    env["SENDGRID_API_URL"] = fake_sendgrid.base_url
    args = [NEWSLETTER, "send", "--month", MONTH, "--yes", "--silent"]
    args += ["--config", str(root / "newsletter.yaml")]
    with subprocess.Popen(args, cwd=root, env=env, stderr=subprocess.PIPE, text=True) as sending:
        if not fake_sendgrid.held.wait(60):
            sending.kill()
            pytest.fail(f"the second request never came: {sending.communicate()[1]}")
        filler = fill(small_disk)
        fake_sendgrid.release.set()
        _, stderr = sending.communicate(timeout=120)
    assert sending.returncode == 2, stderr
    assert stderr == (
        f"newsletter: {small_disk / 'state' / 'ledger.sqlite'}: cannot write the send ledger: "
        "database or disk is full (free some space and run the send again: whoever it "
        "records as sent is not sent again)\n"
    )
    assert len(fake_sendgrid.emails()) == 2000  # the third request never went out

    filler.unlink()
    again = newsletter(root, "send", "--month", MONTH, "--yes", "--silent", server=fake_sendgrid)
    assert again.returncode == 1, again.stderr  # the held batch is uncertain: not resent
    assert "sent 500 (500 client)" in again.stdout
    assert "uncertain: 1000 recipients" in again.stdout
    assert received_once_each(fake_sendgrid, readers)
