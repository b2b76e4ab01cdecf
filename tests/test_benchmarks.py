"""Every script in benchmarks/ explains itself (``--help`` prints its usage and arguments,
and runs nothing) and imports the installed package and its own helpers, never tests; `make
bench` gathers the figures they record into benchmarks/RESULTS.md."""

from __future__ import annotations

import ast
import os
import re
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


FIGURES_SCRIPT = """
from _support import record
record("widgets made", [3.0, 1.0, 2.0], "s", target=2.5)
record("widgets per second", [40.0, 50.0, 60.0], "widgets/s", target=100, at_most=False)
print("widgets: median 2.00 s of 3 runs")
"""


def test_make_bench_writes_results_with_machine_date_command_and_each_figure(
    tmp_path: Path,
) -> None:
    (tmp_path / "bench_widgets.py").write_text(FIGURES_SCRIPT)
    (tmp_path / "bench_broken.py").write_text("import sys\nsys.exit('missed its target')\n")
    out = tmp_path / "RESULTS.md"
    scripts = [str(tmp_path / "bench_widgets.py"), str(tmp_path / "bench_broken.py")]
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--out", str(out), *scripts],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(BENCHMARKS)},
    )
    assert done.returncode == 1, done.stderr
    assert "failed or missed a target: bench_broken.py" in done.stdout
    results = out.read_text()
    assert re.search(r"^- \*\*Date:\*\* \d{4}-\d\d-\d\d \d\d:\d\d UTC$", results, re.M)
    assert re.search(rf"^- \*\*Machine:\*\* .*{os.cpu_count()} cores.*; Python 3\.", results, re.M)
    assert "| widgets made | 2.00 s | 1.00 – 3.00 | 3 | ≤ 2.50 s: met | `bench_widgets.py` |" in (
        results
    )
    assert (
        "| widgets per second | 50.0 widgets/s | 40.0 – 60.0 | 3 | ≥ 100 widgets/s: MISSED |"
        in (results)
    )
    assert "### bench_broken.py — exited 1" in results and "missed its target" in results
    assert "widgets: median 2.00 s of 3 runs" in results
    assert f"{os.path.relpath(sys.executable, BENCHMARKS.parent)} " in results
