"""Decide what a run of the monthly workflow does: which month, dry run or not, go or not.

The schedule fires at 14:00 UTC on each of days 1-7 of the month; only the run that falls
on a Tuesday (in UTC, as the schedule is written) goes on, so the issue is built on the
first Tuesday. A manual run always goes on, for the month given, as a dry run unless told
otherwise. Without a month it takes the month it is in the business's time zone
(``timezone`` in newsletter.yaml): at 02:00 UTC on the 1st it is still last month in
Chicago. A month more than 12 months back or 2 ahead is refused as a slip of the keyboard.

Every date is taken at the moment the run was first started, not when this attempt
started: "Re-run all jobs" of a run plans what that run planned, days later too. A first
attempt is started now; a re-run asks GitHub's API when its run was created
(``GITHUB_RUN_ATTEMPT``, ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_RUN_ID`` and
``GITHUB_TOKEN`` from the runner's environment).

    python scripts/monthly_plan.py --event schedule [--now 2026-11-03T14:00:00Z]
    python scripts/monthly_plan.py --event workflow_dispatch --month 2026-11 --dry-run false

Prints ``key=value`` lines (month, dry-run, go) and appends them to ``$GITHUB_OUTPUT`` when
that is set. Exit status 2 for a bad input, with one line saying which. Reading the time
zone needs the newsletter package (the project's .venv/bin/python); nothing else does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TUESDAY = 1  # date.weekday()
MONTHS_BACK = 12
"""A manual run for a month this far back is still plausible: a late resend of uncertain
recipients, a missed month. Further back is a typo."""
MONTHS_AHEAD = 2
"""A dry run of next month's issue, or the one after, to prepare it."""
API_TIMEOUT = 10.0
API_ATTEMPTS = 3


class PlanError(Exception):
    """A bad input, named in one line."""


def plan(
    event: str, month: str, dry_run: str, started: datetime, zone: ZoneInfo | None = None
) -> dict[str, str]:
    """The run's outputs for a run first started at ``started`` (aware); ``zone`` is the
    business's, needed only for a manual run without a month."""
    if event == "schedule":
        day = started.astimezone(UTC).date()
        first_tuesday = day.weekday() == TUESDAY and day.day <= 7
        return {"month": f"{day:%Y-%m}", "dry-run": "false", "go": _flag(first_tuesday)}
    if event != "workflow_dispatch":
        raise PlanError(f"event: {event!r} does not start this workflow")
    month = month.strip()
    if not month:
        if zone is None:
            raise PlanError("month: none given, and no time zone to tell this month by")
        month = f"{started.astimezone(zone):%Y-%m}"
    if not MONTH.match(month):
        raise PlanError(f"month: {month!r} is not YYYY-MM")
    _check_plausible(month, started.astimezone(zone or UTC).date())
    if dry_run.strip().lower() not in ("", "true", "false"):
        raise PlanError(f"dry_run: {dry_run!r} is not true or false")
    return {"month": month, "dry-run": _flag(dry_run.strip().lower() != "false"), "go": "true"}


def _check_plausible(month: str, today: date) -> None:
    year, number = (int(part) for part in month.split("-"))
    offset = (year - today.year) * 12 + (number - today.month)
    if offset < -MONTHS_BACK:
        raise PlanError(
            f"month: {month} is more than {MONTHS_BACK} months before this month "
            f"({today:%Y-%m}): give the issue's month, YYYY-MM"
        )
    if offset > MONTHS_AHEAD:
        raise PlanError(
            f"month: {month} is more than {MONTHS_AHEAD} months after this month "
            f"({today:%Y-%m}): give the issue's month, YYYY-MM"
        )


def first_started(now: datetime, environ: Mapping[str, str]) -> datetime:
    """When this run was first started: ``now`` on its first attempt; on a re-run, the
    run's ``created_at`` from GitHub's API (the same for all of its attempts)."""
    attempt = environ.get("GITHUB_RUN_ATTEMPT", "1")
    if attempt in ("", "1"):
        return now
    names = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_TOKEN")
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise PlanError(f"attempt {attempt} of a run, and no {missing[0]} to ask when it began")
    api, repository, run, token = (environ[name] for name in names)
    request = urllib.request.Request(
        f"{api.rstrip('/')}/repos/{repository}/actions/runs/{run}",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    problem = ""
    for _ in range(API_ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=API_TIMEOUT) as answer:
                created = json.loads(answer.read(1_000_000))["created_at"]
            return datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(UTC)
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code < 500:
                break
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = type(exc).__name__ if not str(exc) else str(exc)
    raise PlanError(
        f"attempt {attempt} of run {run}: cannot read when the run began ({problem}), so "
        "not which month it planned: start a manual run for the month instead"
    )


def business_zone(config: Path) -> ZoneInfo:
    """The time zone of newsletter.yaml (its ``timezone``, or the default)."""
    try:
        from newsletter.config import load_config
        from newsletter.errors import NewsletterError
    except ImportError:
        raise PlanError(
            "the business's time zone is read with the newsletter package: run this with "
            "the project's .venv/bin/python, or give a month"
        ) from None
    try:
        return load_config(config).tz
    except NewsletterError as exc:
        raise PlanError(str(exc)) from None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("give a time zone offset, e.g. Z")
    return moment


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monthly_plan.py", description=__doc__.split("\n")[0])
    parser.add_argument("--event", required=True)
    parser.add_argument("--month", default="")
    parser.add_argument("--dry-run", default="")
    config = Path(os.environ.get("NEWSLETTER_CONFIG") or "newsletter.yaml")
    parser.add_argument("--config", type=Path, default=config)
    parser.add_argument(
        "--now", type=_moment, default=None, help="plan as if the run began then (ISO 8601)"
    )
    args = parser.parse_args(argv)
    try:
        started = first_started(args.now or datetime.now(UTC), os.environ)
        manual_without_month = args.event == "workflow_dispatch" and not args.month.strip()
        zone = business_zone(args.config) if manual_without_month else None
        outputs = plan(args.event, args.month, args.dry_run, started, zone)
    except PlanError as exc:
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
