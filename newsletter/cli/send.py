"""``newsletter send``: a thin wrapper over :func:`newsletter.deliver.run.send_month`."""

from __future__ import annotations

import contextlib
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
    from newsletter.config import Settings
    from newsletter.deliver.job import DeskCheck
    from newsletter.deliver.run import SendOutcome


@click.command()
@config_option
@month_option
@out_option
@send_options
@click.option("--test", "test_to", default="", help="Send [TEST] copies to a@x,b@y only.")
@click.option("--silent", is_flag=True, help="No progress bar.")
@click.option(
    "--checkpoint-command",
    default="",
    metavar="CMD",
    help="With --yes: run CMD (by bash) to keep the ledger off this machine before each "
    "group of batches goes out, and once when the send is over; if it fails, nothing more "
    "is sent.",
)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Batches put in flight per run of the checkpoint command.",
)
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
    checkpoint_command: str,
    checkpoint_every: int,
) -> None:
    """Deliver the built month by email: a dry run unless --yes.

    Exit status: 0 when everyone addressed was sent (or refused for good), 1 when some
    are left for the next run (failed) or uncertain, 2 when an error stopped the send.
    """
    from newsletter.audience.tokens import secret_from_env
    from newsletter.deliver.checkpoint import CommandCheckpoint
    from newsletter.deliver.run import send_month, send_test_copies

    settings = settings_of(config_path)
    secret = secret_from_env(secret_env(settings, live=yes or bool(test_to)))
    if test_to:
        addresses = split_addresses(test_to)
        receipt = send_test_copies(
            settings, month, out_root=out_root, secret=secret, addresses=addresses
        )
        click.echo(f"sent {len(receipt.sent)} test copies (the ledger is untouched)")
        outcomes = (receipt.rejected, receipt.deferred, receipt.uncertain)
        kinds = zip(("refused", "deferred", "uncertain"), outcomes, strict=True)
        echo_lines([f"  {kind}: {to}: {why}" for kind, got in kinds for to, why in got.items()])
        if any(outcomes):
            sys.exit(EXIT_LEFT_TO_RETRY)
        return
    checkpoint = CommandCheckpoint(checkpoint_command) if checkpoint_command and yes else None
    run = functools.partial(
        send_with_progress,
        functools.partial(
            send_month,
            settings,
            month,
            out_root=out_root,
            secret=secret,
            live=yes,
            desk_check=desk_check(settings, skip=skip_desk_check),
            limit=limit,
            resend_uncertain=resend_uncertain,
            retry_rejected=retry_rejected,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
        ),
        live=yes,
        silent=silent,
    )
    if checkpoint is None:
        run()
    else:
        then_checkpoint(run, checkpoint)


def then_checkpoint(run: Callable[[], None], checkpoint: Callable[[], None]) -> None:
    """Run the send, then the checkpoint once more, so the ledger kept off this machine
    holds every batch settled (a machine lost after the send leaves nobody uncertain).
    After a send that stopped, its own error is what the command reports."""
    from newsletter.errors import NewsletterError

    try:
        run()
    except BaseException:
        with contextlib.suppress(NewsletterError):
            checkpoint()
        raise
    checkpoint()


def desk_check(settings: Settings, *, skip: bool) -> DeskCheck:
    """The project's desk check for a live send (nobody who unsubscribed on the desk is
    mailed), or, with ``--skip-desk-check``, none."""
    from newsletter.deliver.job import skip_desk_check
    from newsletter.desk.project import check_desk_pulled

    return skip_desk_check if skip else functools.partial(check_desk_pulled, settings)


def send_with_progress(send: Callable[..., SendOutcome], *, live: bool, silent: bool) -> None:
    """Run ``send`` (given ``on_plan`` and ``on_batch``) under a progress bar when it is
    live and on a terminal, print its report, and exit 1 when some are left to retry."""
    from newsletter.progress import progress_bar

    with progress_bar("sending", unit="recipients", silent=silent or not live) as bar:
        outcome = send(on_plan=bar.set_total, on_batch=bar.advance)
    echo_lines(report_lines(outcome))
    if outcome.left_to_retry:
        sys.exit(EXIT_LEFT_TO_RETRY)


def split_addresses(text: str) -> list[str]:
    """The addresses of ``--test a@x,b@y``, blanks left out."""
    return [address.strip() for address in text.split(",") if address.strip()]


def report_lines(outcome: SendOutcome) -> list[str]:
    """The send's report as the command prints it (the nurture email's too)."""
    report, dry_run = outcome.report, outcome.dry_run
    verb = "would send" if dry_run else "sent"
    segments = ", ".join(f"{n} {segment}" for segment, n in report.by_segment.items()) or "none"
    total = sum(report.by_segment.values()) if dry_run else report.sent
    before = (
        f", {report.done_otherwise} rejected or uncertain before" if report.done_otherwise else ""
    )
    lines = [
        f"{report.key}: {verb} {total} ({segments})",
        f"skipped: {report.already_sent} already sent{before}, {report.suppressed} suppressed, "
        f"{report.not_email} post only",
    ]
    if report.rejected or report.failed:
        lines.append(
            f"not sent: {report.rejected} rejected for good, {report.failed} to retry "
            "(run the send again; --retry-rejected once their cause is fixed)"
        )
    lines.extend(f"  {status}: {email}: {reason}" for email, status, reason in report.problems)
    if report.uncertain:
        lines.append(
            f"uncertain: {len(report.uncertain)} recipients of a batch cut off mid-flight "
            "(not resent; use --resend-uncertain after checking the provider's activity)"
        )
    if outcome.sample is not None:
        lines.append(f"sample message: {outcome.sample}")
    if dry_run:
        lines.append("dry run: nothing sent; add --yes to send")
    return lines
