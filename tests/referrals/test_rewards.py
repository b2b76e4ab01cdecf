"""Milestones, the progress line, counting referrals, and rewards handed out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from newsletter.errors import ContentError, ReferralError
from newsletter.model import Milestone
from newsletter.referrals.rewards import (
    Handout,
    earned,
    load_handouts,
    outstanding,
    progress_line,
    record_handout,
    referral_counts,
)
from tests.golden import FIXTURE_PROJECT
from tests.referral_factory import CHICAGO, KAREN, MARIA, OFFER, TOM, make_lead, write_ledger

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


# ---- rewards handed out -----------------------------------------------------------------


def given(milestone: int, email: str = MARIA[1], offer: str = OFFER.slug) -> Handout:
    return Handout(date(2026, 11, 1), MARIA[0], email, offer, milestone, "reward")


def test_rewards_not_yet_handed_out() -> None:
    handouts = [given(1), given(3, offer="2026-spring-summer"), given(3, email=KAREN[1])]
    assert [m.referrals for m in outstanding(MARIA[1], 4, OFFER, handouts)] == [3]


def test_sample_rewards_load() -> None:
    handouts = load_handouts(FIXTURE_PROJECT / "subscribers" / "rewards.csv")
    assert {h.milestone for h in handouts} == {1}


def test_malformed_rewards_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    path.write_text(
        "handed_out_on,referrer_code,referrer_email,offer,milestone,reward,note\n"
        "2026-11-31,WDTD6PDE,maria.gonzalez@example.com,x,1,Coffee,\n"
    )
    with pytest.raises(ContentError) as caught:
        load_handouts(path)
    assert (caught.value.line, caught.value.key) == (2, "handed_out_on")


def ledger_with_three(tmp_path: Path) -> Path:
    return write_ledger(
        tmp_path / "referrals.csv",
        *(
            make_lead(i, f"2026-10-0{i}T09:00:00-05:00", MARIA, phone=f"608555010{i}")
            for i in (1, 2, 3)
        ),
    )


def handout(tmp_path: Path, milestone: int, code: str = "wdtd-6pde") -> Handout:
    return record_handout(
        tmp_path / "rewards.csv",
        tmp_path / "referrals.csv",
        code=code,
        milestone=milestone,
        offer=OFFER,
        tz=CHICAGO,
        on=date(2026, 11, 20),
        note="at the door",
    )


def test_reward_handed_out_is_recorded(tmp_path: Path) -> None:
    ledger_with_three(tmp_path)
    handout(tmp_path, 1)
    handout(tmp_path, 3)
    assert (tmp_path / "rewards.csv").read_text().splitlines() == [
        "handed_out_on,referrer_code,referrer_email,offer,milestone,reward,note",
        "2026-11-20,WDTD6PDE,maria.gonzalez@example.com,2026-27-send-a-neighbor,1,"
        "A coffee card,at the door",
        "2026-11-20,WDTD6PDE,maria.gonzalez@example.com,2026-27-send-a-neighbor,3,"
        "Dinner for two,at the door",
    ]


def test_reward_not_reached_yet_is_refused(tmp_path: Path) -> None:
    ledger_with_three(tmp_path)
    with pytest.raises(ReferralError, match=r"WDTD6PDE has 3 referrals .* 5 is not reached"):
        handout(tmp_path, 5)
    assert not (tmp_path / "rewards.csv").exists()


def test_reward_handed_out_twice_is_refused(tmp_path: Path) -> None:
    ledger_with_three(tmp_path)
    handout(tmp_path, 1)
    with pytest.raises(ReferralError, match="already handed out to WDTD6PDE on 2026-11-20"):
        handout(tmp_path, 1)


def test_reward_for_a_milestone_the_offer_lacks_is_refused(tmp_path: Path) -> None:
    ledger_with_three(tmp_path)
    with pytest.raises(ReferralError, match=r"no milestone at 2 \(milestones: 1, 3, 5\)"):
        handout(tmp_path, 2)


def test_reward_for_a_code_without_leads_is_refused(tmp_path: Path) -> None:
    ledger_with_three(tmp_path)
    with pytest.raises(ReferralError, match="no lead in the ledger was referred by TA388GSS"):
        handout(tmp_path, 1, code=KAREN[0])
