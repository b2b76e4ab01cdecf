"""Tests that need a tool from the system say so: a skip naming the install command where
it is missing, a failure under CI=true, and a marker to select or leave them out by."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ("pytester",)

CONFTEST = """
import dataclasses
from tests.requirements import NEEDS, mark_by_use, register, require

# zbar "missing", poppler "present", whatever this machine has
NEEDS["zbar"] = dataclasses.replace(NEEDS["zbar"], present=lambda: False)
NEEDS["poppler"] = dataclasses.replace(NEEDS["poppler"], present=lambda: True)

def pytest_configure(config):
    register(config)

def pytest_collection_modifyitems(items):
    for item in items:
        mark_by_use(item)

def pytest_runtest_setup(item):
    require(item)
"""

TESTS = """
import pytest

def scanned_qr_codes():
    return ["https://example.com/"]

def page_image():
    return "page.png"

def test_reads_a_code():
    assert scanned_qr_codes() == ["https://example.com/"]

def test_renders_a_page():
    assert page_image() == "page.png"

@pytest.mark.zbar
def test_marked_by_hand():
    pass

def test_needs_nothing():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_tools=TESTS)
    return pytester


def test_a_test_whose_tool_is_missing_is_skipped_naming_the_install_command(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(["*SKIPPED*needs zbar's zbarimg (apt-get install zbar-tools)*"])


def test_under_ci_a_missing_tool_fails_the_test(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*missing under CI: zbar's zbarimg*.ci/run installs it*"])


def test_a_test_is_marked_by_the_helpers_it_calls(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-m", "poppler", "-v")
    result.assert_outcomes(passed=1, skipped=1, deselected=2)
    result.stdout.fnmatch_lines(["*test_reads_a_code SKIPPED*", "*test_renders_a_page PASSED*"])


def test_leaving_out_what_this_machine_lacks_runs_the_rest(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-m", "not zbar")
    result.assert_outcomes(passed=2, deselected=2)
