"""The one link policy: what a reader may follow, and trackers off links from feeds."""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.sources.links import feed_link, normalize_link, reader_link, without_tracking


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "https://user:secret@bank.example/",
        "https://bank.example@evil.example/",
        "https://good.example\\@evil.example/",
        "https://x.example:port/",
        "https:///no-host",
        "//no-scheme.example/",
        "/relative/without/base",
        "https://x.example/\x00",
        "https://x.example/" + "a" * 2001,
    ],
)
def test_what_a_reader_cannot_safely_follow_is_no_link(url: str) -> None:
    assert reader_link(url) == ""


def test_web_links_are_kept_as_written_with_spaces_encoded() -> None:
    assert reader_link(" https://x.example/a b?q=1#top ") == "https://x.example/a%20b?q=1#top"
    assert reader_link("HTTP://X.example/") == "HTTP://X.example/"


def test_a_relative_link_is_resolved_against_a_web_base_only() -> None:
    assert reader_link("/story", base="https://news.example/feed") == "https://news.example/story"
    assert reader_link("/story", base="javascript:alert(1)") == ""


def test_feed_links_lose_tracking_parameters_and_keep_the_rest_in_order() -> None:
    link = "https://x.example/a?utm_source=rss&id=7&fbclid=1&GCLID=2&mc_eid=3&ref=main&page=2"
    assert feed_link(link) == "https://x.example/a?id=7&ref=main&page=2"


def test_a_link_without_trackers_is_returned_as_it_is() -> None:
    assert without_tracking("https://x.example/a?b=1&&c") == "https://x.example/a?b=1&&c"


def test_links_differing_in_a_ref_tag_are_still_the_same_story() -> None:
    assert normalize_link("https://x.example/a?ref=rss") == normalize_link("https://x.example/a")


@given(st.text() | st.builds("https://x.example/?{}".format, st.text()))
def test_any_text_gives_no_link_or_a_web_link_without_credentials_or_trackers(url: str) -> None:
    link = feed_link(url, base="https://news.example/")
    if link:
        parts = urlsplit(link)
        assert parts.scheme.lower() in ("http", "https") and parts.hostname
        assert "@" not in parts.netloc and "\\" not in link
        assert not any(ord(c) < 32 for c in link)
        keys = [unquote_plus(p.split("=", 1)[0]).lower() for p in parts.query.split("&")]
        assert not [k for k in keys if k.startswith("utm_") or k == "fbclid"]
