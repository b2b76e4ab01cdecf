"""The monthly report's three faces: the page, the Markdown summary, the terminal view.

- ``index.html``: ``templates/report/index.html.j2`` (in the newsletter's templates
  folder), one self-contained file: charts are ``data:`` URIs, the CSS is inline, no
  script, nothing fetched. It prints on Letter and A4 alike.
- ``summary.md``: the sections' readings and their name-free tables, for the monthly
  workflow's job summary (visible to whoever can see the run: it names nobody).
- The terminal: rich tables, as ``newsletter referral report`` prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text

from newsletter.config import Settings
from newsletter.render.environment import make_environment, palette, render_template
from newsletter.report.figures import MonthlyReport
from newsletter.report.sections import NO_DATA, Section, as_of, heading
from newsletter.tables import Block, block_renderable

TEMPLATE = "report/index.html.j2"
_MARKDOWN_SPECIALS = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#"})


def report_page(report: MonthlyReport, sections: Sequence[Section], settings: Settings) -> str:
    """The report as one HTML page, from the newsletter's ``report/index.html.j2``."""
    config = settings.config
    return render_template(
        make_environment(settings.templates_dir),
        TEMPLATE,
        {
            "heading": heading(report),
            "as_of": as_of(report),
            "business": config.business,
            "colors": palette(config.brand),
            "lang": config.locale.split("_")[0] or "en",
            "sections": sections,
            "no_data": NO_DATA,
        },
    )


def report_summary(report: MonthlyReport, sections: Sequence[Section], out_dir: Path) -> str:
    """The report's figures as short Markdown: one line per section, then the figures'
    tables. Names stay in the page: this text may be shown where the page may not."""
    lines = [f"## {_md(heading(report))}", "", f"_{_md(as_of(report))}_", ""]
    lines += [f"- **{_md(s.title)}:** {_md(s.reading)}" for s in sections]
    for section in sections:
        if section.summary is not None:
            lines += ["", *_md_table(section.summary)]
    pending = [p.title for s in sections for p in s.pending]
    if pending:
        lines += ["", f"{NO_DATA.capitalize()}: {_md('; '.join(pending))}."]
    lines += [
        "",
        f"The full report, with leads' names, is `{out_dir}/index.html`: "
        "for the business only, never published.",
    ]
    return "\n".join(lines) + "\n"


def report_renderables(report: MonthlyReport, sections: Sequence[Section]) -> RenderableType:
    """The report for a terminal: each section's reading, tables and missing figures."""
    parts: list[RenderableType] = [
        Text(f"{heading(report)} ({as_of(report)})", style="bold"),
    ]
    for section in sections:
        parts += [Rule(section.title, align="left"), Text(section.reading)]
        parts += [block_renderable(block) for block in section.tables]
        parts += [Text(f"{p.title}: {NO_DATA} ({p.why}).") for p in section.pending]
    return Group(*parts)


def _md(text: str) -> str:
    return text.translate(_MARKDOWN_SPECIALS)


def _md_table(block: Block) -> list[str]:
    align = ["---:" if column in block.numeric else "---" for column in block.columns]
    lines = [
        f"**{_md(block.title)}**",
        "",
        "| " + " | ".join(_md(c) or " " for c in block.columns) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in block.rows]
    if not block.rows and block.empty:
        lines = [f"**{_md(block.title)}**: {_md(block.empty)}"]
    return lines
