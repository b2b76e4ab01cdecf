"""Qualified and nurture leads: who is called within 24 hours, and when the clock starts."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsletter.errors import ContentError, ReferralError
from newsletter.referrals.leads import Qualification, add_lead, update_lead
from newsletter.referrals.ledger import COLUMNS, LEGACY_COLUMNS, ledger_text, load_leads
from newsletter.referrals.reports import build_report, is_overdue, overdue_leads
from newsletter.report.figures import funnel
from tests.referral_factory import CHICAGO, KAREN, MARIA, OFFER, TOM, at, make_lead, write_ledger

RECEIVED = "2026-11-02T09:00:00-06:00"


def nurture(lead_id: int = 1, received: str = RECEIVED, **kw: object) -> object:
    from dataclasses import replace

    return replace(
        make_lead(lead_id, received, **kw),  # type: ignore[arg-type]
        qualification="nurture",
        qualification_reason="renting until spring",
    )


def test_a_nurture_lead_is_never_overdue() -> None:
    lead = nurture()
    assert not is_overdue(lead, at("2026-12-30T09:00:00-06:00"))  # type: ignore[arg-type]


def test_a_qualified_lead_is_overdue_24_hours_after_it_arrived() -> None:
    lead = make_lead(1, RECEIVED)
    assert not is_overdue(lead, at("2026-11-03T09:00:00-06:00"))
    assert is_overdue(lead, at("2026-11-03T09:00:01-06:00"))


def test_a_promoted_lead_gets_its_24_hours_from_the_promotion(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", nurture())  # type: ignore[arg-type]
    promoted_at = at("2026-11-20T10:00:00-06:00")
    lead = update_lead(
        path, 1, at=promoted_at, qualification=Qualification("qualified", "ready now")
    )
    assert (lead.qualification, lead.qualification_reason) == ("qualified", "ready now")
    assert lead.qualified_at == promoted_at
    assert not is_overdue(lead, promoted_at + timedelta(hours=23))
    late = overdue_leads([lead], promoted_at + timedelta(hours=25), {})
    assert [(x.due, x.waiting) for x in late] == [
        (promoted_at + timedelta(hours=24), timedelta(hours=25))
    ]


def test_qualifying_a_qualified_lead_again_keeps_its_clock(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1, RECEIVED))
    lead = update_lead(
        path, 1, at=at("2026-11-03T09:00:00-06:00"), qualification=Qualification("qualified")
    )
    assert lead.qualified_at is None and lead.clock_start == at(RECEIVED)


def test_a_lead_put_to_nurture_leaves_the_call_list(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1, RECEIVED))
    lead = update_lead(
        path, 1, at=at(RECEIVED), qualification=Qualification("nurture", "saving up")
    )
    assert overdue_leads([lead], at("2026-11-30T09:00:00-06:00"), {}) == ()
    assert load_leads(path) == (lead,)


def test_a_nurture_lead_needs_a_reason() -> None:
    with pytest.raises(ReferralError, match="needs a short reason") as caught:
        Qualification("nurture", "  ")
    assert caught.value.key == "--nurture"


def test_added_leads_are_qualified_unless_told(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    common = {"referrer_code": MARIA[0], "referrer_email": MARIA[1], "phone": "6085550100"}
    first, _ = add_lead(path, name="Ann", received_at=at(RECEIVED), **common)
    second, _ = add_lead(
        path,
        name="Bo",
        received_at=at(RECEIVED),
        qualification=Qualification("nurture", "new baby, furnace next year"),
        source="power-team",
        **{**common, "phone": "6085550101"},
    )
    assert (first.qualification, first.source) == ("qualified", "")
    assert (second.qualification, second.qualification_reason, second.source) == (
        "nurture",
        "new baby, furnace next year",
        "power-team",
    )
    assert load_leads(path) == (first, second)


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReferralError, match="unknown source 'neighbour'"):
        add_lead(
            tmp_path / "referrals.csv",
            referrer_code=MARIA[0],
            referrer_email=MARIA[1],
            name="Ann",
            phone="6085550100",
            received_at=at(RECEIVED),
            source="neighbour",
        )


# ---- ledgers from before qualification -----------------------------------------------------


def legacy_text(*leads: object) -> str:
    lines = ledger_text(leads).splitlines()  # type: ignore[arg-type]
    return "".join(
        ",".join(line.split(",")[: -(len(COLUMNS) - len(LEGACY_COLUMNS))]) + "\n" for line in lines
    )


def test_a_ledger_from_before_qualification_loads_every_lead_qualified_from_arrival(
    tmp_path: Path,
) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text(legacy_text(make_lead(1, RECEIVED), make_lead(2, phone="6085550111")))
    leads = load_leads(path)
    assert [(x.qualification, x.clock_start, x.source) for x in leads] == [
        ("qualified", at(RECEIVED), ""),
        ("qualified", at(RECEIVED), ""),
    ]


def test_the_first_change_to_an_old_ledger_adds_the_columns_and_keeps_every_value(
    tmp_path: Path,
) -> None:
    path = tmp_path / "referrals.csv"
    old = legacy_text(make_lead(1, RECEIVED, status="contacted", contacted=RECEIVED))
    path.write_text(old)
    path.chmod(0o644)
    update_lead(path, 1, at=at(RECEIVED), note="called back")
    header, row = path.read_text().splitlines()
    assert header == ",".join(COLUMNS)
    assert row.startswith(old.splitlines()[1].removesuffix(","))
    assert row.endswith(",qualified,,,,,,,")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("cells", "key", "message"),
    [
        ({"qualification": "maybe"}, "qualification", "expected qualified or nurture"),
        ({"qualification": "nurture"}, "qualification_reason", "needs a short reason"),
        (
            {"qualification": "nurture", "qualification_reason": "x", "qualified_at": RECEIVED},
            "qualified_at",
            "only for qualified leads",
        ),
        ({"qualified_at": "2026-11-01T09:00:00-06:00"}, "qualified_at", "before the lead"),
        ({"qualified_at": "soon"}, "qualified_at", "not an ISO 8601 time"),
        ({"source": "cousin"}, "source", "unknown source 'cousin'"),
    ],
)
def test_a_bad_qualification_or_source_names_its_line_and_column(
    tmp_path: Path, cells: dict[str, str], key: str, message: str
) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1, RECEIVED))
    header, row = path.read_text().splitlines()
    values = dict(zip(COLUMNS, row.split(","), strict=True)) | cells
    path.write_text(f"{header}\n{','.join(values[c] for c in COLUMNS)}\n")
    with pytest.raises(ContentError, match=message) as caught:
        load_leads(path)
    assert (caught.value.line, caught.value.key) == (2, key)


# ---- the report ----------------------------------------------------------------------------


def test_report_counts_leads_won_and_dollars_by_source_falling_back_to_the_referrer() -> None:
    from dataclasses import replace

    leads = (
        replace(make_lead(1, RECEIVED, MARIA, phone="6085550101"), source="power-team"),
        make_lead(
            2,
            RECEIVED,
            MARIA,
            phone="6085550102",
            status="won",
            contacted=RECEIVED,
            closed="2026-11-05T09:00:00-06:00",
            value="900.00",
        ),
        make_lead(3, RECEIVED, KAREN, phone="6085550103"),
        make_lead(4, RECEIVED, TOM, phone="6085550104"),
    )
    report = build_report(
        leads,
        (),
        {},
        offer=OFFER,
        month=datetime(2026, 11, 1).date(),
        now=at("2026-11-20T12:00:00-06:00"),
        tz=CHICAGO,
        sources={MARIA[1]: "client", KAREN[1]: "contact-sphere"},
    )
    assert [(s.kind, s.leads, s.won, str(s.won_value)) for s in report.sources] == [
        ("client", 1, 1, "900.00"),
        ("contact-sphere", 1, 0, "0"),
        ("power-team", 1, 0, "0"),
        ("", 1, 0, "0"),
    ]
    assert report.sources[-1].label == "Not recorded"
    assert {r.email: r.source for r in report.referrers} == {
        MARIA[1]: "client",
        KAREN[1]: "contact-sphere",
        TOM[1]: "",
    }


def test_funnel_counts_nurture_leads_apart_and_never_overdue() -> None:
    leads = (make_lead(1, RECEIVED), nurture(2, phone="6085550111"))
    result = funnel(leads, at("2026-11-20T12:00:00-06:00"))  # type: ignore[arg-type]
    assert (result.referred, result.overdue, result.nurture, result.open) == (2, 1, 1, 2)


def test_a_lead_from_the_desks_referral_form_is_qualified(tmp_path: Path) -> None:
    from newsletter.desk.leads import ledger_fields

    data = {"name": "Ann Lee", "phone": "6085550100", "code": MARIA[0], "known": True}
    fields = ledger_fields(7, {**data, "referrer_email": MARIA[1]}, at(RECEIVED))
    lead, _ = add_lead(tmp_path / "referrals.csv", **fields)
    assert (lead.qualification, lead.qualification_reason) == (
        "qualified",
        "asked on the referral page to be called",
    )
