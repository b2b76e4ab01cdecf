"""Run the benchmarks (every bench_*.py, or those named) and write benchmarks/RESULTS.md: the
machine, the date, and per figure the command, the median and the range of its runs, the
target; then each script's own output. `make bench` runs this.

    .venv/bin/python benchmarks/run.py [bench_yaml.py ...] [--out benchmarks/RESULTS.md]

Exits 1 when a script fails or misses its target (RESULTS.md is written all the same).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _support import REPO, RESULTS_ENV

BENCHMARKS = REPO / "benchmarks"


@dataclass
class ScriptRun:
    script: str
    command: str
    load: tuple[float, float, float]
    returncode: int = 0
    output: list[str] = field(default_factory=list)


def proc_field(path: str, name: str) -> str | None:
    """The first ``name: value`` of a /proc file (Linux), or None elsewhere."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def machine() -> str:
    """One line: the system, the processor, cores, memory, Python."""
    cpu = proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    kib = proc_field("/proc/meminfo", "MemTotal")
    memory = f", {int(kib.split()[0]) / 1024**2:.0f} GiB" if kib else ""
    return (
        f"{platform.system()} {platform.release()} ({platform.machine()}), {cpu}, "
        f"{os.cpu_count()} cores{memory}; Python {platform.python_version()}"
    )


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", ":!benchmarks/RESULTS.md"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head} with uncommitted changes" if changed else head or "unknown"


def run_script(script: Path, results: Path) -> ScriptRun:
    """Run one script, its output shown as it comes and kept for RESULTS.md."""
    python = os.path.relpath(sys.executable, REPO)
    shown = os.path.relpath(script, REPO)
    run = ScriptRun(script.name, f"{python} {shown}", os.getloadavg())
    print(f"== {shown}", flush=True)
    with subprocess.Popen(
        [sys.executable, str(script)],
        cwd=REPO,
        env={**os.environ, RESULTS_ENV: str(results)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            run.output.append(line.rstrip("\n"))
    run.returncode = child.returncode
    return run


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def figure_row(figure: dict[str, Any]) -> str:
    samples = [float(s) for s in figure["samples"]]
    unit = figure["unit"]
    median = statistics.median(samples)
    spread = f"{number(min(samples))} – {number(max(samples))}" if len(samples) > 1 else ""
    target = figure["target"]
    verdict = ""
    if isinstance(target, int | float):
        at_most = figure["at_most"]
        met = median <= target if at_most else median >= target
        verdict = f"{'≤' if at_most else '≥'} {number(target)} {unit}: {'met' if met else 'MISSED'}"
    cells = [
        str(figure["figure"]),
        f"{number(median)} {unit}",
        spread,
        str(len(samples)),
        verdict,
        f"`{figure['script']}`",
    ]
    return "| " + " | ".join(cells) + " |"


def results_markdown(
    runs: list[ScriptRun], figures: list[dict[str, Any]], *, started: datetime, measured: str
) -> str:
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); run it again rather than edit this "
        "file. Each figure is the median of the script's runs, with the fastest and the "
        "slowest; other work on the machine shows in them, so the load average is given "
        "for each script.",
        "",
        f"- **Date:** {when}",
        f"- **Machine:** {machine()}",
        f"- **Commit:** {measured}",
        "",
        "| figure | median | min – max | runs | target | script |",
        "| --- | --- | --- | --- | --- | --- |",
        *(figure_row(figure) for figure in figures),
        "",
    ]
    for run in runs:
        status = "" if run.returncode == 0 else f" — exited {run.returncode}"
        load = ", ".join(f"{value:.2f}" for value in run.load)
        lines += [
            f"### {run.script}{status}",
            "",
            f"`{run.command}` (load average before it: {load})",
            "",
            "```text",
            *run.output,
            "```",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run the benchmarks and write benchmarks/RESULTS.md.",
        epilog="Each script also runs alone; `python benchmarks/NAME.py --help` shows its "
        "arguments and target.",
    )
    parser.add_argument(
        "scripts", nargs="*", help="scripts, by name or path (default: every bench_*.py)"
    )
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "RESULTS.md", help="where")
    args = parser.parse_args()
    named = [Path(s) if Path(s).is_file() else BENCHMARKS / s for s in args.scripts]
    scripts = named or sorted(BENCHMARKS.glob("bench_*.py"))
    started, measured = datetime.now(UTC), commit()  # what was measured, not what came later
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "figures.jsonl"
        results.touch()
        runs = [run_script(script.resolve(), results) for script in scripts]
        figures = [json.loads(line) for line in results.read_text().splitlines()]
    markdown = results_markdown(runs, figures, started=started, measured=measured)
    args.out.write_text(markdown, encoding="utf-8")
    failed = [run.script for run in runs if run.returncode != 0]
    print(f"wrote {args.out}")
    if failed:
        print(f"failed or missed a target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
