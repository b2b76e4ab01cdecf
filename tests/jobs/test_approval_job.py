"""Approval by pull request (scripts/approval.py), the monthly workflow's jobs run as a hosted
runner runs them: the scheduled run proposes the built issue as a pull request showing its
subject, counts and text, linking the email preview and the print proof, and no reader;
merging it sends exactly that build once; a pull request closed without merging sends
nothing; a build changed after approval is refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fake_sendgrid import FakeSendGrid
from tests.jobs.conftest import MONTH, READERS, build_job, planned
from tests.jobs.github_api import TOKEN, FakeGitHubApi
from tests.jobs.hosted import WorkflowRun
from tests.jobs.remote import PERSON, Remote, git

BRANCH = f"newsletter/approve-{MONTH}"


@pytest.fixture
def github_api() -> Iterator[FakeGitHubApi]:
    with FakeGitHubApi() as api:
        yield api


@pytest.fixture
def on_github(
    new_run: Callable[..., WorkflowRun], github_api: FakeGitHubApi
) -> Callable[..., WorkflowRun]:
    """A new run (``event``) whose token and API are GitHub's stand-ins."""

    def make(event: str) -> WorkflowRun:
        run = new_run(event)
        run.secrets["GITHUB_TOKEN"] = TOKEN
        run.env.update({"GITHUB_API_URL": github_api.url, "GITHUB_SERVER_URL": "https://gh"})
        return run

    return make


def proposed(run: WorkflowRun) -> WorkflowRun:
    """The scheduled run's jobs up to its approval pull request."""
    planned(run, MONTH)
    run.needs["plan"]["outputs"]["stage"] = "propose"
    assert run.job("desk").result == "success"
    build_job(run)
    job = run.job("propose")
    assert job.result == "success", job.log
    return run


def merge(remote: Remote, tmp_path: Path) -> str:
    """A person merges the approval pull request (GitHub's merge commit); the new main."""
    work = tmp_path / "merging"
    git(tmp_path, "clone", "--quiet", remote.url, str(work))
    git(
        work, *PERSON, "merge", "--quiet", "--no-ff", "-m", "Merge the approval", f"origin/{BRANCH}"
    )
    git(work, "push", "--quiet", "origin", "main")
    return remote.head("main") or ""


def send_after_merge(run: WorkflowRun) -> dict[str, str]:
    """The run the merge's push starts: its plan, build and send; the plan's outputs."""
    plan = run.job("plan")
    assert plan.result == "success", plan.log
    assert run.job("desk").result == "skipped"
    run.job("build")
    run.job("send")
    return plan.outputs


def test_merging_the_proposed_pull_request_sends_exactly_that_build_once(
    remote: Remote,
    sendgrid: FakeSendGrid,
    github_api: FakeGitHubApi,
    on_github: Callable[..., WorkflowRun],
    tmp_path: Path,
) -> None:
    scheduled = proposed(on_github("schedule"))
    [pull] = github_api.pulls
    assert (pull["head"], pull["base"], pull["state"]) == (BRANCH, "main", "open")
    assert f"{MONTH}: would send {len(READERS)} (4 client, 4 partner, 4 prospect)" in pull["body"]
    assert "The Hartwell Home Letter" in pull["title"]
    assert f"email-preview-{MONTH}" in pull["body"]
    assert f"`print-proof-{MONTH}` of the same run (no reader in it)" in pull["body"]
    assert f"/actions/runs/{scheduled.run_id}#artifacts" in pull["body"]
    readers = [*READERS, *(f"Reader{n}" for n in range(len(READERS)))]
    assert not [reader for reader in readers if reader in json.dumps(pull)]
    assert "%%FIRST_NAME%%" in pull["body"]  # the text as built, each reader's values left out
    assert sendgrid.emails() == []  # nothing goes before the merge
    record = json.loads(remote.show(BRANCH, f"approvals/{MONTH}.json"))
    manifest = scheduled.artifacts / f"email-preview-{MONTH}" / "manifest.json"
    assert record["manifest_sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()

    merge(remote, tmp_path)
    pushed = on_github("push")
    outputs = send_after_merge(pushed)
    assert outputs == {
        "month": MONTH,
        "dry-run": "false",
        "go": "true",
        "build-run": str(scheduled.run_id),
        "stage": "send",
    }
    assert pushed.needs["send"]["result"] == "success"
    emails = sendgrid.emails()
    assert sorted(emails) == sorted(READERS)

    # A second proposal run of the month (a re-run) updates the same pull request.
    again = proposed(on_github("schedule"))
    assert len(github_api.pulls) == 1 and again.needs["propose"]["result"] == "success"


def test_a_pull_request_closed_without_merging_sends_nothing(
    remote: Remote,
    sendgrid: FakeSendGrid,
    github_api: FakeGitHubApi,
    on_github: Callable[..., WorkflowRun],
    tmp_path: Path,
) -> None:
    proposed(on_github("schedule"))
    github_api.pulls[0]["state"] = "closed"  # closed on GitHub, not merged
    # Main moves on (a person's commit): its push is no approval.
    remote.commit(
        tmp_path / "person", "main", lambda w: (w / "NOTES.md").write_text("hi\n"), "notes"
    )
    pushed = on_github("push")
    plan = pushed.job("plan")
    assert plan.result == "success", plan.log
    assert plan.outputs["go"] == "false"
    for name in ("desk", "build", "send"):
        assert pushed.job(name).result == "skipped", name
    assert sendgrid.emails() == []


def test_a_build_changed_after_approval_is_refused_and_nothing_is_sent(
    remote: Remote,
    sendgrid: FakeSendGrid,
    on_github: Callable[..., WorkflowRun],
    tmp_path: Path,
) -> None:
    scheduled = proposed(on_github("schedule"))
    merge(remote, tmp_path)
    # The proposing run's build is made again after the approval, and comes out different.
    preview = scheduled.artifacts / f"email-preview-{MONTH}"
    text = preview / "email.txt"
    text.write_text(text.read_text() + "\nA late change nobody approved.\n")
    manifest = json.loads((preview / "manifest.json").read_text())
    manifest["outputs"]["email.txt"] = hashlib.sha256(text.read_bytes()).hexdigest()
    (preview / "manifest.json").write_text(json.dumps(manifest))
    pushed = on_github("push")
    assert pushed.job("plan").outputs["go"] == "true"
    pushed.job("desk")
    build = pushed.job("build")
    assert build.result == "failure"
    [line] = build.step("Check it is the approved build").log.splitlines()
    assert line.startswith("approval: build/2026-11/manifest.json: this build (")
    assert f"is not the one approved in approvals/{MONTH}.json" in line
    assert "nothing sent" in line
    assert pushed.job("send").result == "skipped"
    assert sendgrid.emails() == []
