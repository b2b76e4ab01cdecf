"""News feeds: parse them, merge them (fetching is :mod:`newsletter.sources.fetch`).

Parsing and merging are pure: the same bytes and window give the same items. A feed the
parser flags as malformed (not well-formed XML, say an entity-expansion attack) yields no
items and a warning: what a lenient parser half-recovers from such a body is not published.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import feedparser

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.model import Item
from newsletter.sources.html import html_to_text, truncate_html
from newsletter.sources.links import feed_link, normalize_link
from newsletter.sources.sanitize import sanitize

# WordPress ends every excerpt with "[…]" and "The post X appeared first on Y." — noise here.
BOILERPLATE = re.compile(
    r"<p>The post\s(?:(?!</p>).)*?\sappeared\s+first\s+on\s(?:(?!</p>).)*</p>|\s*\[(?:…|\.\.\.)\]",
    re.DOTALL,
)
# ---- parsing ---------------------------------------------------------------------------


BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
"""What feedparser flags but parses whole: no Content-Type given (snapshots and cached
copies have none), or a declared encoding it corrected."""


def parse_feed(body: bytes, url: str) -> Any:
    """feedparser's result for ``body``, the feed found at ``url``."""
    # BytesIO: feedparser treats a bare string as a URL or file name to open. The
    # content-location gives relative links in the feed their base. Sanitizing is ours
    # (nh3), and must see style attributes to spot hidden tracking pixels.
    return feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": url}, sanitize_html=False
    )


def malformed(parsed: Any) -> str:
    """Why the parser flagged ``parsed`` as malformed ('' when it is sound).

    After a well-formedness error feedparser retries with a lenient parser and returns what
    that recovered — for an entity-expansion attack, items titled ``&h;``. Such entries
    are never used.
    """
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(exc, BENIGN_BOZO):
        # expat says "<unknown>:7:78: undefined entity": the place is in the feed's bytes
        return re.sub(r"^<unknown>:(\d+):(\d+): ", r"line \1, column \2: ", str(exc or "?"))
    if not parsed.get("version"):
        return "not a feed"
    return ""


def parse_news(
    feed: FeedConfig,
    body: bytes,
    *,
    window_start: datetime,
    window_end: datetime,
    summary_length: int,
    diagnostics: Diagnostics,
) -> tuple[Item, ...]:
    """The feed's entries published within [window_start, window_end], newest first.

    At most ``feed.max_items``. Summaries are sanitized (relative URLs resolved against the
    feed's site) and cut to ``summary_length`` visible characters. Entries without a date
    cannot be placed in the window: they are kept only when no entry of the feed has a
    date (then in the feed's own order), and dropped otherwise. A body that is not a feed
    is reported through ``diagnostics`` and yields no items.
    """
    parsed = parse_feed(body, feed.url)
    problem = malformed(parsed)
    if problem:
        diagnostics.warn(f"feed {feed.name!r}: malformed ({problem}); its entries are left out")
        return ()
    if not parsed.entries:
        return ()
    site = parsed.feed.get("link") or feed.url
    start, end = _utc(window_start), _utc(window_end)
    items = [_item(feed, entry, site, summary_length) for entry in parsed.entries]
    in_window = [i for i in items if i.published and start <= i.published <= end]
    undated_feed = all(i.published is None for i in items)
    kept = items if undated_feed else sorted(in_window, key=_newest_first)
    return tuple(kept[: feed.max_items])


def _item(feed: FeedConfig, entry: Any, site: str, summary_length: int) -> Item:
    link = feed_link(entry.get("link", ""), base=site)
    base = link or site
    raw = entry.get("summary") or next((c.value for c in entry.get("content", ())), "")
    cleaned = BOILERPLATE.sub("", sanitize(raw, base_url=base, from_feed=True)).strip()
    summary_html = truncate_html(cleaned, summary_length)
    summary_text = html_to_text(summary_html)
    title_detail = entry.get("title_detail") or {}
    title = entry.get("title", "")
    if "html" in title_detail.get("type", ""):
        title = html_to_text(title, width=10_000)
    title = " ".join(title.split()) or _first_words(summary_text) or link or "(untitled)"
    guid = entry.get("id", "").strip()
    if guid and ":" not in guid:
        guid = f"{feed.slug}:{guid}"  # a bare "123" is unique only within its own feed
    guid = guid or (normalize_link(link) if link else f"{feed.slug}:{title}")
    return Item(
        title=title,
        link=link,
        summary_html=summary_html,
        summary_text=summary_text,
        published=_published(entry),
        source=feed.name,
        guid=guid,
    )


def _first_words(text: str, limit: int = 80) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[:limit].rsplit(" ", 1)[0] + "…"


def _published(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    year, month, day, hour, minute, second = stamp[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)  # feedparser: UTC


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---- merging ---------------------------------------------------------------------------


def merge_news(per_feed: Sequence[tuple[Item, ...]]) -> tuple[Item, ...]:
    """All items once each, newest first (undated last), ties broken by title.

    Two items are the same story when they share a guid or their links are equal after
    :func:`normalize_link`; the one from the earlier feed wins.
    """
    merged = [item for items in without_repeats(per_feed) for item in items]
    return tuple(sorted(merged, key=_newest_first))


def without_repeats(groups: Sequence[tuple[Item, ...]]) -> list[tuple[Item, ...]]:
    """``groups`` (feeds, or the sections of an issue) in order, each story kept only where
    it appears first: same guid, or the same link after :func:`normalize_link`."""
    seen: set[str] = set()
    kept: list[tuple[Item, ...]] = []
    for items in groups:
        fresh: list[Item] = []
        for item in items:
            keys = {f"guid:{item.guid}"}
            if item.link:
                keys.add(f"link:{normalize_link(item.link)}")
            if not keys & seen:
                seen |= keys
                fresh.append(item)
        kept.append(tuple(fresh))
    return kept


def _newest_first(item: Item) -> tuple[bool, float, str, str, str]:
    """Sort key: newest first, undated last, then by title, for a deterministic order."""
    stamp = -item.published.timestamp() if item.published else 0.0
    return (item.published is None, stamp, item.title.casefold(), item.title, item.guid)
