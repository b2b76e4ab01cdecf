"""Decide what a run of the monthly workflow does: which month, dry run or not, go or not.

The schedule fires at 14:00 UTC on each of days 1-7 of the month; only the run that falls
on a Tuesday goes on, so the issue is built on the first Tuesday. A manual run always goes
on, for the month given (default: this month) and as a dry run unless told otherwise.

    python3 scripts/monthly_plan.py --event schedule [--today YYYY-MM-DD]
    python3 scripts/monthly_plan.py --event workflow_dispatch --month 2026-11 --dry-run false

Prints ``key=value`` lines (month, dry-run, go) and appends them to ``$GITHUB_OUTPUT`` when
that is set. Exit status 2 for a bad month or event.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TUESDAY = 1  # date.weekday()


def plan(event: str, month: str, dry_run: str, today: date) -> dict[str, str]:
    """The run's outputs; raises ValueError naming a bad input."""
    if event == "schedule":
        first_tuesday = today.weekday() == TUESDAY and today.day <= 7
        return {"month": f"{today:%Y-%m}", "dry-run": "false", "go": _flag(first_tuesday)}
    if event == "workflow_dispatch":
        month = month.strip() or f"{today:%Y-%m}"
        if not MONTH.match(month):
            raise ValueError(f"month: {month!r} is not YYYY-MM")
        if dry_run.strip().lower() not in ("", "true", "false"):
            raise ValueError(f"dry_run: {dry_run!r} is not true or false")
        return {"month": month, "dry-run": _flag(dry_run.strip().lower() != "false"), "go": "true"}
    raise ValueError(f"event: {event!r} does not start this workflow")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monthly_plan.py", description=__doc__.split("\n")[0])
    parser.add_argument("--event", required=True)
    parser.add_argument("--month", default="")
    parser.add_argument("--dry-run", default="")
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    today = args.today or datetime.now(UTC).date()
    try:
        outputs = plan(args.event, args.month, args.dry_run, today)
    except ValueError as exc:
        print(f"monthly_plan: {exc}", file=sys.stderr)
        return 2
    lines = "".join(f"{key}={value}\n" for key, value in outputs.items())
    sys.stdout.write(lines)
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
