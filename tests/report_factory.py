"""A fixture for the monthly report: leads whose every figure is written down beside them.

Each :class:`Spec` is one lead of the fixture ledger and, next to it, what a person reading
the ledger counts it as: whether it counts in November (a repeat does not), how its first
call went, the follow-up bin, where its dollars fall. The tests count those annotations
(an independent count) and compare them with what the report computed.

The report is for November 2026, as of 2026-11-20 12:00 CST, under tests.referral_factory's
OFFER (from 2026-09-01). Clocks fell back at 02:00 on 2026-11-01 in Chicago.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.deliver.ledger import Ledger, LedgerRun
from newsletter.deliver.transport import Receipt
from newsletter.referrals.ledger import Lead
from tests.referral_factory import KAREN, MARIA, TOM, make_lead

MONTH = "2026-11"
NOW = "2026-11-20T12:00:00-06:00"


@dataclass(frozen=True)
class Spec:
    lead: Lead
    november: bool  # counts among November's leads (received then, not a repeat)
    contact: str  # on_time, late, waiting, overdue, unrecorded ("" outside November)
    hours_bin: str  # the follow-up bin ("" when not contacted or outside November)
    hours: float | None  # hours to first contact (November leads only)
    received_month: str  # YYYY-MM
    dollars_month: str  # the month its dollars count in ("" if not won)
    overdue_now: bool  # in the overdue list as of NOW
    counted: bool = True  # not a repeat of an earlier lead's person


def _spec(number: int, received: str, referrer: tuple[str, str], **kw: object) -> Lead:
    return make_lead(
        number,
        received,
        referrer,
        name=f"Lead {number}",
        phone=f"(608) 555-01{number:02d}",
        **kw,  # type: ignore[arg-type]
    )


SPECS = (
    Spec(
        _spec(
            1,
            "2026-11-02T09:00:00-06:00",
            MARIA,
            status="won",
            contacted="2026-11-02T10:30:00-06:00",
            closed="2026-11-05T10:00:00-06:00",
            value="1200.00",
        ),
        True,
        "on_time",
        "1–2 h",
        1.5,
        "2026-11",
        "2026-11",
        False,
    ),
    Spec(
        _spec(
            2,
            "2026-11-03T08:00:00-06:00",
            KAREN,
            status="lost",
            contacted="2026-11-04T14:00:00-06:00",
            closed="2026-11-10T09:00:00-06:00",
        ),
        True,
        "late",
        "24–48 h",
        30.0,
        "2026-11",
        "",
        False,
    ),
    Spec(
        _spec(
            3,
            "2026-11-05T12:00:00-06:00",
            MARIA,
            status="contacted",
            contacted="2026-11-05T15:00:00-06:00",
        ),
        True,
        "on_time",
        "2–4 h",
        3.0,
        "2026-11",
        "",
        False,
    ),
    Spec(
        _spec(4, "2026-11-10T09:00:00-06:00", TOM),
        True,
        "overdue",
        "",
        None,
        "2026-11",
        "",
        True,
    ),
    Spec(
        _spec(5, "2026-11-20T08:00:00-06:00", KAREN),
        True,
        "waiting",
        "",
        None,
        "2026-11",
        "",
        False,
    ),
    Spec(  # won at once, no call recorded
        _spec(
            6,
            "2026-11-12T10:00:00-06:00",
            TOM,
            status="won",
            closed="2026-11-13T16:00:00-06:00",
            value="800.00",
        ),
        True,
        "unrecorded",
        "",
        None,
        "2026-11",
        "2026-11",
        False,
    ),
    Spec(  # exactly 72 hours: the 48–72 bin (edges are inclusive)
        _spec(
            7,
            "2026-11-15T09:00:00-06:00",
            MARIA,
            status="contacted",
            contacted="2026-11-18T09:00:00-06:00",
        ),
        True,
        "late",
        "48–72 h",
        72.0,
        "2026-11",
        "",
        False,
    ),
    Spec(
        _spec(
            8,
            "2026-11-16T09:00:00-06:00",
            KAREN,
            status="won",
            contacted="2026-11-16T09:30:00-06:00",
            closed="2026-11-19T11:00:00-06:00",
            value="3000.00",
        ),
        True,
        "on_time",
        "0–1 h",
        0.5,
        "2026-11",
        "2026-11",
        False,
    ),
    Spec(  # lead 1's person again (same phone): not counted, but still to be called
        make_lead(9, "2026-11-18T09:00:00-06:00", TOM, name="Lead 1 again", phone="608-555-0101"),
        False,
        "",
        "",
        None,
        "2026-11",
        "",
        True,
        counted=False,
    ),
    Spec(  # across the fall-back: 23.5 hours on the wall clock, 24.5 in fact
        _spec(
            10,
            "2026-11-01T01:30:00-05:00",
            MARIA,
            status="contacted",
            contacted="2026-11-02T01:00:00-06:00",
        ),
        True,
        "late",
        "24–48 h",
        24.5,
        "2026-11",
        "",
        False,
    ),
    Spec(
        _spec(
            11,
            "2026-10-05T09:00:00-05:00",
            KAREN,
            status="won",
            contacted="2026-10-05T11:00:00-05:00",
            closed="2026-10-20T09:00:00-05:00",
            value="500.00",
        ),
        False,
        "",
        "",
        None,
        "2026-10",
        "2026-10",
        False,
    ),
    Spec(  # received in October, won in November: its dollars are November's
        _spec(
            12,
            "2026-10-28T09:00:00-05:00",
            TOM,
            status="won",
            contacted="2026-10-28T10:00:00-05:00",
            closed="2026-11-02T09:00:00-06:00",
            value="250.00",
        ),
        False,
        "",
        "",
        None,
        "2026-10",
        "2026-11",
        False,
    ),
    Spec(
        _spec(
            13,
            "2026-01-10T09:00:00-06:00",
            MARIA,
            status="won",
            contacted="2026-01-10T10:00:00-06:00",
            closed="2026-01-15T09:00:00-06:00",
            value="100.00",
        ),
        False,
        "",
        "",
        None,
        "2026-01",
        "2026-01",
        False,
    ),
    Spec(  # in the last 12 months, not in this year
        _spec(
            14,
            "2025-12-05T09:00:00-06:00",
            KAREN,
            status="won",
            contacted="2025-12-05T10:00:00-06:00",
            closed="2025-12-10T09:00:00-06:00",
            value="999.00",
        ),
        False,
        "",
        "",
        None,
        "2025-12",
        "2025-12",
        False,
    ),
    Spec(  # 13 months back: outside every figure but the ledger
        _spec(
            15,
            "2025-11-20T09:00:00-06:00",
            TOM,
            status="won",
            contacted="2025-11-20T10:00:00-06:00",
            closed="2025-11-25T09:00:00-06:00",
            value="777.00",
        ),
        False,
        "",
        "",
        None,
        "2025-11",
        "2025-11",
        False,
    ),
)


def fixture_leads() -> tuple[Lead, ...]:
    return tuple(spec.lead for spec in SPECS)


# ---- the send ledger ----------------------------------------------------------------------

SENDS = {
    # issue: (sent, failed, uncertain, left in flight, pending)
    "2026-09": (3, 0, 0, 0, 0),
    "2026-10": (2, 1, 0, 0, 0),
    "2026-11": (4, 1, 2, 1, 1),
    "2026-12": (5, 0, 0, 0, 0),  # after the report month: not in it
}


SEGMENTS = ("client", "partner", "prospect")


def segment_of(email: str) -> str:
    """The segment the ledger records for ``issue-N@example.com``: they take turns."""
    return SEGMENTS[int(email.split("@")[0].rsplit("-", 1)[1]) % len(SEGMENTS)]


def write_send_ledger(path: Path) -> Path:
    """A send ledger holding :data:`SENDS`, made through the send step's own API: runs that
    die with batches in flight, recovery, ``--resend-uncertain``."""
    with Ledger(path) as ledger:
        for issue, (sent, failed, uncertain, in_flight, pending) in SENDS.items():
            emails = iter(f"{issue}-{n}@example.com" for n in range(100))
            with ledger.run(f"send {issue}") as run:
                _batch(run, issue, "sent", [next(emails) for _ in range(sent)])
                _batch(run, issue, "failed", [next(emails) for _ in range(failed)])
                _batch(run, issue, "resent", [next(emails) for _ in range(pending)])
            with ledger.run(f"send {issue} --resend-uncertain") as run:
                run.recover(issue)
                run.release_uncertain(issue)  # "resent" is pending again
                _batch(run, issue, "cut-off", [next(emails) for _ in range(uncertain)])
            with ledger.run(f"send {issue} once more") as run:
                run.recover(issue)  # "cut-off" is uncertain
                _batch(run, issue, "in-flight", [next(emails) for _ in range(in_flight)])
    return path


def _batch(run: LedgerRun, issue: str, name: str, emails: list[str]) -> None:
    """Put ``emails`` in flight as batch ``name``; the sent and failed batches then end so,
    the others stay in flight (their run "dies")."""
    if not emails:
        return
    run.mark_in_flight(issue, emails, name, [segment_of(e) for e in emails])
    if name == "sent":
        run.settle(issue, name, Receipt(sent=dict.fromkeys(emails)), rest=None)
    elif name == "failed":
        run.settle(issue, name, Receipt(), rest="550 mailbox unavailable")
