"""Benchmark: the worst calendars one can write, each within the default ``max_bytes``,
read for an issue. Target: each at most 1 s and 50 MB (an ``RRULE:FREQ=MINUTELY`` without
COUNT took 2 min 39 s and wrote 53,280 events; ``FREQ=SECONDLY`` grew to 2.9 GB). Each
calendar is written to a file first and read in a fresh process; prints, per calendar, the
median time of RUNS runs and the median of how much the reading raised the process's peak
memory.

    .venv/bin/python benchmarks/bench_calendar.py [--runs 5] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from _support import child_figures, peak_rss_mb

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.sources.events import parse_calendar

RUNS = 5
TARGET_SECONDS = 1.0
TARGET_MB = 50.0
MAX_BYTES = FeedConfig.model_fields["max_bytes"].default
FIRST, END = date(2026, 11, 1), date(2026, 12, 8)
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
TAIL = "END:VCALENDAR\r\n"
ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:America/Chicago\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0600\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0500\r\n"
    "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def event(n: int, start: str, *extra: str) -> str:
    lines = [f"UID:e{n}@bench", f"SUMMARY:Event {n}", f"DTSTART:{start}", *extra]
    return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


def filled(make: Callable[[int], str], head: str = HEAD) -> bytes:
    """As many of ``make(n)`` as fit in the default max_bytes."""
    parts, size, n = [head], len(head) + len(TAIL), 0
    while True:
        part = make(n)
        if size + len(part) > MAX_BYTES:
            break
        parts.append(part)
        size += len(part)
        n += 1
    return ("".join(parts) + TAIL).encode()


def one(*events: str) -> bytes:
    return (HEAD + "".join(events) + TAIL).encode()


SECONDS = ",".join(map(str, range(60)))
CALENDARS: dict[str, Callable[[], bytes]] = {
    "every second since 1900": lambda: one(event(0, "19000101T000000Z", "RRULE:FREQ=SECONDLY")),
    "every minute, no count": lambda: one(event(0, "20260101T000000Z", "RRULE:FREQ=MINUTELY")),
    "a rule that never matches": lambda: one(
        event(0, "20260101T000000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    ),
    "rules that never match, filling the file": lambda: filled(
        lambda n: event(n, "19000101T000000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30")
    ),
    "every second of every day, yearly": lambda: one(
        event(
            0,
            "20260101T000000Z",
            "RRULE:FREQ=YEARLY;BYHOUR="
            + ",".join(map(str, range(24)))
            + f";BYMINUTE={SECONDS};BYSECOND={SECONDS}",
        )
    ),
    "events in the window, filling the file": lambda: filled(
        lambda n: event(n, f"202611{n % 28 + 1:02d}T{n % 24:02d}0000Z", "DURATION:PT1H")
    ),
    "weekly events in a named zone, filling the file": lambda: filled(
        lambda n: event(n, "20200106T100000", "RRULE:FREQ=WEEKLY").replace(
            "DTSTART:", "DTSTART;TZID=America/Chicago:"
        ),
        HEAD + ZONE,
    ),
    "ten years of past events": lambda: filled(
        lambda n: event(n, f"{2016 + n % 10}{n % 12 + 1:02d}15T100000Z", "DURATION:PT1H")
    ),
    "one event of custom properties": lambda: one(
        event(0, "20261110T100000Z", *(f"X-P{n}:v" for n in range(400_000)))
    ),
    "one event listing many dates": lambda: one(
        event(
            0,
            "20261110T100000Z",
            "RDATE:" + ",".join(f"2026111{n % 10}T{n % 24:02d}0000Z" for n in range(280_000)),
        )
    ),
}
FEED = FeedConfig(
    name="Bench", url="https://x.example/c.ics", kind="ics", section="events", max_items=100
)


def child(path: str) -> None:
    body = Path(path).read_bytes()  # made by the parent: its making is no part of the figure
    before = peak_rss_mb()
    started = time.perf_counter()
    diagnostics = Diagnostics()
    events = parse_calendar(
        FEED, body, start=FIRST, end=END, tz=ZoneInfo("America/Chicago"), diagnostics=diagnostics
    )
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "mb": peak_rss_mb() - before,
        "bytes": len(body),
        "events": len(events),
        "warnings": len(diagnostics.warnings),
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per calendar")
    parser.add_argument("--only", help="just the calendar whose name contains this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
        return
    worst = 0.0
    folder = Path(tempfile.mkdtemp(prefix="bench-calendar-"))
    for name in CALENDARS:
        if arguments.only and arguments.only not in name:
            continue
        path = folder / "calendar.ics"
        path.write_bytes(CALENDARS[name]())
        runs = [child_figures(__file__, path) for _ in range(arguments.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        mb = statistics.median(r["mb"] for r in runs)
        worst = max(worst, seconds / TARGET_SECONDS, mb / TARGET_MB)
        print(
            f"{name}: {seconds:.3f} s, +{mb:.1f} MB ({runs[0]['bytes']:,} bytes, "
            f"{runs[0]['events']:.0f} events, {runs[0]['warnings']:.0f} warnings)"
        )
    shutil.rmtree(folder)
    verdict = "within" if worst <= 1 else "OVER"
    print(f"target: {TARGET_SECONDS:g} s and {TARGET_MB:g} MB each: {verdict}")
    if worst > 1:
        sys.exit(1)


if __name__ == "__main__":
    main()
