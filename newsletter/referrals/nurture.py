"""A nurture lead who agreed to hear from the business becomes a ``prospect`` subscriber.

One call (``newsletter referral subscribe ID``) does three things, each under its file's
lock and written atomically, in this order:

1. a ``prospect`` row in subscribers.csv, for email, post or both, that keeps its link to
   the lead (``lead_id``) and to the referrer (``referred_by``, the referrer's code);
2. the consent in consents.csv (the desk's format): when, and how it was given;
3. a dated note on the lead: ``subscribed as a prospect (email)``.

A run killed between two steps is finished by running it again: each step that is
already done is recognised and skipped; a person already on the list for another reason
is an error naming their line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.audience.consents import CONSENT_FILE, record_consent
from newsletter.audience.subscribers import COLUMNS, iter_subscribers
from newsletter.config.files import SUBSCRIBERS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import appended_csv
from newsletter.errors import ContentError, ReferralError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.model import SOURCE_KINDS
from newsletter.referrals.fields import clean_email, one_line
from newsletter.referrals.leads import changed
from newsletter.referrals.ledger import LEDGER_FILE, Lead, load_leads, write_leads
from newsletter.referrals.times import format_stored

CHANNEL_CHOICES = ("email", "mail", "both")
PROSPECT_SOURCE = "business-contact"
"""A nurture lead is someone who nearly did business with us: the source kind a prospect
made from one gets unless told otherwise."""
SUBSCRIBED = "subscribed as a prospect"
_US_ADDRESS = re.compile(
    r"^(?P<street>[^,]+),\s*(?P<city>[^,]+),\s*(?P<region>[A-Za-z]{2})\s+"
    r"(?P<postal_code>\d{5}(?:-\d{4})?)$"
)


@dataclass(frozen=True)
class PostalAddress:
    street: str
    city: str
    region: str
    postal_code: str


@dataclass(frozen=True)
class Subscribed:
    lead: Lead
    email: str
    channels: str
    line_added: bool  # False: the row was there already (a rerun)
    consent_added: bool


def subscribe_lead(
    folder: Path,
    lead_id: int,
    *,
    channels: str,
    how: str,
    at: datetime,
    country: str,
    email: str = "",
    postal: PostalAddress | None = None,
    source: str = PROSPECT_SOURCE,
) -> Subscribed:
    """Make nurture lead ``lead_id`` of ``folder/referrals.csv`` a prospect; see the module
    docstring. ``how`` says how the consent was given ("by phone", "on the card")."""
    if channels not in CHANNEL_CHOICES:
        raise ReferralError(f"expected email, mail or both, not {channels!r}", key="--channels")
    if source not in SOURCE_KINDS:
        raise ReferralError(f"unknown source {source!r}", key="--source")
    how = one_line(how)
    if not how:
        raise ReferralError("say how they agreed, e.g. --how 'by phone'", key="--how")
    ledger = folder / LEDGER_FILE
    with locked(ledger, purpose=f"subscribe lead {lead_id}"):
        leads = load_leads(ledger)
        lead = next((x for x in leads if x.id == lead_id), None)
        if lead is None:
            raise ReferralError(f"no lead {lead_id} in the ledger", path=ledger, key="ID")
        if lead.qualified:
            raise ReferralError(
                f"lead {lead_id} is qualified: the business calls them. A lead that is not "
                f'ready is put to nurture first (referral update {lead_id} --nurture "why")',
                key="ID",
            )
        note = f"{SUBSCRIBED} ({channels})"
        # The note is made first: one the notes have no room for stops it before anything
        # is written.
        noted = lead if note in lead.notes else changed(lead, at=at, note=note)
        row = _prospect_row(lead, channels, email, postal, country, how, at, source)
        added = _add_prospect(folder / SUBSCRIBERS_FILE, row, lead_id)
        consent = record_consent(
            folder / CONSENT_FILE,
            {
                "email": row["email"],
                "confirmed_at": format_stored(at),
                "form": f"referral lead {lead_id}: {how}",
            },
        )
        if noted is not lead:
            write_leads(ledger, tuple(noted if x.id == lead_id else x for x in leads))
    return Subscribed(noted, row["email"], channels, added, consent)


def _address_of(lead: Lead, given: PostalAddress | None) -> PostalAddress:
    if given is not None:
        missing = [k for k in ("street", "city", "postal_code") if not getattr(given, k)]
        if missing:
            raise ReferralError(f"a postal address needs {', '.join(missing)}", key="--street")
        return given
    match = _US_ADDRESS.match(lead.address)
    if not match:
        raise ReferralError(
            f"lead {lead.id}'s address ({lead.address or 'none'}) is not in the form "
            "'street, city, ST 12345': give --street, --city, --region and --postal-code",
            key="--street",
        )
    return PostalAddress(**{k: v.strip() for k, v in match.groupdict().items()})


def _prospect_row(
    lead: Lead,
    channels: str,
    email: str,
    postal: PostalAddress | None,
    country: str,
    how: str,
    at: datetime,
    source: str,
) -> dict[str, str]:
    try:
        email = clean_email(email) if email.strip() else lead.email
    except ValueError as exc:
        raise ReferralError(str(exc), key="--email") from None
    if not email:
        # The list is keyed by email address (codes, unsubscribe links, duplicates).
        raise ReferralError(
            f"lead {lead.id} has no email address, and the subscriber list needs one, also "
            "for post only: give --email",
            key="--email",
        )
    address = _address_of(lead, postal) if channels != "email" else None
    first, _, last = lead.name.partition(" ")
    return {
        "email": email,
        "first_name": first,
        "last_name": last.strip(),
        "segment": "prospect",
        "channels": channels,
        "street": address.street if address else "",
        "city": address.city if address else "",
        "region": address.region if address else "",
        "postal_code": address.postal_code if address else "",
        "country": country if address else "",
        "consent_source": f"referral lead {lead.id}: {how}"[:200],
        "consent_date": at.date().isoformat(),
        "source": source,
        "lead_id": str(lead.id),
        "referred_by": lead.referrer_code,
    }


def _add_prospect(path: Path, row: dict[str, str], lead_id: int) -> bool:
    """Append ``row`` to the list; False if this lead's row is there already."""
    with locked(path, purpose=f"add lead {lead_id} to the subscriber list"):
        for subscriber in iter_subscribers(path, postal="ignored") if path.exists() else ():
            if subscriber.normalized_email == row["email"].lower():
                if subscriber.lead_id == lead_id:
                    return False
                raise ReferralError(
                    f"{row['email']} is on the subscriber list already (line {subscriber.line})",
                    path=path,
                    key="--email",
                )
        text = read_text(path, ContentError) if path.exists() else ""
        new = appended_csv(text, COLUMNS, [row])
        _reads_back(path, new)
        atomic_write(path, new, mode=PRIVATE)
    return True


def _reads_back(path: Path, text: str) -> None:
    """The tool never writes a list it would then refuse: the new row is checked with the
    list's own rules first (the value that fails is named)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / path.name
        probe.write_text(text, encoding="utf-8")
        try:
            for _ in iter_subscribers(probe):
                pass
        except ContentError as exc:
            raise ReferralError(f"not added, the list would refuse it: {exc.message}") from None
