"""The secret keys present here, and sealing and opening bytes with age.

A key is an age X25519 identity. The owner's lives in a file of its own
(``~/.config/newsletter/age-key.txt``, or under ``$XDG_CONFIG_HOME``), readable by its
owner only; a workflow's comes from ``NEWSLETTER_AGE_KEY`` (a repository secret). Both are
used when both are present.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyrage
from pyrage import x25519

from newsletter.errors import PrivacyError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.sealed import KEY_ENVIRONMENT, Reader, is_sealed

SECRET_PREFIX = "AGE-SECRET-KEY-1"


def key_file() -> Path:
    """Where the owner's key is kept on this machine."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "newsletter" / "age-key.txt"


def parse_identities(text: str, source: str) -> list[x25519.Identity]:
    """The identities in ``text`` (age-keygen's format: comments and one key a line)."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            found.append(x25519.Identity.from_str(line))
        except (pyrage.IdentityError, ValueError):
            # Never the line itself: it may be most of a secret key.
            raise PrivacyError(f"line {number} is not an age secret key", path=source) from None
    return found


def identities() -> list[x25519.Identity]:
    """Every key present here: ``NEWSLETTER_AGE_KEY``, then the owner's key file."""
    found: list[x25519.Identity] = []
    secret = os.environ.get(KEY_ENVIRONMENT, "")
    if secret.strip():
        found += parse_identities(secret, f"${KEY_ENVIRONMENT}")
    path = key_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return found
    except (OSError, UnicodeDecodeError) as exc:
        raise PrivacyError(f"cannot read the key: {exc}", path=path) from None
    return found + parse_identities(text, str(path))


def public(identity: x25519.Identity) -> str:
    """The recipient (``age1…``) that seals files for ``identity``."""
    return str(identity.to_public())


def key_text(identity: x25519.Identity) -> str:
    """A key file's contents, as age-keygen writes them."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return f"# created: {created}\n# public key: {public(identity)}\n{identity}\n"


def create_key(path: Path) -> str:
    """A new identity written to ``path`` (0600; refused if ``path`` exists); its
    recipient."""
    if path.exists():
        raise PrivacyError("a key is already there; keep it, or move it away first", path=path)
    identity = x25519.Identity.generate()
    atomic_write(path, key_text(identity), mode=PRIVATE)
    return public(identity)


def seal(plain: bytes, readers: Sequence[Reader]) -> bytes:
    """``plain`` sealed so that each of ``readers`` (and nobody else) can open it."""
    if not readers:
        raise PrivacyError("no readers: add one with `newsletter keys add NAME RECIPIENT`")
    recipients = [x25519.Recipient.from_str(r.recipient) for r in readers]
    return pyrage.encrypt(plain, recipients)


def unseal(data: bytes, keys: Sequence[x25519.Identity]) -> bytes | None:
    """``data`` opened with one of ``keys``; ``data`` itself when it is not sealed; None
    when it is sealed and no key opens it."""
    if not is_sealed(data):
        return data
    if not keys:
        return None
    try:
        return pyrage.decrypt(data, list(keys))
    except pyrage.DecryptError:
        return None
