"""The referral report: overdue leads, referrers and rewards, totals; CSV and HTML files."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from newsletter.referrals.outputs import OVERDUE_COLUMNS, report_files, write_report
from newsletter.referrals.reports import ReferralReport, build_report, is_overdue
from newsletter.referrals.rewardfile import Reward
from tests.referral_factory import CHICAGO, KAREN, MARIA, OFFER, TOM, at, make_lead

NAMES = {MARIA[1]: "María González", KAREN[1]: "Karen Vogel (Lakeside Realty)"}


def report(*leads, now: str = "2026-11-20T12:00:00-06:00", rewards=()) -> ReferralReport:
    return build_report(
        leads,
        rewards,
        NAMES,
        offer=OFFER,
        month=date(2026, 11, 1),
        now=at(now),
        tz=CHICAGO,
    )


# ---- the 24-hour rule -------------------------------------------------------------------


def test_lead_is_overdue_only_after_a_full_24_hours() -> None:
    lead = make_lead(received="2026-11-10T09:00:00-06:00")
    assert not is_overdue(lead, at("2026-11-11T09:00:00-06:00"))
    assert is_overdue(lead, at("2026-11-11T09:00:01-06:00"))


def test_24_hours_across_the_fall_back_is_absolute_time() -> None:
    # Received Saturday 09:00 CDT; clocks fall back at 02:00 on Sunday, November 1, so the
    # 24 hours end at 08:00 CST on Sunday, not 09:00 on the wall clock.
    lead = make_lead(received="2026-10-31T09:00:00-05:00")
    assert not is_overdue(lead, datetime(2026, 11, 1, 8, 0, tzinfo=CHICAGO))
    assert is_overdue(lead, datetime(2026, 11, 1, 8, 0, 1, tzinfo=CHICAGO))
    assert is_overdue(lead, datetime(2026, 11, 1, 8, 59, tzinfo=CHICAGO))


def test_24_hours_across_the_fall_back_when_both_times_share_the_zone() -> None:
    # In-memory times in one ZoneInfo subtract as wall clocks: the rule must not.
    lead = replace(make_lead(), received_at=datetime(2026, 10, 31, 9, 0, tzinfo=CHICAGO))
    assert is_overdue(lead, datetime(2026, 11, 1, 8, 30, tzinfo=CHICAGO))


def test_24_hours_across_the_spring_forward_is_absolute_time() -> None:
    lead = make_lead(received="2027-03-13T09:00:00-06:00")
    assert not is_overdue(lead, datetime(2027, 3, 14, 9, 30, tzinfo=CHICAGO))  # 23.5 hours
    assert is_overdue(lead, datetime(2027, 3, 14, 10, 0, 1, tzinfo=CHICAGO))


def test_contacted_and_closed_leads_are_never_overdue() -> None:
    now = at("2026-11-20T12:00:00-06:00")
    contacted = make_lead(status="contacted", contacted="2026-11-05T09:00:00-06:00")
    lost = make_lead(status="lost", closed="2026-11-05T09:00:00-06:00")
    assert not is_overdue(contacted, now)
    assert not is_overdue(lost, now)


def test_overdue_leads_are_listed_oldest_first_in_business_time() -> None:
    result = report(
        make_lead(2, "2026-11-18T09:00:00-06:00", phone="6085550102"),
        make_lead(1, "2026-10-31T09:00:00-05:00", phone="6085550101"),
        make_lead(3, "2026-11-20T09:00:00-06:00", phone="6085550103"),  # 3 hours: not yet
    )
    assert [row.lead.id for row in result.overdue] == [1, 2]
    assert result.overdue[0].due == at("2026-11-01T08:00:00-06:00")
    assert result.overdue[0].waiting == timedelta(days=20, hours=4)
    assert result.overdue[0].referrer == "María González"


# ---- per referrer -----------------------------------------------------------------------


def test_referrers_show_leads_won_and_rewards_still_to_hand_out() -> None:
    won = dict(status="won", closed="2026-11-10T09:00:00-06:00")
    result = report(
        make_lead(1, "2026-10-02T09:00:00-05:00", MARIA, phone="6085550101", **won, value="400"),
        make_lead(2, "2026-10-12T09:00:00-05:00", MARIA, phone="6085550102"),
        make_lead(3, "2026-11-02T09:00:00-06:00", MARIA, phone="6085550103", **won, value="99.5"),
        make_lead(4, "2026-11-03T09:00:00-06:00", KAREN, phone="6085550104"),
        make_lead(5, "2026-08-20T09:00:00-05:00", TOM, phone="6085550105"),  # last offer's
        make_lead(6, "2026-12-02T09:00:00-06:00", TOM, phone="6085550106"),  # after the month
        rewards=[
            reward(1, MARIA, 1, "handed-out", handed_out_on=date(2026, 10, 3)),
            reward(2, MARIA, 3, "approved"),
            reward(3, KAREN, 1, "pending"),
        ],
    )
    rows = [
        (r.name, r.leads, r.won, r.won_value, [m.referrals for m in r.earned])
        for r in result.referrers
    ]
    assert rows == [
        ("María González", 3, 2, Decimal("499.50"), [1, 3]),
        ("Karen Vogel (Lakeside Realty)", 1, 0, Decimal(0), [1]),
    ]
    assert [m.reward for m in result.referrers[0].to_hand_out] == ["Dinner for two"]
    assert [m.reward for m in result.referrers[1].to_hand_out] == []
    assert [m.reward for m in result.referrers[1].pending] == ["A coffee card"]


def test_flagged_leads_wait_oldest_first_with_their_reasons_until_cleared(
    env: jinja2.Environment,
) -> None:
    self_referral = ("self-referral: the referrer's own email",)
    burst = ("burst: one of several leads from one network address within a day (lead 1)",)
    result = report(
        replace(make_lead(2, "2026-11-03T09:00:00-06:00", phone="6085550102"), flags=burst),
        replace(make_lead(1, "2026-10-20T09:00:00-05:00", phone="6085550101"), flags=burst),
        replace(
            make_lead(3, "2026-11-04T09:00:00-06:00", KAREN, phone="6085550103"),
            flags=self_referral,
            cleared_at=at("2026-11-05T09:00:00-06:00"),
            cleared_by="Pat",
        ),
    )
    assert [(row.lead.id, row.referrer) for row in result.flagged] == [
        (1, "María González"),
        (2, "María González"),
    ]
    assert [r.flagged for r in result.referrers if r.name == "María González"] == [2]
    flagged = rows(report_files(result, env)["flagged.csv"])
    assert flagged[0] == ["id", "received_at", "lead_name", "referrer", "flags"]
    assert flagged[1] == ["1", "2026-10-20T09:00-05:00", "Leo Santos", "María González", *burst]


def reward(
    number: int, who: tuple[str, str], milestone: int, status: str, **more: object
) -> Reward:
    name = next(m.reward for m in OFFER.milestones if m.referrals == milestone)
    return Reward(number, status, who[0], who[1], OFFER.slug, milestone, name, **more)  # type: ignore[arg-type]


def test_referrer_missing_from_the_subscriber_list_is_shown_by_address() -> None:
    result = report(make_lead(1, referrer=TOM))
    assert result.referrers[0].name == "tom.becker@example.net"


# ---- totals -----------------------------------------------------------------------------


def test_totals_for_the_month_and_the_year_to_date() -> None:
    def won(id: int, received: str, closed: str, value: str):
        return make_lead(
            id, received, phone=f"60855501{id:02d}", status="won", closed=closed, value=value
        )

    result = report(
        won(1, "2026-03-02T09:00:00-06:00", "2026-03-09T09:00:00-05:00", "1000"),
        won(2, "2026-10-30T09:00:00-05:00", "2026-11-02T09:00:00-06:00", "250"),
        make_lead(
            3,
            "2026-11-02T09:00:00-06:00",
            phone="6085550103",
            status="lost",
            closed="2026-11-03T09:00:00-06:00",
        ),
        won(4, "2026-11-04T09:00:00-06:00", "2026-11-06T09:00:00-06:00", "4800"),
        make_lead(5, "2026-11-05T09:00:00-06:00", phone="6085550105"),
        make_lead(6, "2026-11-06T09:00:00-06:00", phone="6085550105"),  # a repeat of 5
    )
    month, year = result.periods
    assert (month.label, year.label) == ("November 2026", "2026 to date")
    assert dict(month.by_status) == {"new": 1, "contacted": 0, "won": 1, "lost": 1}
    assert (month.received, year.received) == (3, 5)
    assert month.won_value == Decimal(5050)  # won in November, whenever received
    assert year.won_value == Decimal(6050)
    assert (month.conversion, year.conversion) == (pytest.approx(1 / 3), pytest.approx(3 / 5))


def test_month_without_leads_has_no_conversion_rate() -> None:
    assert report().periods[0].conversion is None


# ---- files ------------------------------------------------------------------------------


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))  # as a spreadsheet reads it


def test_report_files_as_csv_with_business_times(env: jinja2.Environment) -> None:
    files = report_files(report(make_lead(1, "2026-10-31T09:00:00-05:00")), env)
    assert rows(files["overdue.csv"]) == [
        list(OVERDUE_COLUMNS),
        [
            *("1", "2026-10-31T09:00-05:00", "2026-11-01T08:00-06:00", "484.0", "Leo Santos"),
            *("(608) 555-0175", "", "Thermostat install", "María González"),
        ],
    ]
    assert rows(files["referrers.csv"])[1] == [
        *("María González", "WDTD6PDE", "maria.gonzalez@example.com", "", "1", "0", "0.00"),
        "1",
        "1: A coffee card",  # reached: pending the business's approval
        "",
        "0",
    ]
    assert rows(files["totals.csv"]) == [
        ["", "November 2026", "2026 to date"],
        ["Leads received", "0", "1"],
        ["new", "0", "1"],
        ["contacted", "0", "0"],
        ["won", "0", "0"],
        ["lost", "0", "0"],
        ["Conversion %", "", "0.0"],
        ["Dollars won", "0.00", "0.00"],
    ]


def test_report_csv_quotes_every_cell_so_no_locale_splits_one(env: jinja2.Environment) -> None:
    lead = make_lead(1, "2026-10-31T09:00:00-05:00", need="duct; =1+1")
    files = report_files(report(lead), env)
    assert '"Thermostat' not in files["overdue.csv"]
    assert ',"duct; =1+1",' in files["overdue.csv"]


@pytest.mark.parametrize(
    "typed", ['=HYPERLINK("http://evil.example","x")', "+1+cmd", "-2+3", "@SUM(A1)", "\tTab"]
)
def test_report_csv_neutralizes_what_a_spreadsheet_would_run(
    typed: str, env: jinja2.Environment
) -> None:
    lead = make_lead(1, "2026-10-31T09:00:00-05:00", name=typed, need=typed)
    overdue = rows(report_files(report(lead), env)["overdue.csv"])[1]
    assert overdue[4] == overdue[7] == f"'{typed}"


def test_report_page_escapes_what_people_typed(env: jinja2.Environment) -> None:
    page = report_files(report(make_lead(1, name="<script>x</script>")), env)["index.html"]
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_report_folder_is_written_whole(tmp_path: Path, env: jinja2.Environment) -> None:
    out = tmp_path / "referrals" / "2026-11"
    out.mkdir(parents=True)
    (out / "stale.csv").write_text("from an older report")
    names = write_report(report(make_lead(1)), out, env)
    assert names == (
        *("due.csv", "flagged.csv", "index.html", "overdue.csv", "referrers.csv", "sources.csv"),
        "totals.csv",
    )
    assert sorted(p.name for p in out.iterdir()) == list(names)
