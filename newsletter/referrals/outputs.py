"""The referral report and the lead list as terminal tables, CSV files and an HTML page.

``write_report`` puts ``overdue.csv``, ``due.csv``, ``flagged.csv``, ``referrers.csv``,
``sources.csv``, ``totals.csv`` and ``index.html`` into one folder
(``build/referrals/YYYY-MM/`` from the CLI), replaced as a whole. The call lists hold leads'
phone numbers: the folder is for the business, not for publishing (``build/`` is not in
git). On a terminal, or written to a file, a phone number or an address is never cut
short: a cell too long for its column folds onto the next line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import jinja2
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from newsletter.csvfile import spreadsheet_csv
from newsletter.fsutil import PRIVATE, replace_folder
from newsletter.model import SOURCE_LABELS, Milestone
from newsletter.referrals.approval import RewardLine
from newsletter.referrals.ledger import STATUSES, Lead
from newsletter.referrals.reports import OverdueLead, Period, ReferralReport, due_at
from newsletter.referrals.rewardfile import Reward
from newsletter.referrals.times import format_shown, hours
from newsletter.render.environment import render_template
from newsletter.tables import FOLD, KEEP, Block, block_renderable, literal

PAGE_TEMPLATE = "referrals/index.html.j2"
REPORT_FILES = (
    "due.csv",
    "flagged.csv",
    "index.html",
    "overdue.csv",
    "referrers.csv",
    "sources.csv",
    "totals.csv",
)
OVERDUE_COLUMNS = (
    "id",
    "received_at",
    "due_at",
    "hours_waiting",
    "lead_name",
    "lead_phone",
    "lead_email",
    "need",
    "referrer",
)
DUE_COLUMNS = (*OVERDUE_COLUMNS[:3], "hours_left", *OVERDUE_COLUMNS[4:])
FLAGGED_COLUMNS = ("id", "received_at", "lead_name", "referrer", "flags")
REFERRER_COLUMNS = (
    "referrer",
    "code",
    "email",
    "source",
    "leads",
    "won",
    "won_value",
    "earned",
    "pending_approval",
    "to_hand_out",
    "flagged",
)
SOURCE_COLUMNS = ("source", "kind", "leads", "won", "won_value")


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def milestones(items: Sequence[Milestone], empty: str = "–") -> str:
    """``1, 3``: which milestones, by their number of referrals."""
    return ", ".join(str(m.referrals) for m in items) or empty


def rewards(items: Sequence[Milestone], empty: str = "–") -> str:
    return "; ".join(f"{m.referrals}: {m.reward}" for m in items) or empty


def total_rows(periods: Sequence[Period], *, plain: bool = False) -> list[list[str]]:
    """Rows of the totals table: a label, then one value per period.

    ``plain`` is for spreadsheets: bare numbers, no "$" or "%", labels not indented.
    """
    indent = "" if plain else "  "
    rows = [["Leads received", *(str(p.received) for p in periods)]]
    for status in STATUSES:
        rows.append([f"{indent}{status}", *(str(p.by_status[status]) for p in periods)])
    if plain:
        rows.append(
            [
                "Conversion %",
                *("" if p.conversion is None else f"{p.conversion * 100:.1f}" for p in periods),
            ]
        )
        rows.append(["Dollars won", *(f"{p.won_value:.2f}" for p in periods)])
    else:
        rows.append(["Conversion (won of received)", *(percent(p.conversion) for p in periods)])
        rows.append(["Dollars won (closed in period)", *(money(p.won_value) for p in periods)])
    return rows


# ---- the tables, shared by the terminal and the HTML page --------------------------------


class ReportBlocks(NamedTuple):
    """The report's tables, in reading order."""

    overdue: Block
    due: Block
    flagged: Block
    referrers: Block
    totals: Block
    sources: Block


def report_blocks(report: ReferralReport) -> ReportBlocks:
    tz, now = report.tz, report.now
    overdue = _call_list(
        "Overdue: not contacted within 24 hours, oldest first",
        ("Received", "Waiting"),
        [(row, row.lead.received_at, row.waiting) for row in report.overdue],
        tz,
        "None: every new lead is within its 24 hours.",
    )
    due = _call_list(
        "Due in the next 24 hours, soonest first",
        ("Due", "Left"),
        [(row, row.due, max(row.due - now, timedelta(0))) for row in report.due_soon],
        tz,
        "None: no new lead waits for a call.",
    )
    referrers = Block(
        f"Referrers under “{report.offer.title}”",
        (
            "Referrer",
            "Code",
            "Source",
            "Leads",
            "Won",
            "Won $",
            "Reached",
            "Pending approval",
            "To hand out",
            "Flagged",
        ),
        tuple(
            (
                r.name,
                r.code,
                SOURCE_LABELS[r.source],
                str(r.leads),
                str(r.won),
                money(r.won_value),
                milestones(r.earned),
                rewards(r.pending),
                rewards(r.to_hand_out),
                str(r.flagged),
            )
            for r in report.referrers
        ),
        frozenset({"Leads", "Won", "Won $", "Flagged"}),
        "No referrals under this offer yet.",
    )
    labels = tuple(p.label for p in report.periods)
    totals = Block(
        "Totals",
        ("", *labels),
        tuple(tuple(row) for row in total_rows(report.periods)),
        frozenset(labels),
    )
    return ReportBlocks(
        overdue, due, flagged_block(report), referrers, totals, sources_block(report)
    )


