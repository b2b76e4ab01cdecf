"""``send_issue()``: deliver a built month to every email subscriber exactly once.

build folder (checked against its manifest) + subscribers − suppressions → one Message per
segment variant → batches of recipients → Transport, over a bounded pool of batches in
flight (:mod:`newsletter.deliver.dispatch`). Every batch is recorded in the ledger *before*
it goes out, and each recipient's own outcome after: sent, rejected for good with its own
reason, failed (retried by the next run), or uncertain (the answer was lost). A rerun
skips all but the retryable; a batch in flight when the process died is reported as
uncertain and resent only when asked.

The subscriber list is read and validated once, whole, before anything is sent
(:mod:`newsletter.deliver.roster`), then streamed from its spool a chunk at a time, each
segment variant filling its own batch: memory does not grow with the list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from newsletter.audience.subscribers import iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import referral_codes
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.deliver.collector import rare_collections
from newsletter.deliver.dispatch import Dispatcher
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.ledger_run import LedgerRun
from newsletter.deliver.personalize import Personalizer, recipient_for
from newsletter.deliver.roster import Roster
from newsletter.deliver.transport import Message, Recipient, Transport
from newsletter.deliver.variants import SendVariants
from newsletter.errors import NewsletterError
from newsletter.model import Subscriber, normalize_email
from newsletter.months import parse_month
from newsletter.pipeline.manifest import MANIFEST, verify_manifest
from newsletter.referrals.counting import rule_of
from newsletter.referrals.fields import business_region
from newsletter.referrals.rewards import progress_lines
from newsletter.sources.offers import current_offer

PROBLEMS_SHOWN = 20  # rejected or failed recipients listed in a report
_DONE = ("sent", "uncertain", "in_flight", "rejected")  # what a run does not send again


@dataclass
class SendReport:
    month: str
    by_segment: dict[str, int] = field(default_factory=dict)  # recipients this run addressed
    suppressed: int = 0
    not_email: int = 0
    already_sent: int = 0  # skipped: sent before this run
    done_otherwise: int = 0  # skipped: rejected or uncertain before this run
    uncertain: list[str] = field(default_factory=list)  # every uncertain one of the month
    sent: int = 0
    rejected: int = 0  # this run: refused for good, each with its own reason
    failed: int = 0  # this run: not taken this time; the next run retries them
    newly_uncertain: int = 0  # this run: the answer was lost, or a dead run's in flight
    batches: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    """Up to PROBLEMS_SHOWN (email, status, reason) of the month's rejected and failed."""


def skipped_statuses(released: Mapping[str, bool]) -> tuple[str, ...]:
    """The ledger statuses a run does not send again, less those ``released`` for it
    (``{"uncertain": True}`` with --resend-uncertain): a dry run, which changes nothing in
    the ledger, counts the released ones as due."""
    return tuple(status for status in _DONE if not released.get(status))


@rare_collections()
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
    retry_rejected: bool = False,
    on_batch: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> SendReport:
    """Send the built ``month`` to everyone not yet sent; see the module docstring.

    With ``transport=None`` nothing is sent or recorded: the report says what a send would
    do (the dry run). A live send holds the ledger (:meth:`Ledger.run`): a second one at
    the same time is refused at once with LockBusy, naming the first. ``on_plan`` is told
    how many recipients this run will address, ``on_batch`` how many each finished batch
    held.
    """
    month = f"{parse_month(month):%Y-%m}"
    out_dir = out_root / month
    manifest = load_build(out_dir)
    blocked = suppressed_emails(load_suppressions(settings.suppressions_csv))
    personal = SendVariants(settings, out_dir)
    roster = Roster(
        settings.subscribers_csv,
        secret=secret,
        blocked=blocked,
        spool_dir=settings.state_dir,
        variant_key=personal.key if personal.active else None,
    )
    with roster:
        if transport is None:
            released = {"uncertain": resend_uncertain, "rejected": retry_rejected}
            skip = skipped_statuses(released)
            return _send(settings, month, out_dir, manifest, roster, ledger, secret, limit, skip)
        with ledger.run(purpose=f"send {month}") as run:
            recovered = run.recover(month)  # in flight when a run died: uncertain from now on
            if resend_uncertain:
                run.release_uncertain(month)
            if retry_rejected:
                run.release_rejected(month)
            if on_plan:
                done = ledger.counts(month)
                left = max(0, roster.emailable - sum(done[s] for s in _DONE))
                on_plan(left if limit is None else min(limit, left))
            dispatcher = Dispatcher(transport, run, month, on_settled=on_batch)
            report = _send(
                settings,
                month,
                out_dir,
                manifest,
                roster,
                ledger,
                secret,
                limit,
                _DONE,
                run=run,
                dispatcher=dispatcher,
                batch_size=transport.max_batch,
            )
            # The dead run never reported them: this run is the first to say so.
            if not resend_uncertain:
                report.newly_uncertain += len(recovered)
            return report


