"""``subscribers/rewards.csv``: every reward a referrer reached, and what the business decided.

A milestone reached becomes a reward *pending* approval (:func:`sync_rewards`); the business
approves it, or denies it with a reason, and hands out an approved one. Only approved (and
handed-out) rewards are earned in the reader's copy. One row per reward, in the order
they were reached:

    id              1, 2, 3 … never given twice (:mod:`newsletter.referrals.ids`)
    status          pending | approved | denied | handed-out
    referrer_code, referrer_email
    offer           the offer's file name without .yaml (rewards belong to one offer)
    milestone       the milestone's number of referrals
    reward          the reward as the offer named it
    reached_on      the day the milestone was found reached (YYYY-MM-DD)
    leads           the ids of the leads behind it, space-separated
    decided_at, decided_by  when and by whom it was approved or denied
    reason          why it was denied
    handed_out_on, handed_out_by  when and by whom it was handed out
    note            free text

A file from before approval had one row per reward handed out (``handed_out_on``,
``referrer_code``, ``referrer_email``, ``offer``, ``milestone``, ``reward``, ``note``): it
loads as it is, each row a handed-out reward numbered in file order, and is written in
the new form at its next change.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from newsletter.audience.tokens import canonical_code
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import BYTE_ORDER_MARK, csv_rows, ledger_csv
from newsletter.errors import ContentError, ReferralError
from newsletter.referrals.fields import check_text, clean_email, one_line
from newsletter.referrals.ids import next_id, parse_id
from newsletter.referrals.ledger import checked_cell, write_numbered
from newsletter.referrals.times import (
    CLOCK_SLACK,
    check_plausible,
    format_stored,
    not_in_the_future,
    parse_stored,
)

STATUSES = ("pending", "approved", "denied", "handed-out")
EARNED = ("approved", "handed-out")
"""The statuses in which a reward is the reader's: shown as earned in their copy."""
COLUMNS = (
    "id",
    "status",
    "referrer_code",
    "referrer_email",
    "offer",
    "milestone",
    "reward",
    "reached_on",
    "leads",
    "decided_at",
    "decided_by",
    "reason",
    "handed_out_on",
    "handed_out_by",
    "note",
)
LEGACY = ("handed_out_on", "referrer_code", "referrer_email", "offer", "milestone", "reward")
LIMITS = {
    "referrer_code": 32,
    "referrer_email": 254,
    "offer": 100,
    "reward": 300,
    "leads": 2000,
    "decided_by": 100,
    "reason": 500,
    "handed_out_by": 100,
    "note": 1000,
}
"""Characters each text column may hold."""


@dataclass(frozen=True)
class Reward:
    """One reward a referrer reached under an offer, and what became of it."""

    id: int
    status: str
    referrer_code: str
    referrer_email: str
    offer: str  # offer slug
    milestone: int
    reward: str
    reached_on: date | None = None  # None: recorded before approval existed
    leads: tuple[int, ...] = ()
    decided_at: datetime | None = None
    decided_by: str = ""
    reason: str = ""
    handed_out_on: date | None = None
    handed_out_by: str = ""
    note: str = ""
    line: int | None = field(default=None, compare=False)

    @property
    def earned(self) -> bool:
        return self.status in EARNED

    @property
    def key(self) -> tuple[str, str, int]:
        """What one reward is: a referrer's milestone under an offer."""
        return (self.referrer_email, self.offer, self.milestone)


# ---- reading and writing --------------------------------------------------------------


def load_rewards(path: Path) -> tuple[Reward, ...]:
    """Every reward in ``path`` (none when it does not exist); a bad line names itself."""
    if not path.exists():
        return ()
    return parse_rewards(read_text(path, ContentError), path)


def parse_rewards(text: str, path: Path) -> tuple[Reward, ...]:
    legacy = "id" not in _header(text)
    required = LEGACY if legacy else COLUMNS[:7]
    rewards: list[Reward] = []
    seen: dict[object, int] = {}
    for number, (line, row) in enumerate(
        csv_rows(text, path, required=required, allowed=COLUMNS), start=1
    ):
        if legacy:
            row = {**row, "id": str(number), "status": "handed-out"}
        reward = _reward(row, line, path)
        for key, what in ((reward.id, "id"), (reward.key, "reward")):
            if key in seen:
                raise ContentError(
                    f"{what} used twice (first on line {seen[key]})", path=path, line=line, key=what
                )
            seen[key] = line
        rewards.append(reward)
    return tuple(rewards)


def _header(text: str) -> list[str]:
    """The column names of the first line as the CSV reader sees them (a spreadsheet's
    byte-order mark and quotes are not part of a name)."""
    try:
        names = next(csv.reader(io.StringIO(text.removeprefix(BYTE_ORDER_MARK))), [])
    except csv.Error:
        return []  # the loader names the line
    return [name.strip() for name in names]


def rewards_text(rewards: Iterable[Reward]) -> str:
    return ledger_csv(COLUMNS, (_row(r) for r in rewards))


def write_rewards(path: Path, rewards: Iterable[Reward]) -> None:
    """Replace the file with ``rewards`` atomically, after reading the text back with the
    loader's rules (the tool never writes a file it would refuse). The caller holds the
    file's lock."""
    rewards = tuple(rewards)
    write_numbered(path, rewards_text(rewards), (r.id for r in rewards), parse_rewards)


