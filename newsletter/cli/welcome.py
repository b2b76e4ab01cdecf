"""``newsletter welcome``: a thin wrapper over :func:`newsletter.engage.welcome.send_welcome`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from newsletter.cli.options import (
    EXIT_LEFT_TO_RETRY,
    config_option,
    echo_lines,
    fails_cleanly,
    secret_env,
    send_options,
    settings_of,
    warn,
)
from newsletter.cli.send import desk_check, report_lines

if TYPE_CHECKING:
    from newsletter.config import Settings


T = TypeVar("T")


@dataclass(frozen=True)
class SendChoices:
    """The send options as given on the command line."""

    yes: bool
    limit: int | None
    resend_uncertain: bool
    retry_rejected: bool
    skip_desk_check: bool
    silent: bool


def run_with_progress(
    run: Callable[..., T], settings: Settings, label: str, choices: SendChoices
) -> T:
    """``run`` (a library function taking the send's options, ``now`` and the secret)
    under a progress bar when it is live and on a terminal."""
    from newsletter.audience.tokens import secret_from_env
    from newsletter.progress import progress_bar

    with progress_bar(label, unit="recipients", silent=choices.silent or not choices.yes) as bar:
        return run(
            settings,
            secret=secret_from_env(secret_env(settings, live=choices.yes)),
            live=choices.yes,
            desk_check=desk_check(settings, skip=choices.skip_desk_check),
            now=datetime.now(UTC),
            limit=choices.limit,
            resend_uncertain=choices.resend_uncertain,
            retry_rejected=choices.retry_rejected,
            on_plan=bar.set_total,
            on_batch=bar.advance,
        )


@click.command("welcome")
@config_option
@send_options
@click.option("--silent", is_flag=True, help="No progress bar.")
@fails_cleanly
def welcome_command(
    config_path: Path,
    yes: bool,
    limit: int | None,
    resend_uncertain: bool,
    retry_rejected: bool,
    skip_desk_check: bool,
    silent: bool,
) -> None:
    """Welcome each new reader by email, once: a dry run unless --yes.

    New: on the list, taking email, and sent nothing before welcome.since in
    newsletter.yaml. Exit status as `newsletter send` (0 all done, 1 some left to retry
    or uncertain, 2 an error stopped it).
    """
    from newsletter.engage.welcome import send_welcome

    settings = settings_of(config_path)
    options = SendChoices(yes, limit, resend_uncertain, retry_rejected, skip_desk_check, silent)
    outcome = run_with_progress(send_welcome, settings, "welcoming", options)
    tally = outcome.tally
    if not tally.baseline:
        warn(
            f"the send ledger holds nothing sent before welcome.since ({tally.since}): "
            "everyone on the list counts as new"
        )
    lines = report_lines(outcome.send)
    lines.insert(2, f"not new: {tally.reading_before} reading before {tally.since}")
    echo_lines(lines)
    if outcome.send.left_to_retry:
        sys.exit(EXIT_LEFT_TO_RETRY)
