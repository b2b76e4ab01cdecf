"""The placeholders (:class:`newsletter.model.Placeholder`) by name, as templates use them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from newsletter.model import Placeholder

PLACEHOLDERS = MappingProxyType({p.name.lower(): p.value for p in Placeholder})


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each placeholder whose name is in ``values``; others stay as they are."""
    return fill_tokens(text, {PLACEHOLDERS[name]: value for name, value in values.items()})


def fill_tokens(text: str, substitutions: Mapping[str, str]) -> str:
    """Replace each placeholder token (``%%FIRST_NAME%%``) in ``substitutions`` by its value,
    as SendGrid does with a personalization's substitutions."""
    for token, value in substitutions.items():
        text = text.replace(token, value)
    return text
