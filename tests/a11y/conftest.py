"""The desk's browser (Debian's Chromium through chromedriver) for the accessibility tests,
the fixture project in the test's brand, built and reported, and its desk."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.a11y.project import Brand, a11y_project
from tests.desk.support import RunningDesk, desk_project, start_desk
from tests.desk.test_desk_browser import browser  # noqa: F401 - shared fixture
from tests.project_factory import MONTH, build, newsletter
from tests.smtp_server import Recorder


@pytest.fixture
def project(tmp_path: Path, brand: Brand) -> Path:
    return a11y_project(tmp_path / "project", brand)


@pytest.fixture
def out(project: Path) -> Path:
    """The project's build folder, after the month's build and report."""
    done = build(project)
    assert done.returncode == 0, done.stderr
    done = newsletter(
        project, "report", "--month", MONTH, "--out", str(project / "build"), "--now",
        "2026-11-20T12:00",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return project / "build"


@pytest.fixture
def desk(project: Path, server: tuple[Recorder, int]) -> Iterator[RunningDesk]:
    running = start_desk(desk_project(project, server[1]))
    try:
        yield running
    finally:
        running.stop()
