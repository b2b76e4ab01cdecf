"""The placeholders (:class:`newsletter.model.Placeholder`) by name, as templates use them."""

from __future__ import annotations

from types import MappingProxyType

from newsletter.model import Placeholder

PLACEHOLDERS = MappingProxyType({p.name.lower(): p.value for p in Placeholder})


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each placeholder whose name is in ``values``; others stay as they are."""
    for name, value in values.items():
        text = text.replace(PLACEHOLDERS[name], value)
    return text
