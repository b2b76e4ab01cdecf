"""Email address syntax checks (no DNS), fast for the common case, and the one key that
tells whether two written addresses are the same mailbox.

email-validator is thorough but costs ~85 µs an address; a send to a large list checks every
row. Plain ASCII addresses that match a strict pattern are accepted here directly; anything
else (Unicode, quoted local parts, special-use domains, odd lengths) goes to email-validator.
"""

from __future__ import annotations

import re

from email_validator import (
    SPECIAL_USE_DOMAIN_NAMES,
    EmailNotValidError,
    validate_email,
)

from newsletter.model import normalize_email

_COMMON = re.compile(
    r"(?P<local>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)

__all__ = ["EmailNotValidError", "address_key", "normalized_address"]


def normalized_address(text: str) -> str:
    """The address as email-validator normalizes it (domain lower-cased), or raise
    EmailNotValidError."""
    text = text.strip()
    match = _COMMON.fullmatch(text)
    if match and len(match["local"]) <= 64 and len(text) <= 254:
        domain = match["domain"].lower()
        if not _SPECIAL.intersection(domain.split(".")):
            return f"{match['local']}@{domain}"
    return validate_email(text, check_deliverability=False).normalized


def address_key(text: str) -> str:
    """The form in which two spellings of one address compare equal, or raise
    EmailNotValidError: the address as email-validator normalizes it (the domain in its
    Unicode form under IDNA 2008, the whole in Unicode NFC), then lower-cased; the key
    :func:`newsletter.model.normalize_email` gives lists, suppressions and ledgers.

    ``Ann@Bücher.de``, ``ann@xn--bcher-kva.de`` and ``ann@bu\u0308cher.de`` (a decomposed
    ü) give one key. The local part is lower-cased too: mail providers treat it without
    case, and a list that holds ``Ann@`` and ``ann@`` sends twice to one person.
    """
    return normalize_email(normalized_address(text))
