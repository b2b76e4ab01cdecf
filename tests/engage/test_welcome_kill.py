"""A welcome goes out once per person across kills: ``newsletter welcome --yes`` (the
console script) SIGKILLed with a batch in flight, then run again.

The fake SendGrid server accepts the second request and holds its answer: the process is
then waiting with that batch in flight in its ledger, the one case nobody can settle
afterwards. The test waits on the server's event, not on a clock."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.engage.support import newsletter_env, sendgrid_env, welcome, welcome_project
from tests.fake_sendgrid import FakeSendGrid
from tests.project_factory import NEWSLETTER, read_config, write_config

READERS = [f"reader{n:04d}@example.com" for n in range(2500)]  # 3 batches of up to 1,000
DEADLINE = 60.0  # seconds; never waited out when all goes well


def test_a_welcome_killed_mid_send_reaches_each_reader_once_when_run_again(
    tmp_path: Path,
) -> None:
    project = welcome_project(tmp_path / "p", READERS)
    config = read_config(project)
    config["delivery"] = {"sendgrid": {"concurrency": 1}}
    write_config(project, config)
    with FakeSendGrid(hold_request=2, hold_limit=DEADLINE) as server:
        killed = subprocess.Popen(
            [
                NEWSLETTER,
                "welcome",
                "--yes",
                "--silent",
                "--config",
                str(project / "newsletter.yaml"),
            ],
            cwd=project,
            env=newsletter_env(sendgrid_env(server)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert server.held.wait(DEADLINE), "the second batch never reached the server"
            killed.send_signal(signal.SIGKILL)
            assert killed.wait(DEADLINE) == -signal.SIGKILL
        finally:
            server.release.set()
            if killed.poll() is None:
                killed.kill()
        rerun = welcome(project, "--yes", "--silent", env=sendgrid_env(server))
        assert rerun.returncode == 1  # the batch cut off is uncertain, reported
        assert "uncertain: 1000 recipients" in rerun.stdout
        last = welcome(project, "--yes", "--silent", env=sendgrid_env(server))
        assert last.returncode == 0, last.stderr
        assert "welcome: sent 0" in last.stdout
        sent = server.emails()
    assert len(sent) == len(set(sent)) == len(READERS)
