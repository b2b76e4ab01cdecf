"""Per-recipient placeholder values and unsubscribe headers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from newsletter.audience.personalize import recipient_for, referral_link
from newsletter.audience.subscribers import load_subscribers
from newsletter.config import load_config

REPO = Path(__file__).resolve().parent.parent
SECRET = b"a-test-secret-of-enough-length"
SETTINGS = load_config(REPO / "newsletter.yaml")
MARIA = load_subscribers(REPO / "subscribers" / "subscribers.csv")[0]


def recipient(subscriber=MARIA, settings=SETTINGS):
    return recipient_for(
        subscriber,
        settings,
        secret=SECRET,
        code="K7QH3MZX",
        landing_url="https://shop.example.com/refer?src=mail&ref=old",
        month="2026-11",
    )


def test_referral_link_carries_code_and_campaign() -> None:
    link = referral_link("https://shop.example.com/refer?src=mail&ref=old", "K7QH3MZX", "2026-11")
    query = parse_qs(urlsplit(link).query)
    assert query == {
        "src": ["mail"],
        "ref": ["K7QH3MZX"],
        "utm_source": ["newsletter"],
        "utm_medium": ["email"],
        "utm_campaign": ["referral-2026-11"],
    }


def test_first_name_is_filled_with_fallback_when_blank() -> None:
    assert recipient().substitutions["%%FIRST_NAME%%"] == "María"
    nameless = replace(MARIA, first_name="")
    assert recipient(nameless).substitutions["%%FIRST_NAME%%"] == "neighbor"


def test_name_cannot_inject_markup() -> None:
    hostile = replace(MARIA, first_name="<b>Bo</b> & co")
    assert recipient(hostile).substitutions["%%FIRST_NAME%%"] == "bBo/b  co"


def test_one_click_unsubscribe_headers_when_https_url_configured() -> None:
    headers = recipient().headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailto, https = headers["List-Unsubscribe"].split(", ")
    assert mailto == "<mailto:news@hartwellhvac.example.com?subject=unsubscribe>"
    assert https.startswith("<https://news.hartwellhvac.example.com/unsubscribe?t=1")


def test_only_mailto_unsubscribe_without_https_url() -> None:
    web = SETTINGS.config.web.model_copy(update={"unsubscribe_url": None})
    settings = replace(SETTINGS, config=SETTINGS.config.model_copy(update={"web": web}))
    assert set(recipient(settings=settings).headers) == {"List-Unsubscribe"}
