"""The ``welcome:`` section of ``newsletter.yaml``: greeting each new reader once.

::

    welcome:
      since: 2026-12-01        # the day welcomes began: readers mailed before it are not new
      segments: [client, partner, prospect]

Without a ``welcome:`` section nobody is welcomed. The email's words are the business's,
in ``content/welcome.md``.
"""

from __future__ import annotations

from datetime import date

from newsletter.config.validation import SegmentName, Strict
from newsletter.model import SEGMENTS


class WelcomeConfig(Strict):
    """The welcome email, ``newsletter welcome``: once to every new reader who takes email."""

    since: date
    """The day welcomes began (midnight in ``timezone``). A reader the send ledger had put
    any email in flight to (an issue, a nurture email) before it was reading already, and
    is not welcomed; everyone else on the list is, once. Set it to the day you turn
    welcomes on: the ledger's history is the baseline of who was there."""
    segments: tuple[SegmentName, ...] = SEGMENTS
    """The segments whose new readers are welcomed."""
