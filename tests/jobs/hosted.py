"""The monthly workflow's jobs, run here as a hosted runner runs them.

A bare repository stands in for GitHub (``Remote``, tests/jobs/remote.py). Each job runs in
a fresh shallow clone of it, with no git identity (``user.useConfigOnly``, no global or
system config: git stops with "Committer identity unknown" as on a runner), steps and their
``env:`` taken from ``.github/workflows/monthly.yml`` as written, each ``run:`` script run
by ``bash --noprofile --norc -eo pipefail`` with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``
and the ``GITHUB_*`` variables, and ``if:`` conditions and ``${{ }}`` values evaluated
(tests/jobs/expressions.py). What a runner downloads is taken from here instead:
``actions/setup-python`` is the interpreter the tests run on (without the package, as
``python3`` on a runner is), ``make setup`` links the tests' own virtualenv as ``.venv``,
and artifacts are folders kept per run (tests/jobs/actions.py). A test may stop a job
before any step (the runner is lost there: no later step runs, ``always()`` ones neither)
or act just before one (a concurrent commit, another run's job), or lose the runner in the
middle of a step once something happens elsewhere (the fake SendGrid holding a batch): the
step's processes are killed with SIGKILL and nothing after it runs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.jobs.actions import ACTIONS
from tests.jobs.expressions import Evaluator
from tests.jobs.remote import REPO, Remote, runner_environment

WORKFLOW = REPO / ".github" / "workflows" / "monthly.yml"
REPOSITORY = "hartwell/newsletter"
STEP_TIMEOUT = 600


@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped
    log: str = ""


@dataclass
class JobResult:
    name: str
    workspace: Path
    result: str  # success, failure, skipped, lost
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    def step(self, name: str) -> StepResult:
        (found,) = [s for s in self.steps if s.name.startswith(name)]
        return found

    @property
    def log(self) -> str:
        return "\n".join(f"== {s.name} [{s.outcome}]\n{s.log}" for s in self.steps)


@dataclass
class WorkflowRun:
    """One run of the monthly workflow (one attempt of it): its event, inputs, secrets and
    the jobs it has run, whose outputs the next jobs read as ``needs``."""

    remote: Remote
    root: Path
    secrets: dict[str, str]
    env: dict[str, str]
    """Added to every step's environment: where the stand-ins listen (SENDGRID_API_URL)."""
    event: str = "workflow_dispatch"
    inputs: dict[str, Any] = field(default_factory=dict)
    run_id: int = 1001
    attempt: int = 1
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflow: dict[str, Any] = field(default_factory=lambda: yaml.safe_load(WORKFLOW.read_text()))
    sha: str = ""
    _jobs: itertools.count[int] = field(default_factory=itertools.count)
    variables: dict[str, str] = field(default_factory=dict)
    """The repository's variables (``vars``), such as NEWSLETTER_APPROVAL."""

    def __post_init__(self) -> None:
        self.sha = self.sha or (self.remote.head("main") or "")

    @staticmethod
    def steps_of(job: str) -> list[dict[str, Any]]:
        """The steps of ``job`` in the workflow as written."""
        steps: list[dict[str, Any]] = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]["steps"]
        return steps

    @property
    def artifacts(self) -> Path:
        """The run's artifacts, one folder each (kept across the run's attempts)."""
        return self.root / "artifacts" / str(self.run_id)

    def rerun(self) -> WorkflowRun:
        """ "Re-run all jobs": the same run, event, inputs and commit; its next attempt."""
        return WorkflowRun(
            self.remote, self.root, self.secrets, self.env, self.event, self.inputs,
            self.run_id, self.attempt + 1, {}, self.workflow, self.sha,
            variables=self.variables,
        )  # fmt: skip

    def job(
        self,
        name: str,
        *,
        lost_before: str | None = None,
        before: Mapping[str, Callable[[], None]] | None = None,
        lost_during: tuple[str, threading.Event] | None = None,
    ) -> JobResult:
        """Run job ``name`` on a fresh runner. ``lost_before``: the runner vanishes just
        before the step of that name; ``before``: step name -> what happens elsewhere
        just before it runs; ``lost_during``: (step name, event): the runner vanishes in
        that step once the event is set."""
        spec = self.workflow["jobs"][name]
        workspace = self.root / f"{name}-{self.run_id}-{self.attempt}-{next(self._jobs)}"
        workspace.mkdir(parents=True)
        steps: dict[str, dict[str, Any]] = {}
        results: list[StepResult] = []
        contexts: dict[str, Any] = {
            "github": self._github(),
            "inputs": dict(self.inputs),
            "needs": self.needs,
            "secrets": self.secrets,
            "vars": self.variables,
            "steps": steps,
            "env": {},
        }

        def failed() -> bool:
            return any(r.outcome == "failure" for r in results)

        evaluator = Evaluator(contexts, failed)
        job = JobResult(name, workspace, "success", results)
        if not evaluator.condition(spec.get("if")):
            job.result = "skipped"
            self.needs[name] = {"result": "skipped", "outputs": {}}
            return job
        contexts["env"] = {k: evaluator.interpolate(str(v)) for k, v in self._env(spec).items()}
        for index, step in enumerate(spec["steps"]):
            title = step.get("name") or step.get("uses") or f"step {index}"
            if lost_before and title.startswith(lost_before):
                job.result = "lost"
                return job
            if before:
                for prefix, act in before.items():
                    if title.startswith(prefix):
                        act()
            if not evaluator.condition(step.get("if")):
                results.append(StepResult(title, "skipped"))
                if "id" in step:
                    steps[step["id"]] = {"outcome": "skipped", "outputs": {}}
                continue
            own = {k: evaluator.interpolate(str(v)) for k, v in step.get("env", {}).items()}
            env = {**contexts["env"], **own}
            lost = lost_during[1] if lost_during and title.startswith(lost_during[0]) else None
            outcome, log, outputs, summary = self._step(step, workspace, env, evaluator, lost)
            if outcome == "lost":
                results.append(StepResult(title, outcome, log))
                job.result = "lost"
                return job
            if outcome == "failure" and step.get("continue-on-error"):
                outcome = "success"
            results.append(StepResult(title, outcome, log))
            job.summary += summary
            if "id" in step:
                steps[step["id"]] = {"outcome": outcome, "outputs": outputs}
        job.result = "failure" if failed() else "success"
        job.outputs = {k: evaluator.interpolate(v) for k, v in spec.get("outputs", {}).items()}
        self.needs[name] = {"result": job.result, "outputs": job.outputs}
        return job

    # -- one step ----------------------------------------------------------------------

    def _step(
        self,
        step: dict[str, Any],
        workspace: Path,
        env: dict[str, str],
        evaluator: Evaluator,
        lost: threading.Event | None = None,
    ) -> tuple[str, str, dict[str, str], str]:
        given = {k: evaluator.interpolate(str(v)) for k, v in step.get("with", {}).items()}
        if "uses" in step:
            action = step["uses"].split("@")[0]
            try:
                log = ACTIONS[action](self, workspace, given)
            except AssertionError as exc:
                return "failure", str(exc), {}, ""
            return "success", log, {}, ""
        script = evaluator.interpolate(step["run"])
        if script.strip().startswith("make setup"):
            (workspace / ".venv").symlink_to(sys.prefix)
            return "success", "linked the tests' virtualenv as .venv", {}, ""
        return self._run(script, workspace, env, lost)

    def _run(
        self, script: str, workspace: Path, env: dict[str, str], lost: threading.Event | None
    ) -> tuple[str, str, dict[str, str], str]:
        files = workspace.parent / f"{workspace.name}.files"
        files.mkdir(exist_ok=True)
        output, summary = files / "output", files / "summary"
        output.write_text("")
        summary.write_text("")
        (files / "script.sh").write_text(script)
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(files / "script.sh")],
            cwd=workspace,
            env={
                **self.runner_env(),
                **self._variables(workspace),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                **self.env,
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: the whole step can be lost
        )
        killed = threading.Event()
        if lost is not None:
            threading.Thread(target=_lose, args=(process, lost, killed), daemon=True).start()
        log, _ = process.communicate(timeout=STEP_TIMEOUT)
        lost_here = killed.is_set()
        if lost is not None:
            killed.set()  # the step ended first: the thread stops waiting
        if lost_here:
            return "lost", log, {}, ""
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        outcome = "success" if process.returncode == 0 else "failure"
        return outcome, log, outputs, summary.read_text()

    def runner_env(self) -> dict[str, str]:
        return runner_environment(self.root)

    def _variables(self, workspace: Path) -> dict[str, str]:
        return {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": self.event,
            "GITHUB_REF_NAME": "main",
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": str(self.run_id),
            "GITHUB_RUN_ATTEMPT": str(self.attempt),
            "GITHUB_SHA": self.sha,
            "GITHUB_WORKSPACE": str(workspace),
        }

    def _github(self) -> dict[str, Any]:
        return {
            "event_name": self.event,
            "run_id": str(self.run_id),
            "run_attempt": str(self.attempt),
            "token": self.secrets.get("GITHUB_TOKEN", ""),
            "ref_name": "main",
            "sha": self.sha,
        }

    def _env(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {**self.workflow.get("env", {}), **spec.get("env", {})}


def _lose(process: subprocess.Popen[str], event: threading.Event, killed: threading.Event) -> None:
    """Once ``event`` is set, SIGKILL every process of the step, as a lost runner; the step
    ending first sets ``killed`` to say there is nothing left to lose."""
    while not killed.is_set():
        if event.wait(timeout=0.05):
            if process.poll() is None and not killed.is_set():
                with contextlib.suppress(ProcessLookupError):  # it ended just now
                    os.killpg(process.pid, signal.SIGKILL)
                killed.set()
            return
