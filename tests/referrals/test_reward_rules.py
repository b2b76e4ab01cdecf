"""Rewards that count real referrals, through the console script: each check flags its case
and lets its near miss pass, a flagged lead counts once cleared, the business's rule says
when a lead counts, and only an approved reward is earned in the reader's copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsletter.referrals.ledger import load_leads
from newsletter.referrals.rewardfile import load_rewards
from tests.fake_sendgrid import API_KEY, FakeSendGrid
from tests.reward_project import ANA, BEN, CLEO, add, ledger, ok, reward_project, run

DAY = "2026-11-02T09:00"


def flags(root: Path, lead_id: int) -> tuple[str, ...]:
    return next(x for x in load_leads(ledger(root)) if x.id == lead_id).flags


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return reward_project(tmp_path / "shop")


def test_a_lead_with_the_referrers_own_email_or_address_is_a_self_referral(shop: Path) -> None:
    add(shop, ANA, "Ana Again", "--email", "ANA@example.com", "--received-at", DAY)
    add(shop, ANA, "Ana Home", "--phone", "217 555 0111", "--address",
        "12 Elm St, Springfield, IL 62701", "--received-at", DAY)  # fmt: skip
    assert flags(shop, 1) == ("self-referral: the referrer's own email",)
    assert "self-referral: the referrer's own address" in flags(shop, 2)


def test_another_apartment_of_the_referrers_building_is_not_her_address(shop: Path) -> None:
    (shop / "subscribers" / "subscribers.csv").write_text(
        (shop / "subscribers" / "subscribers.csv")
        .read_text()
        .replace("12 Elm Street,Springfield", "12 Elm Street Apt 2,Springfield")
    )
    add(shop, ANA, "Neighbor", "--phone", "217 555 0112", "--address",
        "12 Elm Street Apartment 3, Springfield, IL 62701")  # fmt: skip
    add(shop, ANA, "Same Door", "--phone", "217 555 0113", "--address",
        "12 Elm St #2, Springfield, IL 62701")  # fmt: skip
    assert flags(shop, 1) == ()
    assert "self-referral: the referrer's own address" in flags(shop, 2)


def test_the_referrers_own_phone_as_dialled_is_a_self_referral(shop: Path) -> None:
    add(shop, BEN, "Ana's cell", "--phone", "(217) 555-0199", "--email", "x@example.org")
    add(shop, ANA, "Ana by phone", "--phone", "+1 217 555 0199", "--received-at", "2026-11-05")
    add(shop, ANA, "Not Ana", "--phone", "217 555 0198", "--received-at", "2026-11-05")
    assert "self-referral: the referrer's own phone" not in flags(shop, 2)  # not hers
    lead = load_leads(ledger(shop))[0]
    assert lead.email == "x@example.org"
    add(shop, ANA, "Ana as a lead", "--phone", "217 555 0177", "--email", ANA)
    add(shop, BEN, "Ana's phone for Ana", "--phone", "217-555-0177", "--received-at", DAY)
    add(shop, ANA, "Ana's phone by Ana", "--phone", "217.555.0177")
    assert "self-referral: the referrer's own phone" in flags(shop, 6)
    assert flags(shop, 3) == ()


def test_a_person_already_on_the_list_or_in_the_ledger_is_known(shop: Path) -> None:
    add(shop, ANA, "Cleo Park", "--email", CLEO, "--received-at", DAY)
    add(shop, ANA, "Dee", "--phone", "217 555 0121", "--received-at", "2026-10-01")
    add(shop, BEN, "Dee again", "--phone", "+12175550121", "--received-at", DAY)
    add(shop, BEN, "Someone new", "--phone", "217 555 0122", "--email", "cleo@example.net")
    assert flags(shop, 1) == ("known: already a client on the list (same email)",)
    assert flags(shop, 3) == ("known: same phone as lead 2",)
    assert flags(shop, 4) == ()


def test_several_leads_for_one_address_within_a_day_are_a_burst_and_a_day_later_not(
    shop: Path,
) -> None:
    home = "40 Oak Ave, Springfield, IL 62701"
    add(shop, BEN, "Gil", "--phone", "217 555 0131", "--address", home,
        "--received-at", "2026-11-02T09:00")  # fmt: skip
    add(shop, CLEO, "Gil's wife", "--phone", "217 555 0132", "--address", "40 Oak Avenue, "
        "Springfield, IL 62701", "--received-at", "2026-11-03T08:59")  # fmt: skip
    add(shop, CLEO, "Gil's son", "--phone", "217 555 0133", "--address", home,
        "--received-at", "2026-11-04T09:01")  # fmt: skip
    burst = "burst: one of several leads for one address within a day"
    assert flags(shop, 2) == ("known: same address as lead 1", f"{burst} (lead 1)")
    assert flags(shop, 1) == (f"{burst} (lead 2)",)  # the earlier one of the burst too
    assert not any(f.startswith("burst") for f in flags(shop, 3))


def test_a_disposable_email_domain_is_flagged_and_a_lookalike_is_not(shop: Path) -> None:
    add(shop, ANA, "Throwaway", "--email", "x@mailinator.com")
    add(shop, ANA, "Sub", "--email", "y@eu.mailinator.com")
    add(shop, ANA, "Real", "--email", "z@mailinator.com.example.org")
    assert flags(shop, 1) == ("disposable: mailinator.com hands out throwaway email addresses",)
    assert flags(shop, 2) == flags(shop, 1)
    assert flags(shop, 3) == ()


def test_a_flagged_lead_reaches_no_milestone_until_the_business_clears_it(shop: Path) -> None:
    done = run(shop, "referral", "add", "--ref", _code(ANA), "--name", "Ana's sister",
               "--email", ANA.replace("ana@", "ana+sis@"), "--address",
               "12 Elm Street, Springfield, IL 62701")  # fmt: skip
    assert done.returncode == 0
    assert "warning: lead 1 is flagged, and counts only once cleared: self-referral" in done.stderr
    assert "reward" not in done.stdout
    assert ok(shop, "referral", "rewards") == "no rewards reached yet\n"
    out = ok(
        shop, "referral", "clear", "1", "--reason", "her sister, lives with her", "--by", "Pat"
    )
    assert out.splitlines() == [
        "cleared the flags of lead 1 (Ana's sister): it counts now",
        "reward 1 reached, pending approval: A coffee card (milestone 1) for "
        f"{_code(ANA)}; `newsletter referral rewards approve 1` or `deny 1 --reason …`",
    ]
    lead = load_leads(ledger(shop))[0]
    assert lead.cleared_by == "Pat" and "flags cleared by Pat: her sister" in lead.notes
    listing = ok(shop, "referral", "rewards")
    assert "pending" in listing and "1 Ana's sister" in listing


def test_the_referral_report_lists_a_flagged_lead_with_its_reason_until_cleared(
    shop: Path, tmp_path: Path
) -> None:
    add(shop, ANA, "Ana Again", "--email", ANA, "--received-at", DAY)
    report = ("referral", "report", "--month", "2026-11", "--out", str(tmp_path / "out"))
    out = ok(shop, *report, "--now", "2026-11-20T12:00")
    assert "self-referral: the referrer's own email" in out
    written = tmp_path / "out" / "referrals" / "2026-11" / "flagged.csv"
    assert "Ana Again" in written.read_text("utf-8-sig")
    ok(shop, "referral", "clear", "1", "--reason", "her own second address", "--by", "Pat")
    out = ok(shop, *report, "--now", "2026-11-20T12:05")
    assert "None: every lead passed its checks or was cleared." in out
    assert "Ana Again" not in written.read_text("utf-8-sig")


@pytest.mark.parametrize(
    ("rule", "counts_after"),
    [("arrival", "add"), ("qualified", "add"), ("contacted", "contacted"), ("won", "won")],
)
def test_the_businesss_rule_says_when_a_lead_reaches_a_milestone(
    tmp_path: Path, rule: str, counts_after: str
) -> None:
    shop = reward_project(tmp_path / "shop", count_when=rule)
    add(shop, ANA, "Hal", "--phone", "217 555 0141", "--received-at", DAY)
    steps = ["add"]
    for status in ("contacted", "won"):
        if not load_rewards(shop / "subscribers" / "rewards.csv"):
            ok(shop, "referral", "update", "1", "--status", status)
            steps.append(status)
    assert steps[-1] == counts_after or (counts_after == "add" and steps == ["add"])
    assert [r.milestone for r in load_rewards(shop / "subscribers" / "rewards.csv")] == [1]


def test_a_nurture_lead_counts_on_arrival_but_not_once_qualified_is_the_rule(
    tmp_path: Path,
) -> None:
    for rule, expected in (("arrival", [1]), ("qualified", [])):
        shop = reward_project(tmp_path / rule, count_when=rule)
        add(shop, ANA, "Ivy", "--phone", "217 555 0151", "--nurture", "renting until spring")
        assert [r.milestone for r in load_rewards(shop / "subscribers" / "rewards.csv")] == (
            expected
        )


def test_rewards_are_approved_denied_and_handed_out_with_who_and_when(shop: Path) -> None:
    add(shop, ANA, "Jo", "--phone", "217 555 0161")
    add(shop, BEN, "Kim", "--phone", "217 555 0162")
    approve = ("referral", "rewards", "approve", "1", "--by", "Pat", "--at", "2026-11-03T10:00")
    assert ok(shop, *approve) == (
        f"reward 1 approved: A coffee card (milestone 1) for Ana Lee ({_code(ANA)})\n"
    )
    assert ok(shop, *approve).startswith("reward 1 already approved")
    refused = run(shop, "referral", "rewards", "hand-out", "2")
    assert refused.returncode == 2
    assert refused.stderr == (
        "newsletter: ID: reward 2 is pending: it cannot be handed-out (approve it first)\n"
    )
    denied = run(shop, "referral", "rewards", "deny", "2")
    assert denied.returncode == 2 and "--reason" in denied.stderr
    ok(shop, "referral", "rewards", "deny", "2", "--reason", "Kim is Ben's tenant", "--by", "Pat")
    ok(shop, "referral", "rewards", "hand-out", "1", "--by", "Sam", "--at", "2026-11-05T16:00")
    one, two = load_rewards(shop / "subscribers" / "rewards.csv")
    assert (one.status, one.decided_by, one.handed_out_by, str(one.handed_out_on)) == (
        "handed-out",
        "Pat",
        "Sam",
        "2026-11-05",
    )
    assert (two.status, two.reason) == ("denied", "Kim is Ben's tenant")
    listing = ok(shop, "referral", "rewards")
    assert "handed out 2026-11-05 by Sam" in listing and "because: Kim is Ben's tenant" in listing


def test_an_approved_reward_is_earned_in_the_next_copy_and_a_denied_one_never(
    shop: Path, fake_sendgrid: FakeSendGrid
) -> None:
    add(shop, ANA, "Lu", "--phone", "217 555 0171", "--received-at", DAY)
    add(shop, BEN, "Mo", "--phone", "217 555 0172", "--received-at", DAY)
    assert _progress(shop, fake_sendgrid) == {
        ANA: "You’ve sent us 1 friend — two more earn dinner for two.",
        BEN: "You’ve sent us 1 friend — two more earn dinner for two.",
        CLEO: "Send us your first friend and you’ll earn a coffee card.",
    }
    ok(shop, "referral", "rewards", "approve", "1")
    ok(shop, "referral", "rewards", "deny", "2", "--reason", "a test lead")
    progress = _progress(shop, fake_sendgrid)
    assert progress[ANA] == (
        "You’ve sent us 1 friend and earned a coffee card — two more earn dinner for two."
    )
    assert progress[BEN] == "You’ve sent us 1 friend — two more earn dinner for two."


def _code(email: str) -> str:
    from tests.reward_project import code_of

    return code_of(email)


def _progress(shop: Path, sendgrid: FakeSendGrid) -> dict[str, str]:
    """Each reader's progress line in the issue as SendGrid is asked to send it."""
    (shop / "state").mkdir(exist_ok=True)
    for leftover in (shop / "state").glob("ledger.sqlite*"):
        leftover.unlink()  # a fresh month's send each time
    ok(shop, "build", "--month", "2026-11", "--offline")
    env = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": sendgrid.base_url}
    ok(shop, "send", "--month", "2026-11", "--yes", "--silent", "--skip-desk-check", **env)
    found = {}
    for body in sendgrid.requests:
        for person in body["personalizations"]:
            text = json.dumps(person["substitutions"], ensure_ascii=False)
            for line in json.loads(text).values():
                if "friend" in line:
                    found[person["to"][0]["email"]] = line
    sendgrid.requests.clear()
    return found
