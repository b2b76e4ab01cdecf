"""The files one ``desk pull`` changes, each read once and written once per batch.

:class:`PullFiles` holds, for the whole pull and under each file's lock, what the pull
needs of ``suppressions.csv``, ``subscribers.csv`` and ``consents.csv``, ``referrals.csv``
and the quarantine (``desk-quarantine.csv``). Each is read the first time an event needs
it; events are applied to what is held in memory, one at a time, by the rules of
:mod:`newsletter.desk.apply`; :meth:`PullFiles.write` then replaces each changed file once,
atomically, and keeps the readers' events in ``state/email-events.sqlite`` in one
transaction. So a pull costs one read of each file and one write per batch, whatever the
number of events.

An event is applied whole or not at all: every check runs before anything is taken from
it. One that cannot be applied (an address that is not one, a lead the ledger would
refuse, a status for a lead that is not in the ledger) is set aside in the quarantine
with the reason (:mod:`newsletter.desk.quarantine`), and the rest go on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import (
    Suppression,
    check_suppression,
    is_new,
    load_suppressions,
    merged_text,
)
from newsletter.config.files import (
    CONSENTS_FILE,
    REFERRALS_FILE,
    REWARDS_FILE,
    SUBSCRIBERS_FILE,
    SUPPRESSIONS_FILE,
)
from newsletter.config.yamlfile import read_text
from newsletter.desk.apply import desk_leads, suppression_for
from newsletter.desk.inbox import Event
from newsletter.desk.leads import ledger_fields
from newsletter.desk.quarantine import QUARANTINE_FILE, Quarantine
from newsletter.desk.rewards import RewardBook
from newsletter.desk.signups import Signups
from newsletter.desk.tracking import record_email_events, record_page_visits
from newsletter.errors import ContentError, NewsletterError
from newsletter.fsutil import PRIVATE, atomic_write, remove_stale_temps
from newsletter.locks import locked
from newsletter.referrals.checks import LeadChecks
from newsletter.referrals.fields import phone_region
from newsletter.referrals.ids import next_id
from newsletter.referrals.leads import changed, new_lead
from newsletter.referrals.ledger import Lead, check_lead, load_leads, write_leads

WRITTEN = (
    SUPPRESSIONS_FILE,
    SUBSCRIBERS_FILE,
    CONSENTS_FILE,
    REFERRALS_FILE,
    REWARDS_FILE,
    QUARANTINE_FILE,
)
"""The files under ``subscribers/`` a pull writes (besides its cursor)."""
T = TypeVar("T")
_NEEDS = {
    "unsubscribe": ("suppressions",),
    "esp": ("suppressions",),
    "signup_confirmed": ("signups",),
    "lead": ("ledger",),
    "lead_status": ("ledger",),
    "reward_decision": ("rewards",),
}
"""The files (:class:`PullFiles` properties) each kind of event is applied to."""


@dataclass
class PullReport:
    events: int = 0
    suppressions: int = 0
    subscribers: int = 0
    leads: int = 0
    flagged: int = 0  # leads whose code matched no subscriber (no referrer credited)
    held: int = 0  # leads with a flag of the checks: they count once the business clears it
    decisions: int = 0  # rewards approved or denied from the business's email
    rewards: int = 0  # rewards reached by the leads pulled, now pending approval
    statuses: int = 0
    email_events: int = 0
    visits: int = 0
    cursor: int = 0
    warnings: list[str] = field(default_factory=list)
    set_aside: list[tuple[int, str, str]] = field(default_factory=list)  # id, kind, reason


class Unfit(ValueError):
    """An event that cannot be applied, and why (it goes to the quarantine)."""


class SuppressionList:
    """``suppressions.csv``, read once; the caller holds its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._text = read_text(path, ContentError) if path.exists() else ""
        self._rows = list(load_suppressions(path))
        self._known = {(s.normalized_email, s.channel) for s in self._rows}
        self._new: list[Suppression] = []

    def add(self, entry: Suppression) -> bool:
        """Take ``entry`` (checked already); False when the file covers it already."""
        if not is_new(entry, self._known):
            return False
        self._new.append(entry)
        return True

    def covers(self, email: str) -> bool:
        return (email, "email") in self._known or (email, "all") in self._known

    def write(self) -> None:
        if self._new:
            self._text = merged_text(self._text, self._rows, self._new)
            atomic_write(self.path, self._text, mode=PRIVATE)
            self._rows += self._new
            self._new = []


