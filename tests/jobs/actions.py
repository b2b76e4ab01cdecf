"""The actions the monthly workflow uses, as a hosted runner would run them here
(tests/jobs/hosted.py): a shallow checkout of one commit, artifacts kept per run in a
folder, and nothing at all for what only downloads or deploys."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.jobs.remote import git

if TYPE_CHECKING:
    from tests.jobs.hosted import WorkflowRun


def checkout(run: WorkflowRun, workspace: Path, given: dict[str, str]) -> str:
    """actions/checkout: a shallow fetch of one commit (or ``fetch-depth``), no tags."""
    ref = given.get("ref") or run.sha
    depth = given.get("fetch-depth", "1")
    env = run.runner_env()
    git(workspace, "init", "--quiet", "--initial-branch=main", env=env)
    git(workspace, "remote", "add", "origin", run.remote.url, env=env)
    git(workspace, "fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin",
        f"+{ref}:refs/remotes/origin/main", env=env)  # fmt: skip
    git(workspace, "checkout", "--quiet", "--force", "-B", "main", "refs/remotes/origin/main",
        env=env)  # fmt: skip
    return f"checked out {ref[:12]}"


def upload_artifact(run: WorkflowRun, workspace: Path, given: dict[str, str]) -> str:
    """actions/upload-artifact: the files under the given paths, kept for the run, each
    relative to the paths' nearest common folder (as the action stores them)."""
    target = run.artifacts / given["name"]
    if target.exists() and given.get("overwrite") != "true":
        raise AssertionError(f"an artifact named {given['name']} exists in this run")
    shutil.rmtree(target, ignore_errors=True)
    patterns = [line.strip().rstrip("/") for line in given["path"].splitlines() if line.strip()]
    found = [path for pattern in patterns for path in sorted(workspace.glob(pattern))]
    if not found:
        if given.get("if-no-files-found", "warn") == "error":
            raise AssertionError(f"no files for artifact {given['name']}")
        return f"no files for {given['name']}"
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in found]))
    for path in found:
        destination = target / path.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(path, destination)
    return f"uploaded {len(found)} paths as {given['name']}"


def download_artifact(run: WorkflowRun, workspace: Path, given: dict[str, str]) -> str:
    """actions/download-artifact: one artifact of this run, or of run ``run-id`` (which
    needs ``github-token``), into ``path``."""
    other = given.get("run-id")
    if other and not given.get("github-token"):
        raise AssertionError("an artifact of another run needs github-token")
    source = (run.artifacts.parent / other if other else run.artifacts) / given["name"]
    if not source.exists():
        raise AssertionError(f"no artifact {given['name']} in run {other or run.run_id}")
    shutil.copytree(source, workspace / given.get("path", "."), dirs_exist_ok=True)
    return f"downloaded {given['name']}"


def nothing(run: WorkflowRun, workspace: Path, given: dict[str, str]) -> str:
    return "nothing to do here"


ACTIONS: dict[str, Callable[[WorkflowRun, Path, dict[str, str]], str]] = {
    "actions/checkout": checkout,
    "actions/setup-python": nothing,  # the interpreter is runner_env's python3
    "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact,
    "actions/upload-pages-artifact": nothing,
    "actions/deploy-pages": nothing,
}
