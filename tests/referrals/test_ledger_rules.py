"""The ledger's own rules that a hand edit or a correction could break: values belong to won
leads, no time lies in the future, ids are short and never given twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from newsletter.errors import ContentError
from newsletter.referrals.leads import changed
from newsletter.referrals.ledger import ledger_text, load_leads
from tests.referral_factory import at, make_lead, write_ledger
from tests.reward_project import ANA, add, ledger, reward_project, run

WON = "2026-11-05T10:00:00-06:00"


def test_a_won_lead_that_is_lost_keeps_no_value_and_says_what_it_was() -> None:
    won = changed(make_lead(), at=at(WON), status="won", value=Decimal("1200"))
    lost = changed(won, at=at("2026-11-06T10:00:00-06:00"), status="lost")
    assert lost.value is None
    assert "2026-11-06 lost; its value of $1,200.00 no longer counts" in lost.notes


def test_a_lost_lead_won_again_has_no_value_until_one_is_given() -> None:
    won = changed(make_lead(), at=at(WON), status="won", value=Decimal("1200"))
    lost = changed(won, at=at("2026-11-06T10:00:00-06:00"), status="lost")
    again = changed(lost, at=at("2026-11-07T10:00:00-06:00"), status="won")
    assert (again.status, again.value) == ("won", None)
    valued = changed(again, at=at("2026-11-07T10:00:00-06:00"), value=Decimal("900"))
    assert valued.value == Decimal("900.00")


@pytest.mark.parametrize("status", ["new", "contacted", "lost"])
def test_a_value_on_a_lead_that_is_not_won_is_an_error_naming_the_line(
    tmp_path: Path, status: str
) -> None:
    lead = make_lead(status=status, value="250.00")
    if status == "contacted":
        lead = make_lead(status=status, contacted=WON, value="250.00")
    if status == "lost":
        lead = make_lead(status=status, closed=WON, value="250.00")
    path = tmp_path / "referrals.csv"
    path.write_text(ledger_text([lead]), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_leads(path)
    assert caught.value.line == 2 and caught.value.key == "value"
    assert f"a value belongs to a won lead (this one is {status})" in caught.value.message


def test_a_time_more_than_a_day_ahead_is_an_error_and_one_within_the_day_is_not(
    tmp_path: Path,
) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0)
    path = write_ledger(tmp_path / "referrals.csv", make_lead(received=soon.isoformat()))
    assert load_leads(path)[0].received_at == soon
    later = soon + timedelta(days=2)
    write_ledger(path, make_lead(received=later.isoformat()))
    with pytest.raises(ContentError, match="in the future") as caught:
        load_leads(path)
    assert (caught.value.line, caught.value.key) == (2, "received_at")


def test_check_refuses_a_ledger_with_a_lead_received_in_the_future(tmp_path: Path) -> None:
    root = reward_project(tmp_path / "shop")
    future = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0)
    write_ledger(ledger(root), make_lead(received=future.isoformat()))
    done = run(root, "check", "--month", "2026-11")
    assert done.returncode == 2
    assert "referrals.csv:2: received_at:" in done.stderr
    assert "is in the future" in done.stderr


@pytest.mark.parametrize("typed", ["1" * 30, "1000000000", "0", "+5", "٣"])
def test_an_id_that_is_not_a_short_number_is_an_error(tmp_path: Path, typed: str) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead())
    path.write_text(path.read_text().replace("\n1,", f"\n{typed},"), encoding="utf-8")
    with pytest.raises(ContentError, match="not a lead number") as caught:
        load_leads(path)
    assert caught.value.key == "id"


def test_the_largest_id_is_accepted(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(999_999_999))
    assert load_leads(path)[0].id == 999_999_999


def test_deleting_the_last_lead_by_hand_never_gives_its_id_again(tmp_path: Path) -> None:
    root = reward_project(tmp_path / "shop")
    assert add(root, ANA, "Dee Moss", "--phone", "217 555 0101").startswith("added lead 1:")
    assert add(root, ANA, "Eli Hart", "--phone", "217 555 0102").startswith("added lead 2:")
    text = ledger(root).read_text(encoding="utf-8")
    ledger(root).write_text("".join(text.splitlines(keepends=True)[:-1]), encoding="utf-8")
    assert add(root, ANA, "Fay Nunn", "--phone", "217 555 0103").startswith("added lead 3:")
    assert (root / "subscribers" / "referrals.last-id").read_text() == "3\n"
