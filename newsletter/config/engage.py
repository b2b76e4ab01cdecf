"""The ``welcome:`` and ``engagement:`` sections of ``newsletter.yaml``: greeting each new
reader once, and asking readers who show no sign of reading whether they still want it.

::

    welcome:
      since: 2026-12-01        # the day welcomes began: readers mailed before it are not new
      segments: [client, partner, prospect]

    engagement:
      quiet_issues: 6          # no click (or open) on any of the last 6 issues: fading
      opens_count: true        # an open keeps a reader active (false: clicks and answers only)
      answer_days: 30          # how long a reader has to answer "still want to hear from us?"
      no_answer: post          # post (email stops, post goes on) or out (both stop)

Without a ``welcome:`` section nobody is welcomed; without an ``engagement:`` section
nobody is asked. The words of both emails are the business's, in ``content/welcome.md``
and ``content/still-reading.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

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


class EngagementConfig(Strict):
    """Readers who no longer read (``newsletter engagement``): asked once whether they still
    want the newsletter, and moved when they do not answer."""

    quiet_issues: int = Field(default=6, ge=2, le=24)
    """A reader sent each of the last this many issues, with no click on any of them (nor
    an open, when ``opens_count``) and no "yes" since, is fading. Nobody is judged until
    the email provider's events (``desk pull``) cover every one of those issues."""
    opens_count: bool = True
    """Whether an open keeps a reader active. Apple Mail loads every image of every
    message, so an open is a weak sign; with ``false`` only clicks and answers count.
    Either way nobody is moved for opens alone: only for not answering the email that
    asks."""
    answer_days: int = Field(default=30, ge=7, le=180)
    """Days a reader asked "still want to hear from us?" has to answer: the email's "yes"
    on the desk, or a click on any later email."""
    no_answer: Literal["post", "out"] = "post"
    """What becomes of a reader who did not answer in time: ``post`` stops email and keeps
    the printed issue for readers who take it; ``out`` stops both. Either is a line in
    suppressions.csv with the reason ``inactive``."""
