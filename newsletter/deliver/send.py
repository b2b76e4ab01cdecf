"""``send_issue()``: deliver a built month to every email subscriber exactly once.

build folder (checked against its manifest) + subscribers − suppressions → one Message per
segment → batches of recipients → Transport, with every batch recorded in the ledger
*before* it goes out and marked sent after the provider accepts it. A rerun skips the sent;
a batch in flight when the process died is reported as uncertain and resent only when
asked.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from newsletter.audience.personalize import recipient_for
from newsletter.audience.subscribers import iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import CodeBook, DuplicateAddress, referral_codes
from newsletter.build import MANIFEST, verify_manifest
from newsletter.config import Settings
from newsletter.deliver.ledger import Ledger, LedgerRun
from newsletter.deliver.transport import (
    DeliveryError,
    Message,
    Recipient,
    Transport,
)
from newsletter.errors import NewsletterError
from newsletter.model import Subscriber
from newsletter.months import parse_month
from newsletter.referrals.ledger import LEDGER_FILE
from newsletter.referrals.rewards import progress_lines
from newsletter.sources.offers import current_offer


@dataclass
class SendReport:
    month: str
    by_segment: dict[str, int] = field(default_factory=dict)  # recipients this run addressed
    suppressed: int = 0
    not_email: int = 0
    already_sent: int = 0
    uncertain: list[str] = field(default_factory=list)
    sent: int = 0
    batches: int = 0


def load_build(out_dir: Path) -> dict[str, Any]:
    """The build's manifest, refusing a missing build or one edited after preview."""
    if not (out_dir / MANIFEST).is_file():
        raise NewsletterError("no build here: run `newsletter build` first", path=out_dir)
    changed = verify_manifest(out_dir)
    if changed:
        raise NewsletterError(
            f"build changed since it was made ({', '.join(changed)}): rebuild and preview again",
            path=out_dir / MANIFEST,
        )
    manifest: dict[str, Any] = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def segment_message(
    settings: Settings, out_dir: Path, segment: str, subject: str, month: str
) -> Message:
    folder = out_dir / "segments" / segment
    sender = settings.config.sender
    return Message(
        subject=subject,
        from_email=sender.email,
        from_name=sender.name,
        reply_to=sender.reply_to,
        html=(folder / "email.html").read_text(encoding="utf-8"),
        text=(folder / "email.txt").read_text(encoding="utf-8"),
        categories=("newsletter", month),
        custom_args={"issue": month, "segment": segment},
    )


def content_variants(manifest: dict[str, Any], segments: Iterable[str]) -> dict[str, str]:
    """segment -> the first segment whose email is byte for byte the same (often client
    and partner): segments that read the same share batches, so a send makes fewer
    requests. The manifest's hashes say which are the same."""
    outputs = manifest["outputs"]
    first_with: dict[tuple[str, str], str] = {}
    variants = {}
    for segment in segments:
        key = (outputs[f"segments/{segment}/email.html"], outputs[f"segments/{segment}/email.txt"])
        variants[segment] = first_with.setdefault(key, segment)
    return variants


def _subscribers_path(settings: Settings) -> Path:
    return settings.subscribers_dir / "subscribers.csv"


def _blocked(settings: Settings) -> frozenset[str]:
    return suppressed_emails(load_suppressions(settings.subscribers_dir / "suppressions.csv"))


def _to_email(
    settings: Settings, blocked: frozenset[str], report: SendReport
) -> Iterator[Subscriber]:
    """The subscribers to email, streamed: email channel and not suppressed.

    Duplicates are not looked for here: ``_code_book`` has already ruled them out.
    """
    for subscriber in iter_subscribers(_subscribers_path(settings), check_duplicates=False):
        if "email" not in subscriber.channels:
            report.not_email += 1
        elif subscriber.normalized_email in blocked:
            report.suppressed += 1
        else:
            yield subscriber


