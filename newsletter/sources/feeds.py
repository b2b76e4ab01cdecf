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
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import feedparser

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.model import Item
from newsletter.sources.html import html_to_text, sanitize, truncate_html

# WordPress ends every excerpt with "[…]" and "The post X appeared first on Y." — noise here.
BOILERPLATE = re.compile(
    r"<p>The post\s(?:(?!</p>).)*?\sappeared\s+first\s+on\s(?:(?!</p>).)*</p>|\s*\[(?:…|\.\.\.)\]",
    re.DOTALL,
)
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid"}
    | {"mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "_hsenc", "_hsmi", "mkt_tok"}
    | {"oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wickedid", "s_cid", "cmpid"}
    | {"__s", "_ga", "_gl", "spm"}
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
    link = _web_link(entry.get("link", ""), site)
    base = link or site
    raw = entry.get("summary") or next((c.value for c in entry.get("content", ())), "")
    cleaned = BOILERPLATE.sub("", sanitize(raw, base_url=base)).strip()
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


def _web_link(link: str, site: str) -> str:
    """``link`` made absolute; '' unless it is http(s) (it becomes an href in the email)."""
    absolute = urljoin(site, link.strip()) if link.strip() else ""
    return absolute if urlsplit(absolute).scheme in ("http", "https") else ""


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


def normalize_link(url: str) -> str:
    """``url`` in a canonical form for comparison.

    Lowercases scheme and host, drops default ports, the fragment, a trailing slash and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``ref`` …); keeps
    the order of the remaining query parameters. Non-web URLs are only trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        host = parts.netloc.rsplit("@", 1)[0] + "@" + host
    # Filter the raw pairs so the parameters that stay keep their exact spelling.
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _is_tracking(unquote_plus(pair.split("=", 1)[0]).lower())
    )
    return urlunsplit((scheme, host, parts.path.rstrip("/"), query, ""))


def _is_tracking(key: str) -> bool:
    return key.startswith("utm_") or key in TRACKING_PARAMS


def merge_news(per_feed: Sequence[tuple[Item, ...]]) -> tuple[Item, ...]:
    """All items once each, newest first (undated last), ties broken by title.

    Two items are the same story when they share a guid or their links are equal after
    :func:`normalize_link`; the one from the earlier feed wins.
    """
    seen: set[str] = set()
    merged: list[Item] = []
    for items in per_feed:
        for item in items:
            keys = {f"guid:{item.guid}"}
            if item.link:
                keys.add(f"link:{normalize_link(item.link)}")
            if keys & seen:
                continue
            seen |= keys
            merged.append(item)
    return tuple(sorted(merged, key=_newest_first))


def _newest_first(item: Item) -> tuple[bool, float, str, str, str]:
    """Sort key: newest first, undated last, then by title, for a deterministic order."""
    stamp = -item.published.timestamp() if item.published else 0.0
    return (item.published is None, stamp, item.title.casefold(), item.title, item.guid)
