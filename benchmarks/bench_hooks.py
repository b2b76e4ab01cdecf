"""Benchmark personal hooks: 100,000 subscribers with 6 tags and dated facts that call for
hook lines, against the same list without tags or facts, on the same machine in the same
run. ``--blocks N``: for how many of the 6 tags the month's editorial has a block (default
2; 6 is the worst case: all 64 combinations of tags in use in each segment, each needing
requests of its own).

- build: the whole offline build, reading the list and rendering every variant in use
  (target <= 15 s);
- send: a whole send through the send's SendGrid transport to the fake server (each in a
  fresh process, as bench_send.py does), personalized against plain (target: within 20 %).

Figures are medians over --repeat runs.

    .venv/bin/python benchmarks/bench_hooks.py [--recipients 100000] [--repeat 3] [--blocks 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _support import REPO, record
from bench_send import MONTH, SEGMENTS, Workload, run_once

from newsletter.audience.hooks import VARIANTS_FILE
from newsletter.config import load_config
from newsletter.pipeline.build import build

TAGS = ("pets", "kids", "new-homeowner", "allergies", "senior", "smart-home")
BUILD_TARGET = 15.0
SEND_MARGIN = 0.20
KINDS = ("plain", "personal")
PERSONAL = f"""
personal:
  tags: [{", ".join(TAGS)}]
  max_variants: 1000
  hooks:
    - fact: installed
      min_years: 15
      text: "Your {{what}} is past fifteen: worth a look before it quits."
    - fact: last_service
      min_months: 11
      text: "Your yearly tune-up is due: reply to book."
"""


def project(folder: Path, recipients: int, *, personal: bool, blocks: int) -> Path:
    for part in ("content", "templates", "subscribers"):
        shutil.copytree(REPO / part, folder / part)
    config = (REPO / "newsletter.yaml").read_text()
    (folder / "newsletter.yaml").write_text(config + (PERSONAL if personal else ""))
    if personal:
        editorial = sorted((folder / "content" / "editorials" / MONTH).glob("*.md"))[0]
        notes = "".join(
            f"\n::: only {t}\nA note for readers tagged {t}.\n:::\n" for t in TAGS[:blocks]
        )
        editorial.write_text(editorial.read_text() + notes)
    with (folder / "subscribers" / "subscribers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "segment", "channels", "tags", "facts"])
        for n in range(recipients):
            # Each reader some of the 6 tags (every one of the 64 combinations in use) and
            # facts that call for none, one or both hook lines.
            tags = ";".join(t for bit, t in enumerate(TAGS) if (n * 2654435761 >> bit + 7) & 1)
            facts = f"installed: furnace {1995 + n % 30}; last_service: 2025-{1 + n % 12:02d}-15"
            row = [f"reader{n:07d}@example.com", f"Reader{n}", SEGMENTS[n % 3], "email"]
            writer.writerow([*row, tags if personal else "", facts if personal else ""])
    return folder / "newsletter.yaml"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="bench_hooks.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--recipients", type=int, default=100_000, metavar="N", help="list size (default 100000)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="builds and sends of each list; figures are medians (default 3)",
    )
    parser.add_argument(
        "--blocks",
        type=int,
        default=2,
        choices=range(len(TAGS) + 1),
        metavar="N",
        help="tags (of 6) the editorial has a block for (default 2; 6: the worst case)",
    )
    options = parser.parse_args(argv)
    workload = Workload(options.recipients, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        folders = {kind: Path(tmp) / kind for kind in KINDS}
        builds: dict[str, list[float]] = {kind: [] for kind in KINDS}
        sends: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
        settings = {}
        for kind, folder in folders.items():
            folder.mkdir()
            made = project(
                folder, options.recipients, personal=kind == "personal", blocks=options.blocks
            )
            settings[kind] = load_config(made)
        # Plain and personal take turns, so a change in the machine's load falls on both.
        for _ in range(options.repeat):
            for kind, folder in folders.items():
                started = time.perf_counter()
                build(settings[kind], MONTH, out_root=folder / "build", offline=True)
                builds[kind].append(time.perf_counter() - started)
        for _ in range(options.repeat):
            for kind, folder in folders.items():
                sends[kind].append(run_once(folder, workload, 0))
        variants = variant_count(folders["personal"] / "build" / MONTH / VARIANTS_FILE)
    for kind in KINDS:
        each_build = ", ".join(f"{b:.2f}" for b in builds[kind])
        each_send = ", ".join(f"{r['seconds']:.2f}" for r in sends[kind])
        requests = statistics.median(r["requests"] for r in sends[kind])
        who = f"{kind}, {options.recipients:,} subscribers"
        target = BUILD_TARGET if kind == "personal" else None
        record(f"hooks, {who}: build", builds[kind], "s", target=target)
        record(f"hooks, {who}: send", [r["seconds"] for r in sends[kind]], "s")
        print(
            f"{kind}: {options.recipients:,} subscribers, "
            f"{variants if kind == 'personal' else 0} variants; build "
            f"{statistics.median(builds[kind]):.2f} s (runs: {each_build}); send "
            f"{statistics.median(r['seconds'] for r in sends[kind]):.2f} s wall "
            f"(runs: {each_send}), {requests:.0f} requests"
        )
    personal_build = statistics.median(builds["personal"])
    verdict = "met" if personal_build <= BUILD_TARGET else "MISSED"
    print(f"  build target <= {BUILD_TARGET:g} s: {verdict}")
    ratio = statistics.median(r["seconds"] for r in sends["personal"]) / statistics.median(
        r["seconds"] for r in sends["plain"]
    )
    verdict = "met" if ratio <= 1 + SEND_MARGIN else "MISSED"
    record("hooks, send personal / plain", [ratio], "x", target=1 + SEND_MARGIN)
    print(f"  send personal/plain = {ratio:.2f} (target <= {1 + SEND_MARGIN:.2f}): {verdict}")


def variant_count(listing: Path) -> int:
    segments = json.loads(listing.read_text())["segments"].values()
    return sum(len(segment["variants"]) for segment in segments)


if __name__ == "__main__":
    main(sys.argv[1:])
