"""Rewards: what the active offer's milestones give each referrer, what has been handed out,
and the progress line each recipient reads.

Which leads count toward a milestone: every lead a referrer sent while the offer ran
(received from ``valid_from`` to ``valid_to``, in the business's timezone), whatever became
of it — the sample offer promises that every referral counts, whether or not they book —
except a repeat of a person already in the ledger (:func:`counted_leads`). Milestones are
cumulative: five referrals under a 1/3/5 offer earn all three rewards.

Rewards handed out are recorded in ``subscribers/rewards.csv`` (in git, reviewable), one
row per reward given:

    handed_out_on   YYYY-MM-DD
    referrer_code, referrer_email
    offer           the offer's file name without .yaml (rewards belong to one offer)
    milestone       the milestone's number of referrals
    reward          the reward as the offer named it
    note            free text
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path

from newsletter.audience.tokens import canonical_code
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import csv_rows, ledger_csv
from newsletter.errors import ContentError, ReferralError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.model import Milestone, Offer
from newsletter.referrals.leads import DEFAULT_REGION, counted_leads
from newsletter.referrals.ledger import Lead, check_text, clean_email, load_leads, one_line
from newsletter.referrals.times import check_plausible

COLUMNS = (
    "handed_out_on",
    "referrer_code",
    "referrer_email",
    "offer",
    "milestone",
    "reward",
    "note",
)
LIMITS = {"referrer_code": 32, "referrer_email": 254, "offer": 100, "reward": 300, "note": 1000}
"""Characters each text column may hold."""
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# ---- counting ---------------------------------------------------------------------------


def counts_by_referrer(
    leads: Iterable[Lead],
    offer: Offer,
    tz: tzinfo,
    *,
    until: date | None = None,
    region: str | None = DEFAULT_REGION,
) -> dict[str, int]:
    """Counted leads per referrer (normalized email) received while ``offer`` ran, up to
    and including the day ``until`` when given (phone numbers compared as dialled in
    ``region``). A lead no referrer is credited with counts for nobody."""
    last = min(offer.valid_to, until) if until else offer.valid_to
    counts = Counter(
        lead.referrer_email
        for lead in counted_leads(leads, region=region)
        if lead.referrer_email and offer.valid_from <= lead.received_on(tz) <= last
    )
    return dict(sorted(counts.items()))


def referral_counts(
    ledger_path: Path, offer: Offer, tz: tzinfo, *, region: str | None = DEFAULT_REGION
) -> dict[str, int]:
    """Counted referrals per referrer's normalized email under ``offer``, read from the
    ledger (no ledger: nobody has referred anyone yet). For the send step's progress line."""
    return counts_by_referrer(load_leads(ledger_path), offer, tz, region=region)


def progress_lines(
    ledger_path: Path, offer: Offer, tz: tzinfo, *, region: str | None = DEFAULT_REGION
) -> Callable[[str], str]:
    """normalized email -> that reader's :func:`progress_line`, for a whole send or print
    run: the ledger is read once, and each distinct count worded once."""
    counts = referral_counts(ledger_path, offer, tz, region=region)
    worded: dict[int, str] = {}

    def line(email: str) -> str:
        count = counts.get(email, 0)
        if count not in worded:
            worded[count] = progress_line(count, offer)
        return worded[count]

    return line


def earned(count: int, offer: Offer) -> tuple[Milestone, ...]:
    """The milestones ``count`` referrals have reached (all of them, not just the last)."""
    return tuple(m for m in offer.milestones if m.referrals <= count)


def next_milestone(count: int, offer: Offer) -> Milestone | None:
    return next((m for m in offer.milestones if m.referrals > count), None)


# ---- the progress line ------------------------------------------------------------------


def progress_line(count: int, offer: Offer) -> str:
    """One sentence on where a referrer stands, e.g. "You’ve sent us 2 friends — one more
    earns dinner for two." Empty when the offer has no milestones and nobody was sent.
    ``count`` is the referrer's entry in :func:`referral_counts` (0 when absent).

    The send step puts the same value into the HTML and the text part, so it is plain
    text without ``<``, ``>`` or ``&``.
    """
    milestones = offer.milestones
    coming = next_milestone(count, offer)
    if count <= 0:
        if coming is None:
            return ""
        first = "your first friend" if coming.referrals == 1 else _friends(coming.referrals)
        return _plain(f"Send us {first} and you’ll earn {_reward(coming)}.")
    sent = f"You’ve sent us {_friends(count)}"
    if not milestones:
        return _plain(f"{sent} — thank you!")
    if coming is None:
        last = milestones[-1]
        if count == last.referrals:
            return _plain(f"{sent} and earned {_reward(last)} — thank you!")
        return _plain(f"{sent} and earned every reward we offer — thank you!")
    left = coming.referrals - count
    more = f"{_number(left)} more earn{'s' if left == 1 else ''} {_reward(coming)}."
    reached = [m for m in milestones if m.referrals == count]
    if reached:
        return _plain(f"{sent} and earned {_reward(reached[0])} — {more}")
    return _plain(f"{sent} — {more}")


def _friends(count: int, noun: str = "friend") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _number(count: int) -> str:
    return NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)


def _reward(milestone: Milestone) -> str:
    """The reward as a phrase mid-sentence: "A $15 coffee card." -> "a $15 coffee card".

    Only a capitalized ordinary first word is lowered; "NATE tickets" or "McNally's" keep
    theirs. (A reward starting with a proper name, "Packers tickets", would be lowered too:
    write it as "Two Packers tickets".)
    """
    text = milestone.reward.strip().rstrip(".")
    word = text.split(" ", 1)[0]
    if word[:1].isupper() and (len(word) == 1 or word[1:].islower()):
        text = text[0].lower() + text[1:]
    return text


