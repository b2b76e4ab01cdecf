"""Every script in benchmarks/ explains itself (``--help`` prints its usage and arguments,
and runs nothing) and imports the installed package and its own helpers, never tests."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
TEST_BRIDGE = "sendgrid_server.py"  # serves the tests' fake SendGrid in a process of its own


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_script_answers_help_with_its_usage(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ") and "--help" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    "script",
    [s for s in SCRIPTS if s != TEST_BRIDGE] + ["_support.py"],
)
def test_benchmark_script_imports_the_package_and_its_helpers_not_tests(script: str) -> None:
    tree = ast.parse((BENCHMARKS / script).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not {name for name in imported if name.split(".")[0] == "tests"}
    assert "sys.path.insert" not in (BENCHMARKS / script).read_text(encoding="utf-8")
