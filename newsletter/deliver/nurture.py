"""``send_nurture()``: the quarter's nurture email, exactly once per quarter per person.

Who: the same people as the quarter's card (``prospect`` and ``cards.segments``) who take
email and have not unsubscribed. What: the card's tip, local item and soft ask
(:mod:`newsletter.cards.email`), one message for readers with a referral code and one for
those without. How: the monthly issue's ledger and transport, under the ledger key
``nurture-2026Q4``, so a rerun sends only to those the quarter has not reached, a kill
leaves only batches in flight uncertain, and a second send at the same time is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from newsletter.audience.subscribers import iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import referral_codes
from newsletter.cards.content import CardContent, load_card_content
from newsletter.cards.email import render_nurture_email
from newsletter.cards.quarter import Quarter
from newsletter.cards.roster import card_segments
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.deliver.dispatch import Dispatcher
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.personalize import Personalizer
from newsletter.deliver.send import PROBLEMS_SHOWN, SendReport, skipped_statuses
from newsletter.deliver.transport import Message, Recipient, Transport
from newsletter.model import Subscriber
from newsletter.render.environment import make_environment
from newsletter.sources.offers import current_offer

WITH_CODE, WITHOUT_CODE = "referral", "signup"  # the two messages of a quarter


def nurture_key(quarter: Quarter) -> str:
    """The send ledger's key for the quarter's email: ``nurture-2026Q4``."""
    return f"nurture-{quarter}"


@dataclass(frozen=True)
class NurtureReader:
    subscriber: Subscriber
    code: str  # "" when the quarter's offer is not for their segment

    @property
    def message(self) -> str:
        return WITH_CODE if self.code else WITHOUT_CODE


@dataclass(frozen=True)
class NurtureList:
    readers: tuple[NurtureReader, ...]
    suppressed: int  # chosen by segment, unsubscribed from email
    not_email: int  # chosen by segment, post only


def nurture_list(settings: Settings, quarter: Quarter, *, secret: bytes) -> NurtureList:
    """Who gets ``quarter``'s email, in list order, each with their code."""
    segments = card_segments(settings)
    blocked = suppressed_emails(load_suppressions(settings.suppressions_csv))
    everyone = tuple(iter_subscribers(settings.subscribers_csv, postal="ignored"))
    # Codes over the whole list, as the send makes them (a rare collision gets the
    # same longer code everywhere).
    codes = referral_codes(secret, (s.email for s in everyone))
    offer = current_offer(settings.content_dir, quarter.first_day)
    readers: list[NurtureReader] = []
    suppressed = not_email = 0
    for subscriber in everyone:
        if subscriber.segment not in segments:
            continue
        if "email" not in subscriber.channels:
            not_email += 1
        elif subscriber.normalized_email in blocked:
            suppressed += 1
        else:
            referrer = subscriber.segment in offer.segments
            readers.append(
                NurtureReader(subscriber, codes[subscriber.normalized_email] if referrer else "")
            )
    return NurtureList(tuple(readers), suppressed, not_email)


class NurtureMessages:
    """The quarter's messages and each reader's recipient, for one send."""

    def __init__(self, settings: Settings, card: CardContent, *, secret: bytes) -> None:
        quarter = card.quarter
        env = make_environment(settings.templates_dir)
        offer = current_offer(settings.content_dir, quarter.first_day)
        self._personalizer = Personalizer(
            settings,
            secret=secret,
            landing_url=referral_base(settings.config, offer.landing_url),
            month=str(quarter),
        )
        sender = settings.config.sender
        key = nurture_key(quarter)
        self.messages: dict[str, Message] = {}
        for kind in (WITH_CODE, WITHOUT_CODE):
            email = render_nurture_email(card, settings, env, with_code=kind == WITH_CODE)
            message = Message(
                subject=email.subject,
                from_email=sender.email,
                from_name=sender.name,
                reply_to=sender.reply_to,
                html=email.html,
                text=email.text,
                categories=("nurture", str(quarter)),
                custom_args={"issue": key, "segment": kind},
            )
            self.messages[kind] = self._personalizer.message(message)

    def recipient(self, reader: NurtureReader) -> Recipient:
        s = reader.subscriber
        return self._personalizer.recipient(s.email, s.first_name, s.last_name, code=reader.code)


