"""Referral codes and unsubscribe links derived from the address with a secret."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from newsletter.audience import tokens
from newsletter.audience.tokens import (
    ALPHABET,
    TOKEN_VERSION,
    canonical_code,
    referral_code,
    referral_codes,
    secret_from_env,
    unsubscribe_address,
    unsubscribe_tokens,
    unsubscribe_url,
)
from newsletter.errors import InvalidToken, SecretMissing

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


def test_unsubscribe_link_carries_an_opaque_token_that_maps_back_to_the_address() -> None:
    url = unsubscribe_url(
        "https://news.example.com/unsubscribe",
        unsubscribe_tokens(SECRET),
        "Maria.Gonzalez@Example.com",
    )
    base, _, token = url.partition("?t=")
    assert base == "https://news.example.com/unsubscribe"
    assert "maria" not in url.lower() and "example.com" not in token.lower()
    assert unsubscribe_address(token, [SECRET]) == "maria.gonzalez@example.com"


def test_a_token_is_short_url_safe_and_starts_with_its_version() -> None:
    token = unsubscribe_tokens(SECRET).token("maria.gonzalez@example.com")  # 26 characters
    assert token[0] == TOKEN_VERSION
    assert len(token) <= 60
    assert set(token) <= set(string.ascii_letters + string.digits + "-_")


def test_every_spelling_of_an_address_has_the_same_token() -> None:
    tokens = unsubscribe_tokens(SECRET)
    assert tokens.token(" Ann@Example.COM ") == tokens.token("ann@example.com")


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw09-_"))
def test_a_changed_character_is_refused(position: int, replacement: str) -> None:
    token = unsubscribe_tokens(SECRET).token("ann@example.com")
    index = position % len(token)
    assume(token[index] != replacement)
    changed = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(InvalidToken):
        unsubscribe_address(changed, [SECRET])


def test_a_token_of_a_rotated_out_secret_maps_back_while_it_is_listed() -> None:
    old, new = SECRET, b"the-next-secret-of-enough-length"
    token = unsubscribe_tokens(old).token("ann@example.com")
    assert unsubscribe_address(token, [new, old]) == "ann@example.com"
    with pytest.raises(InvalidToken, match="no longer known"):
        unsubscribe_address(token, [new])


def test_a_token_of_another_version_is_refused() -> None:
    token = unsubscribe_tokens(SECRET).token("ann@example.com")
    with pytest.raises(InvalidToken, match="version"):
        unsubscribe_address("9" + token[1:], [SECRET])


def test_secret_comes_only_from_the_environment_and_must_be_long() -> None:
    assert secret_from_env({"NEWSLETTER_SECRET": "x" * 16}) == b"x" * 16
    with pytest.raises(SecretMissing) as caught:
        secret_from_env({"NEWSLETTER_SECRET": "short"})
    assert "short" not in caught.value.one_line()


def test_code_book_flags_exactly_the_numbers_that_occur_twice() -> None:
    book = tokens.CodeBook(SECRET, length=2)  # 900 codes for 300 addresses: some clash
    numbers = [book.add(f"user{i}@example.com") for i in range(300)]
    assert book.flagged == {n for n in numbers if numbers.count(n) > 1}
    assert book.flagged


def test_code_book_reports_a_repeated_address() -> None:
    book = tokens.CodeBook(SECRET)
    for email in ["a@example.com", "b@example.com", "A@example.com"]:
        book.add(email)
    with pytest.raises(tokens.DuplicateAddress):
        book.settle(["a@example.com", "b@example.com", "A@example.com"])


@pytest.mark.parametrize(
    "address", ["ann@example.com", "a.b-c_d@x.org", "o'brien@example.com", "zoë@example.com"]
)
def test_any_address_comes_back_from_its_token(address: str) -> None:
    token = unsubscribe_tokens(SECRET).token(address)
    assert unsubscribe_address(token, [SECRET]) == address


def test_code_is_the_lowest_base30_digits_of_the_hmac() -> None:
    import hashlib
    import hmac

    number = int.from_bytes(hmac.new(SECRET, b"referral\x00a@x.com", hashlib.sha256).digest())
    expected = ""
    for _ in range(8):
        number, digit = divmod(number, 30)
        expected += tokens.ALPHABET[digit]
    assert referral_code(SECRET, "A@x.com ") == expected
