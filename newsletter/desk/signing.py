"""Signed values for links and forms: what the desk hands out and must recognise later.

A signed value is ``PAYLOAD.MAC``: the URL-safe base64 of compact JSON, and 16 bytes of
HMAC-SHA256 under a key derived from ``NEWSLETTER_SECRET`` for one *purpose* (HKDF with
the purpose in ``info``), so a value signed for one use (a sign-up confirmation) is
refused for another (a lead's status link). Older secrets verify too, while links made
with them may still be clicked. MACs are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import time
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAC_BYTES = 16
MAX_SIGNED = 2048
"""Characters a signed value may have: anything longer is refused before any work."""


class BadSignature(ValueError):
    """A signed value that is damaged, forged, made for another purpose, or expired."""


@functools.lru_cache(maxsize=32)
def _key(secret: bytes, purpose: str) -> bytes:
    info = f"newsletter desk {purpose} v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, purpose: str, payload: dict[str, Any], *, ttl: float | None = None) -> str:
    """``payload`` signed for ``purpose``; with ``ttl`` (seconds) it expires."""
    body = dict(payload)
    if ttl is not None:
        body["exp"] = int(time.time() + ttl)
    encoded = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.digest(_key(secret, purpose), encoded.encode(), "sha256")[:MAC_BYTES]
    return f"{encoded}.{_b64(mac)}"


def unsign(secrets: Iterable[bytes], purpose: str, value: str) -> dict[str, Any]:
    """The payload of ``value`` if one of ``secrets`` signed it for ``purpose`` and it has
    not expired; BadSignature otherwise."""
    if len(value) > MAX_SIGNED or value.count(".") != 1:
        raise BadSignature("not a signed value")
    encoded, _, mac_text = value.partition(".")
    try:
        mac = _unb64(mac_text)
    except ValueError:
        raise BadSignature("not a signed value") from None
    for secret in secrets:
        expected = hmac.digest(_key(secret, purpose), encoded.encode(), "sha256")[:MAC_BYTES]
        if hmac.compare_digest(expected, mac):
            break
    else:
        raise BadSignature("signature does not match")
    try:
        payload = json.loads(_unb64(encoded))
    except ValueError:
        raise BadSignature("not a signed value") from None
    if not isinstance(payload, dict):
        raise BadSignature("not a signed value")
    expires = payload.pop("exp", None)
    if expires is not None and (not isinstance(expires, int) or expires < time.time()):
        raise BadSignature("expired")
    return payload


def tag(secret: bytes, purpose: str, text: str) -> str:
    """A short MAC of ``text`` for ``purpose`` (a form's token bound to its page's link)."""
    return _b64(hmac.digest(_key(secret, purpose), text.encode(), "sha256")[:MAC_BYTES])


def tag_matches(secrets: Iterable[bytes], purpose: str, text: str, given: str) -> bool:
    """Whether ``given`` is ``text``'s tag for ``purpose`` under one of ``secrets``
    (compared as bytes: ``compare_digest`` refuses strings with non-ASCII characters)."""
    offered = given.encode("utf-8", "replace")
    return any(hmac.compare_digest(tag(s, purpose, text).encode(), offered) for s in secrets)


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """An ECDSA public key (SendGrid's webhook key) from base64 DER, as SendGrid's settings
    page shows it, or PEM; ValueError for anything else."""
    data = text.strip().encode()
    try:
        key = (
            serialization.load_pem_public_key(data)
            if data.startswith(b"-----")
            else serialization.load_der_public_key(base64.b64decode(data, validate=True))
        )
    except (ValueError, binascii.Error, TypeError):
        raise ValueError("not an ECDSA public key (base64 DER or PEM)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an ECDSA public key (base64 DER or PEM)")
    return key
