"""Fixtures for the desk: a running desk on a copy of the sample, mailing to aiosmtpd."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desk.support import RunningDesk, desk_project, start_desk
from tests.smtp_server import Recorder


@pytest.fixture
def desk_site(sample_project: Path, server: tuple[Recorder, int]) -> Path:
    """The sample project, its mail going to the test's SMTP server."""
    return desk_project(sample_project, server[1])


@pytest.fixture
def desk(desk_site: Path) -> Iterator[RunningDesk]:
    """The desk serving the sample project on a free loopback port."""
    running = start_desk(desk_site)
    try:
        yield running
    finally:
        running.stop()
