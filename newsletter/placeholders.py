"""Per-recipient values left in the rendered issue for the send step to fill.

The build renders once per segment, never per recipient. These tokens use only letters,
digits and ``%`` and ``_`` so they survive HTML serialization, CSS inlining and URL
attributes unchanged, and they work as SendGrid substitution keys as they are.
"""

from __future__ import annotations

from types import MappingProxyType

PLACEHOLDERS = MappingProxyType(
    {
        "first_name": "%%FIRST_NAME%%",
        "referral_code": "%%REFERRAL_CODE%%",
        "referral_link": "%%REFERRAL_LINK%%",
        "referral_progress": "%%REFERRAL_PROGRESS%%",
        "unsubscribe_url": "%%UNSUBSCRIBE_URL%%",
    }
)


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each placeholder whose name is in ``values``; others stay as they are."""
    for name, value in values.items():
        text = text.replace(PLACEHOLDERS[name], value)
    return text