def _call_list(
    title: str,
    columns: tuple[str, str],
    rows: Sequence[tuple[OverdueLead, datetime, timedelta]],
    tz: tzinfo,
    empty: str,
) -> Block:
    """Leads to call, each with a time and a span (``columns``), and whom to call: phone
    and email in columns of their own, in full."""
    when, span = columns
    return Block(
        title,
        ("#", when, span, "Lead", "Phone", "Email", "Need", "Referred by"),
        tuple(
            (
                str(row.lead.id),
                format_shown(moment, tz),
                hours(length),
                row.lead.name,
                row.lead.phone,
                row.lead.email,
                row.lead.need,
                row.referrer,
            )
            for row, moment, length in rows
        ),
        frozenset({"#", span}),
        empty,
    )


def flagged_block(report: ReferralReport) -> Block:
    """The flagged leads waiting for the business, each with its flags' reasons."""
    return Block(
        "Flagged: counting toward no reward until you clear them (`newsletter referral clear ID`)",
        ("#", "Received", "Lead", "Referred by", "Flags"),
        tuple(
            (
                str(row.lead.id),
                format_shown(row.lead.received_at, report.tz),
                row.lead.name,
                row.referrer,
                "; ".join(row.lead.flags),
            )
            for row in report.flagged
        ),
        frozenset({"#"}),
        "None: every lead passed its checks or was cleared.",
    )


def sources_block(report: ReferralReport) -> Block:
    """Leads, won and dollars by kind of source, the year to date."""
    return Block(
        f"Where referrals come from, {report.periods[1].label}",
        ("Source", "Leads", "Won", "Won $"),
        tuple((s.label, str(s.leads), str(s.won), money(s.won_value)) for s in report.sources),
        frozenset({"Leads", "Won", "Won $"}),
        "No leads received this year yet.",
    )


def report_heading(report: ReferralReport) -> str:
    return f"Referrals, {report.periods[0].label} (as of {format_shown(report.now, report.tz)})"


def report_tables(report: ReferralReport) -> list[RenderableType]:
    """The report as rich renderables, in reading order."""
    heading: RenderableType = Text(report_heading(report), style="bold")
    return [heading, *map(block_renderable, report_blocks(report))]


def leads_table(
    leads: Iterable[Lead], names: Mapping[str, str], tz: tzinfo, now: datetime
) -> Table:
    """The ledger as a table, for ``referral list``: when each lead still to call is due
    (and whether it is overdue at ``now``)."""
    table = Table()
    columns = ("#", "Received", "Due", "Lead", "Contact", "Need", "Referred by", "Status")
    leads = tuple(leads)
    # The flags column only when a lead has flags: most ledgers have none.
    flags = ("Flags",) if any(lead.flags for lead in leads) else ()
    for column in (*columns, "Value", "Qualification", *flags):
        numeric = column in ("#", "Value")
        table.add_column(
            column,
            justify="right" if numeric else "left",
            no_wrap=numeric or column in KEEP,
            overflow=FOLD,
        )
    for lead in leads:
        due = due_at(lead)
        cells = (
            str(lead.id),
            format_shown(lead.received_at, tz),
            "" if due is None else format_shown(due, tz) + (" (overdue)" if due < now else ""),
            lead.name,
            "\n".join(filter(None, (lead.phone, lead.email))),
            lead.need,
            names.get(lead.referrer_email, lead.referrer_email),
            lead.status,
            money(lead.value) if lead.value is not None else "",
            f"{lead.qualification}: {lead.qualification_reason}"
            if lead.qualification_reason
            else lead.qualification,
        )
        table.add_row(*map(literal, (*cells, flag_cell(lead))[: len(table.columns)]))
    return table


def flag_cell(lead: Lead) -> str:
    """The lead's flags, one a line, or how they were cleared."""
    if not lead.flags:
        return ""
    flags = "\n".join(lead.flags)
    if lead.cleared_at is None:
        return flags
    return f"cleared {lead.cleared_at:%Y-%m-%d} by {lead.cleared_by or 'the business'}:\n{flags}"


