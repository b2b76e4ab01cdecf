"""``send_month()``: one send as ``newsletter send`` runs it, from the ledger to the report.

:func:`~newsletter.deliver.job.run_send` runs a job through a transport and a ledger it
is given; a whole run adds the rest: the project's send ledger, the configured transport
(closed whatever happens), the dry run's sample message in ``state/preview/``, and
``[TEST]`` copies. The desk check is the caller's to give: the project's, or
:func:`~newsletter.deliver.job.skip_desk_check` to say it sends without.

The sample is the job's own first message: the message and values a send gives its first
reader, made by the same job, so it shows what a reader gets. Its images are attached to it
(by Content-ID, which every mail client shows) in place of the links to the published ones,
which do not exist before the issue is published.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path
from typing import Unpack

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.tokens import referral_codes
from newsletter.cards.quarter import Quarter
from newsletter.config import Settings
from newsletter.deliver import mime
from newsletter.deliver.factory import make_transport
from newsletter.deliver.job import DeskCheck, RunOptions, SendJob, SendReport, run_send
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.ledger_check import check_ledger_whole
from newsletter.deliver.nurture import nurture_job, nurture_key
from newsletter.deliver.send import issue_job
from newsletter.deliver.transport import Receipt
from newsletter.errors import ConfigError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.model import normalize_email
from newsletter.months import parse_month
from newsletter.pipeline.mail import IssueMail
from newsletter.pipeline.manifest import published_images
from newsletter.pipeline.monthlock import month_lock

PREVIEW_DIR = "preview"  # under state/: the dry run's sample message
MAX_TEST_COPIES = 1000  # one request's worth: a test is a look, not a send


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

    It holds the month's lock: each group's message is read from the build when that group
    first goes out, so a build of the month meanwhile would pair one build's subject with
    another's body. A build (or print) of the month refuses while it sends, as it refuses
    while one of those runs.
    """
    built = f"{parse_month(month):%Y-%m}"

    def job() -> AbstractContextManager[SendJob]:
        return issue_job(settings, month, out_root=out_root, secret=secret)

    def sample() -> tuple[Path, Mapping[str, Path]]:  # read once the send has checked the desk
        return sample_message_path(settings, month), published_images(out_root / built)

    with month_lock(out_root, built, doing="send"):
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

    def job() -> AbstractContextManager[SendJob]:
        return nurture_job(settings, quarter, secret=secret)

    def sample() -> tuple[Path, Mapping[str, Path]]:
        return settings.state_dir / PREVIEW_DIR / f"{nurture_key(quarter)}.eml", {}

    return run_job(settings, job, sample, live, desk_check, environ, options)


def run_job(
    settings: Settings,
    job: Callable[[], AbstractContextManager[SendJob]],
    sample: Callable[[], tuple[Path, Mapping[str, Path]]],
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
                job(), transport=transport, ledger=ledger, desk_check=desk_check, **options
            )
        finally:
            if transport is not None:
                transport.close()
    if live:
        return SendOutcome(report, dry_run=False, sample=None)
    path, images = sample()
    message = sample_message(job(), stand_in=settings.config.sender.email, images=images)
    atomic_write(path, message, mode=PRIVATE)
    return SendOutcome(report, dry_run=True, sample=path)


def sample_message(
    job: AbstractContextManager[SendJob], *, stand_in: str, images: Mapping[str, Path]
) -> bytes:
    """The message the job's first reader gets, as RFC 5322 bytes (``stand_in``, an
    address, takes their place when the list has nobody to email), with ``images`` (the
    URL a message shows each at -> its file) attached."""
    with job as opened:
        roster = opened.roster
        reader = next((row for chunk in roster.chunks() for row in chunk), None)
        if reader is None:
            key = normalize_email(stand_in)
            segment, group = next(((s, g) for s, g in roster.groups.items() if g), ("", ""))
            reader = (stand_in, key, "", "", segment, None, group)
        message, recipient = opened.message(reader[6]), opened.recipient(reader)
    return _with_images(mime.render(message, recipient, when=datetime.now(UTC)), images)


def _with_images(wire: bytes, images: Mapping[str, Path]) -> bytes:
    """``wire`` with each of ``images`` its HTML shows attached, shown by Content-ID."""
    email = mime.parse(wire)
    html_part = email.get_body(("html",))
    if html_part is None:
        return wire
    html = html_part.get_content()
    shown = {}
    for url, path in images.items():
        quoted = re.compile(f"(?<=[\"']){re.escape(url)}(?=[\"'])")
        if quoted.search(html):
            cid = make_msgid(domain="sample.invalid")
            html = quoted.sub(f"cid:{cid[1:-1]}", html)
            shown[cid] = path
    if not shown:
        return wire
    html_part.set_content(html, subtype="html", cte="base64")
    for cid, path in shown.items():
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, _, subtype = kind.partition("/")
        html_part.add_related(
            path.read_bytes(), maintype, subtype, cid=cid, filename=path.name, disposition="inline"
        )
    return email.as_bytes(policy=mime.POLICY)


def send_test_copies(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    secret: bytes,
    addresses: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> Receipt:
    """Send ``[TEST]`` copies of the client email to ``addresses`` (each checked first, at
    most MAX_TEST_COPIES) through the configured transport; the ledger is untouched.
    Returns what became of each."""
    if len(addresses) > MAX_TEST_COPIES:
        raise ConfigError(
            f"at most {MAX_TEST_COPIES:,} test addresses ({len(addresses):,} given): "
            "a larger list is a send",
            key="--test",
        )
    for address in addresses:
        try:
            normalized_address(address)
        except EmailNotValidError as error:
            raise ConfigError(
                f"not an email address: {address!r} ({error})", key="--test"
            ) from None
    mail = IssueMail(settings, month, out_root=out_root, secret=secret)
    message = mail.message(mail.variants["client"])
    message = replace(message, subject=f"[TEST] {message.subject}", categories=("test",))
    codes = referral_codes(secret, addresses)
    make = mail.personalizer.recipient
    recipients = [make(a, "", "", code=codes[normalize_email(a)]) for a in addresses]
    receipt = Receipt()
    transport = make_transport(settings, environ)
    try:
        for start in range(0, len(recipients), transport.max_batch):
            transport.send_batch(message, recipients[start : start + transport.max_batch], receipt)
    finally:
        transport.close()
    return receipt
