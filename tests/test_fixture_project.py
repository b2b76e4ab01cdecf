"""The suite belongs to the code: it builds its own projects and leaves the top-level sample,
which an adopter renames and rewrites, alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config
from tests.conftest import REPO
from tests.golden import FIXTURE_PROJECT


@pytest.mark.parametrize("name", ["newsletter.yaml", "content/offers", "subscribers/x.csv"])
def test_a_test_that_reads_the_top_level_sample_fails_naming_it(name: str) -> None:
    with pytest.raises(PermissionError, match="top-level sample"):
        (REPO / name).read_bytes()


def test_a_test_that_lists_the_top_level_content_fails() -> None:
    with pytest.raises(PermissionError, match="top-level sample"):
        list((REPO / "content").iterdir())


def test_the_fixture_project_is_a_whole_project_of_its_own() -> None:
    settings = load_config(FIXTURE_PROJECT / "newsletter.yaml")
    assert settings.subscribers_csv.is_relative_to(FIXTURE_PROJECT)
    assert settings.subscribers_csv.is_file()


def test_a_copy_of_the_fixture_project_takes_the_package_templates(sample_project: Path) -> None:
    assert (sample_project / "templates").is_dir()
    assert (sample_project / "newsletter.yaml").read_bytes() == (
        FIXTURE_PROJECT / "newsletter.yaml"
    ).read_bytes()
