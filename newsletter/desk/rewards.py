"""Rewards at the desk: the business hears of each reward reached, and decides from its email.

When ``desk pull`` (or a ``referral`` command) finds a milestone reached, ``rewards.csv``
gains a reward pending approval. The desk reads that file when it changes (checked with
the outbox's work), and for each pending reward it has not announced, adds a
``reward_reached`` event (once: its key names the reward) and a ``notify_reward`` job:
the business's email with signed approve and deny links (:mod:`.reward_links`). A click
opens a page; its button posts a ``reward_decision`` event, which the next ``desk pull``
applies to ``rewards.csv`` (:class:`RewardBook`), recorded as decided by the desk link.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from newsletter.config.files import REWARDS_FILE
from newsletter.desk.inbox import Event, append, now, schedule
from newsletter.errors import NewsletterError
from newsletter.referrals.ledger import write_numbered
from newsletter.referrals.rewardfile import (
    ACTIONS,
    Reward,
    decided,
    load_rewards,
    rewards_text,
)

log = logging.getLogger("newsletter.desk")
DESK_LINK = "the desk's link (email to {to})"
"""Who a decision made from the business's email is recorded as made by."""


class RewardBook:
    """``rewards.csv`` for ``desk pull``, read once; the caller holds its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rewards = list(load_rewards(path))
        self._changed = False

    def decide(self, event: Event) -> bool:
        """Apply a ``reward_decision`` event; whether it changed the reward."""
        data = event.data
        action, reward_id = data["action"], int(data["reward"])
        if action not in ACTIONS or action == "hand-out":
            raise ValueError(f"not a decision from the desk: {str(action)[:20]!r}")
        for index, reward in enumerate(self.rewards):
            if reward.id == reward_id:
                if reward.offer != data.get("offer") or reward.milestone != data.get("milestone"):
                    raise ValueError(f"reward {reward_id} is not the one the link was for")
                by = DESK_LINK.format(to=str(data.get("by", "the business"))[:60])
                after = decided(
                    reward, action, by=by, at=event.at, reason=str(data.get("reason", ""))
                )
                self.rewards[index] = after
                self._changed |= after != reward
                return after != reward
        raise ValueError(f"no reward {reward_id} in {REWARDS_FILE}")

    def write(self) -> None:
        if self._changed:
            write_numbered(
                self.path, rewards_text(self.rewards), (r.id for r in self.rewards), None
            )
            self._changed = False


def reward_key(reward: Reward) -> str:
    return f"reward {reward.id} {reward.offer} {reward.milestone} {reward.referrer_email}"


class RewardWatch:
    """Announces the pending rewards of ``folder/rewards.csv`` once each."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / REWARDS_FILE
        self._stamp: float | None = None

    def pending(self) -> list[Reward]:
        """The pending rewards, when the file changed since the last look (else none)."""
        try:
            stamp = self.path.stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return []
        if stamp == self._stamp:
            return []
        try:
            rewards = load_rewards(self.path)
        except NewsletterError as exc:
            log.warning("rewards not read: %s", exc.one_line())
            return []
        self._stamp = stamp
        return [r for r in rewards if r.status == "pending"]

    def announce(self, db: sqlite3.Connection, rewards: list[Reward]) -> int:
        """Add an event and a ``notify_reward`` job for each reward not announced yet;
        how many."""
        count = 0
        for reward in rewards:
            data: dict[str, Any] = {
                "reward": reward.id,
                "offer": reward.offer,
                "milestone": reward.milestone,
                "name": reward.reward,
                "code": reward.referrer_code,
                "referrer_email": reward.referrer_email,
                "leads": list(reward.leads),
            }
            event_id = append(db, "reward_reached", data, key=reward_key(reward))
            if event_id is not None:
                schedule(db, event_id, "notify_reward", now())
                count += 1
        return count


def decision_data(
    reached: Event, action: str, by: str, reason: str, at: datetime
) -> dict[str, Any]:
    """The ``reward_decision`` event for the reward of ``reached``."""
    return {
        "reward": reached.data["reward"],
        "offer": reached.data["offer"],
        "milestone": reached.data["milestone"],
        "action": action,
        "by": by,
        "reason": reason,
        "decided_at": at.isoformat(timespec="seconds"),
    }
