"""Per-recipient values for the placeholders the build left in each segment's email.

The same value goes into the HTML and the text part (SendGrid substitutions cannot tell
them apart), so values are plain text that is safe in both: names lose ``<``, ``>`` and
``&``, URLs are the only other values.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsletter.config import Settings
from newsletter.deliver.transport import Recipient
from newsletter.model import Subscriber
from newsletter.placeholders import PLACEHOLDERS

from .tokens import unsubscribe_url


def referral_link(landing_url: str, code: str, month: str, *, medium: str = "email") -> str:
    """The offer's landing page with ``ref=CODE`` and campaign parameters for the month.

    ``medium`` tells the landing page's analytics where the link came from (``print`` for
    the QR code on paper)."""
    # Codes use only URL-safe letters and digits, so the URL is built once per send and
    # the code dropped in: this runs for every recipient.
    before, after = _link_around_code(landing_url, month, medium)
    return f"{before}{code}{after}"


_CODE_SLOT = "CODESLOT"


@functools.lru_cache(maxsize=16)
def _link_around_code(landing_url: str, month: str, medium: str) -> tuple[str, str]:
    parts = urlsplit(landing_url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("ref", "utm_source", "utm_medium", "utm_campaign")
    ]
    query += [
        ("ref", _CODE_SLOT),
        ("utm_source", "newsletter"),
        ("utm_medium", medium),
        ("utm_campaign", f"referral-{month}"),
    ]
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
    before, _, after = url.partition(_CODE_SLOT)
    return before, after


def safe_name(name: str) -> str:
    return "".join(ch for ch in name if ch not in "<>&").strip()


def unsubscribe_headers(settings: Settings, personal_url: str) -> dict[str, str]:
    """List-Unsubscribe with mailto and https; one-click POST (RFC 8058) when https is set."""
    mailto = f"<mailto:{settings.config.sender.email}?subject=unsubscribe>"
    if not settings.config.web.unsubscribe_url:
        return {"List-Unsubscribe": mailto}
    return {
        "List-Unsubscribe": f"{mailto}, <{personal_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def recipient_for(
    subscriber: Subscriber,
    settings: Settings,
    *,
    secret: bytes,
    code: str,
    landing_url: str,
    month: str,
    progress: str = "",
) -> Recipient:
    """The recipient with every placeholder's value and its unsubscribe headers."""
    config = settings.config
    base = config.web.unsubscribe_url or f"{config.web.base_url.rstrip('/')}/unsubscribe"
    personal_unsubscribe = unsubscribe_url(base, secret, subscriber.email)
    values = {
        "first_name": safe_name(subscriber.first_name) or config.issue.first_name_fallback,
        "referral_code": code,
        "referral_link": referral_link(landing_url, code, month),
        "referral_progress": progress,
        "unsubscribe_url": personal_unsubscribe,
    }
    full_name = safe_name(f"{subscriber.first_name} {subscriber.last_name}")
    return Recipient(
        email=subscriber.email,
        name=full_name,
        substitutions={PLACEHOLDERS[k]: v for k, v in values.items()},
        headers=unsubscribe_headers(settings, personal_unsubscribe),
    )
