"""Benchmark ``desk pull``: a month of a busy desk's events into the files in git.

Each run copies the sample newsletter, and the console script ``newsletter desk pull
--inbox FILE`` (a process of its own) applies an inbox that holds --leads referred leads
(each with a sample subscriber's code, one in ten with a code nobody has) among
--one-clicks one-click unsubscribes of different addresses. The inbox is written once,
with the desk's own inbox module, before the runs (posting 110,000 forms to the desk is
bench_desk.py's workload, not this one). Each run then checks what the pull wrote: one
suppression per one-click, one ledger row per lead.

Figures are medians over --runs runs, with the pull's peak memory and the machine's load
average (the machine is shared). Target (issue 24): 10,000 leads and 100,000 one-click
events pulled in <= 10 s. Exits 1 when the median misses it.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _support import copy_sample

from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.tokens import referral_codes
from newsletter.desk.inbox import append, connect

SECRET = "sample-only-secret-not-for-real-mail"
"""The sample-only secret (newsletter/config/secrets.py): the sample's codes derive from it."""
NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
TARGET_SECONDS = 10.0
EPILOG = """target: 10,000 leads and 100,000 one-click unsubscribes pulled in <= 10 s.

examples:
  .venv/bin/python benchmarks/bench_desk_pull.py
  .venv/bin/python benchmarks/bench_desk_pull.py --leads 1000 --one-clicks 10000 --runs 5
"""


def fill_inbox(path: Path, project: Path, leads: int, one_clicks: int) -> None:
    """The inbox at ``path``: ``leads`` leads spread evenly among ``one_clicks`` one-click
    unsubscribes, as the desk records them, a second apart ending an hour ago."""
    subscribers = load_subscribers(project / "subscribers" / "subscribers.csv")
    codes = sorted(referral_codes(SECRET.encode(), (s.email for s in subscribers)).items())
    total = leads + one_clicks
    every = max(1, total // max(leads, 1))
    start = datetime.now(UTC) - timedelta(seconds=total + 3600)
    db = connect(path)
    db.execute("BEGIN")
    made = 0
    for n in range(total):
        at = start + timedelta(seconds=n)
        if made < leads and n % every == 0:
            append(db, "lead", lead(made, codes), at=at)
            made += 1
        else:
            unsubscribe = {"email": f"reader{n}@example.org", "channel": "email"}
            append(db, "unsubscribe", {**unsubscribe, "via": "one-click"}, at=at)
    db.execute("COMMIT")
    db.close()


def lead(n: int, codes: list[tuple[str, str]]) -> dict[str, object]:
    """The data the desk keeps for lead ``n``: a known code, or (one in ten) an unknown one."""
    email, code = codes[n % len(codes)]
    known = n % 10 != 0
    return {
        "name": f"Friend {n}",
        "address": f"{n} Elm Street, Madison",
        "phone": f"(608) {555 + n // 10000:03d}-{n % 10000:04d}",
        "email": f"friend{n}@example.net",
        "need": "Furnace makes a banging noise",
        "best_time": "weekday evenings",
        "code": code if known else "ZZZZ2222",
        "referrer_email": email if known else None,
        "known": known,
        "medium": "email",
        "consent": True,
    }


def count_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def one_run(
    sample: Path, inbox: Path, workdir: Path, leads: int, one_clicks: int
) -> tuple[float, float]:
    """(seconds, CPU seconds) of ``newsletter desk pull`` on a fresh copy of ``sample``."""
    project = workdir / "project"
    shutil.copytree(sample, project)
    folder = project / "subscribers"
    before = {name: count_rows(folder / name) for name in ("suppressions.csv", "referrals.csv")}
    command = [
        NEWSLETTER, "desk", "pull", "--config", str(project / "newsletter.yaml"),
        "--inbox", str(inbox), "--page-size", "1000",
    ]  # fmt: skip
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=project)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"desk pull failed: {done.stderr}")
    added = {name: count_rows(folder / name) - before[name] for name in before}
    if added != {"suppressions.csv": one_clicks, "referrals.csv": leads}:
        raise SystemExit(f"desk pull wrote {added}, not {one_clicks} and {leads}")
    return seconds, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--leads", type=int, default=10_000, help="referred leads in the inbox")
    parser.add_argument(
        "--one-clicks", type=int, default=100_000, help="one-click unsubscribes in the inbox"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs; the figure is their median")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sample = copy_sample(Path(folder) / "sample")
        inbox = Path(folder) / "inbox.sqlite"
        fill_inbox(inbox, sample, args.leads, args.one_clicks)
        times, cpus = [], []
        for number in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(dir=folder) as workdir:
                seconds, cpu = one_run(sample, inbox, Path(workdir), args.leads, args.one_clicks)
            times.append(seconds)
            cpus.append(cpu)
            print(
                f"run {number}: {args.leads:,} leads and {args.one_clicks:,} one-clicks pulled "
                f"in {seconds:.2f} s, {cpu:.2f} s of CPU (load average {os.getloadavg()[0]:.2f})"
            )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    median = statistics.median(times)
    print(
        f"median of {args.runs}: {median:.2f} s (target <= {TARGET_SECONDS:.0f} s), "
        f"{statistics.median(cpus):.2f} s of CPU; the pull's peak memory {peak:.0f} MB"
    )
    return 1 if median > TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
