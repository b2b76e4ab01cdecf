"""Benchmark: how long hostile YAML takes to be refused. Target: each well under 1 s (the
issue that prompted the bounds saw 31 s and 3.4 GB for a nine-level alias bomb in
newsletter.yaml, 10 s and 1.6 GB for seven levels in front matter). Prints the median of
RUNS runs, and the sample config's load time for comparison.

    .venv/bin/python benchmarks/bench_yaml.py [--runs 21]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from _support import REPO, record

from newsletter.config import load_config
from newsletter.config.yamlfile import MAX_YAML_CHARS
from newsletter.errors import NewsletterError
from newsletter.sources.markup import parse_front_matter

RUNS = 21
TARGET = 1.0


def alias_bomb(levels: int) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels + 1):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def median_of(name: str, action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with contextlib.suppress(NewsletterError):  # hostile cases are meant to fail
            action()
        timings.append(time.perf_counter() - started)
    record(f"yaml, {name}", [t * 1000 for t in timings], "ms", target=TARGET * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Time how long hostile YAML (alias bombs, deep nesting, near-cap files) "
        "takes to be refused, beside the sample config's load; exits 1 over the target.",
        epilog=f"Target: every case's median under {TARGET:.0f} s.",
    )
    parser.add_argument(
        "--runs", type=int, default=RUNS, help=f"runs per case; the median is printed ({RUNS})"
    )
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bomb = folder / "bomb.yaml"
        bomb.write_text((REPO / "newsletter.yaml").read_text() + alias_bomb(9))
        widest = folder / "widest.yaml"  # just under the cap: one flow list of aliases
        anchor = "a: &a [" + ", ".join(["x"] * 5000) + "]\nb: ["
        widest.write_text(anchor + ", ".join(["*a"] * ((MAX_YAML_CHARS - 30_000) // 4)) + "]\n")
        near_cap = folder / "near-cap.yaml"  # valid and just under the cap: 1,700 observances
        data = yaml.safe_load((REPO / "newsletter.yaml").read_text())
        data["holidays"]["custom"] = [
            {"name": f"Day {n}", "date": f"{n % 12 + 1:02d}-{n % 28 + 1:02d}"} for n in range(1700)
        ]
        near_cap.write_text(yaml.safe_dump(data, allow_unicode=True, width=1000))
        assert near_cap.stat().st_size < MAX_YAML_CHARS, near_cap.stat().st_size
        load_config(near_cap)  # must load: it measures the cost of a valid file
        deep = folder / "deep.yaml"
        deep.write_text("[" * 60_000)
        front = "---\ntitle: Hi\n" + alias_bomb(7) + "---\nBody\n"
        cases: dict[str, Callable[[], object]] = {
            "sample newsletter.yaml (valid)": lambda: load_config(REPO / "newsletter.yaml"),
            "newsletter.yaml + 9-level alias bomb": lambda: load_config(bomb),
            "a cap's worth of aliases to a 5,000-item list": lambda: load_config(widest),
            "near-cap valid config, 1,700 observances": lambda: load_config(near_cap),
            "60,000 nested brackets": lambda: load_config(deep),
            "front matter, 7-level alias bomb": lambda: parse_front_matter(front, Path("b.md")),
        }
        worst = 0.0
        for name, action in cases.items():
            median = median_of(name, action, runs)
            worst = max(worst, median)
            print(f"yaml: {name}: median {median * 1000:.1f} ms of {runs} runs")
    if worst > TARGET:
        sys.exit(f"yaml benchmark over its {TARGET:.0f} s target")


if __name__ == "__main__":
    main()
