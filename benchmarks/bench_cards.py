"""Benchmark: ``newsletter cards`` for 5,000 mail prospects: the whole run (roster, content,
both sides rendered once, every card's layer, cards.pdf, labels, mailing list, written to
disk), each run in a child process of its own so its peak RSS is its own.

Target (issue 14): 5,000 cards in ≤ 30 s wall on 2 cores, the median of the runs. CPU
seconds (the child's and its workers') are printed too: on a machine shared with other
work they vary less than wall time.

    .venv/bin/python benchmarks/bench_cards.py [CARDS] [--runs 3] [--size 4.25x6]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _support import child_figures, copy_sample, peak_rss_mb, record

from newsletter.cards import parse_quarter
from newsletter.config import load_config
from newsletter.config.cards import CARD_SIZES
from newsletter.print.cardrun import print_cards

SECRET = b"benchmark-secret-0123456789"
QUARTER = "2026Q4"
TARGET_SECONDS = 30.0
CPU_FIELDS = ("user", "system", "children_user", "children_system")
FIRST = ("Łukasz", "Zoë", "María", "Jürgen", "Anaïs", "Tomáš", "Ngozi", "Sam", "Chloé", "Øystein")
LAST = ("Nowak", "Lindqvist", "González", "Müller", "Dvořák", "Okafor", "Ólafsdóttir", "Lee")
STREETS = ("Atwood Avenue", "Jenifer Street", "Rutledge Street", "Milwaukee Street Apt 4")
COLUMNS = ("email", "first_name", "last_name", "segment", "channels", "street", "city", "region",
           "postal_code")  # fmt: skip


def project(folder: Path, cards: int, size: str) -> Path:
    """The sample with ``cards`` mail prospects (every fifth one a client, with a referral
    code in its QR link) and cards of ``size``."""
    copy_sample(folder)
    path = folder / "newsletter.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["cards"] = {"segments": ["client"], "size": size}
    if size != "4.25x6":
        config["cards"]["rate"] = "letter"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with (folder / "subscribers" / "subscribers.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n in range(cards):
            segment = "client" if n % 5 == 0 else "prospect"
            street = f"{100 + n % 3900} {STREETS[n % len(STREETS)]}"
            reader = (f"reader{n:06d}@example.com", FIRST[n % len(FIRST)], LAST[n % len(LAST)])
            writer.writerow((*reader, segment, "mail", street, "Madison", "WI", 53700 + n % 20))
    (folder / "subscribers" / "suppressions.csv").unlink(missing_ok=True)
    return path


def child(config: Path, out_root: Path) -> None:
    """The timed run, in its own process: prints its figures as JSON."""
    settings = load_config(config)
    started, times = time.perf_counter(), os.times()
    result = print_cards(settings, parse_quarter(QUARTER), out_root=out_root, secret=SECRET)
    elapsed, after = time.perf_counter() - started, os.times()
    cpu = sum(getattr(after, f) - getattr(times, f) for f in CPU_FIELDS)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "cards": result.cards,
                "rss_mb": peak_rss_mb(),
                "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "pdf_mb": (result.out_dir / "cards.pdf").stat().st_size / 1e6,
            }
        )
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time `newsletter cards` for many cards; exits 1 when the target is missed.",
        epilog=f"Target: <= {TARGET_SECONDS:.0f} s wall for 5,000 cards (median of the runs).",
    )
    parser.add_argument("cards", nargs="?", type=int, default=5000, help="readers (default 5000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--size", choices=sorted(CARD_SIZES), default="4.25x6", help="card size")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = project(Path(tmp) / "project", args.cards, args.size)
        runs = [child_figures(__file__, config, Path(tmp) / "build") for _ in range(args.runs)]
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    spread = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    cards = f"{runs[0]['cards']} {args.size} cards"
    target = TARGET_SECONDS * args.cards / 5000
    record(f"cards, {cards}: wall", [r["seconds"] for r in runs], "s", target=target)
    record(f"cards, {cards}: CPU", [r["cpu_seconds"] for r in runs], "s")
    record(f"cards, {cards}: peak RSS", [r["rss_mb"] for r in runs], "MB")
    print(
        f"cards: {runs[0]['cards']} {args.size} cards in {seconds:.1f} s wall, median of "
        f"{len(runs)} runs ({spread}; the whole run; target <= {TARGET_SECONDS:.0f} s), "
        f"{cpu:.1f} s CPU with its workers; peak RSS {max(r['rss_mb'] for r in runs):.0f} MB "
        f"+ workers {max(r['worker_rss_mb'] for r in runs):.0f} MB each; cards.pdf "
        f"{runs[0]['pdf_mb']:.1f} MB"
    )
    if seconds > TARGET_SECONDS * args.cards / 5000:
        sys.exit("cards benchmark missed its target")


if __name__ == "__main__":
    main()
