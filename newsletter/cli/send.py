"""``newsletter send``: a thin wrapper over :func:`newsletter.deliver.run.send_month`."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.options import (
    EXIT_LEFT_TO_RETRY,
    config_option,
    echo_lines,
    fails_cleanly,
    month_option,
    out_option,
    secret_env,
    send_options,
    settings_of,
)

if TYPE_CHECKING:
    from newsletter.deliver.run import SendOutcome


@click.command()
@config_option
@month_option
@out_option
@send_options
@click.option("--test", "test_to", default="", help="Send [TEST] copies to a@x,b@y only.")
@click.option("--silent", is_flag=True, help="No progress bar.")
@fails_cleanly
def send(
    config_path: Path,
    month: str,
    out_root: Path,
    yes: bool,
    test_to: str,
    limit: int | None,
    resend_uncertain: bool,
    retry_rejected: bool,
    silent: bool,
    skip_desk_check: bool,
) -> None:
    """Deliver the built month by email: a dry run unless --yes.

    Exit status: 0 when everyone addressed was sent (or refused for good), 1 when some
    are left for the next run (failed) or uncertain, 2 when an error stopped the send.
    """
    from newsletter.audience.tokens import secret_from_env
    from newsletter.deliver.run import send_month, send_test_copies, split_addresses
    from newsletter.desk.project import check_desk_pulled

    settings = settings_of(config_path)
    secret = secret_from_env(secret_env(settings, live=yes or bool(test_to)))
    if yes and not test_to and not skip_desk_check:
        check_desk_pulled(settings)  # nobody who unsubscribed on the desk is mailed
    if test_to:
        addresses = split_addresses(test_to)
        count = send_test_copies(
            settings, month, out_root=out_root, secret=secret, addresses=addresses
        )
        click.echo(f"sent {count} test copies (the ledger is untouched)")
        return
    send_with_progress(
        functools.partial(
            send_month,
            settings,
            month,
            out_root=out_root,
            secret=secret,
            live=yes,
            limit=limit,
            resend_uncertain=resend_uncertain,
            retry_rejected=retry_rejected,
        ),
        live=yes,
        silent=silent,
    )


def send_with_progress(send: Callable[..., SendOutcome], *, live: bool, silent: bool) -> None:
    """Run ``send`` (given ``on_plan`` and ``on_batch``) under a progress bar when it is
    live and on a terminal, print its report, and exit 1 when some are left to retry."""
    from newsletter.deliver.run import report_lines
    from newsletter.progress import progress_bar

    with progress_bar("sending", unit="recipients", silent=silent or not live) as bar:
        outcome = send(on_plan=bar.set_total, on_batch=bar.advance)
    echo_lines(report_lines(outcome))
    if outcome.left_to_retry:
        sys.exit(EXIT_LEFT_TO_RETRY)
