"""``newsletter report``: read the ledgers, compute the month's figures, write the report.

    load_monthly_report(settings, "2026-11", now)   -> MonthlyReport (figures only)
    write_monthly_report(report, settings, out_dir) -> index.html and summary.md

The folder (``build/reports/YYYY-MM/`` from the CLI) is replaced as a whole, under a lock,
readable by its owner only: the page lists leads' names and phone numbers. It is for the
business, never for the web archive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from newsletter.audience.postal import postal_list
from newsletter.config import Settings
from newsletter.config.files import DESK_QUARANTINE_FILE, EMAIL_EVENTS_FILE
from newsletter.desk.quarantine import set_aside_in_month
from newsletter.fsutil import PRIVATE, replace_folder
from newsletter.locks import locked
from newsletter.months import parse_month
from newsletter.referrals.hours import BusinessHours
from newsletter.referrals.reports import referral_inputs
from newsletter.render.environment import palette
from newsletter.report.charts import Colors
from newsletter.report.events import read_engagement
from newsletter.report.figures import MonthlyReport, PostCounts, monthly_report
from newsletter.report.outputs import report_page, report_summary
from newsletter.report.readers import reader_counts, readers_section
from newsletter.report.sections import Section, report_sections
from newsletter.report.sends import read_sends

REPORT_FILES = ("index.html", "summary.md")
LOCK_WAIT = 60.0  # seconds: another report of the same month finishes in a few


def load_monthly_report(settings: Settings, month: str, now: datetime) -> MonthlyReport:
    """The figures for ``month`` (``YYYY-MM``) as of ``now``, from the referral ledger,
    the rewards handed out, the subscriber list, the send ledger and the desk's events
    (read only)."""
    first = parse_month(month)
    inputs = referral_inputs(settings, first)
    sends = read_sends(settings.send_ledger, through=f"{first:%Y-%m}")
    engagement = read_engagement(settings.state_dir / EMAIL_EVENTS_FILE, [s.issue for s in sends])
    set_aside = set_aside_in_month(
        settings.subscribers_dir / DESK_QUARANTINE_FILE, first, settings.tz
    )
    figures = monthly_report(
        inputs.leads,
        inputs.rewards,
        inputs.names,
        tuple(replace(s, engagement=engagement.get(s.issue)) for s in sends),
        offer=inputs.offer,
        sources=inputs.sources,
        month=first,
        now=now,
        tz=settings.tz,
        region=inputs.region,
        rule=inputs.rule,
        business_hours=BusinessHours.of(settings.config.leads.business_hours, settings.tz),
    )
    return replace(
        figures,
        set_aside=set_aside,
        post=post_counts(settings),
        readers=reader_counts(settings, now),
    )


def post_counts(settings: Settings) -> PostCounts:
    """Readers by post as the next print run chooses them (a row without an address left
    out, as ``--skip-incomplete-addresses`` does), and those kept off it."""
    chosen = postal_list(
        settings.subscribers_csv,
        settings.suppressions_csv,
        home_country=settings.address.country,
        skip_incomplete=True,
        returned_csv=settings.returned_mail_csv,
    )
    return PostCounts(
        reached=len(chosen.subscribers),
        returned=dict(Counter(chosen.returned_reasons).most_common()),
        opted_out=chosen.opted_out,
    )


def chart_colors(settings: Settings) -> Colors:
    colors = palette(settings.config.brand)
    return Colors(
        primary=colors["primary"],
        accent=colors["button"],
        text=colors["text"],
        muted=colors["muted"],
    )


def write_monthly_report(
    report: MonthlyReport,
    settings: Settings,
    out_dir: Path,
    *,
    on_section: Callable[[], None] | None = None,
) -> tuple[Section, ...]:
    """Draw the charts, render the page and the summary, and write both into ``out_dir``
    (all or nothing, 0700/0600); returns the sections drawn. ``on_section`` is called
    after each section is drawn (the progress bar)."""
    colors = chart_colors(settings)
    sections = (
        *report_sections(report, colors, on_section=on_section),
        readers_section(report, colors),
    )
    if on_section:
        on_section()
    files = {
        "index.html": report_page(report, sections, settings),
        "summary.md": report_summary(report, sections, out_dir),
    }
    with locked(out_dir, purpose=f"report {report.month}", wait=LOCK_WAIT):
        replace_folder(
            out_dir, {name: text.encode("utf-8") for name, text in files.items()}, mode=PRIVATE
        )
    return sections
