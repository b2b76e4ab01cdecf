"""Property-based specifications (hypothesis) of the rewards file and the address checks:
for any input, rewards.csv loads or names its line and is written back as it reads, and a
typed address never stops the checks of a lead."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from newsletter.errors import ContentError
from newsletter.referrals.doors import door_keys, typed_address
from newsletter.referrals.rewardfile import COLUMNS, LEGACY, load_rewards, rewards_text
from tests.test_loader_properties import (
    ANY_TEXT,
    BOUNDED,
    REPO,
    csv_bytes,
    files,
    loads_or_names_a_line,
    mutated,
    written_back_as_read,
)

REWARD_FILES = st.one_of(
    files(COLUMNS, "rewards.csv"),
    mutated(REPO / "tests" / "fixtures" / "rewards-before-approval.csv"),
)


@BOUNDED
@given(REWARD_FILES)
@example(csv_bytes(COLUMNS, [["1" * 30, "pending", "X", "a@b.co", "o", "1", "r"]]))
@example(csv_bytes(LEGACY, [["2026-11-02", "X", "a@b.co", "o", "1", "r"]] * 2))
def test_any_rewards_csv_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "rewards.csv", load_rewards, ContentError)


@BOUNDED
@given(REWARD_FILES)
@example(csv_bytes(COLUMNS, [["1", "pending", "×", "a@b.co", "o", "1", "r"]]))
def test_a_rewards_file_that_loads_is_written_back_as_it_reads(payload: bytes) -> None:
    written_back_as_read(payload, "rewards.csv", load_rewards, rewards_text, ContentError)


@BOUNDED
@given(ANY_TEXT)
@example("12 Elm St Apt 2, Springfield, IL 62701-1234")
@example(", , ,")
def test_any_typed_address_is_read_or_left_without_a_door(text: str) -> None:
    address = typed_address(text, "US")
    keys = door_keys(address)
    assert address is not None or not keys