def _send(
    settings: Settings,
    month: str,
    out_dir: Path,
    manifest: dict[str, Any],
    roster: Roster,
    ledger: Ledger,
    secret: bytes,
    limit: int | None,
    skip: tuple[str, ...],
    *,
    run: LedgerRun | None = None,
    dispatcher: Dispatcher | None = None,
    batch_size: int = 1,
) -> SendReport:
    """The send proper (a dry run without ``run`` and ``dispatcher``); recipients whose
    ledger status is in ``skip`` are not addressed."""
    report = SendReport(month=month, suppressed=roster.suppressed, not_email=roster.not_email)
    first = parse_month(month)
    offer = current_offer(settings.content_dir, first)
    progress = progress_lines(
        settings.referrals_csv,
        offer,
        settings.tz,
        region=business_region(settings),
        rule=rule_of(settings),
    )
    landing_url = referral_base(settings.config, offer.landing_url)
    personalizer = Personalizer(settings, secret=secret, landing_url=landing_url, month=month)
    segments: list[str] = list(settings.config.segments)
    variants = content_variants(manifest, segments)
    messages = _messages(settings, out_dir, manifest, month, variants, personalizer)
    waiting: dict[str, list[Recipient]] = {variant: [] for variant in messages}
    segments_of: dict[str, list[str]] = {variant: [] for variant in messages}  # the ledger's
    ledger_is_empty = not any(ledger.counts(month).values())
    by_segment = dict.fromkeys(segments, 0)
    code_of = roster.codes.code
    remaining = limit
    numbering = iter(range(1, 1 << 62))

    def flush(variant: str) -> bool:
        recipients, waiting[variant] = waiting[variant], []
        their_segments, segments_of[variant] = segments_of[variant], []
        if not recipients or dispatcher is None or run is None:
            return True
        batch_id = f"{run.id}-{next(numbering)}"
        return dispatcher.send(messages[variant], recipients, batch_id, their_segments)

    going = True
    with dispatcher or _NoDispatcher():
        for chunk in roster.chunks():
            done = {} if ledger_is_empty else ledger.statuses(month, [r[1] for r in chunk], skip)
            for email, key, first_name, last_name, segment, number, personal in chunk:
                if key in done:
                    if done[key] == "sent":
                        report.already_sent += 1
                    else:
                        report.done_otherwise += 1
                    continue
                if remaining is not None:
                    if remaining == 0:
                        continue  # keep counting what is left out, for the report
                    remaining -= 1
                by_segment[segment] += 1
                if dispatcher is None:
                    continue
                variant = f"{segment}/{personal}" if personal else variants[segment]
                if variant not in messages:  # a personal variant, read when first needed
                    title = manifest["issue"]["title"]
                    messages[variant] = personalizer.message(
                        segment_message(settings, out_dir, segment, title, month, variant=personal)
                    )
                    waiting[variant], segments_of[variant] = [], []
                batch = waiting[variant]
                batch.append(
                    personalizer.recipient(
                        email,
                        first_name,
                        last_name,
                        code=code_of(key, number),
                        progress=progress(key),
                    )
                )
                segments_of[variant].append(segment)
                if len(batch) >= batch_size and not flush(variant):
                    going = False
                    break
            if not going:
                break
        for variant in waiting:
            if going:
                going = flush(variant)
    report.by_segment = {s: n for s, n in by_segment.items() if n}
    if dispatcher is not None:
        tally = dispatcher.tally
        report.sent, report.rejected, report.failed = tally.sent, tally.rejected, tally.failed
        report.batches, report.newly_uncertain = tally.batches, tally.uncertain
        report.uncertain = sorted(ledger.uncertain(month))
    else:  # read-only: rows a killed run left in flight will become uncertain
        report.uncertain = sorted(ledger.uncertain(month) | ledger.in_flight(month))
    report.problems = ledger.problems(month, limit=PROBLEMS_SHOWN)
    return report


class _NoDispatcher:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _messages(
    settings: Settings,
    out_dir: Path,
    manifest: dict[str, Any],
    month: str,
    variants: dict[str, str],
    personalizer: Personalizer,
) -> dict[str, Message]:
    """One message per variant, its custom_args naming every segment that shares it."""
    messages = {}
    for variant in dict.fromkeys(variants.values()):
        message = segment_message(settings, out_dir, variant, manifest["issue"]["title"], month)
        sharing = "+".join(s for s in variants if variants[s] == variant)
        shared = replace(message, custom_args={**message.custom_args, "segment": sharing})
        messages[variant] = personalizer.message(shared)
    return messages


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
