"""A send ledger with damaged pages stops ``newsletter send`` before anyone is mailed, in one
line naming the file and what to do, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_send import SECRET, build, invoke, send_args, sendgrid_env
from tests.fake_sendgrid import FakeSendGrid

CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")
PAGE = 4096


def damage_a_page(ledger: Path) -> None:
    """The ledger's header intact, its second page overwritten (a disk that lost a write)."""
    with sqlite3.connect(ledger) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    whole = ledger.read_bytes()
    ledger.write_bytes(whole[:PAGE] + b"\xff" * PAGE + whole[2 * PAGE :])


@pytest.mark.parametrize("live", [True, False], ids=["live", "dry-run"])
def test_a_ledger_with_a_damaged_page_stops_the_send_in_one_line(
    sample_project: Path, fake_sendgrid: FakeSendGrid, live: bool
) -> None:
    build(sample_project)
    env = sendgrid_env(fake_sendgrid)
    code, _, err = invoke(sample_project, *send_args(sample_project, "--yes"), env=env)
    assert code == 0, err
    mailed = fake_sendgrid.emails()
    ledger = sample_project / "state" / "ledger.sqlite"
    damage_a_page(ledger)
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), *send_args(sample_project, *(["--yes"] if live else []))],
        cwd=sample_project,
        env={**os.environ, "NEWSLETTER_SECRET": SECRET, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"newsletter: {ledger}: the send ledger is damaged (")
    assert "put back its last good copy" in line
    assert fake_sendgrid.emails() == mailed