def new_reward_id(path: Path, rewards: Iterable[Reward]) -> int:
    try:
        return next_id(path, (r.id for r in rewards))
    except ContentError as exc:
        raise ReferralError(exc.message, path=exc.path, line=exc.line) from None


def _row(r: Reward) -> list[str]:
    return [
        str(r.id),
        r.status,
        r.referrer_code,
        r.referrer_email,
        r.offer,
        str(r.milestone),
        r.reward,
        r.reached_on.isoformat() if r.reached_on else "",
        " ".join(map(str, r.leads)),
        format_stored(r.decided_at) if r.decided_at else "",
        r.decided_by,
        r.reason,
        r.handed_out_on.isoformat() if r.handed_out_on else "",
        r.handed_out_by,
        r.note,
    ]


def _reward(row: Mapping[str, str], line: int, path: Path) -> Reward:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    def day_in(key: str) -> date | None:
        return checked_cell(row, key, _day, fail)

    for key in LIMITS:
        try:
            check_text(row.get(key, ""), key, LIMITS)
        except ValueError as exc:
            raise fail(key, f"{exc}; shorten it in the file") from None
    reward_id = parse_id(row["id"])
    if reward_id is None:
        raise fail("id", f"not a reward number (1 to 999999999): {row['id'][:40]!r}")
    status = row["status"]
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r} (expected {', '.join(STATUSES)})")
    for key in ("referrer_code", "referrer_email", "offer", "reward"):
        if not row[key]:
            raise fail(key, "required")
    code = canonical_code(row["referrer_code"])
    if not code:  # nothing a code is made of: it would be written back blank
        raise fail("referrer_code", f"not a referral code: {row['referrer_code'][:40]!r}")
    email = checked_cell(row, "referrer_email", clean_email, fail)
    milestone = parse_id(row["milestone"])
    if milestone is None:
        raise fail("milestone", f"not a number of referrals: {row['milestone'][:40]!r}")
    handed_out_on = day_in("handed_out_on")
    if (status == "handed-out") != (handed_out_on is not None):
        raise fail("handed_out_on", "required for a handed-out reward, and only for one")
    decided_at = checked_cell(row, "decided_at", _parse_time, fail)
    if status == "denied" and not row.get("reason"):
        raise fail("reason", "a denied reward needs the reason")
    return Reward(
        id=reward_id,
        status=status,
        referrer_code=code,
        referrer_email=email,
        offer=row["offer"],
        milestone=milestone,
        reward=row["reward"],
        reached_on=day_in("reached_on"),
        leads=checked_cell(row, "leads", _ids, fail),
        decided_at=decided_at,
        decided_by=row.get("decided_by", ""),
        reason=row.get("reason", ""),
        handed_out_on=handed_out_on,
        handed_out_by=row.get("handed_out_by", ""),
        note=row.get("note", ""),
        line=line,
    )


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        on = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text[:40]!r}") from None
    check_plausible(on)
    if on > (datetime.now(UTC) + CLOCK_SLACK).date():
        raise ValueError(f"{on} is in the future")
    return on


def _parse_time(text: str) -> datetime | None:
    return not_in_the_future(parse_stored(text)) if text else None


def _ids(text: str) -> tuple[int, ...]:
    ids = tuple(parse_id(part) for part in text.split())
    if any(i is None for i in ids):
        raise ValueError(f"not lead numbers separated by spaces: {text[:40]!r}")
    return tuple(i for i in ids if i is not None)


# ---- decisions ----------------------------------------------------------------------------

ACTIONS = {"approve": "approved", "deny": "denied", "hand-out": "handed-out"}
ALLOWED_FROM = {
    "approve": ("pending", "denied"),
    "deny": ("pending", "approved"),
    "hand-out": ("approved",),
}
"""What each decision may follow: a denial can be reconsidered, an approval withdrawn until
the reward is handed out; handing out is for approved rewards, and final."""


def decided(reward: Reward, action: str, *, by: str, at: datetime, reason: str = "") -> Reward:
    """``reward`` after ``action`` (approve, deny, hand-out) by ``by`` at ``at``;
    ReferralError when it cannot follow the reward's status. Repeating the decision the
    reward already has changes nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if reward.status == ACTIONS[action]:
        return reward
    if reward.status not in ALLOWED_FROM[action]:
        hint = " (approve it first)" if action == "hand-out" and reward.status == "pending" else ""
        raise ReferralError(
            f"reward {reward.id} is {reward.status}: it cannot be {ACTIONS[action]}{hint}",
            key="ID",
        )
    by = _text(by, "decided_by", "--by")
    if action == "hand-out":
        return replace(reward, status="handed-out", handed_out_on=at.date(), handed_out_by=by)
    reason = _text(reason, "reason", "--reason")
    if action == "deny" and not reason:
        raise ReferralError("say why the reward is denied", key="--reason")
    return replace(reward, status=ACTIONS[action], decided_at=at, decided_by=by, reason=reason)


def _text(value: str, column: str, option: str) -> str:
    try:
        return check_text(one_line(value), column, LIMITS)
    except ValueError as exc:
        raise ReferralError(str(exc), key=option) from None
