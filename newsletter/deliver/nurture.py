"""``nurture_job()``: the quarter's nurture email, exactly once per quarter per person.

Who: the same people as the quarter's card (``prospect`` and ``cards.segments``) who take
email and have not unsubscribed. What: the card's tip, local item and soft ask
(:mod:`newsletter.cards.email`), one message for readers with a referral code and one for
those without. How: the quarter's :class:`~newsletter.deliver.job.SendJob`
(:func:`nurture_job`) under the ledger key ``nurture-2026Q4``, run by
:func:`~newsletter.deliver.job.run_send` as the monthly issue is: a rerun sends only to
those the quarter has not reached, a kill leaves only batches in flight uncertain, and a
second send at the same time is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from newsletter.audience.personalize import Personalizer
from newsletter.cards.content import load_card_content
from newsletter.cards.email import render_nurture_email
from newsletter.cards.quarter import Quarter
from newsletter.cards.roster import card_segments
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.deliver.job import SendJob
from newsletter.deliver.roster import Reader, project_roster
from newsletter.deliver.transport import Message, Recipient
from newsletter.render.environment import make_environment
from newsletter.sources.offers import current_offer

WITH_CODE, WITHOUT_CODE = "referral", "signup"  # the two messages of a quarter


def nurture_key(quarter: Quarter) -> str:
    """The send ledger's key for the quarter's email: ``nurture-2026Q4``."""
    return f"nurture-{quarter}"


@contextmanager
def nurture_job(settings: Settings, quarter: Quarter, *, secret: bytes) -> Iterator[SendJob]:
    """The quarter's email as a send job: the card's readers who take email, in two groups
    (with a referral code, without), the list read once when the job is opened."""
    card = load_card_content(settings.content_dir, quarter, business=settings.config.business.name)
    key = nurture_key(quarter)
    offer = current_offer(settings.content_dir, quarter.first_day)
    landing_url = referral_base(settings.config, offer.landing_url)
    personalizer = Personalizer(
        settings, secret=secret, landing_url=landing_url, month=str(quarter)
    )
    env = make_environment(settings.templates_dir)
    sender = settings.config.sender
    messages: dict[str, Message] = {}
    for group in (WITH_CODE, WITHOUT_CODE):
        email = render_nurture_email(card, settings, env, with_code=group == WITH_CODE)
        message = Message(
            subject=email.subject,
            from_email=sender.email,
            from_name=sender.name,
            reply_to=sender.reply_to,
            html=email.html,
            text=email.text,
            categories=("nurture", str(quarter)),
            custom_args={"issue": key, "segment": group},
        )
        messages[group] = personalizer.message(message)
    groups = {
        segment: WITH_CODE if segment in offer.segments else WITHOUT_CODE
        for segment in card_segments(settings)
    }
    # An email needs no postal address: a reader missing one is read as not taking mail.
    with project_roster(settings, secret=secret, groups=groups, postal="ignored") as roster:
        code = roster.codes.code
        make = personalizer.recipient

        def recipient(reader: Reader) -> Recipient:
            email, key, first_name, last_name, _, number, group = reader
            own = code(key, number) if group == WITH_CODE else ""
            return make(email, first_name, last_name, code=own)

        yield SendJob(key, roster, messages.__getitem__, recipient)
