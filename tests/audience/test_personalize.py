"""Per-recipient placeholder values and unsubscribe headers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from newsletter.audience.links import referral_link
from newsletter.audience.personalize import Personalizer
from newsletter.audience.subscribers import load_subscribers
from newsletter.config import load_config
from newsletter.deliver import mime
from newsletter.deliver.transport import Message
from newsletter.placeholders import PLACEHOLDERS
from tests.golden import FIXTURE_PROJECT

SECRET = b"a-test-secret-of-enough-length"
SAMPLE = load_config(FIXTURE_PROJECT / "newsletter.yaml")
SETTINGS = replace(SAMPLE, config=SAMPLE.config.model_copy(update={"desk": None}))
"""The sample without its desk: links lead to ``web.unsubscribe_url``."""
MARIA = load_subscribers(FIXTURE_PROJECT / "subscribers" / "subscribers.csv")[0]


LANDING = "https://shop.example.com/refer?src=mail&ref=old"
WHEN = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def personalizer(settings=SETTINGS):
    return Personalizer(settings, secret=SECRET, landing_url=LANDING, month="2026-11")


def recipient(subscriber=MARIA, settings=SETTINGS):
    return personalizer(settings).recipient(
        subscriber.email, subscriber.first_name, subscriber.last_name, code="K7QH3MZX"
    )


def received(settings=SETTINGS):
    """María's email of a plain message, as a send renders it."""
    message = Message("News", "news@example.com", "News", None, "<p>x</p>", "x")
    made = personalizer(settings)
    return mime.parse(mime.render(made.message(message), recipient(settings=settings), when=WHEN))


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
    headers = received()
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailto, https = headers["List-Unsubscribe"].split(", ")
    assert mailto == "<mailto:news@hartwellhvac.example.com?subject=unsubscribe>"
    assert https.startswith("<https://news.hartwellhvac.example.com/unsubscribe?t=1")


def test_only_mailto_unsubscribe_without_https_url() -> None:
    web = SETTINGS.config.web.model_copy(update={"unsubscribe_url": None})
    settings = replace(SETTINGS, config=SETTINGS.config.model_copy(update={"web": web}))
    email = received(settings)
    assert email["List-Unsubscribe"] == "<mailto:news@hartwellhvac.example.com?subject=unsubscribe>"
    assert email["List-Unsubscribe-Post"] is None


def test_a_send_fills_shared_parts_once_and_each_reader_gets_every_placeholder_filled() -> None:
    placeholders = " ".join(PLACEHOLDERS.values())
    message = Message(
        subject="News for %%FIRST_NAME%%",
        from_email="news@hartwellhvac.example.com",
        from_name="Hartwell",
        reply_to=None,
        html=f"<p>{placeholders}</p><a href='%%REFERRAL_LINK%%'>x</a>",
        text=f"{placeholders}\n",
    )
    made = personalizer()
    shared = made.message(message)
    sent = made.recipient(
        "maria.gonzalez@example.com", "María", "González", code="K7QH3MZX", progress="3 friends"
    )

    assert "%%REFERRAL_LINK%%" not in shared.html and "%%UNSUBSCRIBE_URL%%" not in shared.text
    assert set(sent.substitutions) == {
        "%%FIRST_NAME%%",
        "%%REFERRAL_CODE%%",
        "%%REFERRAL_PROGRESS%%",
        "%%UNSUBSCRIBE_TOKEN%%",
    }
    email = mime.parse(mime.render(shared, sent, when=WHEN))
    assert email["Subject"] == "News for María"
    token = sent.substitutions["%%UNSUBSCRIBE_TOKEN%%"]
    for kind in ("plain", "html"):
        content = email.get_body((kind,)).get_content()
        assert "%%" not in content
        assert "3 friends" in content and "ref=K7QH3MZX" in content
        assert f"unsubscribe?t={token}" in content
