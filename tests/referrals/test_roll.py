"""The thank-you roll in the next issue: consenting referrers by name, people helped, no lead
data, read from subscribers/referrals.csv by the build."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from newsletter.audience.subscribers import load_subscribers
from newsletter.config import load_config
from newsletter.errors import ContentError
from newsletter.model import ThankYouRoll
from newsletter.pipeline.build import build
from newsletter.referrals.ledger import load_leads
from newsletter.referrals.roll import public_name, roll_for, thank_you_roll
from tests.golden import FIXTURE_PROJECT, build_sample
from tests.referral_factory import CHICAGO, KAREN, MARIA, TOM, make_lead

SUBSCRIBERS = load_subscribers(FIXTURE_PROJECT / "subscribers" / "subscribers.csv")
OCTOBER = date(2026, 10, 1)


def roll(*leads, subscribers=SUBSCRIBERS) -> ThankYouRoll | None:
    return roll_for(leads, subscribers, OCTOBER, CHICAGO)


def october(id: int, referrer: tuple[str, str], thank: bool | None = None, day: int = 5):
    return make_lead(
        id, f"2026-10-{day:02d}T09:00:00-05:00", referrer, phone=f"60855501{id:02d}", thank=thank
    )


def test_referrer_who_agreed_is_named_by_first_name_and_last_initial() -> None:
    assert roll(october(1, MARIA, thank=True)) == ThankYouRoll(OCTOBER, ("María G.",), 1)


def test_referrer_with_a_company_is_named_by_the_company() -> None:
    assert roll(october(1, KAREN, thank=True)).names == ("Lakeside Realty",)


def test_referrer_not_asked_is_not_named_but_counted() -> None:
    assert roll(october(1, TOM), october(2, MARIA, thank=True)) == ThankYouRoll(
        OCTOBER, ("María G.",), 2
    )


def test_consent_on_any_lead_names_the_referrer() -> None:
    earlier = make_lead(1, "2026-09-10T09:00:00-05:00", MARIA, phone="6085550100", thank=True)
    assert roll(earlier, october(2, MARIA)).names == ("María G.",)


def test_a_no_on_any_lead_withdraws_consent() -> None:
    later = make_lead(3, "2026-11-02T09:00:00-06:00", MARIA, phone="6085550103", thank=False)
    assert roll(october(1, MARIA, thank=True), later).names == ()


def test_only_last_month_is_thanked_in_business_time() -> None:
    september_in_madison = make_lead(1, "2026-10-01T03:00:00+00:00", TOM, phone="6085550101")
    november = make_lead(2, "2026-11-01T00:30:00-05:00", TOM, phone="6085550102")
    assert roll(september_in_madison, november) is None
    assert roll(september_in_madison, october(3, TOM), november).people_helped == 1


def test_people_helped_leaves_out_a_person_referred_again() -> None:
    again = replace(october(2, KAREN, day=20), phone=october(1, MARIA).phone)
    assert roll(october(1, MARIA), again).people_helped == 1


def test_referrer_missing_from_the_list_is_not_named() -> None:
    assert roll(october(1, MARIA, thank=True), subscribers=()).names == ()


def test_names_are_sorted_and_listed_once() -> None:
    leads = (october(1, TOM, True), october(2, KAREN, True), october(3, MARIA, True))
    assert roll(*leads, october(4, MARIA, True)).names == ("Lakeside Realty", "María G.", "Tom B.")


def test_public_name_needs_a_first_name_or_a_company() -> None:
    nameless = replace(SUBSCRIBERS[0], first_name="", company="")
    assert public_name(nameless) == ""


def test_missing_ledger_means_no_roll(tmp_path: Path) -> None:
    assert (
        thank_you_roll(tmp_path / "referrals.csv", tmp_path / "x.csv", date(2026, 11, 1), CHICAGO)
        is None
    )


def test_sample_roll_for_november() -> None:
    folder = FIXTURE_PROJECT / "subscribers"
    roll = thank_you_roll(
        folder / "referrals.csv", folder / "subscribers.csv", date(2026, 11, 1), CHICAGO
    )
    assert roll == ThankYouRoll(OCTOBER, ("Lakeside Realty", "María G.", "Sam W."), 7)


# ---- in the build -----------------------------------------------------------------------


def build_november(project: Path):
    settings = load_config(project / "newsletter.yaml")
    return build(settings, "2026-11", out_root=project / "build", offline=True)


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's November issue, built once for the tests that only read it."""
    return build_sample(tmp_path_factory.mktemp("roll")).out_dir


def test_build_thanks_last_months_referrers_in_email_text_and_web(sample_build: Path) -> None:
    out = sample_build
    sentence = "In October you sent us 7 friends and neighbors. Thank you, Lakeside Realty,"
    for name in ("email.html", "segments/client/email.html", "web/index.html"):
        assert sentence in (out / name).read_text(), name
    text = " ".join((out / "email.txt").read_text().split())
    assert f"{sentence} María G., Sam W. and everyone who passed our name along!" in text


def test_build_never_shows_any_lead_data(sample_build: Path) -> None:
    out = sample_build
    leads = load_leads(FIXTURE_PROJECT / "subscribers" / "referrals.csv")
    private = {x for lead in leads for x in (lead.name, lead.phone, lead.email, lead.need) if x}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".json"):
            text = path.read_text()
            assert not [x for x in private if x in text], path


def test_build_without_a_ledger_has_no_roll(sample_project: Path) -> None:
    (sample_project / "subscribers" / "referrals.csv").unlink()
    result = build_november(sample_project)
    assert result.issue.thanks is None
    assert 'class="thanks"' not in (result.out_dir / "email.html").read_text()
    assert (
        "subscribers/referrals.csv"
        not in json.loads((result.out_dir / "manifest.json").read_text())["inputs"]
    )


def test_ledger_is_an_input_of_the_build(sample_build: Path) -> None:
    manifest = json.loads((sample_build / "manifest.json").read_text())
    assert {"subscribers/referrals.csv", "subscribers/subscribers.csv"} <= set(manifest["inputs"])


def test_malformed_ledger_stops_the_build_naming_the_line(sample_project: Path) -> None:
    ledger = sample_project / "subscribers" / "referrals.csv"
    lines = ledger.read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace(",lost,", ",gone,")
    ledger.write_text("".join(lines))
    with pytest.raises(ContentError) as caught:
        build_november(sample_project)
    assert (caught.value.path, caught.value.line, caught.value.key) == (str(ledger), 5, "status")
    assert not (sample_project / "build" / "2026-11").exists()
