"""What the benchmark scripts share (they import the installed package and this, never tests)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PARTS = ("newsletter.yaml", "content", "templates", "subscribers")
"""The bundled sample newsletter: config, content, templates and its subscriber lists."""


def copy_sample(destination: Path) -> Path:
    """Copy the bundled sample newsletter (no state, no builds) into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in SAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    return destination


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: getrusage would report the parent's
    peak when that was higher, as Linux carries ru_maxrss across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_figures(script: str, *arguments: object) -> dict[str, float]:
    """Run ``script --child ARGUMENTS...`` in a fresh process (so its time and memory are
    its own) and return the figures it prints as JSON on its last line."""
    run = subprocess.run(
        [sys.executable, script, "--child", *map(str, arguments)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return figures


RESULTS_ENV = "NEWSLETTER_BENCH_RESULTS"
"""Where ``make bench`` (benchmarks/run.py) collects the figures each script records: a
file of JSON lines. Unset, as when a script runs by hand, recording does nothing."""


def record(
    figure: str,
    samples: Sequence[float],
    unit: str,
    *,
    target: float | None = None,
    at_most: bool = True,
) -> None:
    """Record one figure's measurements (one per run) for benchmarks/RESULTS.md, beside
    what the script prints. ``target`` is an upper bound, or a lower one with
    ``at_most=False`` (a rate)."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    line = {
        "script": Path(sys.argv[0]).name,
        "figure": figure,
        "samples": [float(sample) for sample in samples],
        "unit": unit,
        "target": target,
        "at_most": at_most,
    }
    with open(path, "a", encoding="utf-8") as results:
        results.write(json.dumps(line, ensure_ascii=False) + "\n")
