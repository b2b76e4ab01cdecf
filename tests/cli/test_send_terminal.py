"""`newsletter send --yes` as a person runs it (`make send-live`): the installed console
script, on a terminal (a pseudo-terminal here), progress bar on, against the fake SendGrid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from newsletter.config import load_config
from newsletter.pipeline.build import build
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.terminal import DEADLINE, run_on_terminal

MONTH = "2026-11"
SECRET = "a-test-secret-of-enough-length"
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter


def built_project(project: Path) -> Path:
    build(load_config(project / "newsletter.yaml"), MONTH, out_root=project / "build", offline=True)
    return project


def send_yes(project: Path) -> list[str]:
    """The console script's `send --yes` for the built sample at ``project``."""
    return [
        str(CONSOLE_SCRIPT),
        "send",
        "--month",
        MONTH,
        "--yes",
        "--config",
        str(project / "newsletter.yaml"),
        "--out",
        str(project / "build"),
    ]


def send_env(server: FakeSendGrid, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "NEWSLETTER_SECRET": SECRET,
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_URL": server.base_url,
        **extra,
    }


def test_send_yes_on_a_terminal_draws_the_progress_bar_and_sends_everyone(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    assert CONSOLE_SCRIPT.is_file(), "the package is not installed in this environment"
    fake_sendgrid.delay = 0.3  # long enough for the bar to be redrawn mid-send
    env = send_env(fake_sendgrid, TERM="xterm-256color", COLUMNS="120")

    status, output = run_on_terminal(send_yes(built_project(sample_project)), env)

    assert status == 0, output
    assert "2026-11: sent 17 (7 client, 4 partner, 6 prospect)" in output
    assert "sending" in output and "/17" in output and "recipients/s" in output  # the bar
    assert "Traceback" not in output
    assert sorted(fake_sendgrid.emails()) == sorted(set(fake_sendgrid.emails()))
    assert len(fake_sendgrid.emails()) == 17


def test_send_yes_without_a_terminal_draws_no_bar(
    sample_project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    args = send_yes(built_project(sample_project))

    done = subprocess.run(
        args, env=send_env(fake_sendgrid), capture_output=True, text=True, timeout=DEADLINE
    )

    assert done.returncode == 0, done.stderr
    assert "sent 17" in done.stdout
    assert done.stderr == ""  # piped: no bar, no control sequences
