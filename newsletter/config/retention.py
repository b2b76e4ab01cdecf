"""The ``retention:`` section of ``newsletter.yaml``: how long personal data is kept where
the business no longer needs it, anonymized by ``newsletter retention --yes``.

::

    retention:
      closed_leads_years: 3     # leads won or lost more than 3 years ago
      consents_years: 2         # consent records of people gone for 2 years
      desk_events_days: 90      # desk events pulled and counted 90 days ago

Each is unset by default: nothing is anonymized until the business chooses how long.
Anonymizing keeps every figure the reports show (a lead's value, a count of people).
"""

from __future__ import annotations

from pydantic import Field

from newsletter.config.validation import Strict


class RetentionConfig(Strict):
    """How long personal data is kept; unset keeps it."""

    closed_leads_years: int | None = Field(default=None, ge=1, le=100)
    """Leads closed (won or lost) more than this many years ago lose the lead's name,
    address, phone, email and notes; their facts and value stay, so totals do not change."""
    consents_years: int | None = Field(default=None, ge=1, le=100)
    """Consent records confirmed more than this many years ago, of people no longer in
    ``subscribers.csv``, are removed."""
    desk_events_days: int | None = Field(default=None, ge=1, le=36500)
    """Desk events older than this many days that ``desk pull`` has applied, and the
    provider's events counted for the reports, are redacted in place: addresses become
    keyed hashes (the reports still count people), every other personal value is removed."""
