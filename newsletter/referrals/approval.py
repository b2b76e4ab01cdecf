"""Rewards pending approval: found when a milestone is reached, then approved or denied by
the business and handed out.

:func:`sync_rewards` runs after every change to the ledger (``referral add``, ``update``,
``clear``, ``desk pull``) and before ``referral rewards`` lists them: each milestone a
referrer has reached under the offer, by the business's rule, that has no reward yet
becomes one, pending, with the leads behind it. A reward is never taken back by a later
change (a lead lost, a flag found): the business sees it pending, with its leads, and
decides. :func:`decide_reward` records a decision, by whom and when, under the file's lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path

from newsletter.errors import ReferralError
from newsletter.locks import locked
from newsletter.model import Offer
from newsletter.referrals.counting import DEFAULT_RULE
from newsletter.referrals.leads import DEFAULT_REGION
from newsletter.referrals.ledger import Lead
from newsletter.referrals.rewardfile import (
    Reward,
    decided,
    load_rewards,
    new_reward_id,
    write_rewards,
)
from newsletter.referrals.rewards import earned, leads_by_referrer


def sync_rewards(
    rewards_path: Path,
    leads: Sequence[Lead],
    offer: Offer,
    tz: tzinfo,
    *,
    today: date,
    rule: str = DEFAULT_RULE,
    region: str | None = DEFAULT_REGION,
) -> tuple[Reward, ...]:
    """Add a pending reward for every milestone of ``offer`` reached (as of ``today``) that
    has none; returns the new ones. The file is written only when there are some."""
    reached = leads_by_referrer(leads, offer, tz, until=today, region=region, rule=rule)
    with locked(rewards_path, purpose="add the rewards reached"):
        rewards = list(load_rewards(rewards_path))
        known = {r.key for r in rewards}
        new: list[Reward] = []
        for email, theirs in reached.items():
            for milestone in earned(len(theirs), offer):
                if (email, offer.slug, milestone.referrals) in known:
                    continue
                reward = Reward(
                    id=new_reward_id(rewards_path, rewards),
                    status="pending",
                    referrer_code=theirs[-1].referrer_code,
                    referrer_email=email,
                    offer=offer.slug,
                    milestone=milestone.referrals,
                    reward=" ".join(milestone.reward.split()),
                    reached_on=today,
                    leads=tuple(x.id for x in theirs[: milestone.referrals]),
                )
                rewards.append(reward)
                new.append(reward)
        if new:
            write_rewards(rewards_path, rewards)
    return tuple(new)


def decide_reward(
    rewards_path: Path, reward_id: int, action: str, *, by: str, at: datetime, reason: str = ""
) -> tuple[Reward, bool]:
    """Record ``action`` (approve, deny, hand-out) on reward ``reward_id``; returns the
    reward and whether anything changed (deciding again what is decided changes nothing)."""
    with locked(rewards_path, purpose=f"{action} reward {reward_id}"):
        rewards = load_rewards(rewards_path)
        for index, reward in enumerate(rewards):
            if reward.id == reward_id:
                after = decided(reward, action, by=by, at=at, reason=reason)
                if after != reward:
                    write_rewards(rewards_path, (*rewards[:index], after, *rewards[index + 1 :]))
                return after, after != reward
    raise ReferralError(
        f"no reward {reward_id} in {rewards_path.name}", path=rewards_path, key="ID"
    )


@dataclass(frozen=True)
class RewardLine:
    """A reward as ``referral rewards`` lists it: with its leads, and whether the leads
    that count now still reach its milestone."""

    reward: Reward
    leads: tuple[Lead, ...]
    counted_now: int | None  # None: the reward's offer is not the one counted


def reward_lines(
    rewards: Iterable[Reward], leads: Sequence[Lead], counts: dict[str, int], offer: Offer
) -> tuple[RewardLine, ...]:
    by_id = {lead.id: lead for lead in leads}
    return tuple(
        RewardLine(
            r,
            tuple(by_id[i] for i in r.leads if i in by_id),
            counts.get(r.referrer_email, 0) if r.offer == offer.slug else None,
        )
        for r in rewards
    )
