"""Who owns a referral code, as the desk needs to know it to greet and to thank.

Codes are HMACs of addresses (:func:`newsletter.audience.tokens.referral_codes`), so the
desk computes every subscriber's code from ``subscribers.csv`` with the secret and keeps
the reverse map in memory. It reads the files again when they change (checked at most
every few seconds), and keeps the last good map if a changed file does not load.

A referrer is *named* on a friend's landing page only with their consent, by the rule the
thank-you roll uses (a ``yes`` on one of their leads and a ``no`` on none). A referrer
gets short updates about the friends they sent ("we've spoken with Alex") when they
receive the newsletter by email, are not suppressed, and do not carry the tag
``no-referral-updates``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from newsletter.audience.subscribers import iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import canonical_code, referral_codes
from newsletter.config.files import SUBSCRIBERS_FILE, SUPPRESSIONS_FILE
from newsletter.errors import NewsletterError
from newsletter.referrals.ledger import LEDGER_FILE, load_leads
from newsletter.referrals.roll import named_referrers, public_name

log = logging.getLogger("newsletter.desk")
NO_UPDATES_TAG = "no-referral-updates"
FILES = (SUBSCRIBERS_FILE, LEDGER_FILE, SUPPRESSIONS_FILE)


@dataclass(frozen=True)
class Referrer:
    code: str
    email: str
    first_name: str
    public_name: str | None
    """How the landing page may name them ("María G."), None without their consent."""
    updates: bool
    """May be told what became of the friends they sent."""


class Directory:
    """Referral code -> :class:`Referrer`, for the subscribers in ``folder``."""

    def __init__(self, folder: Path, secret: bytes, *, check_every: float = 5.0) -> None:
        self.folder = folder
        self._secret = secret
        self._check_every = check_every
        self._lock = threading.Lock()
        self._by_code: dict[str, Referrer] = {}
        self._stamp: tuple[float, ...] | None = None
        self._checked = 0.0

    def lookup(self, typed: str) -> Referrer | None:
        """The referrer of a code as typed (``k7qh-3mzx``), or None for an unknown one.
        May read the files again: call from a worker thread, not the event loop."""
        code = canonical_code(typed)
        with self._lock:
            self._refresh()
            return self._by_code.get(code) if code else None

    def _refresh(self) -> None:
        if time.monotonic() - self._checked < self._check_every and self._stamp is not None:
            return
        self._checked = time.monotonic()
        stamp = tuple(_mtime(self.folder / name) for name in FILES)
        if stamp == self._stamp:
            return
        try:
            self._by_code = self._load()
        except NewsletterError as exc:
            log.warning("referral codes not reloaded: %s", exc.one_line())
        self._stamp = stamp

    def _load(self) -> dict[str, Referrer]:
        path = self.folder / SUBSCRIBERS_FILE
        if not path.exists():
            return {}
        subscribers = list(iter_subscribers(path, postal="ignored"))
        codes = referral_codes(self._secret, (s.email for s in subscribers))
        consenting = named_referrers(load_leads(self.folder / LEDGER_FILE))
        blocked = suppressed_emails(load_suppressions(self.folder / SUPPRESSIONS_FILE))
        found = {}
        for subscriber in subscribers:
            email = subscriber.normalized_email
            code = codes[email]
            found[code] = Referrer(
                code=code,
                email=email,
                first_name=subscriber.first_name,
                public_name=(public_name(subscriber) or None) if email in consenting else None,
                updates="email" in subscriber.channels
                and email not in blocked
                and NO_UPDATES_TAG not in subscriber.tags,
            )
        return found


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0
