"""Per-subscriber tokens derived with a secret: referral codes and opaque unsubscribe links.

Codes are HMAC-SHA256 of the normalized email address with the secret from
``NEWSLETTER_SECRET``: stable across months (the same address always gets the same code),
revealing nothing about the address, and written in an alphabet without look-alikes
(no 0/O, 1/I/L, U) so they can be read off paper and typed back.

Unsubscribe links carry an opaque token, the address encrypted (:class:`UnsubscribeTokens`):
the address is never in the link, and the unsubscribe endpoint reads it back with
:func:`unsubscribe_address`, with no table of tokens to keep.
"""

from __future__ import annotations

import base64
import functools
import hmac
import os
from array import array
from binascii import b2a_base64
from collections import Counter
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from newsletter.config.secrets import SECRET_ENV as SECRET_ENV
from newsletter.errors import InvalidToken, SecretMissing
from newsletter.model import normalize_email

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 8
"""30^8 ≈ 6.6e11 codes: collisions are rare for a small business's list, and checked."""


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


def _digest(secret: bytes, purpose: str, email: str) -> bytes:
    # A copy of the keyed state, not hmac.digest: that sets the key up again for every
    # message, twice the cost of the hash itself (this runs per reader).
    keyed = _keyed(secret).copy()
    keyed.update(f"{purpose}\x00{normalize_email(email)}".encode())
    return keyed.digest()


FORGOTTEN = "forgotten:"
"""How a forgotten person's address starts where it is kept as a keyed hash (a
suppression that must still stop mail to them, a send ledger row counted but unnamed)."""


def forgotten_address(secret: bytes, email: str) -> str:
    """``email`` as a keyed hash: the same for every spelling of one address, and, without
    the secret, no clue to it (not even by trying a list of likely addresses)."""
    return FORGOTTEN + _digest(secret, "forgotten address", email)[:16].hex()


@functools.lru_cache(maxsize=4)
def _keyed(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, digestmod="sha256")


def _encode(digest: bytes, length: int) -> str:
    # Only the lowest ``length`` base-30 digits are used: reducing first keeps the loop on
    # small integers.
    return _encode_number(int.from_bytes(digest, "big") % len(ALPHABET) ** length, length)