def _code_book(settings: Settings, secret: bytes, blocked: frozenset[str]) -> tuple[CodeBook, int]:
    """Referral codes for the whole list, and how many of it can be emailed. This first
    pass also validates the list in full, so a bad line stops the send before anyone gets
    anything."""
    path = _subscribers_path(settings)
    book = CodeBook(secret)
    emailable = 0
    for subscriber in iter_subscribers(path, check_duplicates=False):
        book.add(subscriber.normalized_email)
        if "email" in subscriber.channels and subscriber.normalized_email not in blocked:
            emailable += 1
    try:
        book.settle(s.normalized_email for s in iter_subscribers(path, check_duplicates=False))
    except DuplicateAddress:
        for _ in iter_subscribers(path):  # raises the error naming both lines
            pass
        raise
    return book, emailable


def send_issue(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    transport: Transport | None,
    ledger: Ledger,
    secret: bytes,
    limit: int | None = None,
    resend_uncertain: bool = False,
    on_batch: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> SendReport:
    """Send the built ``month`` to everyone not yet sent; see the module docstring.

    With ``transport=None`` nothing is sent or recorded: the report says what a send would
    do (the dry run). The subscriber list is streamed (twice: codes, then the send), and
    each segment fills its own batch, so memory does not grow with the list.

    A live send holds the ledger (:meth:`Ledger.run`): a second one at the same time is
    refused at once with LockBusy, naming the first.
    """
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    send = functools.partial(
        _send,
        settings,
        month,
        out_root,
        ledger=ledger,
        secret=secret,
        limit=limit,
        resend_uncertain=resend_uncertain,
        on_batch=on_batch,
    )
    if transport is None:
        return send(None, None)
    with ledger.run(purpose=f"send {month}") as run:
        return send(transport, run, on_plan=on_plan)


def _send(
    settings: Settings,
    month: str,
    out_root: Path,
    transport: Transport | None,
    run: LedgerRun | None,
    *,
    ledger: Ledger,
    secret: bytes,
    limit: int | None,
    resend_uncertain: bool,
    on_batch: Callable[[int], None] | None,
    on_plan: Callable[[int], None] | None = None,
) -> SendReport:
    first = parse_month(month)
    out_dir = out_root / month
    manifest = load_build(out_dir)
    report = SendReport(month=month)
    blocked = _blocked(settings)
    codes, emailable = _code_book(settings, secret, blocked)
    offer = current_offer(settings.content_dir, first)
    progress = progress_lines(settings.subscribers_dir / LEDGER_FILE, offer, settings.tz)

    dry_run = run is None
    if run is None:  # read-only: rows a killed run left in flight will become uncertain
        report.uncertain = sorted(ledger.uncertain(month) | ledger.in_flight(month))
    else:
        run.recover(month)  # in flight when a run died: uncertain from now on
        report.uncertain = sorted(ledger.uncertain(month))
    if resend_uncertain:
        if run is not None:
            run.release_uncertain(month)
        report.uncertain = []
    skip = ("sent", *(("uncertain", "in_flight") if report.uncertain else ()))
    if on_plan:
        planned = ledger.counts(month)
        left = max(0, emailable - sum(planned[s] for s in skip))
        on_plan(left if limit is None else min(limit, left))

    segments = settings.config.segments
    variants = content_variants(manifest, segments)
    waiting: dict[str, list[Recipient]] = {variant: [] for variant in variants.values()}
    messages: dict[str, Message] = {}
    batch_size = transport.max_batch if transport else 1
    batch_numbers = itertools.count(1)

    def flush(variant: str) -> None:
        recipients, waiting[variant] = waiting[variant], []
        if not recipients or transport is None or run is None:
            return
        if variant not in messages:
            title = manifest["issue"]["title"]
            message = segment_message(settings, out_dir, variant, title, month)
            sharing = "+".join(s for s in segments if variants[s] == variant)
            messages[variant] = replace(
                message, custom_args={**message.custom_args, "segment": sharing}
            )
        batch = f"{run.id}-{next(batch_numbers)}"
        _send_batch(run, transport, messages[variant], recipients, month, batch)
        report.sent += len(recipients)
        report.batches += 1
        if on_batch:
            on_batch(len(recipients))

    remaining = limit
    for chunk in _batched(_to_email(settings, blocked, report), _LOOKUP_CHUNK):
        done = ledger.having(month, [s.normalized_email for s in chunk], skip)
        for subscriber in chunk:
            if subscriber.normalized_email in done:
                report.already_sent += 1
                continue
            if remaining is not None:
                if remaining == 0:
                    continue  # keep counting what is left out, for the report
                remaining -= 1
            report.by_segment[subscriber.segment] = report.by_segment.get(subscriber.segment, 0) + 1
            if dry_run:
                continue
            variant = variants[subscriber.segment]
            waiting[variant].append(
                recipient_for(
                    subscriber,
                    settings,
                    secret=secret,
                    code=codes.code(subscriber.normalized_email),
                    landing_url=offer.landing_url,
                    month=month,
                    progress=progress(subscriber.normalized_email),
                )
            )
            if len(waiting[variant]) >= batch_size:
                flush(variant)
    for variant in waiting:
        flush(variant)
    report.by_segment = {s: report.by_segment[s] for s in segments if s in report.by_segment}
    return report


_LOOKUP_CHUNK = 1000  # subscribers per ledger look-up


def _batched(items: Iterable[Subscriber], size: int) -> Iterator[list[Subscriber]]:
    # itertools.batched arrived in Python 3.12; 3.11 is supported.
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def send_test(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    transport: Transport,
    secret: bytes,
    addresses: Sequence[str],
    segment: str = "client",
) -> int:
    """Send ``[TEST]`` copies of a segment's email to ``addresses``; the ledger is untouched."""
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    out_dir = out_root / month
    manifest = load_build(out_dir)
    message = segment_message(settings, out_dir, segment, manifest["issue"]["title"], month)
    message = replace(message, subject=f"[TEST] {message.subject}", categories=("test",))
    offer = current_offer(settings.content_dir, first)
    codes = referral_codes(secret, addresses)
    recipients = [
        recipient_for(
            stand_in_subscriber(address, segment),
            settings,
            secret=secret,
            code=codes[address.strip().lower()],
            landing_url=offer.landing_url,
            month=month,
        )
        for address in addresses
    ]
    transport.send_batch(message, recipients)
    return len(recipients)


def stand_in_subscriber(address: str, segment: str) -> Subscriber:
    return Subscriber(
        email=address.strip(),
        first_name="",
        last_name="",
        company="",
        segment=segment,
        channels=frozenset({"email"}),
        address=None,
        consent_source="test",
        consent_date=None,
        tags=(),
        line=0,
    )


def _send_batch(
    ledger: LedgerRun,
    transport: Transport,
    message: Message,
    recipients: Sequence[Recipient],
    month: str,
    batch: str,
) -> None:
    ledger.mark_in_flight(month, [r.email.lower() for r in recipients], batch)
    try:
        result = transport.send_batch(message, recipients)
    except DeliveryError as exc:
        if exc.delivered:
            ledger.mark_some_sent(month, batch, exc.delivered)
        if exc.uncertain:
            raise  # left in flight: the next run reports these recipients as uncertain
        ledger.mark_failed(month, batch, exc.one_line())
        raise
    except NewsletterError as exc:
        ledger.mark_failed(month, batch, exc.one_line())
        raise
    ledger.mark_sent(month, batch, result.message_id)


def sample_message(
    settings: Settings, month: str, *, out_root: Path, secret: bytes, segment: str = "client"
) -> bytes:
    """One fully personalized message of ``segment`` as it would go out (RFC 5322 bytes)."""
    from newsletter.deliver.smtp import SmtpTransport

    first = parse_month(month)
    month = f"{first:%Y-%m}"
    out_dir = out_root / month
    manifest = load_build(out_dir)
    to_email = _to_email(settings, _blocked(settings), SendReport(month=month))
    subscriber = next((s for s in to_email if s.segment == segment), None)
    subscriber = subscriber or stand_in_subscriber(settings.config.sender.email, segment)
    message = segment_message(settings, out_dir, segment, manifest["issue"]["title"], month)
    recipient = recipient_for(
        subscriber,
        settings,
        secret=secret,
        code=referral_codes(secret, [subscriber.email])[subscriber.normalized_email],
        landing_url=current_offer(settings.content_dir, first).landing_url,
        month=month,
    )
    # Building a MIME message needs no connection: the SMTP transport only connects to send.
    return SmtpTransport("localhost", 25).build(message, recipient).as_bytes()
