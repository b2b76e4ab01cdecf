"""The ``leads:`` section of ``newsletter.yaml``: which referred leads earn their referrer a
reward, the business's hours, and the second alert for a lead nobody has called.

Every key has a default: a project without the section counts qualified leads, keeps
Monday to Friday, 8:00 to 17:00, and sends no second alert.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from newsletter.config.validation import Strict

COUNT_WHEN = ("arrival", "qualified", "contacted", "won")
"""When a referred lead starts to count toward its referrer's milestones."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^(?:(?P<hours>\d{1,3})h)?\s*(?:(?P<minutes>\d{1,4})m(?:in)?)?$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_duration(text: str) -> timedelta:
    """``1h``, ``90m``, ``1h 30m`` as a span of time; ValueError for anything else."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a duration like 1h, 90m or 1h 30m: {text!r}")
    return timedelta(hours=int(match["hours"] or 0), minutes=int(match["minutes"] or 0))


def parse_clock(text: str) -> time:
    """``08:00`` as a time of day; ValueError for anything else."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"not a time of day like 08:00 or 17:30: {text!r}")
    return time(int(match[1]), int(match[2]))


class BusinessHoursConfig(Strict):
    """When the business answers the phone, in its timezone (``timezone``): the speed-to-lead
    figure "within business hours" and the second alert count only these hours."""

    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = Field(
        default=("mon", "tue", "wed", "thu", "fri"), min_length=1
    )
    """The days it is open, as ``mon`` … ``sun``."""
    opens: str = "08:00"
    """When it opens on those days, ``HH:MM``."""
    closes: str = "17:00"
    """When it closes, ``HH:MM``, later than ``opens``."""

    @field_validator("opens", "closes")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @model_validator(mode="after")
    def _open_before_closing(self) -> BusinessHoursConfig:
        if parse_clock(self.closes) <= parse_clock(self.opens):
            raise ValueError(f"closes ({self.closes}) must be later than opens ({self.opens})")
        return self

    @property
    def open_at(self) -> time:
        return parse_clock(self.opens)

    @property
    def close_at(self) -> time:
        return parse_clock(self.closes)

    @property
    def weekdays(self) -> frozenset[int]:
        """The open days as ``date.weekday()`` numbers (Monday is 0)."""
        return frozenset(WEEKDAYS.index(day) for day in self.days)


class LeadsConfig(Strict):
    """Referred leads: when they count toward rewards, and how fast they are called."""

    count_when: Literal["arrival", "qualified", "contacted", "won"] = "qualified"
    """When a referred lead counts toward its referrer's milestones: ``arrival`` (every lead),
    ``qualified`` (every lead but those put to nurture), ``contacted`` (once the business
    has spoken with them, or won them) or ``won`` (once they bought). A lead with a flag
    (a self-referral, a person already known, one of several from one place within a day,
    a disposable email address) counts only once the business clears it. The progress
    line in every copy, the thank-you roll and the reports follow this rule."""
    business_hours: BusinessHoursConfig = BusinessHoursConfig()
    """The hours the business is open."""
    escalate_after: str | None = None
    """A second alert goes to ``escalate_to`` when a new lead has not been marked contacted
    this long after it arrived, counted in business hours (e.g. ``1h``, ``90m``); none by
    default. Needs the desk (``desk:``)."""
    escalate_to: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """Who gets the second alert (the owner, a second phone): an email address."""

    @field_validator("escalate_after")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and parse_duration(value) <= timedelta(0):
            raise ValueError("must be longer than no time at all")
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> LeadsConfig:
        if (self.escalate_after is None) != (self.escalate_to is None):
            raise ValueError("escalate_after and escalate_to go together: give both or neither")
        return self

    @property
    def escalation(self) -> timedelta | None:
        """How long in business hours before the second alert (None: no second alert)."""
        return parse_duration(self.escalate_after) if self.escalate_after else None
