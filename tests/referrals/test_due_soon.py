"""Leads still to call before they are overdue: the report lists those due in the next 24
hours, and `referral list` says when each lead still to call is due."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import jinja2

from newsletter.referrals.ledger import Lead
from newsletter.referrals.outputs import DUE_COLUMNS, report_blocks, report_files
from newsletter.referrals.reports import ReferralReport, build_report, due_at
from tests.referral_factory import CHICAGO, MARIA, OFFER, at, make_lead

NOW = "2026-11-20T12:00:00-06:00"


def report(*leads: Lead) -> ReferralReport:
    return build_report(
        leads,
        (),
        {MARIA[1]: "María González"},
        offer=OFFER,
        month=date(2026, 11, 1),
        now=at(NOW),
        tz=CHICAGO,
    )


def test_a_new_lead_within_its_24_hours_is_due_in_the_next_24_hours() -> None:
    fresh = make_lead(7, received="2026-11-20T09:00:00-06:00", name="Ana Fresh")
    late = make_lead(8, received="2026-11-18T09:00:00-06:00", name="Bo Late")
    found = report(fresh, late)
    assert [row.lead.name for row in found.due_soon] == ["Ana Fresh"]
    assert [row.lead.name for row in found.overdue] == ["Bo Late"]
    assert found.due_soon[0].due == at("2026-11-21T09:00:00-06:00")


def test_leads_due_are_listed_soonest_first() -> None:
    later = make_lead(1, received="2026-11-20T11:00:00-06:00", name="Later")
    sooner = make_lead(2, received="2026-11-19T13:00:00-06:00", name="Sooner")
    assert [row.lead.name for row in report(later, sooner).due_soon] == ["Sooner", "Later"]


def test_contacted_and_nurture_leads_are_not_due() -> None:
    called = make_lead(
        1,
        received="2026-11-20T09:00:00-06:00",
        status="contacted",
        contacted="2026-11-20T10:00:00-06:00",
    )
    nurture = replace(
        make_lead(2, received="2026-11-20T09:00:00-06:00"),
        qualification="nurture",
        qualification_reason="moving next year",
    )
    assert report(called, nurture).due_soon == ()
    assert (due_at(called), due_at(nurture)) == (None, None)


def test_the_due_list_is_a_table_and_a_csv_with_phone_and_email_in_full(
    env: jinja2.Environment,
) -> None:
    lead = make_lead(
        3,
        received="2026-11-20T09:00:00-06:00",
        phone="+1 (608) 555-0175 ext. 4321",
        email="a.very.long.address.of.someone.who.was.sent.our.way@subdomain.example.org",
    )
    found = report(lead)
    block = report_blocks(found).due
    assert block.rows == (
        (
            "3",
            "2026-11-21 09:00 CST",
            "21h",
            "Leo Santos",
            "+1 (608) 555-0175 ext. 4321",
            "a.very.long.address.of.someone.who.was.sent.our.way@subdomain.example.org",
            "Thermostat install",
            "María González",
        ),
    )
    rows = list(csv.reader(io.StringIO(report_files(found, env)["due.csv"].lstrip("\ufeff"))))
    assert rows[0] == list(DUE_COLUMNS)
    assert rows[1][:4] == ["3", "2026-11-20T09:00-06:00", "2026-11-21T09:00-06:00", "21.0"]
    assert rows[1][5] == "'+1 (608) 555-0175 ext. 4321"  # a spreadsheet would run "+1 …"
