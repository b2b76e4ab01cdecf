"""Shared fixtures: a copy of the tests' fixture project in a temporary folder, the fake
SendGrid server; the markers of what tests need from the system (tests/requirements.py); and
a guard that keeps the suite off the top-level sample, which is the adopter's to change."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.render.environment import make_environment
from tests.fake_sendgrid import FakeSendGrid
from tests.golden import copy_sample
from tests.issue_factory import sample_issue, sample_settings
from tests.requirements import mark_by_use, register, require
from tests.smtp_server import server  # noqa: F401 - shared fixture

REPO = Path(__file__).resolve().parent.parent
ADOPTERS_FILES = tuple(
    str(REPO / name) for name in ("newsletter.yaml", "content", "subscribers", "state", "build")
)
"""The top-level sample project: the business that adopts the tool renames, rewrites and
fills it, and the suite must stay green when it does, so no test reads or writes it."""
WATCHED_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "os.mkdir", "os.remove"})


def _is_adopters(path: object) -> bool:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str | os.PathLike):
        return False  # a file descriptor
    full = os.path.abspath(path)
    return any(full == name or full.startswith(name + os.sep) for name in ADOPTERS_FILES)


def _refuse_the_adopters_files(event: str, args: tuple[Any, ...]) -> None:
    if event in WATCHED_EVENTS and args and _is_adopters(args[0]):
        raise PermissionError(
            f"a test touched the top-level sample ({args[0]}): tests build their own "
            "project (tests/fixtures/project, tests/project_factory.py)"
        )


def pytest_configure(config: pytest.Config) -> None:
    register(config)
    sys.addaudithook(_refuse_the_adopters_files)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark_by_use(item)


def pytest_runtest_setup(item: pytest.Item) -> None:
    require(item)


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """The sample newsletter copied to tmp_path, so a test may change and build it freely."""
    project = tmp_path / "project"
    copy_sample(project)
    return project


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The sample newsletter's settings, for renderer tests."""
    return sample_settings()


@pytest.fixture(scope="session")
def issue(settings: Settings) -> Issue:
    """An in-memory issue with every kind of section (tests/issue_factory.py)."""
    return sample_issue(settings)


@pytest.fixture(scope="session")
def env(settings: Settings) -> jinja2.Environment:
    return make_environment(settings.templates_dir)


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    """A running fake SendGrid server (tests/fake_sendgrid.py), stopped after the test."""
    with FakeSendGrid() as running:
        yield running