def rewards_table(lines: Iterable[RewardLine], names: Mapping[str, str], tz: tzinfo) -> Table:
    """Rewards and the leads behind each, for ``referral rewards``."""
    table = Table()
    for column in ("#", "Status", "Referrer", "Milestone", "Reward", "Leads", "Decided"):
        numeric = column in ("#", "Milestone")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=numeric)
    for line in lines:
        r = line.reward
        leads = "\n".join(f"{x.id} {x.name}" for x in line.leads) or " ".join(map(str, r.leads))
        if line.counted_now is not None and line.counted_now < r.milestone and not r.earned:
            leads += f"\n(only {line.counted_now} count now)"
        table.add_row(
            *map(
                literal,
                (
                    str(r.id),
                    r.status,
                    f"{names.get(r.referrer_email, r.referrer_email)} ({r.referrer_code})",
                    str(r.milestone),
                    r.reward,
                    leads,
                    _decision(r, tz),
                ),
            )
        )
    return table


def _decision(reward: Reward, tz: tzinfo) -> str:
    parts = []
    if reward.decided_at is not None:
        verb = "denied" if reward.status == "denied" else "approved"
        parts.append(f"{verb} {format_shown(reward.decided_at, tz)} by {reward.decided_by}")
    if reward.reason:
        parts.append(f"because: {reward.reason}")
    if reward.handed_out_on is not None:
        by = f" by {reward.handed_out_by}" if reward.handed_out_by else ""
        parts.append(f"handed out {reward.handed_out_on}{by}")
    if reward.note:
        parts.append(reward.note)
    return "\n".join(parts)


# ---- files ------------------------------------------------------------------------------


def report_files(report: ReferralReport, env: jinja2.Environment) -> dict[str, str]:
    """File name -> content of every file the report writes (the page from ``env``'s
    ``referrals/index.html.j2``)."""
    tz = report.tz
    overdue = [call_row(row, tz, row.waiting) for row in report.overdue]
    due = [call_row(row, tz, max(row.due - report.now, timedelta(0))) for row in report.due_soon]
    referrers = [
        [
            r.name,
            r.code,
            r.email,
            r.source,
            str(r.leads),
            str(r.won),
            f"{r.won_value:.2f}",
            milestones(r.earned, empty=""),
            rewards(r.pending, empty=""),
            rewards(r.to_hand_out, empty=""),
            str(r.flagged),
        ]
        for r in report.referrers
    ]
    flagged = [
        [
            str(row.lead.id),
            row.lead.received_at.astimezone(tz).isoformat(timespec="minutes"),
            row.lead.name,
            row.referrer,
            "\n".join(row.lead.flags),
        ]
        for row in report.flagged
    ]
    labels = [p.label for p in report.periods]
    return {
        "overdue.csv": spreadsheet_csv(OVERDUE_COLUMNS, overdue),
        "due.csv": spreadsheet_csv(DUE_COLUMNS, due),
        "flagged.csv": spreadsheet_csv(FLAGGED_COLUMNS, flagged),
        "referrers.csv": spreadsheet_csv(REFERRER_COLUMNS, referrers),
        "sources.csv": spreadsheet_csv(
            SOURCE_COLUMNS,
            [
                [s.label, s.kind, str(s.leads), str(s.won), f"{s.won_value:.2f}"]
                for s in report.sources
            ],
        ),
        "totals.csv": spreadsheet_csv(("", *labels), total_rows(report.periods, plain=True)),
        "index.html": render_template(
            env, PAGE_TEMPLATE, {"heading": report_heading(report), "blocks": report_blocks(report)}
        ),
    }


def call_row(row: OverdueLead, tz: tzinfo, hours_of: timedelta) -> list[str]:
    """A lead to call as a CSV row: its times, ``hours_of`` (waiting, or left), who."""
    return [
        str(row.lead.id),
        row.lead.received_at.astimezone(tz).isoformat(timespec="minutes"),
        row.due.astimezone(tz).isoformat(timespec="minutes"),
        f"{hours_of.total_seconds() / 3600:.1f}",
        row.lead.name,
        row.lead.phone,
        row.lead.email,
        row.lead.need,
        row.referrer,
    ]


def write_report(report: ReferralReport, out_dir: Path, env: jinja2.Environment) -> tuple[str, ...]:
    """Write the report's files into ``out_dir``, all or nothing; returns their names."""
    files = report_files(report, env)
    # The overdue list is a call list with phone numbers: for the business's eyes only.
    payload = {name: text.encode("utf-8") for name, text in files.items()}
    replace_folder(out_dir, payload, mode=PRIVATE)
    return tuple(sorted(files))
