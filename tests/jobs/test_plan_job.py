"""The plan job (scripts/monthly_plan.py): a re-run plans what its run planned, a manual run
without a month takes the business's month, and a month nobody means is refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.jobs.conftest import business
from tests.jobs.github_api import CREATED, RUN_ID, TOKEN, FakeGitHubApi
from tests.jobs.hosted import REPOSITORY, WorkflowRun
from tests.jobs.remote import REPO, Remote, runner_environment
from tests.test_workflows import script

PLAN = REPO / "scripts" / "monthly_plan.py"


@pytest.fixture
def github_api() -> Iterator[FakeGitHubApi]:
    with FakeGitHubApi() as api:
        yield api


def rerun_env(api: FakeGitHubApi, attempt: int = 2) -> dict[str, str]:
    return {
        "GITHUB_API_URL": api.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(RUN_ID),
        "GITHUB_RUN_ATTEMPT": str(attempt),
        "GITHUB_TOKEN": TOKEN,
    }


def plan(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """monthly_plan.py run by the project's interpreter, as the plan job runs it."""
    return subprocess.run(
        [sys.executable, str(PLAN), *args],
        cwd=tmp_path,
        env={**runner_environment(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rerunning_all_jobs_of_a_scheduled_run_days_later_plans_the_month_it_planned(
    tmp_path: Path, github_api: FakeGitHubApi
) -> None:
    remote = Remote.create(tmp_path / "origin.git", business(tmp_path / "project"))
    run = WorkflowRun(
        remote,
        tmp_path,
        {"GITHUB_TOKEN": TOKEN},
        {"GITHUB_API_URL": github_api.url},
        event="schedule",
        run_id=RUN_ID,
        attempt=2,
    )
    job = run.job("plan")  # whatever today is: the run began on the first Tuesday
    assert job.result == "success", job.log
    assert job.outputs == {
        "month": "2026-11",
        "dry-run": "false",
        "go": "true",
        "build-run": "",
        "stage": "propose",  # approval by pull request unless the repository says otherwise
    }
    assert github_api.requests == [f"GET /repos/{REPOSITORY}/actions/runs/{RUN_ID}"]


@pytest.mark.parametrize("status", [401, 500])
def test_a_rerun_that_cannot_learn_when_its_run_began_stops_in_one_line(
    tmp_path: Path, status: int
) -> None:
    with FakeGitHubApi(status=status) as api:
        env = rerun_env(api)
        if status == 401:
            env["GITHUB_TOKEN"] = "not-the-runs-token"
        done = plan(tmp_path, "--event", "schedule", **env)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"monthly_plan: attempt 2 of run {RUN_ID}: cannot read when the run")
    assert line.endswith("start a manual run for the month instead")
    assert TOKEN not in line


@pytest.mark.parametrize(
    ("zone", "month"), [("America/Chicago", "2026-11"), ("Europe/Berlin", "2026-12")]
)
def test_a_manual_run_without_a_month_takes_the_month_in_the_business_time_zone(
    tmp_path: Path, zone: str, month: str
) -> None:
    project = business(tmp_path / "project")
    config = project / "newsletter.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("timezone: America/Chicago", f"timezone: {zone}")
    )
    # 02:00 UTC on December 1st: still November 30th in Chicago, December in Berlin.
    done = plan(
        project, "--event", "workflow_dispatch", "--dry-run", "true", "--now", "2026-12-01T02:00Z"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"month={month}\ndry-run=true\ngo=true\n"


@pytest.mark.parametrize(
    ("month", "refused"),
    [
        ("2019-01", "more than 12 months before this month (2026-11)"),
        ("2025-10", "more than 12 months before this month (2026-11)"),
        ("2025-11", None),
        ("2027-01", None),
        ("2027-02", "more than 2 months after this month (2026-11)"),
        ("2099-12", "more than 2 months after this month (2026-11)"),
    ],
)
def test_a_month_far_from_now_is_refused_as_a_slip_of_the_keyboard(
    tmp_path: Path, month: str, refused: str | None
) -> None:
    done = plan(tmp_path, "--event", "workflow_dispatch", "--month", month, "--now", CREATED)
    if refused is None:
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"month={month}\n")
    else:
        assert done.returncode == 2
        expected = f"monthly_plan: month: {month} is {refused}: give the issue's month, YYYY-MM"
        assert done.stderr == expected + "\n"


@given(month=st.text(max_size=12) | st.from_regex(r"\A\d{4}-\d{2}\Z"))
def test_any_month_typed_is_planned_within_a_year_back_and_two_months_ahead_or_refused(
    month: str,
) -> None:
    module = script("monthly_plan")
    started = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    try:
        outputs = module.plan("workflow_dispatch", month, "", started, ZoneInfo("America/Chicago"))
    except module.PlanError as exc:
        assert str(exc).startswith(("month: ", "dry_run: ")) and "\n" not in str(exc)
        return
    year, number = (int(part) for part in outputs["month"].split("-"))
    assert -12 <= (year - 2026) * 12 + (number - 11) <= 2
    assert outputs["month"] == (month.strip() or "2026-11")
