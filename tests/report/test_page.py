"""The monthly report's page and summary: self-contained, readable, honest about what is
missing, and private."""

from __future__ import annotations

import base64
import re
import stat
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.config.leads import BusinessHoursConfig
from newsletter.referrals.hours import BusinessHours
from newsletter.report.figures import Engagement, MonthlyReport, SourceLine, monthly_report
from newsletter.report.monthly import chart_colors, write_monthly_report
from newsletter.report.outputs import report_page, report_summary
from newsletter.report.sections import report_sections
from newsletter.report.sends import read_sends
from tests.referral_factory import CHICAGO, KAREN, MARIA, OFFER, at, make_lead
from tests.report_factory import MONTH, NOW, SPECS, fixture_leads, write_send_ledger

NAMES = {MARIA[1]: "María González", KAREN[1]: "Karen Vogel (Lakeside Realty)"}


def figures(leads: tuple = (), sends: tuple = ()) -> MonthlyReport:
    return monthly_report(
        leads,
        (),
        NAMES,
        sends,
        offer=OFFER,
        month=date(2026, 11, 1),
        now=at(NOW),
        tz=CHICAGO,
        business_hours=BusinessHours.of(BusinessHoursConfig(), CHICAGO),
    )


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> MonthlyReport:
    ledger = write_send_ledger(tmp_path_factory.mktemp("state") / "ledger.sqlite")
    return figures(fixture_leads(), read_sends(ledger, through=MONTH))


@pytest.fixture(scope="module")
def full_page(full: MonthlyReport, settings: Settings) -> str:
    return page(full, settings)  # drawing five charts takes a while: once per module


def page(report: MonthlyReport, settings: Settings) -> str:
    return report_page(report, report_sections(report, chart_colors(settings)), settings)


def summary(report: MonthlyReport, settings: Settings) -> str:
    sections = report_sections(report, chart_colors(settings))
    return report_summary(report, sections, Path("build/reports/2026-11"))


def test_page_fetches_nothing_and_runs_nothing(full_page: str) -> None:
    html = full_page
    targets = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert targets and all(t.startswith(("data:image/svg+xml;base64,", "#")) for t in targets)
    assert not re.search(r"<script|<link|@import|url\(|https?://", html, re.IGNORECASE)


def test_every_chart_is_a_whole_svg_with_alt_text(full_page: str) -> None:
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)">', full_page)
    assert len(images) == 6  # one per section
    for payload, alt in images:
        svg = ET.fromstring(base64.b64decode(payload))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert "the table below has the figures" in alt


def test_each_chart_has_its_one_line_reading_under_it(full_page: str) -> None:
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", full_page)
    assert captions == [
        "$6,849 won in the last 12 months ($5,850 so far in 2026); 50% of 12 leads this year won.",
        "9 leads in November 2026: 3 called within 24 hours, 3 later, 1 overdue; "
        "3 won, 1 lost, 5 open.",
        "Median 13.8 hours from receipt to first call; 3 of 6 called within 24 hours; "
        "2 leads overdue now.",
        "Of 9 qualified leads in November 2026, 11% were called within an hour, 22% within an "
        "hour of business time, 33% within 24 hours.",
        "3 referrers sent 11 leads that count under “Send a neighbor our way”; 6 rewards "
        "waiting for approval, 0 approved and still to hand out.",
        "The November 2026 issue went to 9 recipients: 4 sent, 1 failed, 3 uncertain.",
    ]


def test_chart_figures_are_in_tables_too(full_page: str) -> None:
    html = full_page
    assert "<caption>Won referrals by month</caption>" in html
    assert (
        '<th scope="row">November 2026</th>\n<td class="n">9</td>\n<td class="n">3</td>\n' in html
    )
    assert '<td class="n">$5,250.00</td>' in html
    assert "<td>Lead 4</td>" in html  # the overdue list names the lead to call


