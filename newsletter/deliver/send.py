"""``send_issue()``: deliver a built month to every email subscriber exactly once.

The month's :class:`~newsletter.deliver.job.SendJob` (:func:`issue_job`), run by
:func:`~newsletter.deliver.job.run_send`: the build folder (checked against its manifest),
subscribers less suppressions, in groups by message: a segment's email, shared by the
segments whose email reads the same byte for byte (often client and partner: fewer
requests), or a reader's personal variant (the build's, :mod:`newsletter.pipeline.variants`).
Each reader's values fill the placeholders the build left: first name, referral code and
progress, unsubscribe token (:mod:`newsletter.deliver.personalize`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Unpack

from newsletter.audience.hooks import VARIANTS_FILE, VariantPicker
from newsletter.audience.subscribers import iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.deliver.job import DeskCheck, RunOptions, SendJob, SendReport, run_send
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.personalize import Personalizer
from newsletter.deliver.roster import Reader, project_roster
from newsletter.deliver.smtp import SmtpTransport
from newsletter.deliver.transport import Message, Recipient, Transport
from newsletter.errors import NewsletterError
from newsletter.model import normalize_email
from newsletter.months import parse_month
from newsletter.pipeline.manifest import MANIFEST, verify_manifest
from newsletter.referrals.rewards import project_progress
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
    mail = IssueMail(settings, month, out_root=out_root, secret=secret)
    personal = mail.variant if mail.has_variants else None
    readers = project_roster(settings, secret=secret, groups=mail.variants, personal=personal)
    with readers as roster:
        code, make, progress = roster.codes.code, mail.personalizer.recipient, mail.progress

        def recipient(reader: Reader) -> Recipient:
            email, key, first_name, last_name, _, number, _ = reader
            return make(
                email, first_name, last_name, code=code(key, number), progress=progress(key)
            )

        yield SendJob(mail.month, roster, mail.message, recipient)


class IssueMail:
    """The built month's messages (one per group: a segment's email shared by the segments
    that read the same, or ``segment/variant``) and what makes each reader's values."""

    def __init__(self, settings: Settings, month: str, *, out_root: Path, secret: bytes) -> None:
        first = parse_month(month)
        self.month = month = f"{first:%Y-%m}"
        self._settings, self._out_dir = settings, out_root / month
        manifest = load_build(self._out_dir)
        self._title = manifest["issue"]["title"]
        offer = current_offer(settings.content_dir, first)
        self.progress = project_progress(settings, offer)
        landing_url = referral_base(settings.config, offer.landing_url)
        self.personalizer = Personalizer(
            settings, secret=secret, landing_url=landing_url, month=month
        )
        self.variants = content_variants(manifest, settings.config.segments)
        self._messages: dict[str, Message] = {}
        # The personal variants the build rendered, by segment (none: no listing).
        self._pickers: dict[str, tuple[VariantPicker, set[str]]] = {}
        listing = self._out_dir / VARIANTS_FILE
        if listing.is_file():
            built = json.loads(listing.read_text(encoding="utf-8"))
            on = date.fromisoformat(built["issue_date"])
            for segment, entry in built["segments"].items():
                picker = VariantPicker(settings.config.personal, entry["tags"], on)
                self._pickers[segment] = (picker, set(entry["variants"]))
        self.has_variants = bool(self._pickers)

    def message(self, group: str) -> Message:
        """A group's message, read when first needed: a shared one's custom_args name every
        segment that shares it."""
        if group not in self._messages:
            segment, _, variant = group.partition("/")
            made = segment_message(
                self._settings, self._out_dir, segment, self._title, self.month, variant=variant
            )
            if not variant:
                sharing = "+".join(s for s in self.variants if self.variants[s] == segment)
                made = replace(made, custom_args={**made.custom_args, "segment": sharing})
            self._messages[group] = self.personalizer.message(made)
        return self._messages[group]

    def variant(self, segment: str, tags: str, facts: str) -> str:
        """The key of the personal variant a reader of ``segment`` gets, from their row's
        cells ("" the plain email); refused when the build did not render it."""
        picking = self._pickers.get(segment)
        if picking is None:
            return ""
        picker, built = picking
        key = picker.pick(segment, tags, facts).key
        if key and key not in built:
            raise NewsletterError(
                "a reader's tags or facts (or the hook lines in newsletter.yaml) changed since "
                "the build: build again, and preview, before sending",
                path=Path("subscribers") / "subscribers.csv",
            )
        return key


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
    settings: Settings, out_dir: Path, segment: str, subject: str, month: str, *, variant: str = ""
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
    for segment in map(str, segments):  # plain text: the roster spools groups with marshal
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
    mail = IssueMail(settings, month, out_root=out_root, secret=secret)
    message = mail.message(mail.variants[segment])
    message = replace(message, subject=f"[TEST] {message.subject}", categories=("test",))
    codes = referral_codes(secret, addresses)
    make = mail.personalizer.recipient
    recipients = [
        make(address.strip(), "", "", code=codes[normalize_email(address)]) for address in addresses
    ]
    transport.send_batch(message, recipients)
    return len(recipients)


def sample_message(
    settings: Settings, month: str, *, out_root: Path, secret: bytes, segment: str = "client"
) -> bytes:
    """The message the first email reader of ``segment`` would get (the sender stands in
    when there is none), as RFC 5322 bytes."""
    mail = IssueMail(settings, month, out_root=out_root, secret=secret)
    blocked = suppressed_emails(load_suppressions(settings.suppressions_csv))
    first = next(
        (
            (s.email, s.first_name, s.last_name)
            for s in iter_subscribers(settings.subscribers_csv, check_duplicates=False)
            if s.segment == segment and "email" in s.channels and s.normalized_email not in blocked
        ),
        (settings.config.sender.email, "", ""),
    )
    key = normalize_email(first[0])
    code = referral_codes(secret, [key])[key]
    recipient = mail.personalizer.recipient(*first, code=code, progress=mail.progress(key))
    # Building a MIME message needs no connection: the SMTP transport only connects to send.
    message = mail.message(mail.variants[segment])
    return SmtpTransport("localhost", 25).build(message, recipient).as_bytes()
