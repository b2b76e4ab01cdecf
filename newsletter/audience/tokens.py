"""Per-subscriber tokens derived with a secret: referral codes and signed unsubscribe links.

Codes are HMAC-SHA256 of the normalized email address with the secret from
``NEWSLETTER_SECRET``: stable across months (the same address always gets the same code),
revealing nothing about the address, and written in an alphabet without look-alikes
(no 0/O, 1/I/L, U) so they can be read off paper and typed back.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlsplit

from newsletter.errors import NewsletterError

SECRET_ENV = "NEWSLETTER_SECRET"
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 8
"""30^8 ≈ 6.6e11 codes: collisions are rare for a small business's list, and checked."""


class SecretMissing(NewsletterError):
    pass


def secret_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    """The secret for codes and signatures; only ever read from the environment."""
    value = environ.get(SECRET_ENV, "")
    if len(value) < 16:
        raise SecretMissing(
            f"set {SECRET_ENV} to a random string of at least 16 characters "
            "(it keeps referral codes and unsubscribe links unguessable)",
            key=SECRET_ENV,
        )
    return value.encode("utf-8")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _digest(secret: bytes, purpose: str, email: str) -> bytes:
    message = f"{purpose}\x00{normalize_email(email)}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def _encode(digest: bytes, length: int) -> str:
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def referral_code(secret: bytes, email: str, *, length: int = CODE_LENGTH) -> str:
    """The subscriber's personal referral code, e.g. ``K7QH3MZX``."""
    return _encode(_digest(secret, "referral", email), length)


def referral_codes(secret: bytes, emails: Iterable[str]) -> dict[str, str]:
    """Codes for every address (normalized email -> code), checked to be unique.

    Two addresses whose codes collide both get a longer code; since codes derive from the
    address alone, everyone else keeps theirs.
    """
    normalized = sorted({normalize_email(e) for e in emails})
    length = CODE_LENGTH
    codes = {email: referral_code(secret, email, length=length) for email in normalized}
    while len(set(codes.values())) < len(codes):
        seen: dict[str, list[str]] = {}
        for email, code in codes.items():
            seen.setdefault(code, []).append(email)
        length += 2
        for owners in seen.values():
            if len(owners) > 1:
                for email in owners:
                    codes[email] = referral_code(secret, email, length=length)
    return codes


def canonical_code(text: str) -> str:
    """A code as someone typed it (``k7qh-3mzx``) in its canonical form (``K7QH3MZX``)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def unsubscribe_signature(secret: bytes, email: str) -> str:
    return hmac.new(
        secret, f"unsubscribe\x00{normalize_email(email)}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def unsubscribe_url(base_url: str, secret: bytes, email: str) -> str:
    """``base_url`` with the address and its signature, so a click proves who asked."""
    separator = "&" if urlsplit(base_url).query else "?"
    address = quote(normalize_email(email), safe="")
    return f"{base_url}{separator}email={address}&sig={unsubscribe_signature(secret, email)}"


def verify_unsubscribe(secret: bytes, email: str, signature: str) -> bool:
    return hmac.compare_digest(unsubscribe_signature(secret, email), signature)
