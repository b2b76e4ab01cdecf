"""``issue_job()``: a built month as the send job that delivers it to every email subscriber.

The month's :class:`~newsletter.deliver.job.SendJob`, run by
:func:`~newsletter.deliver.job.run_send`: the build's messages
(:class:`~newsletter.pipeline.mail.IssueMail`) and subscribers less suppressions, in
groups by message: a segment's email, shared by the segments whose email reads the same
byte for byte (often client and partner: fewer requests), or a reader's personal variant.
Each reader's values fill the placeholders the build left: first name, referral code and
progress, unsubscribe token (:mod:`newsletter.audience.personalize`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsletter.config import Settings
from newsletter.deliver.job import SendJob
from newsletter.deliver.roster import Reader, project_roster
from newsletter.deliver.transport import Recipient
from newsletter.pipeline.mail import IssueMail


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
