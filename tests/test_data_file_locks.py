"""Every read-modify-write of a data file holds its lock: concurrent commands serialize,
ids stay unique, nothing is lost; personal data files are written owner-only (0600)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from newsletter.audience.suppressions import Suppression, load_suppressions, merge_suppressions
from newsletter.fsutil import PRIVATE, SHARED, atomic_write, replace_folder
from newsletter.locks import locked
from newsletter.referrals.approval import sync_rewards
from newsletter.referrals.leads import update_lead
from newsletter.referrals.ledger import load_leads
from newsletter.referrals.rewardfile import load_rewards
from tests.referral_factory import CHICAGO, OFFER, SECRET, at, make_lead, write_ledger

CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
ADDS = 20


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_twenty_concurrent_adds_give_twenty_rows_with_twenty_distinct_ids(
    sample_project: Path,
) -> None:
    assert CONSOLE_SCRIPT.is_file(), "the package is not installed in this environment"
    ledger = sample_project / "subscribers" / "referrals.csv"
    before = load_leads(ledger)
    env = {"PATH": os.environ["PATH"], "NEWSLETTER_SECRET": SECRET}
    processes = [
        subprocess.Popen(
            [
                str(CONSOLE_SCRIPT),
                "referral",
                "add",
                "--config",
                str(sample_project / "newsletter.yaml"),
                "--ref",
                "WDTD6PDE",
                "--name",
                f"Concurrent Lead {n}",
                "--phone",
                f"(608) 555-{n:04d}",
                "--received-at",
                "2026-11-23T08:05",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(ADDS)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]

    assert [status for status, _, _ in results] == [0] * ADDS, results
    printed = sorted(int(out.split()[2].rstrip(":")) for _, out, _ in results)
    after = load_leads(ledger)
    new = after[len(before) :]
    assert after[: len(before)] == before
    assert len(new) == ADDS
    assert sorted(lead.id for lead in new) == printed == list(range(12, 12 + ADDS))
    assert sorted(lead.name for lead in new) == sorted(f"Concurrent Lead {n}" for n in range(ADDS))


def test_concurrent_notes_on_one_lead_are_all_kept(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "referrals.csv", make_lead(1))
    notes = [f"call {n}" for n in range(10)]
    with ThreadPoolExecutor(max_workers=len(notes)) as pool:
        for future in [
            pool.submit(update_lead, ledger, 1, at=at("2026-11-03T09:00:00-06:00"), note=note)
            for note in notes
        ]:
            future.result()
    (lead,) = load_leads(ledger)
    assert sorted(lead.notes.split("; ")) == sorted(f"2026-11-03 {note}" for note in notes)


def test_a_change_waits_for_the_holder_of_the_lock(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "referrals.csv", make_lead(1))
    with ThreadPoolExecutor(max_workers=1) as pool:
        with locked(ledger, purpose="test holds it"):
            pending = pool.submit(
                update_lead, ledger, 1, at=at("2026-11-03T09:00:00-06:00"), note="later"
            )
            time.sleep(0.2)
            assert not pending.done()
        assert pending.result(timeout=10).notes == "2026-11-03 later"


def test_concurrent_suppression_merges_lose_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "suppressions.csv"
    entries = [
        Suppression(f"gone{n}@example.com", "unsubscribe", date(2026, 11, 1), "test")
        for n in range(12)
    ]
    with ThreadPoolExecutor(max_workers=len(entries)) as pool:
        assert sum(pool.map(lambda e: merge_suppressions(path, [e]), entries)) == len(entries)
    assert sorted(s.email for s in load_suppressions(path)) == sorted(e.email for e in entries)


def test_the_same_milestone_synced_twice_at_once_is_one_reward(tmp_path: Path) -> None:
    leads = (make_lead(1),)
    rewards = tmp_path / "rewards.csv"

    def sync() -> int:
        return len(sync_rewards(rewards, leads, OFFER, CHICAGO, today=date(2026, 11, 20)))

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sorted(pool.map(lambda _: sync(), range(6))) == [0] * 5 + [1]
    assert len(load_rewards(rewards)) == 1


# ---- permissions --------------------------------------------------------------------------


def test_personal_data_files_are_written_owner_only(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "referrals.csv", make_lead(1))
    ledger.chmod(0o644)  # as git checks it out
    update_lead(ledger, 1, at=at("2026-11-03T09:00:00-06:00"), note="called")
    path = tmp_path / "suppressions.csv"
    merge_suppressions(path, [Suppression("a@example.com", "bounce", date(2026, 11, 1))])
    rewards = tmp_path / "rewards.csv"
    sync_rewards(rewards, (make_lead(1),), OFFER, CHICAGO, today=date(2026, 11, 20))
    assert {p.name: mode_of(p) for p in (ledger, path, rewards)} == {
        "referrals.csv": 0o600,
        "suppressions.csv": 0o600,
        "rewards.csv": 0o600,
    }


def test_other_outputs_are_readable_by_everyone(tmp_path: Path) -> None:
    atomic_write(tmp_path / "feed.body", b"<rss/>", mode=SHARED)
    replace_folder(tmp_path / "build", {"web/index.html": b"<html>"})
    assert mode_of(tmp_path / "feed.body") == 0o644
    assert mode_of(tmp_path / "build" / "web" / "index.html") == 0o644


def test_a_private_folder_is_owner_only_all_the_way_down(tmp_path: Path) -> None:
    replace_folder(tmp_path / "report", {"overdue.csv": b"id\n"}, mode=PRIVATE)
    assert mode_of(tmp_path / "report") == 0o700
    assert mode_of(tmp_path / "report" / "overdue.csv") == 0o600
