"""``send_issue()``: deliver a built month to every email subscriber exactly once.

The month's :class:`~newsletter.deliver.job.SendJob` (:func:`issue_job`), run by
:func:`~newsletter.deliver.job.run_send`: the build folder (checked against its manifest),
subscribers less suppressions, in groups by message: a segment's email, shared by the
segments whose email reads the same byte for byte (often client and partner: fewer
requests), or a reader's personal variant (:mod:`newsletter.deliver.variants`). Each
reader's values fill the placeholders the build left: first name, referral code and
progress, unsubscribe token (:mod:`newsletter.deliver.personalize`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Unpack

from newsletter.audience.subscribers import iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.deliver.job import DeskCheck, RunOptions, SendJob, SendReport, run_send
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.personalize import Personalizer, recipient_for
from newsletter.deliver.roster import Reader, project_roster
from newsletter.deliver.transport import Message, Recipient, Transport
from newsletter.deliver.variants import SendVariants
from newsletter.errors import NewsletterError
from newsletter.model import Subscriber, normalize_email
from newsletter.months import parse_month
from newsletter.pipeline.manifest import MANIFEST, verify_manifest
from newsletter.referrals.rewards import progress_lines
from newsletter.sources.offers import current_offer


def send_issue(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    transport: Transport | None,
    ledger: Ledger,
    secret: bytes,
    desk_check: DeskCheck,
    **options: Unpack[RunOptions],
) -> SendReport:
    """Send the built ``month`` to everyone not yet sent (with ``transport=None``, a dry
    run): :func:`~newsletter.deliver.job.run_send` of :func:`issue_job`."""
    job = issue_job(settings, month, out_root=out_root, secret=secret)
    return run_send(job, transport=transport, ledger=ledger, desk_check=desk_check, **options)


@contextmanager
def issue_job(
    settings: Settings, month: str, *, out_root: Path, secret: bytes
) -> Iterator[SendJob]:
    """The built ``month`` as a send job, its list read once (nothing happens until the job
    is opened)."""
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    out_dir = out_root / month
    manifest = load_build(out_dir)
    title = manifest["issue"]["title"]
    offer = current_offer(settings.content_dir, first)
    progress = progress_lines(settings.referrals_csv, offer, settings.tz)
    landing_url = referral_base(settings.config, offer.landing_url)
    personalizer = Personalizer(settings, secret=secret, landing_url=landing_url, month=month)
    variants = content_variants(manifest, settings.config.segments)
    personal = SendVariants(settings, out_dir)
    messages: dict[str, Message] = {}

    def message(group: str) -> Message:
        """A group's message, read when first needed: a content variant's custom_args name
        every segment that shares it."""
        if group not in messages:
            segment, _, variant = group.partition("/")
            made = segment_message(settings, out_dir, segment, title, month, variant=variant)
            if not variant:
                sharing = "+".join(s for s in variants if variants[s] == segment)
                made = replace(made, custom_args={**made.custom_args, "segment": sharing})
            messages[group] = personalizer.message(made)
        return messages[group]

    readers = project_roster(
        settings, secret=secret, groups=variants, personal=personal.key if personal.active else None
    )
    with readers as roster:
        code = roster.codes.code
        make = personalizer.recipient

        def recipient(reader: Reader) -> Recipient:
            email, key, first_name, last_name, _, number, _ = reader
            return make(
                email, first_name, last_name, code=code(key, number), progress=progress(key)
            )

        yield SendJob(month, roster, message, recipient)


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
    settings: Settings,
    out_dir: Path,
    segment: str,
    subject: str,
    month: str,
    *,
    variant: str = "",
) -> Message:
    folder = out_dir / "segments" / segment
    if variant:
        folder = folder / "variants" / variant
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
            code=codes[normalize_email(address)],
            landing_url=referral_base(settings.config, offer.landing_url),
            month=month,
        )
        for address in addresses
    ]
    transport.send_batch(message, recipients)
    return len(recipients)


def _first_reader(settings: Settings, segment: str) -> Subscriber | None:
    """The first subscriber of ``segment`` an issue would be emailed to."""
    blocked = suppressed_emails(load_suppressions(settings.suppressions_csv))
    for subscriber in iter_subscribers(settings.subscribers_csv, check_duplicates=False):
        emailed = "email" in subscriber.channels and subscriber.normalized_email not in blocked
        if emailed and subscriber.segment == segment:
            return subscriber
    return None


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


def sample_message(
    settings: Settings, month: str, *, out_root: Path, secret: bytes, segment: str = "client"
) -> bytes:
    """One fully personalized message of ``segment`` as it would go out (RFC 5322 bytes)."""
    from newsletter.deliver.smtp import SmtpTransport

    first = parse_month(month)
    month = f"{first:%Y-%m}"
    out_dir = out_root / month
    manifest = load_build(out_dir)
    subscriber = _first_reader(settings, segment)
    subscriber = subscriber or stand_in_subscriber(settings.config.sender.email, segment)
    message = segment_message(settings, out_dir, segment, manifest["issue"]["title"], month)
    recipient = recipient_for(
        subscriber,
        settings,
        secret=secret,
        code=referral_codes(secret, [subscriber.email])[subscriber.normalized_email],
        landing_url=referral_base(
            settings.config, current_offer(settings.content_dir, first).landing_url
        ),
        month=month,
    )
    # Building a MIME message needs no connection: the SMTP transport only connects to send.
    return SmtpTransport("localhost", 25).build(message, recipient).as_bytes()
