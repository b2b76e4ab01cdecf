"""The sample's secrets: one rule, for every command (newsletter/config/secrets.py)."""

from __future__ import annotations

import pytest

from newsletter.config.secrets import (
    SAMPLE_DESK_TOKEN,
    SAMPLE_SECRET,
    refuse_sample_secret,
    secret_environment,
)
from newsletter.errors import SecretMissing


def test_an_example_sender_without_a_secret_gets_the_sample_only_one_and_a_warning() -> None:
    found = secret_environment("news@hartwellhvac.example.com", {"PATH": "/bin"})
    assert found.environ["NEWSLETTER_SECRET"] == SAMPLE_SECRET
    assert found.environ["NEWSLETTER_DESK_TOKEN"] == SAMPLE_DESK_TOKEN
    assert found.environ["PATH"] == "/bin"
    assert found.warning.startswith(
        "NEWSLETTER_SECRET is not set: using the sample-only secret, because the config sends "
        "from news@hartwellhvac.example.com"
    )


@pytest.mark.parametrize(
    "sender", ["a@example.net", "a@news.example.org", "A@EXAMPLE.COM"], ids=str
)
def test_every_domain_reserved_for_examples_is_a_sample(sender: str) -> None:
    assert secret_environment(sender, {}).environ["NEWSLETTER_SECRET"] == SAMPLE_SECRET


@pytest.mark.parametrize(
    "sender", ["news@hartwell-hvac.com", "a@example.com.evil.net", "a@notexample.com"], ids=str
)
def test_a_real_sender_never_gets_a_stand_in(sender: str) -> None:
    found = secret_environment(sender, {})
    assert "NEWSLETTER_SECRET" not in found.environ
    assert found.warning == ""


def test_a_secret_that_is_set_is_used_as_it_is() -> None:
    environ = {"NEWSLETTER_SECRET": "a-real-secret-of-enough-length"}
    found = secret_environment("news@shop.example.com", environ)
    assert found.environ == environ
    assert found.warning == ""


def test_a_desk_token_that_is_set_is_kept() -> None:
    found = secret_environment("news@shop.example.com", {"NEWSLETTER_DESK_TOKEN": "mine"})
    assert found.environ["NEWSLETTER_DESK_TOKEN"] == "mine"


def test_the_sample_only_secret_never_sends_real_mail() -> None:
    with pytest.raises(SecretMissing, match="the sample-only secret, which never sends real mail"):
        refuse_sample_secret({"NEWSLETTER_SECRET": SAMPLE_SECRET}, sender_email="news@plumb.com")
    with pytest.raises(SecretMissing, match="the sample-only secret, which never sends real mail"):
        refuse_sample_secret({"NEWSLETTER_SECRET": SAMPLE_SECRET})  # whatever the sender
    refuse_sample_secret({"NEWSLETTER_SECRET": "a-real-secret-ok"}, sender_email="news@plumb.com")


def test_the_sample_only_secret_set_by_hand_may_mail_example_addresses() -> None:
    refuse_sample_secret({"NEWSLETTER_SECRET": SAMPLE_SECRET}, sender_email="news@shop.example.com")
