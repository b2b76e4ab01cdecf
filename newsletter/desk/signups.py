"""Confirmed sign-ups into ``subscribers.csv`` (as prospects) and ``consents.csv``.

:class:`Signups` reads both files once, under the locks its caller holds, takes a pull's
confirmations one at a time and writes each file once, replaced atomically. A person
already on the list, or a consent record already kept, is left as it is, so a pull may
apply the same confirmations again. Each new row is checked with the subscriber list's
own rules before it is taken (:func:`~newsletter.audience.subscribers.check_new_row`): a
sign-up the list would refuse is the caller's to set aside, and the tool never writes a
list it would then refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from newsletter.audience.subscribers import COLUMNS, check_new_row, iter_subscribers
from newsletter.config.files import SUBSCRIBERS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import appended_csv, csv_rows
from newsletter.desk.apply import CONSENT_COLUMNS, CONSENT_FILE, consent_row, subscriber_row
from newsletter.desk.inbox import Event
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write


class Signups:
    """``subscribers.csv`` and ``consents.csv`` of ``folder``, read once; the caller holds
    both files' locks. ``suppressed`` tells whether an address is off the email list."""

    def __init__(
        self, folder: Path, tz: tzinfo, country: str, suppressed: Callable[[str], bool]
    ) -> None:
        self.path, self.consents = folder / SUBSCRIBERS_FILE, folder / CONSENT_FILE
        self.tz, self.country, self.suppressed = tz, country, suppressed
        exists = self.path.exists()
        self._listed = (
            {s.normalized_email for s in iter_subscribers(self.path)} if exists else set()
        )
        self._text = read_text(self.path, ContentError) if exists else ""
        self._consent_text = (
            read_text(self.consents, ContentError) if self.consents.exists() else ""
        )
        kept = csv_rows(
            self._consent_text, self.consents, required=CONSENT_COLUMNS, allowed=CONSENT_COLUMNS
        )
        self._kept = {row["desk_event"] for _, row in kept} if self._consent_text else set()
        self._rows: list[dict[str, str]] = []
        self._new_consents: list[dict[str, str]] = []

    def add(self, event: Event) -> tuple[bool, str | None]:
        """Take the confirmed sign-up ``event``: (whether a subscriber was added, a warning
        or None). ContentError or KeyError, with nothing taken, for one the list refuses."""
        row = subscriber_row(event, self.tz, self.country)
        email = check_new_row(row, self.path).normalized_email
        consent = consent_row(event)
        warning = None
        added = email not in self._listed
        if added:
            if self.suppressed(email):
                warning = (
                    f"{email} signed up again (desk event {event.id}) but is in "
                    "suppressions.csv: remove that line to send to them again"
                )
            self._listed.add(email)
            self._rows.append(row)
        if consent["desk_event"] not in self._kept:
            self._kept.add(consent["desk_event"])
            self._new_consents.append(consent)
        return added, warning

    def write(self) -> None:
        """Write the rows taken since the last write (each file only if it has new ones)."""
        if self._rows:
            self._text = appended_csv(self._text, COLUMNS, self._rows)
            atomic_write(self.path, self._text, mode=PRIVATE)
            self._rows = []
        if self._new_consents:
            self._consent_text = appended_csv(
                self._consent_text, CONSENT_COLUMNS, self._new_consents
            )
            atomic_write(self.consents, self._consent_text, mode=PRIVATE)
            self._new_consents = []
