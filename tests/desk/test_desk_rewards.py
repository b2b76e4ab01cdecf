"""Rewards through the desk's real server: farmed leads from one network reach no milestone
while the same number from two networks does, the business's alert names the flags, the
milestone email's signed links approve a reward only by the button's POST, and a lead
nobody calls goes to the second address after ``leads.escalate_after``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from newsletter.referrals.ledger import load_leads
from newsletter.referrals.rewardfile import load_rewards
from tests.desk.support import RunningDesk, desk_project, form_token, start_desk, wait_for
from tests.reward_project import ANA, BEN, SECRET, code_of, ledger, ok, reward_project
from tests.smtp_server import Recorder

OWNER = "news@shop.example.com"  # the fixture's sender: the desk tells the business there
SECOND = "owner@shop.example.com"


def lead(name: str, phone: str) -> dict[str, str]:
    return {"name": name, "phone": phone, "need": "a leaky tap", "consent": "yes"}


def post_lead(desk: RunningDesk, code: str, fields: dict[str, str], client: str) -> None:
    """The lead form filled in from the network address ``client`` (behind the proxy)."""
    headers = {"x-forwarded-for": client}
    with httpx.Client(headers=headers) as browser:
        page = browser.get(f"{desk.url}r/{code}")
        answer = browser.post(f"{desk.url}r/{code}", data={**fields, "form": form_token(page.text)})
    assert answer.status_code == 200, answer.text


def mails(recorder: Recorder, to: str, subject: str = "") -> list:
    return [m for _, rcpt, m in recorder.messages if to in rcpt and subject in m["Subject"]]


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def shop_desk(root: Path, smtp_port: int, **leads: object) -> RunningDesk:
    project = desk_project(reward_project(root, **leads), smtp_port)
    return start_desk(project, "--proxies", "127.0.0.1", NEWSLETTER_SECRET=SECRET)


@pytest.fixture
def desk(tmp_path: Path, server: tuple[Recorder, int]) -> Iterator[RunningDesk]:
    running = shop_desk(tmp_path / "shop", server[1])
    try:
        yield running
    finally:
        running.stop()


def test_farmed_leads_from_one_network_reach_no_milestone_and_the_alert_says_why(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    post_lead(desk, code_of(ANA), lead("Ned Farm", "217 555 0301"), "203.0.113.5")
    post_lead(desk, code_of(ANA), lead("Ola Farm", "217 555 0302"), "203.0.113.5")
    second = wait_for(lambda: mails(server[0], OWNER, "Ola Farm"), what="the second alert")
    assert "burst: one of several leads from one network address within a day (desk lead 2)" in (
        text_of(second[0])
    )
    assert "burst" not in text_of(mails(server[0], OWNER, "Ned Farm")[0])  # nothing known yet
    ok(desk.project, "desk", "pull")
    flagged = [x.flags for x in load_leads(ledger(desk.project))]
    assert all(any(f.startswith("burst: one of several leads from one network") for f in x)
               for x in flagged)  # fmt: skip
    assert ok(desk.project, "referral", "rewards") == "no rewards reached yet\n"
    assert "203.0.113.5" not in ledger(desk.project).read_text()  # only a keyed hash is kept


def test_the_same_leads_from_two_networks_reach_the_milestone(desk: RunningDesk) -> None:
    post_lead(desk, code_of(BEN), lead("Pia Real", "217 555 0311"), "203.0.113.7")
    post_lead(desk, code_of(BEN), lead("Quin Real", "217 555 0312"), "198.51.100.9")
    out = ok(desk.project, "desk", "pull")
    assert "1 rewards reached and pending approval" in out
    assert [x.flags for x in load_leads(ledger(desk.project))] == [(), ()]
    [reward] = load_rewards(desk.project / "subscribers" / "rewards.csv")
    assert (reward.status, reward.referrer_email, reward.leads) == ("pending", BEN, (1,))


def test_the_milestone_email_approves_by_its_signed_link_and_a_post_only(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    post_lead(desk, code_of(BEN), lead("Rae Real", "217 555 0321"), "203.0.113.8")
    ok(desk.project, "desk", "pull")
    [mail] = wait_for(lambda: mails(server[0], OWNER, "Reward reached"), what="milestone mail")
    text = text_of(mail)
    assert mail["Subject"] == "Reward reached: A coffee card for Ben — approve or deny"
    assert "lead 1: Rae Real, received" in text
    approve = re.search(rf"{re.escape(desk.url)}reward/\S+\?do=approve", text).group(0)
    deny = re.search(rf"{re.escape(desk.url)}reward/\S+\?do=deny", text).group(0)
    with httpx.Client() as browser:
        page = browser.get(approve)  # a mail scanner's visit: it decides nothing
        assert page.status_code == 200 and "Approve the reward" in page.text
        assert desk.events("reward_decision") == []
        done = browser.post(
            approve.split("?")[0], data={"do": "approve", "form": form_token(page.text)}
        )
        assert "Recorded: A coffee card is approved." in done.text
        again = browser.post(
            approve.split("?")[0], data={"do": "approve", "form": form_token(page.text)}
        )
        assert "Already recorded" in again.text
        forged = browser.post(deny.split("?")[0] + "x", data={"do": "deny", "form": "x"})
        assert forged.status_code == 400
    ok(desk.project, "desk", "pull")
    [reward] = load_rewards(desk.project / "subscribers" / "rewards.csv")
    assert reward.status == "approved"
    assert reward.decided_by == f"the desk's link (email to {OWNER})"
    assert len(mails(server[0], OWNER, "Reward reached")) == 1  # announced once


def test_a_lead_nobody_calls_goes_to_the_second_address_and_a_called_one_does_not(
    tmp_path: Path, server: tuple[Recorder, int]
) -> None:
    always = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "opens": "00:00",
              "closes": "23:59"}  # fmt: skip
    desk = shop_desk(
        tmp_path / "shop", server[1], escalate_after="1m", escalate_to=SECOND,
        business_hours=always,
    )  # fmt: skip
    try:
        post_lead(desk, code_of(ANA), lead("Sal Wait", "217 555 0331"), "203.0.113.9")
        post_lead(desk, code_of(BEN), lead("Tia Call", "217 555 0332"), "198.51.100.3")
        [alert] = wait_for(lambda: mails(server[0], OWNER, "Tia Call"), what="alert")
        contacted = re.search(rf"{re.escape(desk.url)}lead/\S+\?do=contacted", text_of(alert))
        with httpx.Client() as browser:
            page = browser.get(contacted.group(0))
            browser.post(
                contacted.group(0).split("?")[0],
                data={"do": "contacted", "form": form_token(page.text)},
            )
        [escalated] = wait_for(
            lambda: mails(server[0], SECOND), timeout=120, what="the second alert"
        )
        assert escalated["Subject"].startswith("Still not called: Sal Wait — contact by ")
        # Sal's is done; Tia's is dropped: she was called.
        wait_for(
            lambda: (
                sorted(state for _, state in desk.outbox("escalate_lead")) == ["done", "dropped"]
            ),
            what="both second alerts settled",
        )
        assert mails(server[0], SECOND, "Tia") == []
    finally:
        desk.stop()
