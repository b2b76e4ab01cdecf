"""``send_month()``: one send as ``newsletter send`` runs it, from the ledger to the report.

:func:`~newsletter.deliver.job.run_send` runs a job through a transport and a ledger it
is given; a whole run adds the rest: the project's send ledger, the configured transport
(closed whatever happens), the dry run's sample message in ``state/preview/``, and
``[TEST]`` copies. The desk check is the caller's to give: the project's, or
:func:`~newsletter.deliver.job.skip_desk_check` to say it sends without.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Unpack

from newsletter.cards.quarter import Quarter
from newsletter.config import Settings
from newsletter.deliver.factory import make_transport
from newsletter.deliver.job import DeskCheck, RunOptions, SendJob, SendReport, run_send
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.ledger_check import check_ledger_whole
from newsletter.deliver.nurture import nurture_job, nurture_key, nurture_sample
from newsletter.deliver.send import issue_job, sample_message, send_test
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.months import parse_month

PREVIEW_DIR = "preview"  # under state/: the dry run's sample message


def sample_message_path(settings: Settings, month: str) -> Path:
    """Where a dry run writes the sample message of ``month``."""
    return settings.state_dir / PREVIEW_DIR / f"{parse_month(month):%Y-%m}-client.eml"


@dataclass(frozen=True)
class SendOutcome:
    report: SendReport
    dry_run: bool
    sample: Path | None  # the dry run's sample message

    @property
    def left_to_retry(self) -> bool:
        """Some recipients failed (the next run retries them) or became uncertain."""
        return bool(self.report.failed or self.report.newly_uncertain)


def send_month(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    secret: bytes,
    live: bool,
    desk_check: DeskCheck,
    environ: Mapping[str, str] | None = None,
    **options: Unpack[RunOptions],
) -> SendOutcome:
    """Send the built ``month`` to everyone not yet sent, through the configured transport.

    Unless ``live``, nothing is sent: the report says what a send would do, and one fully
    personalized sample message is written (0600) for a look in a mail client.
    """

    def sample() -> tuple[Path, bytes]:
        message = sample_message(settings, month, out_root=out_root, secret=secret)
        return sample_message_path(settings, month), message

    job = issue_job(settings, month, out_root=out_root, secret=secret)
    return run_job(settings, job, sample, live, desk_check, environ, options)


def send_nurture_quarter(
    settings: Settings,
    quarter: Quarter,
    *,
    secret: bytes,
    live: bool,
    desk_check: DeskCheck,
    environ: Mapping[str, str] | None = None,
    **options: Unpack[RunOptions],
) -> SendOutcome:
    """Send ``quarter``'s nurture email (``newsletter cards --email``) as :func:`send_month`
    sends an issue."""

    def sample() -> tuple[Path, bytes]:
        path = settings.state_dir / PREVIEW_DIR / f"{nurture_key(quarter)}.eml"
        return path, nurture_sample(settings, quarter, secret=secret)

    job = nurture_job(settings, quarter, secret=secret)
    return run_job(settings, job, sample, live, desk_check, environ, options)


def run_job(
    settings: Settings,
    job: AbstractContextManager[SendJob],
    sample: Callable[[], tuple[Path, bytes]],
    live: bool,
    desk_check: DeskCheck,
    environ: Mapping[str, str] | None,
    options: RunOptions,
) -> SendOutcome:
    """Run ``job`` through the project's ledger and (when ``live``) its configured
    transport; a dry run writes ``sample()``'s message (0600) where it says."""
    with Ledger(settings.send_ledger) as ledger:
        check_ledger_whole(settings.send_ledger)
        transport = make_transport(settings, environ) if live else None
        try:
            report = run_send(
                job, transport=transport, ledger=ledger, desk_check=desk_check, **options
            )
        finally:
            if transport is not None:
                transport.close()
    if live:
        return SendOutcome(report, dry_run=False, sample=None)
    path, message = sample()
    atomic_write(path, message, mode=PRIVATE)
    return SendOutcome(report, dry_run=True, sample=path)


def send_test_copies(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    secret: bytes,
    addresses: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> int:
    """Send ``[TEST]`` copies to ``addresses`` through the configured transport; the ledger
    is untouched. Returns how many were sent."""
    transport = make_transport(settings, environ)
    try:
        return send_test(
            settings,
            month,
            out_root=out_root,
            transport=transport,
            secret=secret,
            addresses=addresses,
        )
    finally:
        transport.close()
