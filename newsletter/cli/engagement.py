"""``newsletter engagement``: a thin wrapper over
:func:`newsletter.engage.repermission.run_engagement`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.options import (
    EXIT_LEFT_TO_RETRY,
    config_option,
    echo_lines,
    fails_cleanly,
    send_options,
    settings_of,
)
from newsletter.cli.send import report_lines
from newsletter.cli.welcome import SendChoices, run_with_progress

if TYPE_CHECKING:
    from newsletter.engage.standing import Standing


@click.command("engagement")
@config_option
@send_options
@click.option("--silent", is_flag=True, help="No progress bar.")
@fails_cleanly
def engagement_command(
    config_path: Path,
    yes: bool,
    limit: int | None,
    resend_uncertain: bool,
    retry_rejected: bool,
    skip_desk_check: bool,
    silent: bool,
) -> None:
    """Readers who still read: ask the quiet ones once, move those who did not answer.

    Without --yes, a dry run: who is active, fading, asked and moved, per segment, and who
    would be asked or moved. Exit status as `newsletter send`.
    """
    from newsletter.engage.repermission import run_engagement

    settings = settings_of(config_path)
    options = SendChoices(yes, limit, resend_uncertain, retry_rejected, skip_desk_check, silent)
    outcome = run_with_progress(run_engagement, settings, "asking", options)
    lines = standing_lines(outcome.standing)
    if outcome.standing.due:
        config = settings.config.engagement
        where = "post only" if config and config.no_answer == "post" else "out"
        verb = "moved" if yes else "would move"
        lines.append(
            f"{verb} {outcome.moved_now} to {where}: no answer in time "
            "(reason inactive in suppressions.csv)"
        )
    if outcome.send is not None:
        lines += report_lines(outcome.send)
    echo_lines(lines)
    if outcome.send is not None and outcome.send.left_to_retry:
        sys.exit(EXIT_LEFT_TO_RETRY)


def standing_lines(standing: Standing) -> list[str]:
    """The list's standing, one line per segment."""
    if standing.not_judged:
        return [f"nobody judged yet: {standing.not_judged}"]
    issues = standing.issues
    lines = [f"looked at the {len(issues)} issues {issues[0]} to {issues[-1]}"]
    segments = sorted({*standing.active, *standing.fading, *standing.asked, *standing.moved})
    for segment in segments:
        lines.append(
            f"  {segment}: {standing.active[segment]} active, {standing.fading[segment]} "
            f"fading, {standing.asked[segment]} asked, {standing.moved[segment]} moved"
        )
    return lines
