"""`newsletter check` reminds weeks ahead of the content that runs out: the referral offer
with nothing after it, the next quarter's card. A reminder never fails a check."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from newsletter.config import load_config
from newsletter.project.ahead import REMIND_DAYS, reminders
from tests.project.support import init_bakery, newsletter

TODAY = date.today()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    init_bakery(tmp_path / "shop")
    return tmp_path / "shop"


def offer(shop: Path) -> tuple[Path, dict[str, object]]:
    (path,) = (shop / "content" / "offers").glob("*.yaml")
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def set_offer_end(shop: Path, valid_to: date) -> None:
    path, data = offer(shop)
    data["valid_from"], data["valid_to"] = min(TODAY, valid_to) - timedelta(days=30), valid_to
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def offer_reminders(shop: Path, today: date) -> list[str]:
    found = reminders(load_config(shop / "newsletter.yaml"), today)
    return [r for r in found if "referral offer" in r]


def test_a_new_project_needs_no_reminder_for_months(shop: Path) -> None:
    assert offer_reminders(shop, TODAY) == []


def test_an_offer_ending_within_six_weeks_with_nothing_after_it_is_named_with_its_dates(
    shop: Path,
) -> None:
    path, data = offer(shop)
    valid_to: date = data["valid_to"]  # type: ignore[assignment]
    ahead = valid_to - timedelta(days=20)
    following = valid_to + timedelta(days=1)
    assert offer_reminders(shop, ahead) == [
        f"content/offers/{path.name}: the referral offer ends {valid_to.isoformat()} (in 2 "
        f"weeks) and no offer follows it: from {following.isoformat()} `newsletter build` "
        f"stops; add the next offer to content/offers/ (valid_from: {following.isoformat()}), "
        "or move this one's valid_to"
    ]
    assert offer_reminders(shop, valid_to - timedelta(days=REMIND_DAYS + 1)) == []


def test_an_offer_that_is_followed_needs_no_reminder(shop: Path) -> None:
    path, data = offer(shop)
    valid_to: date = data["valid_to"]  # type: ignore[assignment]
    following = {
        **data,
        "valid_from": valid_to + timedelta(days=1),
        "valid_to": valid_to + timedelta(days=365),
    }
    (path.parent / "next.yaml").write_text(yaml.safe_dump(following), encoding="utf-8")
    assert offer_reminders(shop, valid_to - timedelta(days=3)) == []


def test_the_next_quarters_card_is_asked_for_weeks_before_the_quarter(shop: Path) -> None:
    config = load_config(shop / "newsletter.yaml")
    found = reminders(config, date(2027, 3, 10))  # 2027Q2 starts on April 1
    assert list(found) == [
        "content/cards/2027Q2.md: the card for 2027Q2 (from 2027-04-01, in 3 weeks) is not "
        "written yet; `newsletter cards --quarter 2027Q2` needs it"
    ]
    (shop / "content" / "cards" / "2027Q2.md").write_text("---\n", encoding="utf-8")
    assert not any("2027Q2" in r for r in reminders(config, date(2027, 3, 10)))


def test_a_project_that_writes_no_cards_is_never_asked_for_one(shop: Path) -> None:
    for card in (shop / "content" / "cards").glob("*.md"):
        card.unlink()
    config = load_config(shop / "newsletter.yaml")
    assert not any("card" in r for r in reminders(config, date(2027, 3, 25)))


def test_check_prints_the_reminder_and_passes_even_when_strict(shop: Path) -> None:
    set_offer_end(shop, TODAY + timedelta(days=10))
    check = newsletter("check", "--strict", cwd=shop)
    assert check.returncode == 0, check.stderr
    assert "reminder: content/offers/" in check.stderr
    assert "(in 10 days) and no offer follows it" in check.stderr
