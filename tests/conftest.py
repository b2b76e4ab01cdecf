"""Shared fixtures: a copy of the bundled sample newsletter in a temporary folder, the fake
SendGrid server; and the markers of what tests need from the system (tests/requirements.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def pytest_configure(config: pytest.Config) -> None:
    register(config)


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
