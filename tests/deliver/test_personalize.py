"""Per-recipient placeholder values and unsubscribe headers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from newsletter.audience.links import referral_link
from newsletter.audience.subscribers import load_subscribers
from newsletter.config import load_config
from newsletter.deliver import mime
from newsletter.deliver.personalize import Personalizer, recipient_for
from newsletter.deliver.transport import Message
from newsletter.placeholders import PLACEHOLDERS
from tests.golden import FIXTURE_PROJECT

SECRET = b"a-test-secret-of-enough-length"
SAMPLE = load_config(FIXTURE_PROJECT / "newsletter.yaml")
SETTINGS = replace(SAMPLE, config=SAMPLE.config.model_copy(update={"desk": None}))
"""The sample without its desk: links lead to ``web.unsubscribe_url``."""
MARIA = load_subscribers(FIXTURE_PROJECT / "subscribers" / "subscribers.csv")[0]


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


def test_a_send_fills_shared_parts_once_yet_each_reader_gets_the_same_email() -> None:
    placeholders = " ".join(PLACEHOLDERS.values())
    message = Message(
        subject="News for %%FIRST_NAME%%",
        from_email="news@hartwellhvac.example.com",
        from_name="Hartwell",
        reply_to=None,
        html=f"<p>{placeholders}</p><a href='%%REFERRAL_LINK%%'>x</a>",
        text=f"{placeholders}\n",
    )
    personalizer = Personalizer(
        SETTINGS, secret=SECRET, landing_url="https://shop.example.com/refer", month="2026-11"
    )
    when = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    args = ("maria.gonzalez@example.com", "María", "González")
    options = {"code": "K7QH3MZX", "progress": "You’ve sent us 3 friends"}
    shared = personalizer.message(message)
    sent = personalizer.recipient(*args, **options)
    single = personalizer.single(*args, **options)

    assert "%%REFERRAL_LINK%%" not in shared.html and "%%UNSUBSCRIBE_URL%%" not in shared.text
    assert len(json.dumps(sent.substitutions)) < len(json.dumps(single.substitutions))
    by_send = mime.parse(mime.render(shared, sent, when=when))
    by_itself = mime.parse(mime.render(message, single, when=when))
    for header in ("Subject", "To", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert by_send[header] == by_itself[header]
    for kind in ("plain", "html"):
        content = by_send.get_body((kind,)).get_content()
        assert content == by_itself.get_body((kind,)).get_content()
        assert "%%" not in content
