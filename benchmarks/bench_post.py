"""Benchmark: the post commands on a list of 10,000 readers by post, through the installed
console script, as a business runs them.

- ``newsletter mail standardize`` (a dry run: every US address parsed into USPS Publication
  28 form and shown as a diff) — target 15 s;
- ``newsletter mail returned --file`` with a print shop's returns file of 1,000 rows (a dry
  run: each row matched to its door) — target 15 s.

Each is timed as a whole process (start-up included), the median of ``--runs``.

    .venv/bin/python benchmarks/bench_post.py [READERS] [--runs 3] [--returns 1000]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _support import REPO

TARGET_SECONDS = 15.0
STREETS = ("Atwood Avenue", "North Jenifer Street", "Rutledge St.", "West Milwaukee Street")
UNITS = ("", "", "Apt 4", "#2", "Unit 7B", "Apartment 12")
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")
CONFIG = {
    "business": {
        "name": "Bench Plumbing",
        "address": {"street": "1 Main St", "city": "Madison", "region": "WI",
                    "postal_code": "53703", "country": "US"},
    },
    "sender": {"name": "Bench", "email": "news@bench.example"},
    "timezone": "America/Chicago",
    "web": {"base_url": "https://news.bench.example/"},
    "paths": {"templates": str(REPO / "templates")},
    "sections": [{"id": "offer", "title": "Tell a neighbor"}],
}  # fmt: skip


def street(n: int) -> str:
    return f"{100 + n // 7} {STREETS[n % len(STREETS)]} {UNITS[n % len(UNITS)]}".strip()


def project(folder: Path, readers: int, returns: int) -> tuple[Path, Path]:
    (folder / "subscribers").mkdir(parents=True)
    config = folder / "newsletter.yaml"
    config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    with (folder / "subscribers" / "subscribers.csv").open("w", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("email", "first_name", "last_name", "segment", "channels", "street",
                         "city", "region", "postal_code", "country"))  # fmt: skip
        for n in range(readers):
            reader = (f"r{n}@example.com", "Zoë", f"Reader{n}", "client", "mail")
            writer.writerow((*reader, street(n), "Madison", "Wisconsin", f"{53700 + n % 20}", "US"))
    shop = folder / "returns.csv"
    with shop.open("w", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("name", "address_1", "city", "region", "postal_code", "reason"))
        step = max(readers // max(returns, 1), 1)
        for n in range(0, step * returns, step):
            writer.writerow((f"Zoë Reader{n}", street(n).upper(), "MADISON", "WI",
                             f"{53700 + n % 20}", "Vacant"))  # fmt: skip
    return config, shop


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ))
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed: {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("readers", nargs="?", type=int, default=10_000, help="readers by post")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--returns", type=int, default=1_000, help="rows of the returns file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config, shop = project(Path(tmp), options.readers, options.returns)
        where = ["--config", str(config)]
        jobs = {
            "mail standardize": [str(CONSOLE_SCRIPT), "mail", "standardize", *where],
            f"mail returned --file ({options.returns:,} rows)": [
                str(CONSOLE_SCRIPT), "mail", "returned", "--file", str(shop), *where],
        }  # fmt: skip
        for name, args in jobs.items():
            times = [timed(args) for _ in range(options.runs)]
            runs = ", ".join(f"{t:.1f}" for t in times)
            print(
                f"{name}: {options.readers:,} readers by post in "
                f"{statistics.median(times):.1f} s, median of {options.runs} ({runs}); "
                f"target <= {TARGET_SECONDS:.0f} s"
            )


if __name__ == "__main__":
    main()
