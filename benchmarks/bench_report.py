"""Benchmark: `newsletter report` for a big month. Target: at most 10 s on 2 cores for
10,000 leads in the referral ledger, 1,000,000 rows in the send ledger and 1,000,000 email
events pulled from the desk (the issue's).

It copies the sample newsletter into a temporary folder, writes a referral ledger of LEADS
leads (12 months of them, from 2,000 referrers, every status) and a send ledger of ROWS
rows over 12 issues and EVENTS provider events (with a visit to the referral page for
every 20), then runs the installed console script end to end (Python start-up,
imports, reading both ledgers, drawing the charts, writing the page) RUNS times and prints
the median, with the in-process split between computing the figures and drawing them.

    .venv/bin/python benchmarks/bench_report.py [--leads 10000] [--rows 1000000] [--events 1000000]
                                              [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from _support import copy_sample, record

from newsletter.config import load_config
from newsletter.config.files import EMAIL_EVENTS_FILE
from newsletter.deliver.ledger import Ledger
from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_page_visits
from newsletter.referrals.ledger import Lead, ledger_text
from newsletter.report.monthly import load_monthly_report, write_monthly_report

TARGET = 10.0
MONTH = "2026-11"
AS_OF = "2026-11-28T12:00"
CHICAGO = ZoneInfo("America/Chicago")
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")


def leads(count: int, referrers: int = 2000) -> list[Lead]:
    """``count`` leads received over the 12 months up to the end of November 2026."""
    rng = random.Random(15)
    start = datetime(2025, 12, 1, tzinfo=CHICAGO)
    made = []
    for number in range(1, count + 1):
        received = start + timedelta(minutes=rng.randrange(0, 364 * 24 * 60))
        status = rng.choice(("new", "contacted", "contacted", "won", "won", "lost"))
        contacted = (
            received + timedelta(hours=rng.expovariate(1 / 10))
            if status == "contacted" or (status != "new" and rng.random() < 0.95)
            else None
        )
        closed = (contacted or received) + timedelta(days=rng.randrange(1, 20))
        made.append(
            Lead(
                id=number,
                received_at=received,
                referrer_code="ABCD2345",
                referrer_email=f"referrer{rng.randrange(referrers)}@example.com",
                name=f"Lead {number}",
                phone=f"(608) 555-{number % 10000:04d}",
                status=status,
                contacted_at=contacted if status != "new" else None,
                closed_at=closed if status in ("won", "lost") else None,
                value=Decimal(rng.randrange(100, 15000)) if status == "won" else None,
            )
        )
    return made


def send_ledger(path: Path, rows: int, issues: int = 12) -> None:
    Ledger(path).close()  # the send step's own schema
    statuses = ("sent",) * 96 + ("failed", "failed", "uncertain", "pending")
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO sends (issue, email, status, attempts, created_at, updated_at) "
            "VALUES (?, ?, ?, 1, '2026-11-03T09:00:00Z', '2026-11-03T09:00:00Z')",
            (
                (
                    f"{2025 + (11 + n % issues) // 12}-{(11 + n % issues) % 12 + 1:02d}",
                    f"r{n // issues}@example.com",
                    statuses[n % len(statuses)],
                )
                for n in range(rows)
            ),
        )


def email_events(state: Path, count: int, issues: int = 12) -> None:
    """``count`` provider events over the last ``issues`` issues (a reader's delivery, an
    open or two, now and then a click or a bounce) and a visit to the referral page for
    every 20 events, in the desk pull's own schema."""
    at = datetime(2026, 11, 3, 15, tzinfo=CHICAGO)
    record_page_visits(state, [Event(0, "visit", at, {"medium": "email", "issue": MONTH})])
    kinds = ("delivered",) * 5 + ("open",) * 3 + ("click", "bounce")

    def issue(n: int) -> str:
        return f"{2025 + (11 + n % issues) // 12}-{(11 + n % issues) % 12 + 1:02d}"

    with sqlite3.connect(state / EMAIL_EVENTS_FILE) as db:
        db.executemany(
            "INSERT INTO email_events VALUES (?, ?, ?, ?, '2026-11-03T15:00:00Z', '', 1, ?, NULL)",
            (
                (
                    n + 1,
                    issue(n),
                    f"r{n // 40}@example.com",
                    kinds[n // issues % len(kinds)],
                    f"https://example.com/{n % 37}"
                    if kinds[n // issues % len(kinds)] == "click"
                    else None,
                )
                for n in range(count)
            ),
        )
        db.executemany(
            "INSERT INTO page_visits VALUES (?, ?, ?, '2026-11-03T15:00:00Z')",
            (
                (n + 1, issue(n), ("email", "print", "web", "")[n // issues % 4])
                for n in range(count // 20)
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=10_000, help="leads in the referral ledger")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the send ledger")
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="email events pulled from the desk"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs to take the median of")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        copy_sample(project)
        (project / "subscribers" / "referrals.csv").write_text(ledger_text(leads(args.leads)))
        send_ledger(project / "state" / "ledger.sqlite", args.rows)
        email_events(project / "state", args.events)
        command = [
            str(CONSOLE_SCRIPT),
            "report",
            "--config",
            str(project / "newsletter.yaml"),
            "--month",
            MONTH,
            "--out",
            str(project / "build"),
            "--now",
            AS_OF,
            "--silent",
        ]
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ))
            timings.append(time.perf_counter() - started)
        settings = load_config(project / "newsletter.yaml")
        started = time.perf_counter()
        figures = load_monthly_report(settings, MONTH, datetime(2026, 11, 28, 12, tzinfo=CHICAGO))
        computed = time.perf_counter() - started
        write_monthly_report(figures, settings, Path(tmp) / "out")
        drawn = time.perf_counter() - started - computed
        page = (project / "build" / "reports" / MONTH / "index.html").stat().st_size
        shutil.rmtree(project / "build")
    median = statistics.median(timings)
    record(f"report, {args.leads:,} leads, {args.rows:,} sends", timings, "s", target=TARGET)
    print(
        f"newsletter report, {args.leads:,} leads, {args.rows:,} send-ledger rows, "
        f"{args.events:,} email events: "
        f"median {median:.2f} s of {args.runs} runs "
        f"(min {min(timings):.2f}, max {max(timings):.2f}); target {TARGET:.0f} s"
    )
    print(
        f"  in process: figures {computed:.2f} s, charts + page + write {drawn:.2f} s; "
        f"index.html {page / 1024:.0f} KiB"
    )
    if median > TARGET:
        sys.exit(f"over target: {median:.2f} s > {TARGET:.0f} s")


if __name__ == "__main__":
    main()
