"""What some tests need from the system besides Python packages, and how they say so.

Each need is a pytest marker (``pytest -m "not browser"`` leaves those tests out). A test
gets its markers from the fixtures and helpers it uses (``browser``, ``scanned_qr_codes``,
``page_image``: see ``NEEDS_OF_NAMES``) or from a marker written on it or its module. A
test whose need is missing is skipped with the command that installs it; under
``CI=true`` it fails instead, since CI must run everything (``.ci/run`` installs it all).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import pytest


@dataclass(frozen=True)
class Need:
    marker: str
    what: str
    """What the tests use, as the skip and the failure name it."""
    install: str
    """The command that provides it on Debian or Ubuntu."""
    present: Callable[[], bool]


def _commands(*names: str) -> Callable[[], bool]:
    return lambda: all(shutil.which(name) for name in names)


@functools.cache
def network_namespaces_work() -> bool:
    """Whether this process may make a network namespace (as root, or through an
    unprivileged user namespace where the kernel allows one)."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    for extra in ([], ["--map-root-user"]):
        try:
            run = subprocess.run(
                ["unshare", "--net", *extra, "ip", "link", "set", "lo", "up"],
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        if run.returncode == 0:
            return True
    return False


AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core, pinned by tests/a11y/package-lock.json."""

NEEDS = {
    need.marker: need
    for need in (
        Need(
            "browser",
            "Chromium and its chromedriver",
            "apt-get install chromium chromium-driver",
            _commands("chromium", "chromedriver"),
        ),
        Need(
            "poppler",
            "poppler's pdftoppm",
            "apt-get install poppler-utils",
            _commands("pdftoppm"),
        ),
        Need("zbar", "zbar's zbarimg", "apt-get install zbar-tools", _commands("zbarimg")),
        Need(
            "spamassassin",
            "SpamAssassin",
            "apt-get install spamassassin",
            _commands("spamassassin"),
        ),
        Need(
            "axe",
            "axe-core (the npm registry's, as tests/a11y/package-lock.json pins it)",
            "npm ci --prefix tests/a11y",
            AXE.is_file,
        ),
        Need(
            "netns",
            "a network namespace (unshare --net, as root or with user namespaces allowed)",
            "apt-get install util-linux iproute2, and run as root",
            network_namespaces_work,
        ),
    )
}

NEEDS_OF_NAMES = {
    "browser": ("browser",),  # the Selenium fixture in tests/desk/test_desk_browser.py
    "axe_violations": ("browser", "axe"),  # tests/a11y/axe.py
    "scanned_qr_codes": ("poppler", "zbar"),  # tests/print/support.py
    "page_image": ("poppler",),  # tests/print/support.py
}
"""A fixture or helper a test names -> what the test needs from the system."""


def register(config: pytest.Config) -> None:
    for need in NEEDS.values():
        config.addinivalue_line("markers", f"{need.marker}: needs {need.what} ({need.install})")


def _names_in(code: CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _names_in(constant)


def names_used(item: pytest.Item) -> set[str]:
    """The fixtures ``item`` requests and the global names its function's code refers to."""
    names = set(getattr(item, "fixturenames", ()))
    function = getattr(item, "function", None)
    code = getattr(function, "__code__", None)
    if code is not None:
        names.update(_names_in(code))
    return names


def mark_by_use(item: pytest.Item) -> None:
    """Add the markers of what ``item`` needs, judged by the fixtures and helpers it uses."""
    used = names_used(item)
    for name, markers in NEEDS_OF_NAMES.items():
        if name in used:
            for marker in markers:
                item.add_marker(marker)


def require(item: pytest.Item) -> None:
    """Skip ``item`` when something it is marked as needing is missing (fail under CI)."""
    missing = [
        need
        for need in NEEDS.values()
        if item.get_closest_marker(need.marker) and not need.present()
    ]
    if not missing:
        return
    what = "; ".join(f"{need.what} ({need.install})" for need in missing)
    if os.environ.get("CI") == "true":
        pytest.fail(f"missing under CI: {what}; .ci/run installs it", pytrace=False)
    pytest.skip(f"needs {what}")
