"""Per-recipient values for the placeholders the build left in each segment's email.

The same value goes into the HTML and the text part (SendGrid substitutions cannot tell
them apart), so values are plain text that is safe in both: names lose ``<``, ``>`` and
``&``, URLs are the only other values.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsletter.config import Settings
from newsletter.deliver.transport import Recipient
from newsletter.model import Subscriber
from newsletter.placeholders import PLACEHOLDERS

from .tokens import unsubscribe_tokens, unsubscribe_url


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


_UNSAFE = str.maketrans("", "", "<>&")


def safe_name(name: str) -> str:
    if "<" in name or ">" in name or "&" in name:
        name = name.translate(_UNSAFE)
    return name.strip()


class Personalizer:
    """Each recipient's placeholder values and unsubscribe header, for one send.

    What is the same for every recipient (the links around the code, the unsubscribe
    address, the one-click header) is worked out once here: this runs per reader.
    """

    def __init__(self, settings: Settings, *, secret: bytes, landing_url: str, month: str):
        config = settings.config
        self._tokens = unsubscribe_tokens(secret)
        self._fallback = config.issue.first_name_fallback
        self._unsubscribe_base = (
            config.web.unsubscribe_url or f"{config.web.base_url.rstrip('/')}/unsubscribe"
        )
        self._link_before, self._link_after = _link_around_code(landing_url, month, "email")
        self._mailto = f"<mailto:{config.sender.email}?subject=unsubscribe>"
        self._one_click = bool(config.web.unsubscribe_url)

    @property
    def message_headers(self) -> dict[str, str]:
        """Headers every recipient's message carries: one-click unsubscribe (RFC 8058)
        when an https unsubscribe address is set (each List-Unsubscribe then has one)."""
        return {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} if self._one_click else {}

    def recipient(
        self, email: str, first_name: str, last_name: str, *, code: str, progress: str = ""
    ) -> Recipient:
        """The recipient with every placeholder's value and their List-Unsubscribe."""
        personal_unsubscribe = unsubscribe_url(self._unsubscribe_base, self._tokens, email)
        return Recipient(
            email=email,
            name=safe_name(f"{first_name} {last_name}"),
            substitutions={
                _FIRST_NAME: safe_name(first_name) or self._fallback,
                _REFERRAL_CODE: code,
                _REFERRAL_LINK: f"{self._link_before}{code}{self._link_after}",
                _REFERRAL_PROGRESS: progress,
                _UNSUBSCRIBE_URL: personal_unsubscribe,
            },
            headers={
                "List-Unsubscribe": f"{self._mailto}, <{personal_unsubscribe}>"
                if self._one_click
                else self._mailto
            },
        )


_FIRST_NAME = PLACEHOLDERS["first_name"]
_REFERRAL_CODE = PLACEHOLDERS["referral_code"]
_REFERRAL_LINK = PLACEHOLDERS["referral_link"]
_REFERRAL_PROGRESS = PLACEHOLDERS["referral_progress"]
_UNSUBSCRIBE_URL = PLACEHOLDERS["unsubscribe_url"]


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
    """One subscriber's recipient, with the one-click header among its own (for a single
    message; a send uses one :class:`Personalizer` for everyone)."""
    personalizer = Personalizer(settings, secret=secret, landing_url=landing_url, month=month)
    recipient = personalizer.recipient(
        subscriber.email, subscriber.first_name, subscriber.last_name, code=code, progress=progress
    )
    return replace(recipient, headers={**recipient.headers, **personalizer.message_headers})
