"""The workflows ``newsletter init`` writes run in the new project: actionlint finds
nothing, and every make target and script they name is there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.project.support import init_bakery
from tests.test_workflows import actionlint_findings


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "shop"
    init_bakery(folder)
    return folder


def workflows(shop: Path) -> list[Path]:
    return sorted((shop / ".github" / "workflows").glob("*.yml"))


def test_actionlint_finds_nothing_in_the_projects_workflows(shop: Path) -> None:
    assert actionlint_findings(shop, workflows(shop)) == (0, "")


def test_every_make_target_and_script_the_workflows_name_is_in_the_project(shop: Path) -> None:
    makefile = (shop / "Makefile").read_text(encoding="utf-8")
    for workflow in workflows(shop):
        jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
        text = "\n".join(
            step.get("run", "") for job in jobs.values() for step in job.get("steps", [])
        )
        for target in re.findall(r"\bmake ([a-z-]+)", text):
            assert re.search(rf"^{target}:", makefile, re.MULTILINE), (workflow.name, target)
        for name in re.findall(r"\bscripts/([\w.-]+)", text):
            assert (shop / "scripts" / name).is_file(), (workflow.name, name)


def test_pips_cache_is_keyed_on_the_projects_requirements(shop: Path) -> None:
    for workflow in workflows(shop):
        text = workflow.read_text(encoding="utf-8")
        assert "pyproject.toml" not in text, workflow.name
        assert "cache-dependency-path: requirements.txt" in text, workflow.name


def test_the_projects_ci_checks_it_strictly(shop: Path) -> None:
    makefile = (shop / "Makefile").read_text(encoding="utf-8")
    ci = (shop / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "run: make check" in ci
    assert "check --month $(MONTH) --strict" in makefile


def test_make_help_lists_the_projects_targets(shop: Path) -> None:
    shown = subprocess.run(
        ["make", "help"], cwd=shop, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    for target in ("issue", "preview", "check", "doctor", "send", "serve", "desk-pull"):
        assert re.search(rf"^  {target}\s", shown, re.MULTILINE), target
