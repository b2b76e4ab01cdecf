"""``run_engagement()``: ask quiet readers once whether they still want the newsletter, and
move those who did not answer in time.

Who is asked, and who is moved, is :func:`~newsletter.engage.standing.judge`'s. The
asking is one send job (:func:`ask_job`), run by the issue's loop and ledger under the
key ``still-reading-YYYY-MM``: each fading reader is asked once, a rerun resumes, a kill
leaves only the batch in flight uncertain. The email's one button is the desk's
``/still-reading`` page (:mod:`newsletter.desk.still_reading`), with the reader's token.

A reader who did not answer within ``answer_days`` is moved: a line in
``subscribers/suppressions.csv`` (reason ``inactive``, the ask in ``source``; channel
``email`` for ``no_answer: post``, ``all`` for ``out``), merged under the file's lock and
written atomically, so the move is reviewable in git and undone by deleting the line.
Moves come before the asking, so nobody moved is asked again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Unpack

from newsletter.audience.personalize import UNSUBSCRIBE_TOKEN, Personalizer
from newsletter.audience.suppressions import Suppression, merge_suppressions
from newsletter.config import Settings
from newsletter.config.engage import EngagementConfig
from newsletter.deliver.job import DeskCheck, RunOptions, SendJob
from newsletter.deliver.roster import Reader, project_roster
from newsletter.deliver.run import PREVIEW_DIR, SendOutcome, run_job
from newsletter.deliver.transport import Message, Recipient
from newsletter.engage.ask_content import load_ask_content
from newsletter.engage.letters import letter_message
from newsletter.engage.standing import ASK_PREFIX, INACTIVE, Standing, judge
from newsletter.errors import ConfigError
from newsletter.model import SEGMENTS

GROUP = "ask"  # the one message


@dataclass(frozen=True)
class EngagementOutcome:
    standing: Standing
    moved_now: int  # lines added to suppressions.csv by this run (a dry run: would add)
    send: SendOutcome | None  # the asking; None while nobody is judged


def ask_key(now: datetime) -> str:
    """The ledger key of this month's asking: ``still-reading-2026-12``."""
    return f"{ASK_PREFIX}-{now:%Y-%m}"


def engagement_config(settings: Settings) -> EngagementConfig:
    """The ``engagement:`` section, or ConfigError saying what it needs."""
    config = settings.config
    if config.engagement is None:
        raise ConfigError(
            "no engagement: section: add one to ask quiet readers whether they still want it",
            path=settings.path,
        )
    if config.desk is None:
        raise ConfigError(
            "engagement: needs a desk: section (the email's 'yes' is answered on the desk)",
            path=settings.path,
            key="engagement",
        )
    return config.engagement


def run_engagement(
    settings: Settings,
    *,
    secret: bytes,
    live: bool,
    desk_check: DeskCheck,
    now: datetime,
    environ: Mapping[str, str] | None = None,
    **options: Unpack[RunOptions],
) -> EngagementOutcome:
    """Judge the list at ``now``; when ``live``, move the readers due and ask the fading
    (see the module docstring). Unless ``live``, nothing changes: the outcome says what
    would, and a sample of the email is written (``state/preview/still-reading.eml``)."""
    config = engagement_config(settings)
    standing = judge(settings, config, now)
    if standing.not_judged:
        return EngagementOutcome(standing, 0, None)
    channel = "email" if config.no_answer == "post" else "all"
    day = now.astimezone(settings.tz).date()
    moves = [
        Suppression(due.email, INACTIVE, day, source=f"no answer to {due.ask}", channel=channel)
        for due in standing.due
    ]
    moved = len(moves)
    if live and moves:
        desk_check()  # the desk's opt-outs go into the file before the file is changed
        moved = merge_suppressions(settings.suppressions_csv, moves)

    def job() -> AbstractContextManager[SendJob]:
        return ask_job(settings, standing, secret=secret, now=now)

    def sample() -> tuple[Path, Mapping[str, Path]]:
        return settings.state_dir / PREVIEW_DIR / f"{ASK_PREFIX}.eml", {}

    outcome = run_job(settings, job, sample, live, desk_check, environ, options)
    return EngagementOutcome(standing, moved, outcome)


@contextmanager
def ask_job(
    settings: Settings, standing: Standing, *, secret: bytes, now: datetime
) -> Iterator[SendJob]:
    """The asking as a send job: the fading readers of ``standing``, one message."""
    message, personalizer = ask_message(settings, secret=secret, now=now)
    groups = dict.fromkeys(SEGMENTS, GROUP)
    chosen = standing.to_ask
    readers = project_roster(
        settings, secret=secret, groups=groups, postal="ignored", choose=chosen.__contains__
    )
    with readers as roster:
        make = personalizer.recipient

        def recipient(reader: Reader) -> Recipient:
            email, _, first_name, last_name, _, _, _ = reader
            return make(email, first_name, last_name, code="")

        yield SendJob(ask_key(now), roster, lambda _group: message, recipient)


def ask_message(
    settings: Settings, *, secret: bytes, now: datetime
) -> tuple[Message, Personalizer]:
    """The one email that asks (each reader's values left as placeholders), and the
    personalizer that fills them."""
    config = settings.config
    assert config.desk is not None  # engagement_config refuses a project without one
    personalizer = Personalizer(
        settings, secret=secret, landing_url=config.web.base_url, month=f"{now:%Y-%m}"
    )
    yes_url = f"{config.desk.public_url}still-reading?t={UNSUBSCRIBE_TOKEN}"
    content = load_ask_content(settings.content_dir)
    message = letter_message(settings, content, ASK_PREFIX, ask_key(now), yes_url=yes_url)
    return personalizer.message(message), personalizer
