"""``welcome_job()``: the welcome email, exactly once per person, as one send job.

Who is new: a reader who takes email, is in one of ``welcome.segments`` and has not
unsubscribed, whom the send ledger had put no email in flight to before
``welcome.since`` (midnight, business time). The ledger's history before that day is the
baseline: everyone mailed an issue or a nurture email before welcomes began was reading
already, so the first ``newsletter welcome`` on an existing list greets nobody who was on
it. Everyone who comes later (a confirmed ``/join`` pulled by ``desk pull``, ``referral
subscribe``, ``newsletter import``, a row added by hand, even one an issue reached first)
is new, and is welcomed once.

Once: every welcome is a row of the ledger's one key ``welcome`` for good (not a month
or quarter), so :func:`~newsletter.deliver.job.run_send` never sends a person a second
welcome, across restarts and kills; a reader who leaves and comes back is not welcomed
again. A kill leaves only the batches in flight uncertain, as in any send.

What: ``content/welcome.md`` in ``templates/welcome/``, one message for everyone, with
each reader's greeting, referral code and link, and unsubscribe link filled in; the
latest issue's link is the newest month the ledger has sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Unpack

from newsletter.audience.personalize import Personalizer
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.config.engage import WelcomeConfig
from newsletter.deliver.job import DeskCheck, RunOptions, SendJob
from newsletter.deliver.roster import Reader, project_roster
from newsletter.deliver.run import PREVIEW_DIR, SendOutcome, run_job
from newsletter.deliver.transport import Message, Recipient
from newsletter.engage.history import latest_issues, mailed_before
from newsletter.engage.letters import LATEST_ISSUE, letter_message
from newsletter.engage.welcome_content import WelcomeContent, load_welcome_content
from newsletter.errors import ConfigError
from newsletter.placeholders import PLACEHOLDERS
from newsletter.sources.offers import current_offer

WELCOME_KEY = "welcome"
"""The send ledger's key of every welcome: one row per person, for good."""
GROUP = "welcome"  # the one message


@dataclass(frozen=True)
class WelcomeOutcome:
    """A welcome run: the send's outcome and what the list's reading found."""

    send: SendOutcome
    tally: WelcomeTally


@dataclass
class WelcomeTally:
    """What the job's reading of the list found, besides what the send report counts."""

    reading_before: int = 0  # on the list, mailed before welcome.since: not new
    baseline: bool = False  # the ledger holds a send before welcome.since
    since: str = ""
    segments: tuple[str, ...] = field(default=())


def welcome_config(settings: Settings) -> WelcomeConfig:
    """The ``welcome:`` section, or ConfigError saying how to turn welcomes on."""
    config = settings.config.welcome
    if config is None:
        raise ConfigError(
            "no welcome: section: add one with since: (the day welcomes begin) to send welcomes",
            path=settings.path,
        )
    return config


def send_welcome(
    settings: Settings,
    *,
    secret: bytes,
    live: bool,
    desk_check: DeskCheck,
    now: datetime,
    environ: Mapping[str, str] | None = None,
    **options: Unpack[RunOptions],
) -> WelcomeOutcome:
    """Welcome everyone new at ``now`` not welcomed yet, through the configured transport;
    unless ``live``, a dry run that writes one welcome as its first new reader would get it
    (``state/preview/welcome.eml``, 0600)."""
    tally = WelcomeTally()

    def job() -> AbstractContextManager[SendJob]:
        return welcome_job(settings, secret=secret, now=now, tally=tally)

    def sample() -> tuple[Path, Mapping[str, Path]]:
        return settings.state_dir / PREVIEW_DIR / f"{WELCOME_KEY}.eml", {}

    outcome = run_job(settings, job, sample, live, desk_check, environ, options)
    return WelcomeOutcome(outcome, tally)


@contextmanager
def welcome_job(
    settings: Settings, *, secret: bytes, now: datetime, tally: WelcomeTally | None = None
) -> Iterator[SendJob]:
    """The welcome email as a send job for everyone new at ``now`` (see the module
    docstring), the list read once when the job is opened; ``tally`` is told what the
    reading found."""
    config = welcome_config(settings)
    content = load_welcome_content(settings.content_dir)
    began = datetime.combine(config.since, time(), tzinfo=settings.tz)
    before = mailed_before(settings.send_ledger, began, besides=WELCOME_KEY)
    message, personalizer = welcome_message(settings, content, secret=secret, now=now)
    groups = {segment: GROUP for segment in config.segments}
    # An email needs no postal address: a reader missing one is read as not taking mail.
    with project_roster(
        settings,
        secret=secret,
        groups=groups,
        postal="ignored",
        choose=lambda key: key not in before,
    ) as roster:
        if tally is not None:
            tally.reading_before, tally.baseline = roster.skipped, bool(before)
            tally.since, tally.segments = config.since.isoformat(), config.segments
        code, make = roster.codes.code, personalizer.recipient

        def recipient(reader: Reader) -> Recipient:
            email, key, first_name, last_name, _, number, _ = reader
            return make(email, first_name, last_name, code=code(key, number))

        yield SendJob(WELCOME_KEY, roster, lambda _group: message, recipient)


def welcome_message(
    settings: Settings, content: WelcomeContent, *, secret: bytes, now: datetime
) -> tuple[Message, Personalizer]:
    """The one welcome message (each reader's values left as placeholders) and the
    personalizer that fills them."""
    today = now.astimezone(settings.tz).date()
    offer = current_offer(settings.content_dir, today)
    personalizer = Personalizer(
        settings,
        secret=secret,
        landing_url=referral_base(settings.config, offer.landing_url),
        month=f"{today:%Y-%m}",
    )
    latest = latest_issue_url(settings)
    message = letter_message(
        settings,
        content,
        "welcome",
        WELCOME_KEY,
        latest_issue_url=latest,
        referral_link=PLACEHOLDERS["referral_link"],
    )
    message = replace(
        message,
        html=message.html.replace(LATEST_ISSUE, latest),
        text=message.text.replace(LATEST_ISSUE, latest),
    )
    return personalizer.message(message), personalizer


def latest_issue_url(settings: Settings) -> str:
    """The web page of the newest month the ledger has sent anyone; the archive when none."""
    base = settings.config.web.base_url
    base = base if base.endswith("/") else f"{base}/"
    latest = latest_issues(settings.send_ledger, 1)
    return f"{base}{latest[0]}/" if latest else base