def _plain(text: str) -> str:
    # Safe in HTML and text alike: the send step substitutes it into both unescaped.
    return text.replace("&", "and").replace("<", "").replace(">", "")


# ---- rewards handed out -----------------------------------------------------------------


@dataclass(frozen=True)
class Handout:
    """One reward given to a referrer, as recorded in rewards.csv."""

    handed_out_on: date
    referrer_code: str
    referrer_email: str
    offer: str  # offer slug
    milestone: int
    reward: str
    note: str = ""
    line: int | None = field(default=None, compare=False)


def load_handouts(path: Path) -> tuple[Handout, ...]:
    """Every reward recorded in ``path`` (none when it does not exist)."""
    if not path.exists():
        return ()
    return _parse_handouts(read_text(path, ContentError), path)


def _parse_handouts(text: str, path: Path) -> tuple[Handout, ...]:
    return tuple(
        _handout(row, line, path)
        for line, row in csv_rows(text, path, required=COLUMNS[:-1], allowed=COLUMNS)
    )


def outstanding(
    email: str, count: int, offer: Offer, handouts: Iterable[Handout]
) -> tuple[Milestone, ...]:
    """Milestones ``email`` has earned under ``offer`` whose reward is not handed out yet."""
    given = {h.milestone for h in handouts if h.offer == offer.slug and h.referrer_email == email}
    return tuple(m for m in earned(count, offer) if m.referrals not in given)


def record_handout(
    rewards_path: Path,
    ledger_path: Path,
    *,
    code: str,
    milestone: int,
    offer: Offer,
    tz: tzinfo,
    on: date,
    note: str = "",
    region: str | None = DEFAULT_REGION,
) -> Handout:
    """Record that the referrer with ``code`` got the reward of ``milestone``.

    Refused unless that milestone is one of ``offer``'s, the referrer has reached it, and
    it is not recorded already. The file is rewritten atomically, rows kept in order.
    """
    leads = load_leads(ledger_path)
    code = canonical_code(code)
    email = next(
        (x.referrer_email for x in leads if x.referrer_email and x.referrer_code == code), None
    )
    if email is None:
        raise ReferralError(f"no lead in the ledger was referred by {code}", key="CODE")
    target = next((m for m in offer.milestones if m.referrals == milestone), None)
    if target is None:
        listed = ", ".join(str(m.referrals) for m in offer.milestones) or "none"
        raise ReferralError(
            f"{offer.title!r} has no milestone at {milestone} (milestones: {listed})",
            key="--milestone",
        )
    count = counts_by_referrer(leads, offer, tz, region=region).get(email, 0)
    if count < milestone:
        raise ReferralError(
            f"{code} has {_friends(count, 'referral')} under this offer; "
            f"milestone {milestone} is not reached yet",
            key="--milestone",
        )
    try:
        check_plausible(on)
    except ValueError as exc:
        raise ReferralError(str(exc), key="--on") from None
    try:
        note = check_text(one_line(note), "note", LIMITS)
    except ValueError as exc:
        raise ReferralError(str(exc), key="--note") from None
    new = Handout(on, code, email, offer.slug, milestone, one_line(target.reward), note)
    # Two people recording the same reward at once must not both succeed (or lose a row).
    with locked(rewards_path, purpose="record a reward handed out"):
        handouts = load_handouts(rewards_path)
        for h in handouts:
            if (h.referrer_email, h.offer, h.milestone) == (email, offer.slug, milestone):
                raise ReferralError(
                    f"milestone {milestone} was already handed out to {code} on {h.handed_out_on}",
                    path=rewards_path,
                    line=h.line,
                )
        text = _rewards_text((*handouts, new))
        try:  # never write what the loader would refuse (see write_leads)
            _parse_handouts(text, rewards_path)
        except ContentError as exc:
            raise ReferralError(f"not written, it would not read back: {exc.one_line()}") from None
        try:
            atomic_write(rewards_path, text, mode=PRIVATE)
        except OSError as exc:
            raise ReferralError(f"cannot write: {exc.strerror or exc}", path=rewards_path) from None
    return new


def _rewards_text(handouts: Iterable[Handout]) -> str:
    return ledger_csv(
        COLUMNS,
        (
            (
                h.handed_out_on.isoformat(),
                h.referrer_code,
                h.referrer_email,
                h.offer,
                h.milestone,
                h.reward,
                h.note,
            )
            for h in handouts
        ),
    )


def _handout(row: Mapping[str, str], line: int, path: Path) -> Handout:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    try:
        on = date.fromisoformat(row["handed_out_on"])
    except ValueError:
        raise fail("handed_out_on", f"not a date (YYYY-MM-DD): {row['handed_out_on']!r}") from None
    try:
        check_plausible(on)
    except ValueError as exc:
        raise fail("handed_out_on", str(exc)) from None
    try:
        email = clean_email(row["referrer_email"])
    except ValueError as exc:
        raise fail("referrer_email", str(exc)) from None
    for key in ("referrer_code", "referrer_email", "offer"):
        if not row[key]:
            raise fail(key, "required")
    for key in LIMITS:
        try:
            check_text(row.get(key, ""), key, LIMITS)
        except ValueError as exc:
            raise fail(key, f"{exc}; shorten it in the file") from None
    if not row["milestone"].isdecimal() or int(row["milestone"]) < 1:
        raise fail("milestone", f"not a number of referrals: {row['milestone']!r}")
    return Handout(
        handed_out_on=on,
        referrer_code=canonical_code(row["referrer_code"]),
        referrer_email=email,
        offer=row["offer"],
        milestone=int(row["milestone"]),
        reward=row["reward"],
        note=row.get("note", ""),
        line=line,
    )
