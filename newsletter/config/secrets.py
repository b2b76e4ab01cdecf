"""The sample's secrets: the one rule every command follows when ``NEWSLETTER_SECRET`` is
unset.

The bundled sample sends from an ``example.com`` address (RFC 2606 reserves it for
examples: no real reader has one). For such a project, and only for it, a command that
needs ``NEWSLETTER_SECRET`` (or the desk's ``NEWSLETTER_DESK_TOKEN``) and finds it unset
uses the sample-only value below, and says so, so that the sample's commands work as the
README shows them. Its referral codes are not real. Any other project gets no stand-in:
the command says which secret is missing. A live send gets no stand-in either, and refuses
the sample-only secret set by hand for a real sender (:func:`refuse_sample_secret`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from newsletter.errors import SecretMissing

SECRET_ENV = "NEWSLETTER_SECRET"
DESK_TOKEN_ENV = "NEWSLETTER_DESK_TOKEN"
SAMPLE_SECRET = "sample-only-secret-not-for-real-mail"
"""The sample ledger's referral codes derive from it; no real message may carry it."""
SAMPLE_DESK_TOKEN = "sample-only-desk-token-not-for-a-real-desk"
"""The desk's admin token for the sample only (``make serve``), on the same terms."""
EXAMPLE_SENDER = re.compile(r"@(?:[A-Za-z0-9-]+\.)*example\.(?:com|net|org)$", re.IGNORECASE)


@dataclass(frozen=True)
class SecretEnvironment:
    """The environment a command reads its secrets from."""

    environ: Mapping[str, str]
    """The process's environment, with the sample's stand-ins where they apply."""
    warning: str = ""
    """Said once when the sample-only secret stands in; empty otherwise."""


def is_example_sender(sender_email: str) -> bool:
    """Whether ``sender_email`` is at a domain reserved for examples (RFC 2606)."""
    return bool(EXAMPLE_SENDER.search(sender_email))


def secret_environment(
    sender_email: str, environ: Mapping[str, str] | None = None
) -> SecretEnvironment:
    """``environ`` (default: the process's) for a project that sends from
    ``sender_email``: with the sample-only secret and desk token filled in when
    ``NEWSLETTER_SECRET`` is unset and the sender is at an example domain."""
    env = os.environ if environ is None else environ
    if env.get(SECRET_ENV) or not is_example_sender(sender_email):
        return SecretEnvironment(env)
    filled = {**env, SECRET_ENV: SAMPLE_SECRET}
    filled.setdefault(DESK_TOKEN_ENV, SAMPLE_DESK_TOKEN)
    return SecretEnvironment(
        filled,
        f"{SECRET_ENV} is not set: using the sample-only secret, because the config sends "
        f"from {sender_email} (an example address: the bundled sample). Referral codes made "
        "with it are not real.",
    )


def refuse_sample_secret(environ: Mapping[str, str], *, sender_email: str | None = None) -> None:
    """SecretMissing when ``environ``'s secret is the sample-only one: nothing made with it
    may reach a real person. Set by hand for a project whose ``sender_email`` is at an
    example domain (its readers are example addresses too), it is let through; without a
    sender (``make send-live``: mail for real, whatever the config says), never."""
    if environ.get(SECRET_ENV) != SAMPLE_SECRET:
        return
    if sender_email is not None and is_example_sender(sender_email):
        return
    raise SecretMissing(
        f"{SECRET_ENV} is the sample-only secret, which never sends real mail; set the "
        "real one (a random string of at least 16 characters, the same every month)",
        key=SECRET_ENV,
    )