_PAIRS = [ALPHABET[n % len(ALPHABET)] + ALPHABET[n // len(ALPHABET)] for n in range(30 * 30)]
"""Two base-30 digits at a time, lowest first: half the divisions (this runs per reader)."""
_PAIR_COUNT = len(_PAIRS)


def _encode_number(number: int, length: int) -> str:
    if length == 8:  # every code but the few longer ones: no loop, no list
        rest, first = divmod(number, _PAIR_COUNT)
        rest, second = divmod(rest, _PAIR_COUNT)
        fourth, third = divmod(rest, _PAIR_COUNT)
        return _PAIRS[first] + _PAIRS[second] + _PAIRS[third] + _PAIRS[fourth % _PAIR_COUNT]
    chars = []
    for _ in range(length // 2):
        number, pair = divmod(number, _PAIR_COUNT)
        chars.append(_PAIRS[pair])
    if length % 2:
        chars.append(ALPHABET[number % len(ALPHABET)])
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
    book = CodeBook(secret)
    for email in normalized:
        book.add(email)
    book.settle(normalized)
    return {email: book.code(email) for email in normalized}


class DuplicateAddress(ValueError):
    """The same address reached ``CodeBook`` twice (the caller names the lines)."""


class CodeBook:
    """Unique referral codes for a list too long to hold: two passes over its addresses.

    ``add`` every address once (it returns the code's number, to keep), then ``settle``
    with the addresses whose numbers are ``flagged``; ``code`` then answers for any of
    them. Memory grows by 8 bytes an address: the first pass keeps only the code numbers
    (in buckets by their lowest bits), the second looks at the few addresses whose numbers
    occur twice, and only addresses whose codes really collide are remembered, each with a
    longer code.
    """

    def __init__(self, secret: bytes, *, length: int | None = None) -> None:
        self._secret = secret
        self._length = length or CODE_LENGTH
        self._modulus: int = len(ALPHABET) ** self._length
        # Each bucket is small enough to check for repeats alone: no big transient copy.
        self._buckets = [array("Q") for _ in range(_BUCKETS)]
        self._flagged: set[int] | None = None
        self._longer: dict[str, str] = {}

    def add(self, email: str) -> int:
        """Count ``email``'s code; call once per address. Returns the code as a number
        (give it to :meth:`code` later, to spare computing it again)."""
        number = self._number(email)
        self._buckets[number & _BUCKET_MASK].append(number)
        return number

    def count(self, number: int) -> None:
        """Count a code number :meth:`add` returned elsewhere (another process's book)."""
        self._buckets[number & _BUCKET_MASK].append(number)

    @property
    def flagged(self) -> frozenset[int]:
        """Code numbers that occur more than once: ``settle`` needs every address with one."""
        if self._flagged is None:
            flagged: set[int] = set()
            for bucket in self._buckets:
                if len(set(bucket)) < len(bucket):
                    flagged.update(n for n, count in Counter(bucket).items() if count > 1)
            self._flagged = flagged
        return frozenset(self._flagged)

    def settle(self, emails: Iterable[str]) -> None:
        """Give longer codes to the addresses among ``emails`` whose codes collided.

        Raises DuplicateAddress when an address occurs twice.
        """
        flagged = self.flagged
        self._buckets = []
        self._flagged = set()
        if not flagged:
            return
        holders: dict[int, list[str]] = {}
        for email in emails:
            number = self._number(email)
            if number in flagged:
                holders.setdefault(number, []).append(normalize_email(email))
        owners: set[str] = set()
        for emails_of_code in holders.values():
            if len(set(emails_of_code)) < len(emails_of_code):
                raise DuplicateAddress(
                    next(e for e in emails_of_code if emails_of_code.count(e) > 1)
                )
            if len(emails_of_code) > 1:
                owners.update(emails_of_code)
        length = self._length
        while owners:
            length += 2
            codes: dict[str, list[str]] = {}
            for email in owners:
                codes.setdefault(referral_code(self._secret, email, length=length), []).append(
                    email
                )
            for code, sharing in codes.items():
                if len(sharing) == 1:
                    self._longer[sharing[0]] = code
            owners = {e for sharing in codes.values() if len(sharing) > 1 for e in sharing}

    def code(self, email: str, number: int | None = None) -> str:
        """``email``'s code; ``number`` is what :meth:`add` returned for it, if kept."""
        if number is not None and not self._longer:
            return _encode_number(number, self._length)  # runs per reader: no clash to look up
        key = normalize_email(email)
        longer = self._longer.get(key) if self._longer else None
        if longer:
            return longer
        if number is None:
            return referral_code(self._secret, key, length=self._length)
        return _encode_number(number, self._length)

    def _number(self, email: str) -> int:
        # The code's characters are the digest's base-30 digits, lowest first: equal codes
        # are exactly equal remainders, so codes are compared as these numbers.
        digest = _digest(self._secret, "referral", email)
        return int.from_bytes(digest, "big") % self._modulus


_BUCKETS = 256
_BUCKET_MASK = _BUCKETS - 1


def canonical_code(text: str) -> str:
    """A code as someone typed it (``k7qh-3mzx``) in its canonical form (``K7QH3MZX``)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


TOKEN_VERSION = "1"
"""The first character of every unsubscribe token: how it was made (AES-SIV over the
address, key from HKDF-SHA256 of the secret). A new scheme takes the next version."""
_KEY_ID_LENGTH = 2


class UnsubscribeTokens:
    """Opaque unsubscribe tokens: the address, encrypted, that only we can read back.

    A token is the version, a key id (2 characters derived from the key, so a verifier
    that knows several secrets while one is being rotated out finds the right one), and
    the URL-safe base64 of AES-SIV (RFC 5297) of the normalized address under a key
    derived from ``NEWSLETTER_SECRET``. AES-SIV is authenticated (a changed character is
    refused) and deterministic (an address always has the same token, which the link
    needs no table to map back), and adds 16 bytes: a 25-character address makes a
    58-character token. Nothing about the address can be read from it without the key.
    """

    def __init__(self, secret: bytes) -> None:
        material = HKDF(
            algorithm=hashes.SHA256(), length=64 + 32, salt=None, info=_TOKEN_INFO
        ).derive(secret)
        self._cipher = AESSIV(material[:64])
        self._encrypt = self._cipher.encrypt
        self.key_id = base64.urlsafe_b64encode(material[64:]).decode()[:_KEY_ID_LENGTH]
        self._prefix = TOKEN_VERSION + self.key_id

    def token(self, email: str) -> str:
        """The token for ``email`` (normalized first: any spelling gives the same token)."""
        sealed = self._encrypt(normalize_email(email).encode(), None)
        # binascii directly, not base64's wrappers around it: this runs per reader.
        return self._prefix + b2a_base64(sealed, newline=False).translate(_URL_SAFE).rstrip(
            b"="
        ).decode("ascii")

    def address(self, token: str) -> str:
        """The normalized address ``token`` was made for; InvalidToken if this key did not
        make it."""
        if not token.startswith(self._prefix):
            raise InvalidToken("not an unsubscribe token of this newsletter's key")
        payload = token[len(self._prefix) :]
        try:
            sealed = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            return self._cipher.decrypt(sealed, None).decode()
        except (ValueError, InvalidTag):  # binascii.Error is a ValueError
            raise InvalidToken("unsubscribe token is damaged or forged") from None


_TOKEN_INFO = b"newsletter unsubscribe token v1"
_URL_SAFE = bytes.maketrans(b"+/", b"-_")  # base64's alphabet -> the URL-safe one


def unsubscribe_address(token: str, secrets: Iterable[bytes]) -> str:
    """The address an unsubscribe link's token stands for, without any lookup table.

    ``secrets`` are the current ``NEWSLETTER_SECRET`` first, then any earlier ones still
    honoured while links made with them may be clicked (key rotation). Raises
    InvalidToken for a token none of them made. This is what the unsubscribe endpoint
    calls.
    """
    if token[:1] != TOKEN_VERSION:
        raise InvalidToken("unknown unsubscribe token version")
    for secret in secrets:
        tokens = unsubscribe_tokens(secret)
        if token.startswith(TOKEN_VERSION + tokens.key_id):
            return tokens.address(token)
    raise InvalidToken("unsubscribe token made with a key that is no longer known")


@functools.lru_cache(maxsize=4)
def unsubscribe_tokens(secret: bytes) -> UnsubscribeTokens:
    """The token maker for ``secret`` (made once: the key derivation runs per secret)."""
    return UnsubscribeTokens(secret)


def unsubscribe_url(base_url: str, tokens: UnsubscribeTokens, email: str) -> str:
    """``base_url`` with the opaque token of ``email`` as ``t``."""
    return unsubscribe_link(base_url, tokens.token(email))


def unsubscribe_link(base_url: str, token: str) -> str:
    """``base_url`` with ``token`` as its ``t`` parameter."""
    separator = "&" if urlsplit(base_url).query else "?"
    return f"{base_url}{separator}t={token}"
