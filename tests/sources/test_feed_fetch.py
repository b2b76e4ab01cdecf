"""Specifications for fetching feeds: real HTTP against a loopback server, nothing mocked."""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import SourceError
from newsletter.sources.fetch import FetchedFeed, fetch_feeds
from tests.feed_server import ETAG, FIXTURES, LAST_MODIFIED, FeedServer

RSS2 = (FIXTURES / "rss2.xml").read_bytes()
SHORT = 0.3  # seconds: the timeout for feeds that are meant to time out
LOOPBACK = ("127.0.0.1",)


class Fetcher:
    """fetch_feeds with a project folder (cache, snapshot) shared across calls in a test."""

    def __init__(self, server: FeedServer, root: Path) -> None:
        self.server = server
        self.root = root
        self.cache_dir = root / "state" / "feeds"
        self.diagnostics = Diagnostics()

    def feed(self, path: str, **overrides: Any) -> FeedConfig:
        options: dict[str, Any] = {
            "name": "Madison365",
            "url": self.server.url(path),
            "section": "local-news",
            "timeout": 2.0,
        }
        return FeedConfig(**(options | overrides))

    def many(self, *feeds: FeedConfig, **options: Any) -> dict[str, FetchedFeed]:
        return fetch_feeds(
            feeds,
            cache_dir=self.cache_dir,
            root=self.root,
            diagnostics=options.pop("diagnostics", self.diagnostics),
            # The loopback server is allowed by name, as an intranet feed would be.
            allow_private_hosts=options.pop("allow_private_hosts", LOOPBACK),
            **options,
        )

    def one(self, path: str, **overrides: Any) -> FetchedFeed:
        names = ("allow_private_hosts", "base_url", "diagnostics", "offline")
        options = {name: overrides.pop(name) for name in names if name in overrides}
        config = self.feed(path, **overrides)
        return self.many(config, **options)[config.slug]

    def snapshot(self, body: bytes = RSS2) -> str:
        path = self.root / "content" / "feeds" / "madison365.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return "content/feeds/madison365.xml"


@pytest.fixture
def fetcher(tmp_path: Path) -> Iterator[Fetcher]:
    with FeedServer() as server:
        yield Fetcher(server, tmp_path)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


# ---- the happy path ------------------------------------------------------------------------