def send_nurture(
    settings: Settings,
    quarter: Quarter,
    *,
    transport: Transport | None,
    ledger: Ledger,
    secret: bytes,
    limit: int | None = None,
    resend_uncertain: bool = False,
    retry_rejected: bool = False,
    on_plan: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> SendReport:
    """Send ``quarter``'s nurture email to everyone on its list not yet sent it; with
    ``transport=None``, a dry run that says what a send would do and records nothing."""
    card = load_card_content(settings.content_dir, quarter, business=settings.config.business.name)
    key = nurture_key(quarter)
    chosen = nurture_list(settings, quarter, secret=secret)
    messages = NurtureMessages(settings, card, secret=secret)
    report = SendReport(month=key, suppressed=chosen.suppressed, not_email=chosen.not_email)
    released = {"uncertain": resend_uncertain, "rejected": retry_rejected}
    if transport is None:
        skip = skipped_statuses(released)
        due = _due(chosen.readers, ledger, key, skip, report, limit)
        report.by_segment = _by_segment(due)
        report.uncertain = sorted(ledger.uncertain(key) | ledger.in_flight(key))
        report.problems = ledger.problems(key, limit=PROBLEMS_SHOWN)
        return report
    with ledger.run(purpose=f"send {key}") as run:
        recovered = run.recover(key)  # in flight when a run died: uncertain from now on
        if resend_uncertain:
            run.release_uncertain(key)
        if retry_rejected:
            run.release_rejected(key)
        due = _due(chosen.readers, ledger, key, skipped_statuses({}), report, limit)
        report.by_segment = _by_segment(due)
        if on_plan:
            on_plan(len(due))
        numbering = iter(range(1, 1 << 62))
        with Dispatcher(transport, run, key, on_settled=on_batch) as dispatcher:
            for kind, batch in _batches(due, transport.max_batch):
                recipients = [messages.recipient(reader) for reader in batch]
                segments = [reader.subscriber.segment for reader in batch]
                batch_id = f"{run.id}-{next(numbering)}"
                if not dispatcher.send(messages.messages[kind], recipients, batch_id, segments):
                    break
        tally = dispatcher.tally
        report.sent, report.rejected, report.failed = tally.sent, tally.rejected, tally.failed
        report.batches, report.newly_uncertain = tally.batches, tally.uncertain
        if not resend_uncertain:  # the dead run never reported them
            report.newly_uncertain += len(recovered)
    report.uncertain = sorted(ledger.uncertain(key))
    report.problems = ledger.problems(key, limit=PROBLEMS_SHOWN)
    return report


def nurture_sample(settings: Settings, quarter: Quarter, *, secret: bytes) -> bytes:
    """The quarter's email as its first reader would get it (RFC 5322 bytes): the dry
    run's sample for a look in a mail client."""
    from newsletter.deliver.send import stand_in_subscriber
    from newsletter.deliver.smtp import SmtpTransport

    card = load_card_content(settings.content_dir, quarter, business=settings.config.business.name)
    chosen = nurture_list(settings, quarter, secret=secret)
    reader = next(
        iter(chosen.readers),
        NurtureReader(stand_in_subscriber(settings.config.sender.email, "prospect"), ""),
    )
    messages = NurtureMessages(settings, card, secret=secret)
    message, recipient = messages.messages[reader.message], messages.recipient(reader)
    # Building a MIME message needs no connection: the SMTP transport only connects to send.
    return SmtpTransport("localhost", 25).build(message, recipient).as_bytes()


def _due(
    readers: Sequence[NurtureReader],
    ledger: Ledger,
    key: str,
    skip: tuple[str, ...],
    report: SendReport,
    limit: int | None,
) -> list[NurtureReader]:
    """The readers this run addresses; the others are counted in ``report``."""
    done = ledger.statuses(key, [r.subscriber.normalized_email for r in readers], skip)
    due: list[NurtureReader] = []
    for reader in readers:
        status = done.get(reader.subscriber.normalized_email)
        if status == "sent":
            report.already_sent += 1
        elif status is not None:
            report.done_otherwise += 1
        elif limit is None or len(due) < limit:
            due.append(reader)
    return due


def _by_segment(readers: Iterable[NurtureReader]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reader in readers:
        counts[reader.subscriber.segment] = counts.get(reader.subscriber.segment, 0) + 1
    return counts


def _batches(
    readers: Sequence[NurtureReader], size: int
) -> Iterator[tuple[str, list[NurtureReader]]]:
    """(message kind, up to ``size`` readers), each kind's readers in list order."""
    for kind in (WITH_CODE, WITHOUT_CODE):
        group = [r for r in readers if r.message == kind]
        for start in range(0, len(group), size):
            yield kind, group[start : start + size]
