"""The monthly report as sections people read: a chart, one plain sentence, the numbers.

:func:`report_sections` turns a :class:`MonthlyReport` into :class:`Section` values that
the page, the Markdown summary and the terminal all render. A section's ``reading`` never
names a person (it goes into the workflow's job summary); names are only in its tables.

A figure the ledgers do not hold yet is a :class:`Pending` line ("no data yet"), and a
section with nothing to draw has no chart: never an empty or broken one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from newsletter.referrals.outputs import flagged_block, money, percent, report_blocks
from newsletter.referrals.reports import Period
from newsletter.referrals.times import format_shown
from newsletter.report.charts import Bars, Colors, bar_chart, stacked_bars
from newsletter.report.figures import Engagement, IssueSends, MonthlyReport, PostCounts
from newsletter.report.speed import speed_block, speed_chart, speed_reading
from newsletter.tables import Block

TOP_REFERRERS = 10
OVERDUE_SHOWN = 50
"""The page lists this many overdue leads; `referral report` writes them all to overdue.csv."""
NO_DATA = "no data yet"


@dataclass(frozen=True)
class Chart:
    uri: str  # data:image/svg+xml;base64,…
    alt: str  # what the chart shows, for screen readers and when images are off


@dataclass(frozen=True)
class Pending:
    """A figure the report will show once its data exists."""

    title: str
    why: str  # "the lead ledger does not record qualification yet"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    reading: str  # one sentence under the chart; no person's name
    chart: Chart | None
    tables: tuple[Block, ...]
    pending: tuple[Pending, ...] = ()
    summary: Block | None = None  # the table for the job summary: figures only, no names


SECTION_COUNT = 7
"""The report's sections: these six and the readers' (:mod:`newsletter.report.readers`)."""


def report_sections(
    report: MonthlyReport, colors: Colors, *, on_section: Callable[[], None] | None = None
) -> tuple[Section, ...]:
    """Every section of the report, in reading order (charts drawn); ``on_section`` is
    called as each one is done."""
    sections = []
    for make in (_won, _funnel, _follow_up, _speed, _referrers, _this_issue):
        sections.append(make(report, colors))
        if on_section:
            on_section()
    return tuple(sections)


def dollars(value: Decimal | float) -> str:
    """``$14,200``: whole dollars, for sentences."""
    return f"${Decimal(value):,.0f}"


def compact_dollars(value: float) -> str:
    """``$14.2k`` or ``$950``: for chart labels, where space is short."""
    return f"${value / 1000:,.1f}k" if abs(value) >= 1000 else f"${value:,.0f}"


def heading(report: MonthlyReport) -> str:
    return f"{report.label}: referrals and the newsletter"


def as_of(report: MonthlyReport) -> str:
    return f"as of {format_shown(report.now, report.tz)}"


# ---- 1. dollars won -----------------------------------------------------------------------


def _won(report: MonthlyReport, colors: Colors) -> Section:
    months = report.volume
    twelve = sum((p.won_value for p in months), Decimal(0))
    ytd = report.year_to_date
    if twelve or any(p.received for p in months):
        reading = (
            f"{dollars(twelve)} won in the last 12 months ({dollars(ytd.won_value)} so far "
            f"in {_year(report)}); {_conversion(ytd)}."
        )
    else:
        reading = f"No referrals in the last 12 months: {NO_DATA}."
    chart = None
    if twelve:
        chart = Chart(
            bar_chart(
                Bars(
                    [_month_tick(p, i) for i, p in enumerate(months)],
                    [float(p.won_value) for p in months],
                    [colors.primary] * len(months),
                    shown=compact_dollars,
                    notes=[
                        compact_dollars(float(p.won_value)) if p.won_value else "" for p in months
                    ],
                ),
                colors,
            ),
            "Bar chart of dollars won from referrals in each of the last 12 months; "
            "the table below has the figures.",
        )
    rows = tuple(
        (p.label, str(p.received), str(p.by_status["won"]), money(p.won_value))
        for p in (*months, ytd)
    )
    table = Block(
        "Won referrals by month",
        ("Month", "Leads", "Won", "Dollars won"),
        rows,
        frozenset({"Leads", "Won", "Dollars won"}),
    )
    return Section("won", "Dollars won from referrals", reading, chart, (table,))


def _conversion(period: Period) -> str:
    if not period.received:
        return "no leads this year yet"
    return f"{percent(period.conversion)} of {period.received} leads this year won"


def _year(report: MonthlyReport) -> str:
    return report.month[:4]


def _month_tick(period: Period, index: int) -> str:
    name, year = period.label.split()
    return f"{name[:3]}\n’{year[2:]}" if index == 0 or name == "January" else name[:3]


# ---- 2. the funnel ------------------------------------------------------------------------


def _funnel(report: MonthlyReport, colors: Colors) -> Section:
    f = report.funnel
    stages = [
        ("Referred", f.referred, colors.primary),
        ("Called within 24 h", f.on_time, colors.good),
        ("Called after 24 h", f.late, colors.accent),
        ("Not called, under 24 h", f.waiting, colors.light),
        ("Not called, overdue", f.overdue, colors.bad),
        ("Closed, no call recorded", f.unrecorded, colors.muted),
        ("Nurture: not chased", f.nurture, colors.light),
        ("Won", f.won, colors.good),
        ("Lost", f.lost, colors.muted),
        ("Open", f.open, colors.light),
    ]
    # A won or lost lead with no call recorded is rare: its bar is drawn only when there is
    # one (the table always has the row).
    drawn = [s for s in stages if s[1] or s[0] not in _DRAWN_WHEN_ANY]
    if f.referred:
        reading = (
            f"{_leads(f.referred)} in {report.label}: {f.on_time} called within 24 hours, "
            f"{f.late} later, {f.overdue} overdue; {f.won} won, {f.lost} lost, {f.open} open."
        )
        chart: Chart | None = Chart(
            bar_chart(
                Bars(
                    [s[0] for s in drawn],
                    [s[1] for s in drawn],
                    [s[2] for s in drawn],
                    horizontal=True,
                    # Referred | how the first call went | how it ended
                    gaps_after=frozenset({0, len(drawn) - 4}),
                ),
                colors,
            ),
            f"Bar chart of the {_leads(f.referred)} received in {report.label}, by first call "
            "and by outcome; the table below has the figures.",
        )
    else:
        reading, chart = f"No leads received in {report.label}: {NO_DATA}.", None
    table = Block(
        f"Leads received in {report.label}",
        ("Stage", "Leads"),
        tuple((name, str(count)) for name, count, _ in stages),
        frozenset({"Leads"}),
    )
    tables, pending = [table], []
    if report.qualification is not None:
        tables.append(
            _counts_block(
                "Qualified and nurture leads", ("Qualification", "Leads"), report.qualification
            )
        )
    else:
        pending.append(
            Pending("Qualified and nurture leads", "the ledger does not record them yet")
        )
    return Section(
        "funnel", "The month's leads", reading, chart, tuple(tables), tuple(pending), table
    )


_DRAWN_WHEN_ANY = ("Closed, no call recorded", "Nurture: not chased")


def _leads(count: int) -> str:
    return f"{count} lead" if count == 1 else f"{count} leads"


# ---- 3. follow-up time --------------------------------------------------------------------


def _follow_up(report: MonthlyReport, colors: Colors) -> Section:
    follow = report.follow_up
    overdue_now = len(follow.overdue)
    waiting = f"{overdue_now} lead{'s' if overdue_now != 1 else ''} overdue now"
    if follow.contacted and follow.median_hours is not None:
        reading = (
            f"Median {follow.median_hours:.1f} hours from receipt to first call; "
            f"{follow.on_time} of {follow.contacted} called within 24 hours; {waiting}."
        )
        late_from = next(i for i, b in enumerate(follow.bins) if b.late)
        chart: Chart | None = Chart(
            bar_chart(
                Bars(
                    [b.label.replace(" h", "").replace("over ", ">") for b in follow.bins],
                    [b.leads for b in follow.bins],
                    [colors.bad if b.late else colors.good for b in follow.bins],
                    line_after=late_from - 1,
                    line_label="24 h",
                    axis_label="hours from receipt to first call",
                ),
                colors,
            ),
            "Bar chart of how many hours leads waited for their first call, with the "
            "24-hour line; the table below has the figures.",
        )
    else:
        reading = f"No lead received in {report.label} has been called: {NO_DATA}; {waiting}."
        chart = None
    bins = Block(
        "Hours from receipt to first call",
        ("Hours", "Leads"),
        tuple((b.label, str(b.leads)) for b in follow.bins),
        frozenset({"Leads"}),
    )
    overdue = report_blocks(report.referrals).overdue
    overdue = _first_rows(overdue, OVERDUE_SHOWN, "`newsletter referral report` lists them all")
    return Section("follow-up", "Calling back within a day", reading, chart, (bins, overdue))


# ---- 4. speed to lead ---------------------------------------------------------------------


def _speed(report: MonthlyReport, colors: Colors) -> Section:
    speed = report.speed
    if speed is None:
        title = "Qualified leads called within an hour, an hour of business time, a day"
        pending = (Pending(title, "the report was made without business hours"),)
        return Section("speed", "Speed to lead", NO_DATA, None, (), pending)
    chart = None
    if speed.qualified:
        chart = Chart(
            speed_chart(speed, colors),
            "Bar chart of the share of the month's qualified leads called within an hour, "
            "within an hour of business time and within 24 hours; the table below has the "
            "figures.",
        )
    table = speed_block(speed, report.label)
    reading = speed_reading(speed, report.label)
    return Section("speed", "Speed to lead", reading, chart, (table,), (), table)


# ---- 5. who sends referrals ---------------------------------------------------------------


def _referrers(report: MonthlyReport, colors: Colors) -> Section:
    lines = report.referrals.referrers
    offer = report.referrals.offer
    owed = sum(len(r.to_hand_out) for r in lines)
    waiting = sum(len(r.pending) for r in lines)
    flagged = sum(r.flagged for r in lines)
    if lines:
        reading = (
            f"{len(lines)} referrer{'s' if len(lines) != 1 else ''} sent "
            f"{_leads(sum(r.leads for r in lines))} that count under “{offer.title}”"
            f"{f' ({flagged} more flagged)' if flagged else ''}; "
            f"{waiting} reward{'s' if waiting != 1 else ''} waiting for approval, "
            f"{owed} approved and still to hand out."
        )
        top = lines[:TOP_REFERRERS]
        chart: Chart | None = Chart(
            bar_chart(
                Bars(
                    [r.name for r in top],
                    [r.leads for r in top],
                    [colors.primary] * len(top),
                    horizontal=True,
                    notes=[f"{_leads(r.leads)}, {dollars(r.won_value)} won" for r in top],
                ),
                colors,
            ),
            "Bar chart of leads sent by the top referrers; the table below has the figures.",
        )
    else:
        reading, chart = f"No referrals under “{offer.title}” yet: {NO_DATA}.", None
    table = report_blocks(report.referrals).referrers
    table = _first_rows(table, TOP_REFERRERS, "`newsletter referral report` lists them all")
    tables, pending = [table], []
    if report.referrals.flagged:
        tables.append(flagged_block(report.referrals))
    if report.sources is not None:
        tables.append(
            Block(
                f"Leads by source kind, {report.year_to_date.label}",
                ("Source", "Leads", "Won", "Dollars won"),
                tuple(
                    (s.label, str(s.leads), str(s.won), money(s.won_value)) for s in report.sources
                ),
                frozenset({"Leads", "Won", "Dollars won"}),
            )
        )
    else:
        pending.append(
            Pending("Leads and dollars by source kind", "the ledger does not record sources yet")
        )
    return Section(
        "referrers", "Who sends referrals", reading, chart, tuple(tables), tuple(pending)
    )


# ---- 6. this issue ------------------------------------------------------------------------


def _this_issue(report: MonthlyReport, colors: Colors) -> Section:
    issue = report.this_issue
    if issue is not None:
        reading = (
            f"The {report.label} issue went to {issue.recipients:,} recipients: "
            f"{issue.sent:,} sent, {issue.failed:,} failed, {issue.uncertain:,} uncertain."
        )
    else:
        reading = f"Nothing recorded for the {report.label} issue in the send ledger: {NO_DATA}."
    chart = None
    if report.sends:
        chart = Chart(
            stacked_bars(
                [s.issue for s in report.sends],
                [
                    ("sent", [s.sent for s in report.sends], colors.primary),
                    ("failed", [s.failed for s in report.sends], colors.bad),
                    ("uncertain", [s.uncertain for s in report.sends], colors.accent),
                    ("pending", [s.pending for s in report.sends], colors.light),
                ],
                colors,
            ),
            "Stacked bar chart of recipients per issue, by what the send ledger recorded; "
            "the table below has the figures.",
        )
    table = Block(
        "Recipients per issue",
        ("Issue", "Recipients", "Sent", "Failed", "Uncertain", "Pending"),
        tuple(
            (
                s.issue,
                f"{s.recipients:,}",
                f"{s.sent:,}",
                f"{s.failed:,}",
                f"{s.uncertain:,}",
                f"{s.pending:,}",
            )
            for s in reversed(report.sends)
        ),
        frozenset({"Recipients", "Sent", "Failed", "Uncertain", "Pending"}),
        "No issue recorded in the send ledger yet.",
    )
    tables, pending = [table], []
    if issue is not None and issue.by_segment is not None:
        tables.append(
            _counts_block("Recipients by segment", ("Segment", "Recipients"), issue.by_segment)
        )
    else:
        pending.append(Pending("Recipients by segment", "the send ledger does not record it yet"))
    if issue is not None and issue.engagement is not None:
        tables += [_engagement_block(issue), _top_links_block(issue.engagement)]
        tables.append(_visits_block(report.sends))
    else:
        pending.append(
            Pending(
                "Delivered, bounced, opened, clicked, top links and referral page visits by medium",
                "they come from the email provider's events, not recorded yet",
            )
        )
    if report.post is not None:
        tables.append(_post_block(report.post))
    if report.set_aside is not None:
        tables.append(
            Block(
                "Desk events set aside by desk pull (subscribers/desk-quarantine.csv)",
                ("Kind", "Events"),
                tuple((kind, f"{count:,}") for kind, count in sorted(report.set_aside.items())),
                frozenset({"Events"}),
                "None this month.",
            )
        )
    return Section("issue", "This issue", reading, chart, tuple(tables), tuple(pending), table)


def _post_block(post: PostCounts) -> Block:
    counts = {"Readers by post": post.reached}
    counts |= {f"Held back, returned: {reason}": n for reason, n in post.returned.items()}
    counts["Opted out of post"] = post.opted_out
    return _counts_block("Post: who the next print run addresses", ("Who", "Readers"), counts)


def _engagement_block(issue: IssueSends) -> Block:
    events = issue.engagement
    assert events is not None
    counts = {
        "Delivered": events.delivered,
        "Bounced": events.bounced,
        "Opened": events.opened,
        "Clicked": events.clicked,
        "Referral page visits": sum(events.visits_by_medium.values()),
    }
    return _counts_block(f"Issue {issue.issue}: what readers did", ("What", "Count"), counts)


def _top_links_block(events: Engagement) -> Block:
    return Block(
        "Most clicked links",
        ("Link", "Clicks"),
        tuple((url, f"{clicks:,}") for url, clicks in events.top_links),
        frozenset({"Clicks"}),
        "No clicks recorded for this issue.",
    )


def _visits_block(sends: Sequence[IssueSends]) -> Block:
    """Referral page visits by medium, month over month (issues with events only)."""
    pulled = [(s.issue, s.engagement.visits_by_medium) for s in reversed(sends) if s.engagement]
    mediums = list(dict.fromkeys(m for _, visits in pulled for m in visits))
    columns = tuple(m[:1].upper() + m[1:] for m in mediums)
    return Block(
        "Referral page visits by medium",
        ("Issue", *columns),
        tuple((issue, *(f"{visits.get(m, 0):,}" for m in mediums)) for issue, visits in pulled),
        frozenset(columns),
        "No referral page visits recorded yet.",
    )


# ---- shared -------------------------------------------------------------------------------


def _counts_block(title: str, columns: tuple[str, str], counts: Mapping[str, int]) -> Block:
    """A table of ``counts``: ``columns`` name what is counted and the count."""
    rows = tuple((label, f"{count:,}") for label, count in counts.items())
    return Block(title, columns, rows, frozenset({columns[1]}))


def _first_rows(block: Block, limit: int, rest: str) -> Block:
    """``block`` with its first ``limit`` rows, saying how many more there are."""
    extra = len(block.rows) - limit
    if extra <= 0:
        return block
    return Block(
        block.title,
        block.columns,
        block.rows[:limit],
        block.numeric,
        block.empty,
        more=f"and {extra:,} more: {rest}.",
    )
