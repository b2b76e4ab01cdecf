"""``newsletter report``: the monthly report, a thin click wrapper over newsletter.report."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.options import (
    config_option,
    fails_cleanly,
    month_option,
    out_option,
    settings_of,
)


@click.command("report")
@config_option
@month_option
@out_option
@click.option("--silent", is_flag=True, help="No progress bar.")
@click.option("--now", "as_of", default=None, hidden=True, help="Report as of this time.")
@fails_cleanly
def report_command(
    config_path: Path, month: str, out_root: Path, silent: bool, as_of: str | None
) -> None:
    """The month at a glance: charts of referrals won, the follow-up, referrers and the
    issue's sends, in OUT/reports/YYYY-MM/ (index.html, summary.md), and printed."""
    from newsletter.months import parse_month
    from newsletter.progress import progress_bar
    from newsletter.referrals.actions import parse_time_option
    from newsletter.report.monthly import REPORT_FILES, load_monthly_report, write_monthly_report
    from newsletter.report.outputs import report_renderables
    from newsletter.report.sections import SECTION_COUNT
    from newsletter.tables import print_tables

    settings = settings_of(config_path)
    month = f"{parse_month(month):%Y-%m}"
    figures = load_monthly_report(settings, month, parse_time_option(as_of, settings.tz, "--now"))
    out_dir = out_root / "reports" / month
    with progress_bar("drawing the report", unit="sections", silent=silent) as bar:
        bar.set_total(SECTION_COUNT)
        sections = write_monthly_report(figures, settings, out_dir, on_section=bar.advance)
    print_tables([report_renderables(figures, sections)])
    click.echo(f"wrote {out_dir}/ ({', '.join(REPORT_FILES)})")
