"""Personal referral links: the offer's landing page (or the desk's ``/r/{code}``) with the
reader's code and the campaign parameters, for the email, the printed issue and the cards."""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsletter.config.desk import CODE_SLOT

__all__ = ["link_around_code", "referral_link"]


def referral_link(landing_url: str, code: str, month: str, *, medium: str = "email") -> str:
    """The offer's landing page with ``ref=CODE`` and campaign parameters for the month; a
    ``landing_url`` with ``{code}`` in its path (the desk's ``/r/{code}``) carries the code
    there instead.

    ``medium`` tells the landing page's analytics where the link came from (``print`` for
    the QR code on paper)."""
    # Codes use only URL-safe letters and digits, so the URL is built once per send and
    # the code dropped in: this runs for every recipient.
    before, after = link_around_code(landing_url, month, medium)
    return f"{before}{code}{after}"


_CODE_SLOT = "CODESLOT"


@functools.lru_cache(maxsize=16)
def link_around_code(landing_url: str, month: str, medium: str) -> tuple[str, str]:
    parts = urlsplit(landing_url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("ref", "utm_source", "utm_medium", "utm_campaign")
    ]
    path = parts.path.replace(CODE_SLOT, _CODE_SLOT)
    if path == parts.path:
        query.append(("ref", _CODE_SLOT))
    query += [
        ("utm_source", "newsletter"),
        ("utm_medium", medium),
        ("utm_campaign", f"referral-{month}"),
    ]
    url = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), parts.fragment))
    before, _, after = url.partition(_CODE_SLOT)
    return before, after