def test_feed_is_fetched_from_the_network(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/rss2.xml")
    assert fetched == FetchedFeed("madison365", RSS2, "network")
    assert fetcher.diagnostics.warnings == []


def test_results_are_keyed_by_feed_slug(fetcher: Fetcher) -> None:
    results = fetcher.many(
        fetcher.feed("/rss2.xml", name="Madison Eats"),
        fetcher.feed("/atom.xml", name="EIA Today in Energy", kind="atom"),
    )
    assert sorted(results) == ["eia-today-in-energy", "madison-eats"]
    assert results["eia-today-in-energy"].body == (FIXTURES / "atom.xml").read_bytes()


def test_successful_fetch_is_cached_with_its_validators(fetcher: Fetcher) -> None:
    fetcher.one("/etag.xml")
    assert (fetcher.cache_dir / "madison365.body").read_bytes() == RSS2
    meta = json.loads((fetcher.cache_dir / "madison365.json").read_text())
    assert meta["url"] == fetcher.server.url("/etag.xml")
    assert meta["etag"] == ETAG
    assert meta["last_modified"] == LAST_MODIFIED
    assert not list(fetcher.cache_dir.glob("*.tmp"))


def test_not_modified_reuses_cached_body(fetcher: Fetcher) -> None:
    first = fetcher.one("/etag.xml")
    second = fetcher.one("/etag.xml")
    assert first.origin == "network"
    assert second == FetchedFeed("madison365", RSS2, "not-modified")
    assert fetcher.server.statuses("/etag.xml") == [200, 304]
    revalidation = fetcher.server.requests[-1].headers
    assert revalidation["if-none-match"] == ETAG
    assert revalidation["if-modified-since"] == LAST_MODIFIED


def test_first_fetch_sends_no_validators(fetcher: Fetcher) -> None:
    fetcher.one("/etag.xml")
    headers = fetcher.server.requests[0].headers
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


def test_redirects_are_followed(fetcher: Fetcher) -> None:
    assert fetcher.one("/redirect").body == RSS2
    assert fetcher.server.hits["/rss2.xml"] == 1


def test_user_agent_names_the_newsletter_and_its_site(fetcher: Fetcher) -> None:
    fetcher.one("/rss2.xml", base_url="https://news.hartwellhvac.example.com/")
    user_agent = fetcher.server.requests[0].headers["user-agent"]
    assert user_agent == "newsletter/0.1 (+https://news.hartwellhvac.example.com/)"


def test_calendar_is_fetched_as_bytes(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/calendar.ics", kind="ics", section="events")
    assert fetched.origin == "network"
    assert fetched.body == (FIXTURES / "calendar.ics").read_bytes()


def test_non_utf8_feed_bytes_are_kept_as_served(fetcher: Fetcher) -> None:
    assert fetcher.one("/latin1.xml").body == (FIXTURES / "latin1.xml").read_bytes()


def test_feeds_are_fetched_concurrently(fetcher: Fetcher) -> None:
    delay, count = 0.3, 5
    fetcher.server.route("/slowish.xml", body=RSS2, delay=delay)
    feeds = [fetcher.feed("/slowish.xml", name=f"Feed {n}") for n in range(count)]
    started = time.monotonic()
    results = fetcher.many(*feeds)
    elapsed = time.monotonic() - started
    assert {f.origin for f in results.values()} == {"network"}
    assert elapsed < delay * count * 0.6  # one after another would take delay * count


# ---- failures and fallbacks ----------------------------------------------------------------


def prime_cache(fetcher: Fetcher, path: str = "/flaky.xml") -> None:
    """Serve ``path`` well once so a good copy lands in the cache."""
    fetcher.server.route(path, body=RSS2)
    assert fetcher.one(path).origin == "network"


def test_feed_that_times_out_falls_back_to_cache(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    fetcher.server.route("/flaky.xml", body=RSS2, delay=1.0)
    started = time.monotonic()
    fetched = fetcher.one("/flaky.xml", timeout=SHORT)
    assert time.monotonic() - started < SHORT + 0.4
    assert fetched == FetchedFeed("madison365", RSS2, "cache")
    (warning,) = fetcher.diagnostics.warnings
    assert "Madison365" in warning
    assert "timed out after 0.3 s" in warning
    assert "cached copy" in warning


def test_trickling_body_is_cut_off_at_the_deadline(fetcher: Fetcher) -> None:
    started = time.monotonic()
    fetched = fetcher.one("/trickle.xml", timeout=SHORT)
    assert time.monotonic() - started < SHORT + 0.4
    assert fetched.origin == "missing"
    assert "timed out" in fetcher.diagnostics.warnings[0]


def test_deadline_holds_even_while_a_read_is_still_waiting(fetcher: Fetcher) -> None:
    # Each byte arrives within httpx's read timeout, so only the overall deadline stops it.
    fetcher.server.route("/drip.xml", body=RSS2, trickle=0.25)
    started = time.monotonic()
    fetched = fetcher.one("/drip.xml", timeout=SHORT)
    assert time.monotonic() - started < SHORT + 0.15
    assert fetched.origin == "missing"
    assert "timed out after 0.3 s" in fetcher.diagnostics.warnings[0]


def test_server_error_falls_back_to_cache(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    fetcher.server.route("/flaky.xml", body=b"down", status=503, content_type="text/plain")
    assert fetcher.one("/flaky.xml") == FetchedFeed("madison365", RSS2, "cache")
    assert "HTTP 503" in fetcher.diagnostics.warnings[0]


def test_connection_refused_falls_back_to_cache(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    # Move the cached copy to a URL where nothing listens.
    url = closed_port_url()
    meta_path = fetcher.cache_dir / "madison365.json"
    meta_path.write_text(json.dumps(json.loads(meta_path.read_text()) | {"url": url}))
    config = FeedConfig(name="Madison365", url=url, section="local-news", timeout=2.0)
    fetched = fetcher.many(config)["madison365"]
    assert fetched == FetchedFeed("madison365", RSS2, "cache")
    warning = fetcher.diagnostics.warnings[0]
    assert "cannot connect" in warning and "Error" not in warning


def test_malformed_feed_is_not_cached_and_falls_back(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    fetcher.server.route("/flaky.xml", body=(FIXTURES / "malformed.xml").read_bytes())
    assert fetcher.one("/flaky.xml") == FetchedFeed("madison365", RSS2, "cache")
    assert (fetcher.cache_dir / "madison365.body").read_bytes() == RSS2
    assert "not a valid RSS or Atom feed" in fetcher.diagnostics.warnings[0]


def test_feed_flagged_malformed_but_half_parsed_falls_back_to_cache(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    fetcher.server.route("/flaky.xml", body=(FIXTURES / "entities.xml").read_bytes())
    assert fetcher.one("/flaky.xml") == FetchedFeed("madison365", RSS2, "cache")
    assert (
        "not a valid RSS or Atom feed (line 7, column 78: undefined entity)"
        in (fetcher.diagnostics.warnings[0])
    )


def test_snapshot_outside_the_project_through_a_link_is_not_read(fetcher: Fetcher) -> None:
    outside = fetcher.root.parent / "outside-secret.txt"
    outside.write_text("secret")
    link = fetcher.root / "content" / "feeds" / "link.xml"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    fetched = fetcher.one("/not-found", snapshot="content/feeds/link.xml")
    assert fetched.origin == "missing"
    assert (
        "bundled snapshot refused: it leads outside the project" in fetcher.diagnostics.warnings[0]
    )


def test_snapshot_larger_than_max_bytes_is_not_used(fetcher: Fetcher) -> None:
    snapshot = fetcher.snapshot(b"x" * 2000)
    fetched = fetcher.one("/not-found", snapshot=snapshot, max_bytes=1000)
    assert fetched.origin == "missing"
    assert "larger than max_bytes (1,000 bytes)" in fetcher.diagnostics.warnings[0]


def test_web_page_served_instead_of_a_feed_is_refused(fetcher: Fetcher) -> None:
    assert fetcher.one("/html").origin == "missing"
    assert not (fetcher.cache_dir / "madison365.body").exists()


def test_calendar_that_is_not_icalendar_is_refused(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/rss2.xml", kind="ics", section="events")
    assert fetched.origin == "missing"
    assert "not an iCalendar file" in fetcher.diagnostics.warnings[0]


def test_oversized_feed_is_refused(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/big.xml", max_bytes=10_000)
    assert fetched.origin == "missing"
    assert "larger than max_bytes (10,000 bytes)" in fetcher.diagnostics.warnings[0]


def test_oversized_feed_without_length_is_cut_off_while_streaming(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/big-unsized.xml", max_bytes=10_000)
    assert fetched.origin == "missing"
    assert "larger than max_bytes" in fetcher.diagnostics.warnings[0]


def test_feed_within_max_bytes_is_accepted(fetcher: Fetcher) -> None:
    assert fetcher.one("/rss2.xml", max_bytes=len(RSS2)).origin == "network"


def test_failing_feed_without_cache_uses_bundled_snapshot(fetcher: Fetcher) -> None:
    snapshot = fetcher.snapshot(b"<rss>bundled</rss>")
    fetched = fetcher.one("/error", snapshot=snapshot)
    assert fetched == FetchedFeed("madison365", b"<rss>bundled</rss>", "snapshot")
    (warning,) = fetcher.diagnostics.warnings
    assert "HTTP 500" in warning
    assert "bundled snapshot content/feeds/madison365.xml" in warning


def test_cache_is_preferred_over_snapshot(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    fetcher.server.route("/flaky.xml", status=404)
    assert fetcher.one("/flaky.xml", snapshot=fetcher.snapshot(b"old")).origin == "cache"


def test_cache_of_a_different_url_is_not_used(fetcher: Fetcher) -> None:
    prime_cache(fetcher, "/flaky.xml")
    fetched = fetcher.one("/not-found", snapshot=fetcher.snapshot(b"bundled"))
    assert fetched.origin == "snapshot"


def test_corrupted_cache_is_not_used(fetcher: Fetcher) -> None:
    prime_cache(fetcher)
    (fetcher.cache_dir / "madison365.body").write_bytes(b"half a fee")
    fetcher.server.route("/flaky.xml", status=500)
    assert fetcher.one("/flaky.xml").origin == "missing"


def test_missing_feed_warns_that_its_section_will_lack_it(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/not-found")
    assert fetched == FetchedFeed("madison365", None, "missing")
    (warning,) = fetcher.diagnostics.warnings
    assert "HTTP 404" in warning
    assert "'local-news' will lack it" in warning


def test_unreadable_snapshot_counts_as_missing(fetcher: Fetcher) -> None:
    fetched = fetcher.one("/not-found", snapshot="content/feeds/nowhere.xml")
    assert fetched.origin == "missing"
    assert len(fetcher.diagnostics.warnings) == 2
    assert "snapshot does not exist" in fetcher.diagnostics.warnings[0]


def test_one_failing_feed_does_not_affect_the_others(fetcher: Fetcher) -> None:
    results = fetcher.many(
        fetcher.feed("/error", name="Broken"), fetcher.feed("/rss2.xml", name="Fine")
    )
    assert results["fine"].origin == "network"
    assert results["broken"].origin == "missing"


def test_warnings_come_in_config_order(fetcher: Fetcher) -> None:
    fetcher.server.route("/late-404", status=404, delay=0.2)
    fetcher.many(fetcher.feed("/late-404", name="First"), fetcher.feed("/error", name="Second"))
    assert [w.split("'")[1] for w in fetcher.diagnostics.warnings] == ["First", "Second"]


def test_strict_turns_fallback_into_error(fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match="HTTP 500"):
        fetcher.one("/error", snapshot=fetcher.snapshot(), diagnostics=Diagnostics(strict=True))


def test_no_feeds_fetch_nothing(fetcher: Fetcher) -> None:
    assert fetcher.many() == {}


def test_offline_fetch_uses_cache_then_snapshot_without_network_or_warnings(
    fetcher: Fetcher,
) -> None:
    prime_cache(fetcher)
    requests_before = len(fetcher.server.requests)
    results = fetcher.many(
        fetcher.feed("/flaky.xml"),
        fetcher.feed("/rss2.xml", name="Bundled", snapshot=fetcher.snapshot(b"bundled")),
        offline=True,
    )
    assert results["madison365"] == FetchedFeed("madison365", RSS2, "cache")
    assert results["bundled"] == FetchedFeed("bundled", b"bundled", "snapshot")
    assert len(fetcher.server.requests) == requests_before
    assert fetcher.diagnostics.warnings == []


def test_offline_fetch_still_reports_a_feed_with_no_fallback(fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match="offline build; no cached copy or snapshot"):
        fetcher.one("/rss2.xml", offline=True, diagnostics=Diagnostics(strict=True))


def test_a_feed_fetched_but_not_cached_on_a_full_disk_is_used_with_a_warning(
    fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", refuse)
    fetcher.server.route("/news.xml", body=RSS2)
    assert fetcher.one("/news.xml") == FetchedFeed("madison365", RSS2, "network")
    (warning,) = fetcher.diagnostics.warnings
    assert "not cached: " in warning and "No space left on device" in warning
    assert not list(fetcher.cache_dir.glob("*.body"))