def test_an_empty_month_says_no_data_yet_and_draws_no_chart(settings: Settings) -> None:
    html = page(figures(), settings)
    assert "<img" not in html and "<figure" not in html
    readings = re.findall(r'<p class="reading no-data">(.*?)</p>', html)
    assert len(readings) == 6 and all("no data yet" in r for r in readings)
    assert "Overdue: not contacted within 24 hours, oldest first:</strong> None" in html


def test_figures_not_recorded_yet_say_so(full_page: str) -> None:
    pending = re.findall(r'<p class="pending"><strong>(.*?):</strong> no data yet', full_page)
    assert pending == [
        "Delivered, bounced, opened, clicked, top links and referral page visits by medium",
    ]


def test_figures_from_later_ledgers_take_the_place_of_no_data_yet(
    full: MonthlyReport, settings: Settings
) -> None:
    issue = replace(
        full.sends[-1],
        by_segment={"client": 5, "partner": 4},
        engagement=Engagement(
            8, 1, 6, 2, (("https://x.example/a", 2),), {"email": 3, "print QR": 1}
        ),
    )
    later = replace(
        full,
        qualification={"qualified": 7, "nurture": 2},
        sources=(SourceLine("client", 5, 2, Decimal("1200")),),
        sends=(*full.sends[:-1], issue),
    )
    html = page(later, settings)
    assert "no data yet" not in html
    for caption in (
        "Qualified and nurture leads",
        "Leads by source kind, 2026 to date",
        "Recipients by segment",
        "Issue 2026-11: what readers did",
        "Most clicked links",
        "Referral page visits by medium",
    ):
        assert f"<caption>{caption}</caption>" in html
    assert '<th scope="row">https://x.example/a</th>' in html
    assert re.search(r"<th[^>]*>Print QR</th>", html)


def test_what_people_typed_is_shown_as_text(settings: Settings) -> None:
    lead = make_lead(1, "2026-11-02T09:00:00-06:00", name='<img src=x onerror="alert(1)">')
    html = page(figures((lead,)), settings)
    assert "&lt;img src=x onerror=" in html and "<img src=x" not in html


def test_a_flagged_lead_is_listed_with_its_reason_and_the_summary_names_it_not(
    settings: Settings,
) -> None:
    why = "self-referral: the referrer's own email"
    lead = replace(make_lead(1, "2026-11-02T09:00:00-06:00", name="Ana Again"), flags=(why,))
    report = figures((lead,))
    html = page(report, settings)
    assert "<caption>Flagged: counting toward no reward until you clear them" in html
    assert "Ana Again" in html and why in unescape(html)
    assert "Ana Again" not in summary(report, settings)


def test_summary_has_the_figures_and_names_nobody(full: MonthlyReport, settings: Settings) -> None:
    text = summary(full, settings)
    assert "- **Dollars won from referrals:** $6,849 won in the last 12 months" in text
    assert "| Referred | 9 |" in text
    assert "| 2026-11 | 9 | 4 | 1 | 3 | 1 |" in text
    names = [s.lead.name for s in SPECS] + list(NAMES.values()) + ["(608) 555"]
    assert not [name for name in names if name in text]


def test_summary_escapes_markdown_in_the_offer_title(
    full: MonthlyReport, settings: Settings
) -> None:
    odd = replace(full, referrals=replace(full.referrals, offer=replace(OFFER, title="A | *B*")))
    assert "“A \\| \\*B\\*”" in summary(odd, settings)


def test_the_report_folder_is_private_and_written_whole(
    full: MonthlyReport, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "2026-11"
    out.mkdir(parents=True)
    (out / "stale.html").write_text("from an earlier run")

    write_monthly_report(full, settings, out)

    assert sorted(p.name for p in out.iterdir()) == ["index.html", "summary.md"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}


def test_the_same_figures_make_the_same_page(
    full: MonthlyReport, settings: Settings, full_page: str
) -> None:
    assert full_page == full_page
