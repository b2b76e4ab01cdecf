"""A full disk met in the middle of a write, simulated in this process: the system refuses
the data at ``fsync`` (where a delayed-allocation file system reports ENOSPC). Every data
file is left as it was, no temporary file stays behind, and the error names the file.
tests/cli/test_file_system_refusals.py fills a real tmpfs through the console script."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from newsletter import fsutil
from newsletter.audience.suppressions import Suppression, load_suppressions, merge_suppressions
from newsletter.audience.tokens import referral_codes
from newsletter.config import load_config
from newsletter.errors import BuildError, LockBusy, StorageError
from newsletter.fsutil import PRIVATE, atomic_write, replace_folder
from newsletter.locks import locked
from newsletter.referrals.actions import add_referred_lead
from newsletter.referrals.ledger import load_leads
from newsletter.referrals.rewardfile import LEGACY as REWARD_COLUMNS
from newsletter.referrals.rewardfile import load_rewards
from tests.project_factory import make_project
from tests.referral_factory import MARIA, OFFER, SECRET, at, make_lead, write_ledger

FULL = "No space left on device"


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(fd: int) -> None:
        raise OSError(errno.ENOSPC, FULL)

    monkeypatch.setattr(os, "fsync", refuse)


def unchanged(path: Path, action: Callable[[], object]) -> StorageError:
    """The StorageError ``action`` raises, after checking ``path`` kept its bytes and no
    temporary file is left beside it."""
    before = path.read_bytes()
    with pytest.raises(StorageError) as caught:
        action()
    assert path.read_bytes() == before
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    return caught.value


@pytest.mark.usefixtures("full_disk")
def test_an_atomic_write_on_a_full_disk_names_the_file_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "rewards.csv"
    path.write_text("old\n", encoding="utf-8")
    error = unchanged(path, lambda: atomic_write(path, "new\n", mode=PRIVATE))
    assert error.one_line() == f"{path}: cannot write: {FULL}; the file is left as it was"


@pytest.mark.usefixtures("full_disk")
def test_a_suppression_merge_on_a_full_disk_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "suppressions.csv"
    path.write_text("email,reason,date,source\na@example.com,bounce,2025-04-02,\n", "utf-8")
    new = [Suppression("b@example.com", "unsubscribe", date(2025, 5, 1))]
    unchanged(path, lambda: merge_suppressions(path, new))
    assert [s.email for s in load_suppressions(path)] == ["a@example.com"]


@pytest.mark.usefixtures("full_disk")
def test_a_referral_added_on_a_full_disk_is_not_added(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    settings = load_config(project / "newsletter.yaml")
    ledger = write_ledger(settings.referrals_csv, make_lead(1))
    (code,) = referral_codes(SECRET.encode(), ["ana@example.com"]).values()

    def add() -> object:
        return add_referred_lead(
            settings,
            SECRET.encode(),
            code=code,
            name="Mia Chen",
            phone="608 555 0199",
            received_at=at("2026-11-03T10:00:00-06:00"),
        )

    error = unchanged(ledger, add)
    assert FULL in error.one_line() and str(ledger) in error.one_line()
    assert [lead.id for lead in load_leads(ledger)] == [1]


def test_a_folder_replaced_on_a_full_disk_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "build" / "2026-11"
    replace_folder(target, {"email.html": b"old", "web/index.html": b"old page"})
    written = fsutil.write_new
    files: list[Path] = []

    def full_after_one(path: Path, payload: bytes, *, mode: int) -> None:
        files.append(path)
        if len(files) > 1:
            raise OSError(errno.ENOSPC, FULL)
        written(path, payload, mode=mode)

    monkeypatch.setattr(fsutil, "write_new", full_after_one)
    with pytest.raises(BuildError) as caught:
        replace_folder(target, {"email.html": b"new", "web/index.html": b"new page"})
    assert caught.value.one_line() == (
        f"{target}: cannot write: {FULL}; the folder is left as it was"
    )
    assert (target / "email.html").read_bytes() == b"old"
    assert (target / "web" / "index.html").read_bytes() == b"old page"
    assert sorted(p.name for p in target.parent.iterdir()) == ["2026-11"]


def test_a_lock_whose_holder_record_cannot_be_written_still_guards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = tmp_path / "referrals.csv"

    def refuse(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, FULL)

    monkeypatch.setattr(os, "pwrite", refuse)
    with locked(guarded, purpose="add a lead") as holder:
        assert holder.purpose == "add a lead"
        with (
            pytest.raises(LockBusy, match="holder unknown"),
            locked(guarded, purpose="add", wait=0),
        ):
            pass


def test_every_data_file_takes_a_byte_order_mark(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "referrals.csv", make_lead(1))
    ledger.write_text("\ufeff" + ledger.read_text("utf-8"), "utf-8")
    assert [lead.id for lead in load_leads(ledger)] == [1]
    rewards = tmp_path / "rewards.csv"
    row = ["2026-11-02", MARIA[0], MARIA[1], OFFER.slug, "1", "A coffee card"]
    rewards.write_text(
        "\ufeff" + ",".join(REWARD_COLUMNS) + "\n" + ",".join(row) + "\n", encoding="utf-8"
    )
    assert [r.milestone for r in load_rewards(rewards)] == [1]