class LeadLedger:
    """``referrals.csv``, read once; the caller holds its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.leads = list(load_leads(path))
        self._at = {lead.id: index for index, lead in enumerate(self.leads)}
        self.from_desk = desk_leads(self.leads)  # desk lead id -> ledger id
        self.next_id = next_id(path, self._at)  # never a number a deleted row had
        self._changed = False

    def add(self, desk_lead: int, lead: Lead) -> None:
        """Append ``lead`` (numbered :attr:`next_id`, passed ``check_lead``)."""
        self._at[lead.id] = len(self.leads)
        self.leads.append(lead)
        self.from_desk[desk_lead] = lead.id
        self.next_id = lead.id + 1
        self._changed = True

    def get(self, lead_id: int) -> Lead:
        return self.leads[self._at[lead_id]]

    def put(self, lead: Lead) -> None:
        """Replace the lead of the same id with ``lead`` (passed ``check_lead``)."""
        self.leads[self._at[lead.id]] = lead
        self._changed = True

    def write(self) -> None:
        if self._changed:
            write_leads(self.path, self.leads, each_checked=True)
            self._changed = False


class PullFiles:
    """The files of ``subscribers_dir`` and ``state_dir`` that a pull changes; each file's
    lock is taken on ``stack`` when the file is first needed, and held until it closes."""

    def __init__(
        self,
        subscribers_dir: Path,
        state_dir: Path,
        tz: tzinfo,
        country: str,
        stack: contextlib.ExitStack,
    ) -> None:
        self.folder, self.state_dir, self.tz, self.country = subscribers_dir, state_dir, tz, country
        self.region = phone_region(country)
        self._stack = stack
        self._opened: dict[str, Any] = {}
        self._esp: list[Event] = []
        self._visits: list[Event] = []
        self._checks: LeadChecks | None = None
        for name in WRITTEN:
            # What a killed pull left half-written (leads' data among it) goes first.
            with locked(self.folder / name, purpose="desk pull: remove stale temporary files"):
                remove_stale_temps(self.folder / name)

    def _open(self, name: str, make: Callable[[Path], T], *, also: Sequence[str] = ()) -> T:
        if name not in self._opened:
            for guarded in (name, *also):
                self._stack.enter_context(
                    locked(self.folder / guarded, purpose="pull from the desk")
                )
            self._opened[name] = make(self.folder / name)
        opened: T = self._opened[name]
        return opened

    @property
    def suppressions(self) -> SuppressionList:
        return self._open(SUPPRESSIONS_FILE, SuppressionList)

    @property
    def signups(self) -> Signups:
        suppressions = self.suppressions
        return self._open(
            SUBSCRIBERS_FILE,
            lambda path: Signups(path.parent, self.tz, self.country, suppressions.covers),
            also=(CONSENTS_FILE,),
        )

    @property
    def ledger(self) -> LeadLedger:
        return self._open(REFERRALS_FILE, LeadLedger)

    @property
    def rewards(self) -> RewardBook:
        return self._open(REWARDS_FILE, RewardBook)

    @property
    def checks(self) -> LeadChecks:
        """The checks of new leads, against the subscriber list and the ledger as held."""
        if self._checks is None:
            path = self.folder / SUBSCRIBERS_FILE
            listed = load_subscribers(path, postal="ignored") if path.exists() else ()
            self._checks = LeadChecks(
                listed, self.ledger.leads, region=self.region, country=self.country
            )
        return self._checks

    @property
    def quarantine(self) -> Quarantine:
        return self._open(QUARANTINE_FILE, Quarantine)

    def apply(self, events: Sequence[Event], report: PullReport) -> None:
        """Apply ``events`` in order to what is held; set aside those that do not fit."""
        for event in events:
            if event.id in self.quarantine.ids:
                continue  # set aside by an earlier pull of the same events
            # The files are opened outside the event's own checks: a file that cannot be
            # read or locked stops the pull (a person fixes it); only the event is set aside.
            for name in _NEEDS.get(event.kind, ()):
                getattr(self, name)
            try:
                self._apply(event, report)
            # A value of the wrong type where the rules expect text or a number is the
            # event's fault as much as a value that fails a check.
            except (Unfit, NewsletterError, KeyError, TypeError, ValueError, AttributeError) as exc:
                reason = _reason(exc)
                self.quarantine.add(event, reason)
                report.set_aside.append((event.id, event.kind, reason))

    def write(self, report: PullReport) -> None:
        """Write every file changed since the last write, the quarantine last."""
        for opened in self._opened.values():
            if opened is not self._opened.get(QUARANTINE_FILE):
                opened.write()
        report.email_events += record_email_events(self.state_dir, self._esp)
        report.visits += record_page_visits(self.state_dir, self._visits)
        self._esp, self._visits = [], []
        if QUARANTINE_FILE in self._opened:
            self.quarantine.write()

    # ---- one event --------------------------------------------------------------------

    def _apply(self, event: Event, report: PullReport) -> None:
        if event.kind == "unsubscribe":
            report.suppressions += self._suppress(event)
        elif event.kind == "esp":
            _address(event.data.get("email"))
            if not isinstance(event.data.get("event"), str):
                raise Unfit("no event name")
            _texts(event.data, ("message_id", "issue", "url", "reason"))
            report.suppressions += self._suppress(event)
            self._esp.append(event)
        elif event.kind == "signup_confirmed":
            added, warning = self.signups.add(event)
            report.subscribers += added
            report.warnings += [warning] if warning else []
        elif event.kind == "lead":
            self._lead(event, report)
        elif event.kind == "lead_status":
            report.statuses += self._status(event)
        elif event.kind == "reward_decision":
            report.decisions += self.rewards.decide(event)
        elif event.kind == "visit":
            _texts(event.data, ("issue",))
            if not isinstance(event.data.get("medium", ""), str):
                raise Unfit("medium is not text")
            self._visits.append(event)

    def _suppress(self, event: Event) -> int:
        entry = suppression_for(event, self.tz)
        if entry is None:
            return 0
        check_suppression(entry)
        return int(self.suppressions.add(entry))

    def _lead(self, event: Event, report: PullReport) -> None:
        ledger = self.ledger
        if event.id in ledger.from_desk:
            return  # applied by an earlier pull of the same events
        fields = ledger_fields(event.id, event.data, event.at.astimezone(self.tz))
        lead, others = self.checks.check(new_lead(ledger.next_id, **fields))
        lead = check_lead(lead, ledger.path)
        others = tuple(check_lead(other, ledger.path) for other in others)
        ledger.add(event.id, lead)
        for other in (*others, lead):
            ledger.put(other)
            self.checks.remember(other)
        report.leads += 1
        report.flagged += not lead.referrer_email
        report.held += bool(lead.flags)

    def _status(self, event: Event) -> bool:
        ledger = self.ledger
        desk_lead = int(event.data["lead"])
        lead_id = ledger.from_desk.get(desk_lead)
        if lead_id is None:
            raise Unfit(f"desk lead {desk_lead} is not in the ledger")
        value = event.data.get("value")
        try:
            amount = Decimal(str(value)) if value else None
        except InvalidOperation:
            raise Unfit(f"not an amount: {str(value)[:40]!r}") from None
        before = ledger.get(lead_id)
        after = changed(
            before, at=event.at.astimezone(self.tz), status=event.data["status"], value=amount
        )
        ledger.put(check_lead(after, ledger.path))
        self.checks.remember(ledger.get(lead_id))
        return before != after


def _address(value: object) -> str:
    if not isinstance(value, str):
        raise Unfit("no address")
    try:
        return normalized_address(value)
    except EmailNotValidError as exc:
        raise Unfit(f"not a valid address {value[:80]!r}: {exc}") from None


def _texts(data: dict[str, Any], names: Sequence[str]) -> None:
    """Unfit unless each of ``names`` in ``data`` is text or absent (what the events file
    keeps of the event)."""
    for name in names:
        if not isinstance(data.get(name, ""), str | None):
            raise Unfit(f"{name} is not text")


def _reason(exc: Exception) -> str:
    if isinstance(exc, NewsletterError):
        key = f"{exc.key}: " if exc.key else ""
        return f"{key}{exc.message}"
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r} in the event"
    if isinstance(exc, TypeError | AttributeError):
        return f"a value of the wrong type ({exc})"
    return str(exc) or type(exc).__name__
