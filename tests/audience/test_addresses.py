"""The fast address check agrees with email-validator; one address, however spelled, has
one key."""

from __future__ import annotations

import pytest
from email_validator import validate_email
from hypothesis import given
from hypothesis import strategies as st

from newsletter.audience.addresses import EmailNotValidError, address_key, normalized_address
from newsletter.model import normalize_email

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


@pytest.mark.parametrize(
    "spelling",
    [
        "ann@bücher.example",
        "Ann@Bücher.Example",
        "ANN@XN--BCHER-KVA.EXAMPLE",
        "ann@xn--bcher-kva.example",
        "ann@bu\u0308cher.example",  # the ü decomposed: u and a combining diaeresis
        "  ann@bücher.example ",
    ],
)
def test_every_spelling_of_one_address_has_one_key(spelling: str) -> None:
    assert address_key(spelling) == "ann@bücher.example"


def test_a_unicode_local_part_is_compared_in_one_normal_form() -> None:
    assert (
        address_key("Zoe\u0308@example.com")
        == address_key("zoë@example.com")
        == ("zoë@example.com")
    )


def test_different_addresses_keep_different_keys() -> None:
    assert address_key("ann@example.com") != address_key("ann@example.org")
    assert address_key("ann.lee@example.com") != address_key("annlee@example.com")


def test_an_address_that_is_not_one_has_no_key() -> None:
    with pytest.raises(EmailNotValidError):
        address_key("ann@")


@given(st.emails())
def test_a_key_is_its_own_key(address: str) -> None:
    key = address_key(address)
    assert address_key(key) == key
    assert address_key(address.upper()) == key


labels = st.text(st.sampled_from("abcdeéüößçñøåæłżα"), min_size=1, max_size=12)


@given(local=st.from_regex(r"\A[a-z0-9]{1,10}\Z"), label=labels)
def test_a_domain_and_its_xn_form_are_one_mailbox_for_every_list(local: str, label: str) -> None:
    unicode_form = f"{local}@{label}.example"
    try:
        ascii_form = validate_email(unicode_form, check_deliverability=False).ascii_email
    except EmailNotValidError:
        return  # not a label IDNA 2008 allows
    assert ascii_form is not None
    keys = {
        normalize_email(spelling) for spelling in (unicode_form, ascii_form, ascii_form.upper())
    }
    keys |= {normalize_email(normalized_address(s)) for s in (unicode_form, ascii_form)}
    assert keys == {address_key(ascii_form)}
