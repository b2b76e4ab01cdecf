"""Who still reads: each reader on the list judged active, fading, asked or due to move,
from the send ledger and the desk's email events (read only).

The rule (``engagement:`` in newsletter.yaml):

- The last ``quiet_issues`` monthly issues the ledger has sent are looked at; nobody is
  judged until there are that many and the events file (``desk pull``) holds events of
  every one of them: without events, silence means nothing.
- A reader sent each of them with no sign since the first went out is quiet. A sign is a
  click, a "yes" on the desk, or (``opens_count``) an open. Events of the email that asks
  are left out: a mail scanner opening its links would answer for the reader.
- A quiet reader not asked since the first of those issues is *fading*: the next run
  asks them, once (``still-reading-YYYY-MM`` in the ledger). A reader asked is *asked*
  until ``answer_days`` after the ask, then *due*: moved to post only or out.
- Everyone else on the list who takes email is *active*; readers moved before are
  counted from suppressions.csv (reason ``inactive``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsletter.audience.subscribers import iter_readers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.config import Settings
from newsletter.config.engage import EngagementConfig
from newsletter.config.files import EMAIL_EVENTS_FILE
from newsletter.engage.history import (
    ANSWER,
    issues_with_events,
    last_signs,
    latest_asks,
    latest_issues,
    sent_every_one,
)
from newsletter.model import normalize_email

ASK_PREFIX = "still-reading"
"""The ledger keys of the emails that ask: ``still-reading-2026-12``."""
INACTIVE = "inactive"
"""The suppression reason of a reader moved for not answering."""


@dataclass(frozen=True)
class Due:
    """A reader to move: their address as written, segment, and the ask they left."""

    email: str
    segment: str
    ask: str


@dataclass(frozen=True)
class Standing:
    """The list judged at one moment (see the module docstring), counted by segment."""

    issues: tuple[str, ...]
    not_judged: str = ""  # why nobody is judged yet ("" when judged)
    active: Counter[str] = field(default_factory=Counter)
    fading: Counter[str] = field(default_factory=Counter)
    asked: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)
    to_ask: frozenset[str] = frozenset()  # normalized addresses
    due: tuple[Due, ...] = ()


def judge(settings: Settings, config: EngagementConfig, now: datetime) -> Standing:
    """Every reader on the list at ``now``, judged by ``config``'s rule."""
    ledger, events = settings.send_ledger, settings.state_dir / EMAIL_EVENTS_FILE
    issues = latest_issues(ledger, config.quiet_issues)
    suppressions = load_suppressions(settings.suppressions_csv)
    moved_away = {s.normalized_email for s in suppressions if s.reason == INACTIVE}
    if len(issues) < config.quiet_issues:
        why = f"the ledger holds {len(issues)} issue(s) of the {config.quiet_issues} looked at"
        return Standing(issues, why, moved=_moved(settings, moved_away))
    missing = sorted(set(issues) - issues_with_events(events, issues))
    if missing:
        why = f"no email events for {', '.join(missing)} (desk pull brings them)"
        return Standing(issues, why, moved=_moved(settings, moved_away))
    sent_all, first = sent_every_one(ledger, issues)
    since = first or now
    kinds = ("click", ANSWER, "open") if config.opens_count else ("click", ANSWER)
    signs = {normalize_email(e) for e in last_signs(events, since, kinds, besides=ASK_PREFIX)}
    asks = latest_asks(ledger, ASK_PREFIX)
    blocked = suppressed_emails(suppressions)
    standing = Standing(issues)
    to_ask: set[str] = set()
    due: list[Due] = []
    window = timedelta(days=config.answer_days)
    for email, _, _, segment, channels, _, _ in iter_readers(
        settings.subscribers_csv, postal="ignored"
    ):
        key = normalize_email(email)
        if key in moved_away:
            standing.moved[segment] += 1
        if "email" not in channels or key in blocked:
            continue
        if key not in sent_all or key in signs:
            standing.active[segment] += 1
            continue
        ask = asks.get(key)
        if ask is None or ask[1] < since:
            standing.fading[segment] += 1
            to_ask.add(key)
        elif now - ask[1] < window:
            standing.asked[segment] += 1
        else:
            due.append(Due(email, segment, ask[0]))
    return Standing(
        issues,
        active=standing.active,
        fading=standing.fading,
        asked=standing.asked,
        moved=standing.moved,
        to_ask=frozenset(to_ask),
        due=tuple(due),
    )


def _moved(settings: Settings, moved_away: set[str]) -> Counter[str]:
    """Readers on the list moved before, by segment."""
    counts = Counter[str]()
    if moved_away:
        for email, _, _, segment, _, _, _ in iter_readers(
            settings.subscribers_csv, postal="ignored"
        ):
            if normalize_email(email) in moved_away:
                counts[segment] += 1
    return counts
