"""The report's section on readers who still read: active, fading, asked and moved, per
segment, by ``newsletter engagement``'s rule (:mod:`newsletter.engage.standing`)."""

from __future__ import annotations

from datetime import datetime

from newsletter.config import Settings
from newsletter.engage.standing import judge
from newsletter.model import SEGMENTS
from newsletter.report.charts import Colors, stacked_bars
from newsletter.report.figures import MonthlyReport, ReaderCounts
from newsletter.report.sections import NO_DATA, Chart, Pending, Section
from newsletter.tables import Block

KINDS = ("Active", "Fading", "Asked", "Moved")
TITLE = "Readers who still read"


def reader_counts(settings: Settings, now: datetime) -> ReaderCounts | None:
    """The list judged at ``now``; None without an ``engagement:`` section."""
    config = settings.config.engagement
    if config is None:
        return None
    standing = judge(settings, config, now)
    return ReaderCounts(
        active=dict(standing.active),
        fading=dict(standing.fading),
        asked=dict(standing.asked),
        moved=dict(standing.moved),
        not_judged=standing.not_judged,
    )


def readers_section(report: MonthlyReport, colors: Colors) -> Section:
    """The section: a stacked bar per segment, one sentence, the table."""
    readers = report.readers
    if readers is None:
        pending = Pending(TITLE, "newsletter.yaml has no engagement: section")
        return Section(
            "readers", TITLE, f"Readers by how they read: {NO_DATA}.", None, (), (pending,)
        )
    columns = (readers.active, readers.fading, readers.asked, readers.moved)
    segments = [s for s in SEGMENTS if any(c.get(s) for c in columns)]
    segments += sorted({s for c in columns for s in c} - set(segments))
    table = Block(
        "Readers by segment",
        ("Segment", *KINDS),
        tuple((s, *(f"{c.get(s, 0):,}" for c in columns)) for s in segments),
        frozenset(KINDS),
        "Nobody on the list takes email yet.",
    )
    if readers.not_judged:
        reading = f"Nobody is judged yet: {readers.not_judged}."
        return Section("readers", TITLE, reading, None, (table,), summary=table)
    totals = [sum(c.values()) for c in columns]
    reading = (
        f"{totals[0]:,} readers active, {totals[1]:,} fading (to be asked), {totals[2]:,} "
        f"asked and not answered yet, {totals[3]:,} moved for not answering."
    )
    chart = None
    if segments:
        series = [
            (kind.lower(), [c.get(s, 0) for s in segments], color)
            for kind, c, color in zip(
                KINDS,
                columns,
                (colors.primary, colors.accent, colors.light, colors.bad),
                strict=True,
            )
        ]
        chart = Chart(
            stacked_bars(segments, series, colors),
            "Stacked bar chart of readers per segment: active, fading, asked and moved; "
            "the table below has the figures.",
        )
    return Section("readers", TITLE, reading, chart, (table,), summary=table)
