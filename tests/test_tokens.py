"""Referral codes and unsubscribe links derived from the address with a secret."""

from __future__ import annotations

import pytest

from newsletter.audience import tokens
from newsletter.audience.tokens import (
    ALPHABET,
    SecretMissing,
    canonical_code,
    referral_code,
    referral_codes,
    secret_from_env,
    unsubscribe_url,
    verify_unsubscribe,
)

SECRET = b"a-test-secret-of-enough-length"


def test_code_is_stable_and_ignores_address_case() -> None:
    assert referral_code(SECRET, "Ann@Example.com") == referral_code(SECRET, " ann@example.com")


def test_code_uses_only_unambiguous_characters() -> None:
    code = referral_code(SECRET, "ann@example.com")
    assert len(code) == 8
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1IL")


def test_code_depends_on_the_secret() -> None:
    assert referral_code(SECRET, "a@x.com") != referral_code(b"another-secret-value!", "a@x.com")


def test_colliding_codes_are_lengthened_and_others_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "CODE_LENGTH", 1)  # force collisions on a tiny alphabet space
    emails = [f"user{i}@example.com" for i in range(60)]
    codes = referral_codes(SECRET, emails)
    assert len(set(codes.values())) == len(emails)
    short = [referral_code(SECRET, e, length=1) for e in emails]
    unique = [e for e, code in zip(emails, short, strict=True) if short.count(code) == 1]
    assert all(codes[e] == referral_code(SECRET, e, length=1) for e in unique)
    assert all(len(codes[e]) > 1 for e in emails if e not in unique)


def test_code_book_streams_and_agrees_with_referral_codes() -> None:
    emails = [f"user{i}@example.com" for i in range(200)]
    book = tokens.CodeBook(SECRET, length=2)  # 900 codes for 200 addresses: some clash
    for email in emails:
        book.add(email)
    book.settle(iter(emails))
    codes = [book.code(e) for e in emails]
    assert len(set(codes)) == len(emails)
    assert any(len(c) > 2 for c in codes)


def test_typed_code_is_canonicalized() -> None:
    assert canonical_code(" k7qh-3mzx ") == "K7QH3MZX"


def test_unsubscribe_link_is_signed_for_the_address() -> None:
    url = unsubscribe_url("https://news.example.com/unsubscribe", SECRET, "Ann@Example.com")
    assert url.startswith("https://news.example.com/unsubscribe?email=ann%40example.com&sig=")
    signature = url.rsplit("sig=", 1)[1]
    assert verify_unsubscribe(SECRET, "ann@example.com", signature)
    assert not verify_unsubscribe(SECRET, "bob@example.com", signature)


def test_secret_comes_only_from_the_environment_and_must_be_long() -> None:
    assert secret_from_env({"NEWSLETTER_SECRET": "x" * 16}) == b"x" * 16
    with pytest.raises(SecretMissing) as caught:
        secret_from_env({"NEWSLETTER_SECRET": "short"})
    assert "short" not in caught.value.one_line()


def test_seen_filter_never_misses_a_repeat_and_rarely_cries_wolf() -> None:
    seen = tokens._SeenFilter(size=1 << 20)
    numbers = [n * 7919 + 13 for n in range(20_000)]
    false_alarms = sum(seen.add(n) for n in numbers)
    assert false_alarms < 20  # 0.1 %: 4 hashes, 1 Mbit, 20,000 numbers
    assert all(seen.add(n) for n in numbers)


def test_code_book_reports_a_repeated_address() -> None:
    book = tokens.CodeBook(SECRET)
    for email in ["a@example.com", "b@example.com", "A@example.com"]:
        book.add(email)
    with pytest.raises(tokens.DuplicateAddress):
        book.settle(["a@example.com", "b@example.com", "A@example.com"])


@pytest.mark.parametrize(
    "address", ["ann@example.com", "a.b-c_d@x.org", "o'brien@example.com", "zoë@example.com"]
)
def test_address_in_unsubscribe_links_is_quoted_like_urllib(address: str) -> None:
    from urllib.parse import quote

    assert tokens._quoted_address(address) == quote(address, safe="")


def test_code_is_the_lowest_base30_digits_of_the_hmac() -> None:
    import hashlib
    import hmac

    number = int.from_bytes(hmac.new(SECRET, b"referral\x00a@x.com", hashlib.sha256).digest())
    expected = ""
    for _ in range(8):
        number, digit = divmod(number, 30)
        expected += tokens.ALPHABET[digit]
    assert referral_code(SECRET, "A@x.com ") == expected
