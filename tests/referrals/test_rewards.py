"""Milestones, the progress line, counting referrals, and rewards handed out."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from newsletter.errors import ContentError, ReferralError
from newsletter.model import Milestone
from newsletter.referrals.approval import decide_reward, sync_rewards
from newsletter.referrals.ledger import Lead
from newsletter.referrals.rewardfile import load_rewards
from newsletter.referrals.rewards import earned, progress_line, progress_lines, referral_counts
from tests.referral_factory import CHICAGO, KAREN, MARIA, OFFER, TOM, at, make_lead, write_ledger

NOON = "2026-11-03T12:00:00-06:00"

# ---- the progress line ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "line"),
    [
        (0, "Send us your first friend and you’ll earn a coffee card."),
        (1, "You’ve sent us 1 friend and earned a coffee card — two more earn dinner for two."),
        (2, "You’ve sent us 2 friends — one more earns dinner for two."),
        (3, "You’ve sent us 3 friends and earned dinner for two — two more earn a spa day."),
        (4, "You’ve sent us 4 friends — one more earns a spa day."),
        (5, "You’ve sent us 5 friends and earned a spa day — thank you!"),
        (8, "You’ve sent us 8 friends and earned every reward we offer — thank you!"),
    ],
)
def test_progress_line_at_and_between_milestones(count: int, line: str) -> None:
    assert progress_line(count, OFFER) == line


def test_progress_line_before_a_first_milestone_above_one() -> None:
    offer = replace(OFFER, milestones=(Milestone(3, "Dinner for two"),))
    assert progress_line(0, offer) == "Send us 3 friends and you’ll earn dinner for two."


def test_progress_line_without_milestones_thanks_or_says_nothing() -> None:
    offer = replace(OFFER, milestones=())
    assert progress_line(0, offer) == ""
    assert progress_line(2, offer) == "You’ve sent us 2 friends — thank you!"


def test_progress_line_is_safe_in_html_and_text() -> None:
    offer = replace(OFFER, milestones=(Milestone(2, "Dinner & a <b>show</b>."),))
    assert (
        progress_line(1, offer) == "You’ve sent us 1 friend — one more earns dinner and a bshow/b."
    )


def test_reward_keeps_capitals_that_are_not_sentence_case() -> None:
    offer = replace(OFFER, milestones=(Milestone(2, "NATE-certified tune-up"),))
    assert progress_line(1, offer).endswith("one more earns NATE-certified tune-up.")


def test_milestones_are_cumulative() -> None:
    assert [m.referrals for m in earned(0, OFFER)] == []
    assert [m.referrals for m in earned(3, OFFER)] == [1, 3]
    assert [m.referrals for m in earned(9, OFFER)] == [1, 3, 5]


# ---- counting ---------------------------------------------------------------------------


def test_counts_include_every_outcome_and_leave_out_repeats(tmp_path: Path) -> None:
    path = write_ledger(
        tmp_path / "referrals.csv",
        make_lead(1, "2026-10-02T09:00:00-05:00", MARIA, phone="6085550101"),
        make_lead(
            2,
            "2026-10-03T09:00:00-05:00",
            MARIA,
            phone="6085550102",
            status="lost",
            closed="2026-10-04T09:00:00-05:00",
        ),
        make_lead(3, "2026-10-05T09:00:00-05:00", KAREN, phone="6085550101"),  # Maria's first
        make_lead(4, "2026-10-06T09:00:00-05:00", KAREN, phone="6085550104"),
    )
    assert referral_counts(path, OFFER, CHICAGO) == {MARIA[1]: 2, KAREN[1]: 1}


def test_counts_follow_the_offer_dates_in_the_business_zone(tmp_path: Path) -> None:
    path = write_ledger(
        tmp_path / "referrals.csv",
        # 04:30 UTC on Sept 1 is still August 31 in Madison: the old offer's.
        make_lead(1, "2026-09-01T04:30:00+00:00", TOM, phone="6085550101"),
        make_lead(2, "2026-09-01T00:30:00-05:00", TOM, phone="6085550102"),
    )
    assert referral_counts(path, OFFER, CHICAGO) == {TOM[1]: 1}


def test_no_ledger_means_no_referrals_yet(tmp_path: Path) -> None:
    assert referral_counts(tmp_path / "referrals.csv", OFFER, CHICAGO) == {}


# ---- rewards reached, approved and handed out ------------------------------------------------

TODAY = date(2026, 11, 20)


def three_leads() -> tuple[Lead, ...]:
    return tuple(
        make_lead(i, f"2026-10-0{i}T09:00:00-05:00", MARIA, phone=f"608555010{i}")
        for i in (1, 2, 3)
    )


def test_each_milestone_reached_becomes_one_pending_reward_with_its_leads(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    new = sync_rewards(path, three_leads(), OFFER, CHICAGO, today=TODAY)
    assert [(r.id, r.status, r.milestone, r.leads) for r in new] == [
        (1, "pending", 1, (1,)),
        (2, "pending", 3, (1, 2, 3)),
    ]
    assert sync_rewards(path, three_leads(), OFFER, CHICAGO, today=TODAY) == ()
    assert load_rewards(path) == new


def test_the_progress_line_calls_a_milestone_earned_only_once_approved(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "referrals.csv", *three_leads())
    sync_rewards(tmp_path / "rewards.csv", three_leads(), OFFER, CHICAGO, today=TODAY)
    line = progress_lines(ledger, OFFER, CHICAGO)
    assert line(MARIA[1]) == "You’ve sent us 3 friends — two more earn a spa day."
    decide_reward(tmp_path / "rewards.csv", 2, "approve", by="Dana", at=at(NOON))
    line = progress_lines(ledger, OFFER, CHICAGO)
    assert (
        line(MARIA[1])
        == "You’ve sent us 3 friends and earned dinner for two — two more earn a spa day."
    )


def test_a_decision_records_who_and_when(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    sync_rewards(path, three_leads(), OFFER, CHICAGO, today=TODAY)
    approved, changed = decide_reward(path, 1, "approve", by="Dana", at=at(NOON))
    assert changed and (approved.status, approved.decided_by, approved.decided_at) == (
        "approved",
        "Dana",
        at(NOON),
    )
    given, _ = decide_reward(path, 1, "hand-out", by="Sam", at=at(NOON))
    assert (given.status, given.handed_out_on, given.handed_out_by) == (
        "handed-out",
        date(2026, 11, 3),
        "Sam",
    )
    denied, _ = decide_reward(path, 2, "deny", by="Dana", at=at(NOON), reason="same family")
    assert (denied.status, denied.reason) == ("denied", "same family")
    assert load_rewards(path) == (given, denied)


def test_a_pending_reward_is_not_handed_out_and_a_handed_out_one_not_denied(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rewards.csv"
    sync_rewards(path, three_leads(), OFFER, CHICAGO, today=TODAY)
    with pytest.raises(ReferralError, match=r"pending: it cannot be handed-out \(approve it first"):
        decide_reward(path, 1, "hand-out", by="Dana", at=at(NOON))
    decide_reward(path, 1, "approve", by="Dana", at=at(NOON))
    decide_reward(path, 1, "hand-out", by="Dana", at=at(NOON))
    with pytest.raises(ReferralError, match="handed-out: it cannot be denied"):
        decide_reward(path, 1, "deny", by="Dana", at=at(NOON), reason="x")
    with pytest.raises(ReferralError, match="say why"):
        decide_reward(path, 2, "deny", by="Dana", at=at(NOON))


def test_the_same_decision_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    sync_rewards(path, three_leads(), OFFER, CHICAGO, today=TODAY)
    decide_reward(path, 1, "approve", by="Dana", at=at(NOON))
    before = path.read_bytes()
    _, changed = decide_reward(path, 1, "approve", by="Sam", at=at("2026-11-04T12:00:00-06:00"))
    assert not changed and path.read_bytes() == before


def test_an_old_rewards_file_loads_as_rewards_handed_out_and_gains_the_new_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rewards.csv"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "rewards-before-approval.csv", path)
    old = load_rewards(path)
    assert [(r.id, r.status, r.milestone) for r in old][:2] == [
        (1, "handed-out", 1),
        (2, "handed-out", 1),
    ]
    assert old[0].handed_out_on == date(2026, 10, 10)
    assert old[0].note == "mailed with a thank-you card"
    maria = [make_lead(9, "2026-10-01T09:00:00-05:00", MARIA, phone="6085550109")]
    sync_rewards(path, maria, OFFER, CHICAGO, today=TODAY)  # milestone 1: handed out already
    assert load_rewards(path) == old
    decide_reward(path, 1, "hand-out", by="Dana", at=at(NOON))  # already: nothing written
    assert path.read_text().startswith("handed_out_on,")
    sync_rewards(path, three_leads() + tuple(maria), OFFER, CHICAGO, today=TODAY)
    header = path.read_text().splitlines()[0]
    assert header.startswith("id,status,referrer_code,")
    assert load_rewards(path)[: len(old)] == old


def test_a_rewards_file_saved_by_a_spreadsheet_keeps_its_decisions(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    sync_rewards(path, three_leads(), OFFER, CHICAGO, today=TODAY)
    decide_reward(path, 2, "approve", by="Dana", at=at(NOON))
    before = load_rewards(path)
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    quoted = ",".join(f'"{name}"' for name in header.split(","))
    path.write_text(f"\ufeff{quoted}\n{rest}", encoding="utf-8")
    assert [(r.id, r.status) for r in load_rewards(path)] == [(1, "pending"), (2, "approved")]
    assert load_rewards(path) == before


def test_malformed_rewards_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    path.write_text(
        "handed_out_on,referrer_code,referrer_email,offer,milestone,reward,note\n"
        "2026-11-31,WDTD6PDE,maria.gonzalez@example.com,x,1,Coffee,\n"
    )
    with pytest.raises(ContentError) as caught:
        load_rewards(path)
    assert (caught.value.line, caught.value.key) == (2, "handed_out_on")
