"""Per-recipient values for the placeholders the build left in each segment's email.

The same value goes into the HTML and the text part (SendGrid substitutions cannot tell
them apart), so values are plain text that is safe in both: names lose ``<``, ``>`` and
``&``, URLs are the only other values.
"""

from __future__ import annotations

from dataclasses import replace

from newsletter.audience.links import link_around_code
from newsletter.audience.tokens import unsubscribe_link, unsubscribe_tokens
from newsletter.config import Settings
from newsletter.config.desk import one_click_unsubscribe, unsubscribe_base
from newsletter.mail import Message, Recipient
from newsletter.placeholders import PLACEHOLDERS

_UNSAFE = str.maketrans("", "", "<>&")


def safe_name(name: str) -> str:
    if "<" in name or ">" in name or "&" in name:
        name = name.translate(_UNSAFE)
    return name.strip()


class Personalizer:
    """Each recipient's placeholder values and unsubscribe header, for one send.

    What is the same for every recipient is worked out once here, and goes into the
    message once (:meth:`message`): the referral link around the code, the unsubscribe
    link around the token, the one-click header. So a recipient carries only what is
    theirs: name, code, progress line and unsubscribe token (this runs per reader, and on
    SendGrid every value is JSON in a request).
    """

    def __init__(self, settings: Settings, *, secret: bytes, landing_url: str, month: str):
        config = settings.config
        self._tokens = unsubscribe_tokens(secret)
        self._fallback = config.issue.first_name_fallback
        base = unsubscribe_base(config)
        self._link_before, self._link_after = link_around_code(landing_url, month, "email")
        self._unsubscribe_before = unsubscribe_link(base, "")
        self._mailto = f"<mailto:{config.sender.email}?subject=unsubscribe>"
        self._one_click = one_click_unsubscribe(config)
        self._one_click_before = f"{self._mailto}, <{self._unsubscribe_before}"  # + token

    def message(self, message: Message) -> Message:
        """``message`` with what is the same for everyone filled in once: the referral
        link is the landing page around ``%%REFERRAL_CODE%%``, the unsubscribe link the
        unsubscribe page around the token; the one-click header is added."""
        shared = {
            _REFERRAL_LINK: f"{self._link_before}{_REFERRAL_CODE}{self._link_after}",
            _UNSUBSCRIBE_URL: f"{self._unsubscribe_before}{UNSUBSCRIBE_TOKEN}",
        }

        def fill(text: str) -> str:
            for token, value in shared.items():
                text = text.replace(token, value)
            return text

        return replace(
            message,
            subject=fill(message.subject),
            html=fill(message.html),
            text=fill(message.text),
            headers={**message.headers, **self._message_headers()},
        )

    def _message_headers(self) -> dict[str, str]:
        """One-click unsubscribe (RFC 8058) when an https unsubscribe address is set (each
        List-Unsubscribe then has one)."""
        return {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} if self._one_click else {}

    def recipient(
        self, email: str, first_name: str, last_name: str, *, code: str, progress: str = ""
    ) -> Recipient:
        """The recipient with their own values for a message from :meth:`message`."""
        token = self._tokens.token(email)
        first = safe_name(first_name)
        return Recipient(
            email,
            safe_name(f"{first_name} {last_name}") if last_name else first,
            {
                _FIRST_NAME: first or self._fallback,
                _REFERRAL_CODE: code,
                _REFERRAL_PROGRESS: progress,
                UNSUBSCRIBE_TOKEN: token,
            },
            {"List-Unsubscribe": f"{self._one_click_before}{token}>"}
            if self._one_click
            else {"List-Unsubscribe": self._mailto},
        )


UNSUBSCRIBE_TOKEN = "%%UNSUBSCRIBE_TOKEN%%"
"""Where :meth:`Personalizer.message` leaves each recipient's unsubscribe token (the send's
own placeholder; the build never writes it)."""

_FIRST_NAME = PLACEHOLDERS["first_name"]
_REFERRAL_CODE = PLACEHOLDERS["referral_code"]
_REFERRAL_LINK = PLACEHOLDERS["referral_link"]
_REFERRAL_PROGRESS = PLACEHOLDERS["referral_progress"]
_UNSUBSCRIBE_URL = PLACEHOLDERS["unsubscribe_url"]
