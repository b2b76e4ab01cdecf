"""``newsletter send --checkpoint-command CMD``: CMD runs once each group of batches is in
flight and before any of it goes out, and once more when the send is over; a CMD that
fails stops the send with nothing of its group sent."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.cli.test_send import SECRET, build, send_args, sendgrid_env
from tests.fake_sendgrid import FakeSendGrid

CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")
# What the command sees: the ledger's rows by status, appended as one JSON line per run.
LOOK = (
    "import json, sqlite3, sys; "
    "db = sqlite3.connect(sys.argv[1]); "
    "rows = dict(db.execute('SELECT status, COUNT(*) FROM sends GROUP BY 1').fetchall()); "
    "open(sys.argv[2], 'a').write(json.dumps(rows) + '\\n')"
)


def send(project: Path, server: FakeSendGrid, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *send_args(project, "--yes", *extra), "--config",
         str(project / "newsletter.yaml")],
        cwd=project,
        env={**os.environ, "NEWSLETTER_SECRET": SECRET, **sendgrid_env(server)},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_the_checkpoint_sees_every_batch_in_flight_before_any_goes_and_all_settled_at_the_end(
    sample_project: Path, fake_sendgrid: FakeSendGrid, tmp_path: Path
) -> None:
    build(sample_project)
    seen = tmp_path / "seen.jsonl"
    ledger = sample_project / "state" / "ledger.sqlite"
    command = shlex.join([sys.executable, "-c", LOOK, str(ledger), str(seen)])
    done = send(sample_project, fake_sendgrid, "--checkpoint-command", command)
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in seen.read_text().splitlines()]
    assert runs == [{"in_flight": 17}, {"sent": 17}]
    assert len(fake_sendgrid.emails()) == len(set(fake_sendgrid.emails())) == 17


def test_a_failing_checkpoint_stops_the_send_in_one_line_and_mails_nobody(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    build(sample_project)
    done = send(sample_project, fake_sendgrid, "--checkpoint-command",
                "echo 'cannot push to origin state' >&2; exit 3")  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("newsletter: checkpoint `echo")
    assert (
        "failed (exit 3: cannot push to origin state): the batches waiting for it were not sent"
        in line
    )
    assert fake_sendgrid.emails() == []
    again = send(sample_project, fake_sendgrid)  # once the cause is fixed: everyone, once
    assert again.returncode == 0, again.stderr
    assert len(fake_sendgrid.emails()) == len(set(fake_sendgrid.emails())) == 17
