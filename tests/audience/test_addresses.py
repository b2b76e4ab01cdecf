"""The fast address check agrees with email-validator."""

from __future__ import annotations

import pytest
from email_validator import validate_email

from newsletter.audience.addresses import EmailNotValidError, normalized_address

CASES = [
    "ann@example.com",
    "Ann.Lee+news@Mail.Example.COM",
    "zoë@example.com",
    "a..b@example.com",
    ".ann@example.com",
    "ann@-example.com",
    "ann@example",
    "ann@localhost",
    "ann@shop.test",
    "ann@example.c0m",
    "ann@@example.com",
    "a" * 65 + "@example.com",
    "ann@" + "b" * 64 + ".com",
    '"quoted"@example.com',
    "ann @example.com",
]


def reference(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("text", CASES)
def test_fast_check_agrees_with_email_validator(text: str) -> None:
    try:
        ours: str | None = normalized_address(text)
    except EmailNotValidError:
        ours = None
    assert ours == reference(text)
