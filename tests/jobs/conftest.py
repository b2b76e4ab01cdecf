"""Fixtures for running the monthly workflow's jobs: a business's project on a bare remote,
its desk running on loopback, the fake SendGrid, and workflow runs over them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.audience.tokens import unsubscribe_tokens
from tests.desk.support import ADMIN_TOKEN, SECRET, RunningDesk, start_desk, use_desk
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.golden import copy_sample
from tests.jobs.hosted import WorkflowRun
from tests.jobs.remote import REPO, Remote, runner_environment

MONTH = "2026-11"
READERS = [f"reader{n:02d}@example.com" for n in range(12)]
SEGMENTS = ("client", "partner", "prospect")
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")
CODE = ("scripts", ".github/workflows/monthly.yml", ".gitignore", "Makefile", "pyproject.toml")
"""What a job runs from the checkout besides the business's files."""


def business(folder: Path) -> Path:
    """A project of its own readers (the sample's config, content and templates), with no
    desk yet and the repository's scripts and workflow."""
    project = copy_sample(folder)
    config = project / "newsletter.yaml"
    # No welcome: a job's fake provider then counts the issue alone, once per reader.
    config.write_text(without_section(config.read_text(encoding="utf-8"), "welcome"))
    subscribers = project / "subscribers"
    rows = "".join(
        f"{email},Reader{n},{SEGMENTS[n % 3]},email\n" for n, email in enumerate(READERS)
    )
    (subscribers / "subscribers.csv").write_text("email,first_name,segment,channels\n" + rows)
    (subscribers / "suppressions.csv").write_text("email,reason,date,source\n")
    for name in ("referrals.csv", "rewards.csv"):
        header = (subscribers / name).read_text(encoding="utf-8").splitlines()[0]
        (subscribers / name).write_text(header + "\n", encoding="utf-8")
    for part in CODE:
        source, target = REPO / part, project / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return project


def without_section(yaml_text: str, key: str) -> str:
    """``yaml_text`` without its top-level ``key:`` section."""
    kept, skipping = [], False
    for line in yaml_text.splitlines(keepends=True):
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace():
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[RunningDesk]:
    """The business's desk on its own server (a copy of the project), on loopback."""
    running = start_desk(business(tmp_path / "desk-server"), "--no-email")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def remote(tmp_path: Path, desk: RunningDesk) -> Remote:
    """The project's repository, its config pointing at the desk."""
    project = business(tmp_path / "first-commit")
    use_desk(project, desk.port)
    return Remote.create(tmp_path / "origin.git", project)


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as running:
        yield running


@pytest.fixture
def new_run(tmp_path: Path, remote: Remote, sendgrid: FakeSendGrid) -> Callable[..., WorkflowRun]:
    """A new run of the workflow (``event``, ``inputs``, ``run_id``) over the remote."""
    ids = iter(range(2001, 3000))

    def make(event: str = "workflow_dispatch", **inputs: Any) -> WorkflowRun:
        secrets = {
            "NEWSLETTER_DESK_TOKEN": ADMIN_TOKEN,
            "NEWSLETTER_SECRET": SECRET,
            "SENDGRID_API_KEY": API_KEY,
        }
        env = {"SENDGRID_API_URL": sendgrid.base_url}
        return WorkflowRun(remote, tmp_path, secrets, env, event, inputs, next(ids))

    return make


def unsubscribe(desk: RunningDesk, email: str) -> None:
    """A reader's one-click unsubscribe, as their mail client posts it."""
    token = unsubscribe_tokens(SECRET.encode()).token(email)
    answer = httpx.post(
        f"{desk.url}unsubscribe?t={token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200


def visit(desk: RunningDesk, month: str = MONTH) -> None:
    """Someone opens the referral page from the printed issue."""
    answer = httpx.get(f"{desk.url}r?utm_medium=print&utm_campaign=referral-{month}")
    assert answer.status_code == 200


def build_job(run: WorkflowRun, month: str = MONTH) -> None:
    """What the build job hands on, made as it makes it: the sent issues restored from the
    state branch, and ``month`` taken from there if its send began, else built (offline)
    from the desk job's commit; the run's ``email-preview`` artifact. (The build job writes
    nothing to git or to the state branch.)"""
    work = run.root / f"build-{run.run_id}-{run.attempt}"
    sha = run.needs["desk"]["outputs"]["sha"]
    env = runner_environment(run.root)
    subprocess.run(["git", "clone", "--quiet", run.remote.url, str(work)], check=True, env=env)
    subprocess.run(["git", "checkout", "--quiet", sha], cwd=work, check=True, env=env)
    subprocess.run(["python3", "scripts/state_branch.py", "restore"], cwd=work, check=True, env=env)
    if not (work / "build" / month / "manifest.json").exists():
        subprocess.run(
            [str(CONSOLE_SCRIPT), "build", "--month", month, "--offline", "--out", "build"],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=300,
        )
    preview = run.artifacts / f"email-preview-{month}"
    shutil.rmtree(preview, ignore_errors=True)  # overwrite: true
    shutil.copytree(work / "build" / month, preview)
    run.needs["build"] = {"result": "success", "outputs": {}}


def planned(run: WorkflowRun, month: str = MONTH, dry_run: bool = False) -> WorkflowRun:
    """The plan job's outputs for a manual run of ``month`` (tests/jobs/test_plan_job.py
    runs that job itself: it refuses a month far from today, and these tests' month is a
    fixed one)."""
    outputs = {"month": month, "dry-run": "true" if dry_run else "false", "go": "true"}
    run.needs["plan"] = {"result": "success", "outputs": outputs}
    return run


def live(month: str = MONTH) -> dict[str, Any]:
    """The inputs of a manual run that really sends ``month``."""
    return {"month": month, "dry_run": False, "resend_uncertain": False}
