"""Chaos: sends that meet every fault at once and are SIGKILLed at random moments, rerun
until done. Whatever happens, every recipient is delivered exactly once, except those
reported uncertain, who are delivered at most once until --resend-uncertain.

Each send is the installed console script, as a person or the monthly workflow runs it.
The provider is real on loopback: the fake SendGrid (random 429s, 503s, requests dropped
before they are taken, answers lost after they were taken, delays) and aiosmtpd (chosen
recipients refused, random deferrals, connections dropped before and after a message was
taken). Kills are timed by the provider's progress (waited for, after a random number of requests
or messages, plus a random delay), so they land mid-send.

Seeds: NEWSLETTER_CHAOS_SEEDS per provider (default 1, to keep the suite quick); raise it
for a longer soak, e.g. ``NEWSLETTER_CHAOS_SEEDS=20 .venv/bin/python -m pytest
tests/deliver/test_send_chaos.py``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from newsletter.config import load_config
from newsletter.deliver.ledger import Ledger
from newsletter.pipeline.build import build
from tests.cli.test_send_terminal import CONSOLE_SCRIPT, DEADLINE, MONTH, SECRET
from tests.fake_sendgrid import API_KEY, FakeSendGrid, Faults
from tests.golden import copy_sample
from tests.smtp_server import Recorder, SmtpFaults, free_port

SEEDS = range(int(os.environ.get("NEWSLETTER_CHAOS_SEEDS", "1")))
SENDGRID_READERS = 20_000
SMTP_READERS = 400
MAX_RUNS = 14  # sends per seed before the test gives up: bounded in time
HEADER = "email,first_name,segment,channels\n"
SEGMENTS = ("client", "partner", "prospect")


def make_project(folder: Path, readers: int, delivery: str) -> tuple[Path, list[str]]:
    project = copy_sample(folder)
    addresses = [f"reader{n:05d}@example.com" for n in range(readers)]
    rows = (f"{a},Reader{n},{SEGMENTS[n % 3]},email\n" for n, a in enumerate(addresses))
    (project / "subscribers" / "subscribers.csv").write_text(HEADER + "".join(rows))
    (project / "subscribers" / "suppressions.csv").write_text("email,reason,date,source\n")
    with (project / "newsletter.yaml").open("a", encoding="utf-8") as config:
        config.write(delivery)
    build(load_config(project / "newsletter.yaml"), MONTH, out_root=project / "build", offline=True)
    return project, addresses


@pytest.fixture(scope="module")
def sendgrid_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    delivery = "\ndelivery:\n  transport: sendgrid\n  sendgrid:\n    concurrency: 4\n"
    return make_project(tmp_path_factory.mktemp("sg") / "p", SENDGRID_READERS, delivery)


@pytest.fixture(scope="module")
def smtp_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    delivery = (
        "\ndelivery:\n  transport: smtp\n  smtp:\n    host: 127.0.0.1\n    tls: none\n"
        "    connections: 2\n"
    )
    return make_project(tmp_path_factory.mktemp("smtp") / "p", SMTP_READERS, delivery)


def fresh_copy(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(built, copy)
    return copy


class Progress:
    """How far the provider got (``count()``), and a wait for it to get further: ``changed``
    is notified with each step, and here when a send ends."""

    def __init__(self, count: Callable[[], int], changed: threading.Condition) -> None:
        self.count = count
        self.changed = changed

    def wait_for(self, steps: int, child: subprocess.Popen[bytes]) -> bool:
        """True once ``steps`` more steps were made; False if the send ended first."""
        target = self.count() + steps

        def ended() -> None:
            child.wait()
            with self.changed:
                self.changed.notify_all()

        threading.Thread(target=ended, daemon=True).start()
        with self.changed:
            self.changed.wait_for(
                lambda: self.count() >= target or child.poll() is not None, DEADLINE * 3
            )
            return self.count() >= target


def send(
    project: Path,
    env: dict[str, str],
    progress: Progress,
    *,
    kill_after: int | None,
    delay: float,
    extra: tuple[str, ...] = (),
) -> int:
    """One `newsletter send --yes`; SIGKILLed once the provider made ``kill_after`` more
    steps, and ``delay`` seconds passed (a random moment of the send). Returns its exit
    status."""
    args = [str(CONSOLE_SCRIPT), "send", "--yes", "--silent", "--month", MONTH, *extra]
    args += ["--config", str(project / "newsletter.yaml"), "--out", str(project / "build")]
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if kill_after is not None and progress.wait_for(kill_after, child):
            time.sleep(delay)  # the kill lands at a random moment, not a synchronization
            child.send_signal(signal.SIGKILL)
        status = child.wait(timeout=DEADLINE * 3)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
        if child.stderr:
            child.stderr.close()
    assert "Traceback" not in errors, errors
    assert status in (0, 1, 2, -signal.SIGKILL), errors
    if status == 2:  # an error that stopped the send: only "still failing" is allowed
        assert "still failing after" in errors or "keeps dropping" in errors, errors
    return status


def resend_uncertain(project: Path, env: dict[str, str], progress: Progress) -> int:
    return send(project, env, progress, kill_after=None, delay=0, extra=("--resend-uncertain",))


def ledger_counts(project: Path) -> dict[str, int]:
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        return ledger.counts(MONTH)


def ledger_rows(project: Path, status: str) -> set[str]:
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        return ledger.with_status(MONTH, status)


def run_until_done(
    project: Path,
    env: dict[str, str],
    progress: Progress,
    rng: random.Random,
    *,
    readers: int,
    kills: int,
) -> list[int]:
    """Send (killing the first ``kills`` sends at random moments) until every recipient
    is sent, rejected or uncertain; the exit statuses."""
    statuses: list[int] = []
    for run in range(MAX_RUNS):
        kill_after = rng.randint(1, 12) if run < kills else None
        statuses.append(
            send(project, env, progress, kill_after=kill_after, delay=rng.uniform(0, 0.05))
        )
        counts = ledger_counts(project)
        if counts["sent"] + counts["uncertain"] + counts["rejected"] == readers:
            return statuses
    pytest.fail(f"not done after {MAX_RUNS} sends: {ledger_counts(project)}, {statuses}")


def assert_exactly_once_or_uncertain(
    delivered: Counter[str], everyone: list[str], uncertain: set[str], rejected: set[str]
) -> None:
    twice = sorted(e for e, n in delivered.items() if n > 1)
    assert twice == [], f"{len(twice)} delivered twice, e.g. {twice[:3]}"
    missing = sorted(set(everyone) - set(delivered) - uncertain - rejected)
    assert missing == [], f"{len(missing)} never delivered, e.g. {missing[:3]}"
    assert not rejected & set(delivered)


def assert_resend_uncertain_completes(
    delivered: Callable[[], Counter[str]],
    before: Counter[str],
    uncertain: set[str],
    status: int,
    refused: frozenset[str] = frozenset(),
) -> None:
    """After --resend-uncertain: the uncertain never delivered got one copy (unless the
    server refuses them), and only uncertain ones could get a second."""
    after = delivered()
    assert status == 0
    twice = {e for e, n in after.items() if n > 1}
    assert twice <= uncertain and set(after.values()) <= {1, 2}
    assert all(after[e] == 1 for e in uncertain - refused if not before[e])


@pytest.mark.parametrize("seed", SEEDS)
def test_sendgrid_chaos_delivers_each_recipient_once_or_reports_it_uncertain(
    sendgrid_project: tuple[Path, list[str]], tmp_path: Path, seed: int
) -> None:
    built, everyone = sendgrid_project
    project = fresh_copy(built, tmp_path)
    rng = random.Random(seed)
    faults = Faults(
        seed, rate_limit=0.03, server_error=0.08, drop=0.04, lose_answer=0.04, max_delay=0.05
    )
    with FakeSendGrid(keep_details=False, faults=faults, rate_limit_reset_in=0) as server:
        env = {
            "PATH": os.environ["PATH"],
            "NEWSLETTER_SECRET": SECRET,
            "SENDGRID_API_KEY": API_KEY,
            "SENDGRID_API_URL": server.base_url,
        }
        progress = Progress(lambda: len(server.statuses), server.answered)  # lost ones too
        statuses = run_until_done(project, env, progress, rng, readers=len(everyone), kills=3)
        assert -signal.SIGKILL in statuses  # the kills did land mid-send

        def delivered() -> Counter[str]:
            return Counter(server.emails())

        before = delivered()
        uncertain = ledger_rows(project, "uncertain")
        assert_exactly_once_or_uncertain(before, everyone, uncertain, set())

        server.faults = None
        status = resend_uncertain(project, env, progress)
        assert_resend_uncertain_completes(delivered, before, uncertain, status)
        assert ledger_counts(project)["sent"] == len(everyone)


@pytest.mark.parametrize("seed", SEEDS)
def test_smtp_chaos_delivers_each_recipient_once_refuses_the_refused_or_reports_uncertain(
    smtp_project: tuple[Path, list[str]], tmp_path: Path, seed: int
) -> None:
    built, everyone = smtp_project
    project = fresh_copy(built, tmp_path)
    rng = random.Random(seed)
    recorder = Recorder()
    recorder.reject = set(rng.sample(everyone, 12))  # 550 to these, every time
    recorder.faults = SmtpFaults(seed, defer=0.02, drop=0.01, lose_answer=0.01)
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {
            "PATH": os.environ["PATH"],
            "NEWSLETTER_SECRET": SECRET,
            "SMTP_PORT": str(port),
        }
        progress = Progress(lambda: len(recorder.messages), recorder.received)
        statuses = run_until_done(project, env, progress, rng, readers=len(everyone), kills=2)
        assert -signal.SIGKILL in statuses

        def delivered() -> Counter[str]:
            return Counter(rcpt for _, rcpts, _ in recorder.messages for rcpt in rcpts)

        before = delivered()
        uncertain = ledger_rows(project, "uncertain")
        rejected = ledger_rows(project, "rejected")
        # Each refused recipient failed alone, for good (or was in a batch cut off by a
        # kill, so uncertain); none was ever delivered.
        assert rejected <= recorder.reject <= rejected | uncertain
        assert_exactly_once_or_uncertain(before, everyone, uncertain, recorder.reject)

        recorder.faults = None
        status = resend_uncertain(project, env, progress)
        refused = frozenset(recorder.reject)
        assert_resend_uncertain_completes(delivered, before, uncertain, status, refused)
        assert ledger_rows(project, "rejected") == recorder.reject
        assert ledger_counts(project)["sent"] == len(everyone) - len(recorder.reject)
    finally:
        controller.stop()
