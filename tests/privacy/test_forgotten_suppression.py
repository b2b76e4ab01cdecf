"""A forgotten person's suppression holds a keyed hash, and still stops mail to every
spelling of their address."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.audience.suppressions import (
    Suppression,
    load_suppressions,
    merge_suppressions,
    suppressed_emails,
)
from newsletter.audience.tokens import forgotten_address

SECRET = "a-test-secret-long-enough-0123456789"
local_parts = st.from_regex(r"[a-z][a-z0-9.]{0,15}[a-z0-9]", fullmatch=True)


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)


def forgotten(path: Path, email: str) -> None:
    entry = Suppression(
        email=forgotten_address(SECRET.encode(), email),
        reason="manual",
        date=date(2026, 12, 1),
        source="forgotten on request",
        channel="all",
    )
    merge_suppressions(path, [entry])


@given(local_parts)
def test_a_forgotten_address_is_blocked_in_any_case_and_others_are_not(local: str) -> None:
    blocked = suppressed_emails(
        [
            Suppression(
                forgotten_address(SECRET.encode(), f"{local}@Example.com"),
                "manual",
                date(2026, 1, 1),
                channel="all",
            )
        ]
    )
    assert f"{local}@example.com" in blocked
    assert f"other{local}@example.com" not in blocked


def test_a_forgotten_entry_is_written_and_read_back_without_the_address(tmp_path: Path) -> None:
    path = tmp_path / "suppressions.csv"
    forgotten(path, "ana@example.com")

    text = path.read_text(encoding="utf-8")
    (entry,) = load_suppressions(path)

    assert "ana" not in text and entry.email.startswith("forgotten:")
    assert "ana@example.com" in suppressed_emails([entry], "email")
    assert "ana@example.com" in suppressed_emails([entry], "mail")
