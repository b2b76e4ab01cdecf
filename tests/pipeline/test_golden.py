"""The sample issue renders exactly as the reviewed golden files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden import GOLDEN_DIR, GOLDEN_FILES, build_sample


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("golden")).out_dir


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_sample_issue_matches_golden_file(sample_build: Path, name: str) -> None:
    expected = (GOLDEN_DIR / name).read_text(encoding="utf-8")
    actual = (sample_build / name).read_text(encoding="utf-8")
    assert actual == expected, f"{name} changed: review it, then run `make update-golden`"
