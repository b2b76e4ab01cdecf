"""Specifications for parsing and merging news feeds (pure: bytes in, items out)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import SourceError
from newsletter.model import Item
from newsletter.sources.feeds import merge_news, parse_news
from newsletter.sources.links import normalize_link

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


def feed(**overrides: Any) -> FeedConfig:
    options: dict[str, Any] = {
        "name": "Near East Side Notes",
        "url": "https://eastside.example.org/feed/",
        "section": "local-news",
        "max_items": 10,
    }
    return FeedConfig(**(options | overrides))


def parse(
    name: str,
    config: FeedConfig | None = None,
    *,
    summary_length: int = 240,
    window: tuple[datetime, datetime] = WINDOW,
    diagnostics: Diagnostics | None = None,
) -> tuple[Item, ...]:
    return parse_news(
        config or feed(),
        (FIXTURES / name).read_bytes(),
        window_start=window[0],
        window_end=window[1],
        summary_length=summary_length,
        diagnostics=diagnostics or Diagnostics(),
    )


def item(title: str, link: str, day: int | None, *, guid: str = "", source: str = "A") -> Item:
    published = datetime(2026, 11, day, 12, tzinfo=UTC) if day else None
    return Item(title, link, "", "", published, source, guid or link)


# ---- parse_news --------------------------------------------------------------------------


def test_rss2_entries_become_items_newest_first() -> None:
    items = parse("rss2.xml")
    assert [i.title for i in items] == [
        "Atwood Avenue reconstruction wraps up ahead of schedule",
        "Schenk's Corners & the new bike lanes",
        "Olbrich Gardens holiday lights start Friday",
        "Neighborhood association elects new board",
    ]
    first = items[0]
    assert first.link == "https://eastside.example.org/2026/11/atwood-reconstruction/"
    assert first.published == datetime(2026, 11, 19, 14, 30, tzinfo=UTC)
    assert first.source == "Near East Side Notes"
    assert first.guid == "https://eastside.example.org/?p=4410"


def test_published_dates_are_converted_to_utc() -> None:
    bike_lanes = parse("rss2.xml")[1]
    assert bike_lanes.published == datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
    assert bike_lanes.published.tzinfo is UTC


def test_entries_outside_window_are_dropped() -> None:
    window = (datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))
    titles = [i.title for i in parse("rss2.xml", window=window)]
    assert titles == [
        "Schenk's Corners & the new bike lanes",
        "Olbrich Gardens holiday lights start Friday",
    ]


def test_undated_entries_are_dropped_when_the_feed_has_dated_ones() -> None:
    assert all(i.published is not None for i in parse("rss2.xml"))


def test_undated_feed_keeps_its_entries_in_feed_order() -> None:
    items = parse("undated.xml", feed(max_items=2))
    assert [i.title for i in items] == ["First note", "Second note"]
    assert items[0].published is None


def test_at_most_max_items_are_kept() -> None:
    assert len(parse("rss2.xml", feed(max_items=2))) == 2


def test_summary_is_sanitized_with_links_made_absolute() -> None:
    summary = parse("rss2.xml")[0].summary_html
    assert summary == (
        "<p>Crews poured the last stretch of curb on <strong>Atwood Avenue</strong> this week."
        ' <a href="https://eastside.example.org/2026/11/parking/" rel="noopener">'
        "Street parking</a> returns Monday.</p>"
    )


def test_summary_text_is_the_plain_text_of_the_summary() -> None:
    assert parse("rss2.xml")[0].summary_text == (
        "Crews poured the last stretch of curb on Atwood Avenue this week. Street\n"
        "parking (https://eastside.example.org/2026/11/parking/) returns Monday."
    )


def test_summary_prefers_description_over_full_content() -> None:
    lights = parse("rss2.xml")[2]
    assert lights.summary_html == "Tickets go on sale at the gate."


def test_summary_is_cut_to_summary_length() -> None:
    first = parse("rss2.xml", summary_length=39)[0]
    assert first.summary_html == "<p>Crews poured the last stretch of curb…</p>"
    assert first.summary_text == "Crews poured the last stretch of curb…"


def test_atom_entries_are_parsed_with_relative_links_resolved() -> None:
    config = feed(name="Monroe Street Merchants", url="https://monroe.example.com/feed.atom")
    items = parse("atom.xml", config)
    assert [i.link for i in items] == [
        "https://monroe.example.com/news/bakery-second-location",
        "https://monroe.example.com/news/sidewalk-sale",
    ]
    assert 'href="https://monroe.example.com/map"' in items[0].summary_html
    assert items[1].published == datetime(2026, 10, 20, 18, 15, tzinfo=UTC)
    assert items[1].summary_text == "Record crowds despite the drizzle."


def test_html_titles_are_reduced_to_text() -> None:
    config = feed(name="Monroe Street Merchants", url="https://monroe.example.com/feed.atom")
    assert parse("atom.xml", config)[0].title == "Bakery opens its second location"


def test_rss1_rdf_entries_are_parsed() -> None:
    config = feed(name="Pinney Library", url="https://library.example.net/news.rdf")
    items = parse("rss1.rdf", config)
    assert [i.title for i in items] == [
        "Seed library returns for spring planning",
        "Tool lending adds a thermal camera",
    ]
    assert items[0].published == datetime(2026, 11, 3, 16, 0, tzinfo=UTC)


def test_declared_latin1_feed_is_decoded() -> None:
    config = feed(name="Café Müller", url="https://cafe-mueller.example.de/feed")
    (only,) = parse("latin1.xml", config)
    assert only.title == "Grüße aus dem Café Müller"
    assert only.summary_text == "Neu: Käsekuchen & Apfelstrudel, jeden Sonntag übermäßig lecker."


def test_hostile_summary_is_defused() -> None:
    config = feed(name="Hostile", url="https://hostile.example.com/feed")
    (only,) = parse("hostile.xml", config, summary_length=2000)
    html = only.summary_html
    for bad in ("<script", "document.cookie", "<style", "color: red", "onclick", "onerror"):
        assert bad not in html
    for bad in ("onmouseover", "javascript:", "data:", "<iframe", "<form", "<input", "<object"):
        assert bad not in html
    assert "t.gif" not in html  # the tracking pixel
    assert 'src="https://hostile.example.com/furnace.jpg"' in html
    assert 'alt="A clean filter"' in html
    assert 'href="https://hostile.example.com/tips/humidity"' in html


def test_hostile_title_is_plain_text() -> None:
    config = feed(name="Hostile", url="https://hostile.example.com/feed")
    assert parse("hostile.xml", config)[0].title == "Ten <script>alert(1)</script> furnace tips"


def test_malformed_feed_warns_and_yields_nothing() -> None:
    diagnostics = Diagnostics()
    assert parse("malformed.xml", diagnostics=diagnostics) == ()
    assert len(diagnostics.warnings) == 1
    assert "Near East Side Notes" in diagnostics.warnings[0]
    assert "malformed" in diagnostics.warnings[0]


def test_half_parsed_entries_of_a_malformed_feed_are_dropped_with_a_warning() -> None:
    diagnostics = Diagnostics()
    assert parse("entities.xml", diagnostics=diagnostics) == ()
    (warning,) = diagnostics.warnings
    assert "malformed (line 7, column 78: undefined entity)" in warning
    assert "its entries are left out" in warning


def test_malformed_feed_is_an_error_under_strict() -> None:
    with pytest.raises(SourceError, match="malformed"):
        parse("malformed.xml", diagnostics=Diagnostics(strict=True))


def test_a_web_page_is_not_a_feed() -> None:
    diagnostics = Diagnostics()
    result = parse_news(
        feed(),
        b"<!doctype html><html><body><h1>We moved!</h1></body></html>",
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        summary_length=240,
        diagnostics=diagnostics,
    )
    assert result == ()
    assert diagnostics.warnings


def test_bare_guids_are_scoped_to_their_feed() -> None:
    body = (
        (FIXTURES / "rss2.xml")
        .read_bytes()
        .replace(b"https://eastside.example.org/?p=4410", b"4410")
    )
    first = parse_news(
        feed(),
        body,
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        summary_length=240,
        diagnostics=Diagnostics(),
    )[0]
    assert first.guid == "near-east-side-notes:4410"


# ---- merge_news and normalize_link --------------------------------------------------------


def test_duplicate_entries_across_feeds_are_merged() -> None:
    story = item("Heat pump rebates grow", "https://x.example/rebates", 5, source="A")
    again = item("Heat pump rebates grow", "https://x.example/rebates", 5, source="B")
    other = item("Furnace season", "https://x.example/furnace", 3, source="B")
    merged = merge_news([(story,), (again, other)])
    assert merged == (story, other)


def test_entries_with_the_same_guid_are_merged_even_with_different_links() -> None:
    a = item("Story", "https://a.example/story", 5, guid="tag:x,2026:1")
    b = item("Story (syndicated)", "https://b.example/copy", 5, guid="tag:x,2026:1")
    assert merge_news([(a,), (b,)]) == (a,)


def test_tracking_parameters_do_not_defeat_dedup() -> None:
    plain = item("Refrigerant rules", "https://News.Example.com/r410a/", 4, guid="g1")
    tracked = item(
        "Refrigerant rules",
        "HTTPS://news.example.com:443/r410a?utm_source=feed&utm_medium=rss&fbclid=abc#top",
        4,
        guid="g2",
    )
    assert merge_news([(plain,), (tracked,)]) == (plain,)


def test_merged_items_are_newest_first_with_ties_by_title() -> None:
    old = item("Old", "https://x.example/old", 1)
    zebra = item("Zebra", "https://x.example/z", 9)
    apple = item("apple", "https://x.example/a", 9)
    undated = item("Undated", "https://x.example/u", None)
    assert merge_news([(old, zebra), (undated, apple)]) == (apple, zebra, old, undated)


def test_normalize_link_strips_tracking_and_cosmetic_differences() -> None:
    assert normalize_link(
        " HTTPS://Example.COM:443/Path/?utm_campaign=x&id=7&gclid=1&mc_cid=2&mc_eid=3&ref=tw#frag"
    ) == ("https://example.com/Path?id=7")


def test_normalize_link_keeps_meaningful_query_parameters_in_order() -> None:
    assert normalize_link("https://x.example/s?q=heat+pump&page=2") == (
        "https://x.example/s?q=heat+pump&page=2"
    )


def test_normalize_link_keeps_non_default_ports_and_other_schemes() -> None:
    assert normalize_link("http://x.example:8080/a/") == "http://x.example:8080/a"
    assert normalize_link("mailto:dana@example.com") == "mailto:dana@example.com"


def test_wordpress_excerpt_boilerplate_is_removed() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>WP</title>
    <link>https://wp.example.com</link><description>x</description><item>
    <title>Budget passes</title><link>https://wp.example.com/budget/</link>
    <pubDate>Wed, 04 Nov 2026 03:42:19 +0000</pubDate>
    <description><![CDATA[<p>The council passed the budget. [&#8230;]</p>
    <p>The post <a href="https://wp.example.com/budget/">Budget passes</a> appeared first on
    <a href="https://wp.example.com">WP</a>.</p>]]></description></item></channel></rss>"""
    (only,) = parse_news(
        feed(),
        body,
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        summary_length=240,
        diagnostics=Diagnostics(),
    )
    assert only.summary_html == "<p>The council passed the budget.</p>"
