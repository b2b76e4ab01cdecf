"""News feeds: fetch them (the pipeline's only network step), parse them, merge them.

Fetching never blocks an issue. Every feed is fetched at once, each against its own hard
deadline and size cap; a feed that fails falls back to the last good copy cached under
``cache_dir``, then to the snapshot bundled with the content, and only then goes missing —
each fallback is a warning, which ``--strict`` turns into a :class:`SourceError`.

Parsing and merging are pure: the same bytes and window give the same items.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import feedparser
import httpx

from newsletter.config import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.fsutil import SHARED, atomic_write
from newsletter.html import html_to_text, sanitize, truncate_html
from newsletter.model import Item

Origin = Literal["network", "not-modified", "cache", "snapshot", "missing"]
USER_AGENT = "newsletter/0.1"
MAX_REDIRECTS = 5
# After a feed's deadline the caller stops waiting for it; this covers thread hand-off only.
DEADLINE_GRACE = 0.05
ACCEPT = {
    "rss": "application/rss+xml, application/rdf+xml, application/atom+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "atom": "application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "ics": "text/calendar, */*;q=0.5",
}
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


@dataclass(frozen=True)
class FetchedFeed:
    """The bytes to parse for one feed, and where they came from."""

    slug: str
    body: bytes | None
    origin: Origin


@dataclass(frozen=True)
class _Attempt:
    """What a network attempt produced: a body, or the reason there is none."""

    body: bytes | None
    origin: Origin
    cause: str = ""


class _Cache:
    """Last good body of each feed plus its validators, in ``<slug>.body`` / ``<slug>.json``."""

    def __init__(self, folder: Path, feed: FeedConfig) -> None:
        self.body_path = folder / f"{feed.slug}.body"
        self.meta_path = folder / f"{feed.slug}.json"
        self.url = feed.url

    def load(self) -> tuple[bytes, dict[str, str]] | None:
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            body = self.body_path.read_bytes()
        except (OSError, ValueError):
            return None
        # A copy of another URL, or a body and meta written by different runs, is unusable.
        if not isinstance(meta, dict) or meta.get("url") != self.url:
            return None
        if meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        return body, meta

    def save(self, body: bytes, response: httpx.Response) -> None:
        meta = {
            "url": self.url,
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
            "sha256": hashlib.sha256(body).hexdigest(),
            "saved_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        atomic_write(self.body_path, body, mode=SHARED)
        atomic_write(self.meta_path, json.dumps(meta, indent=2) + "\n", mode=SHARED)


def fetch_feeds(
    feeds: Sequence[FeedConfig],
    *,
    cache_dir: Path,
    root: Path,
    diagnostics: Diagnostics,
    client: httpx.Client | None = None,
    base_url: str | None = None,
    offline: bool = False,
) -> dict[str, FetchedFeed]:
    """Fetch every feed concurrently; return what to parse for each, keyed by slug.

    Each feed gets ``feed.timeout`` seconds in total (however slowly the body trickles in)
    and at most ``feed.max_bytes``. Unchanged feeds are revalidated with ETag and
    Last-Modified. On any failure the last good cached copy is used, else the bundled
    snapshot (``feed.snapshot``, relative to ``root``), else the feed is missing; each
    fallback is reported through ``diagnostics`` in config order. ``base_url`` (the
    newsletter's web address) is named in the User-Agent so site owners can reach us.

    ``offline`` skips the network: cache, then snapshot, are used without a warning, since
    nothing failed; only a feed with neither is reported.
    """
    if offline:
        return {f.slug: _settle(f, _OFFLINE, cache_dir, root, diagnostics) for f in feeds}
    if not feeds:
        return {}
    user_agent = f"{USER_AGENT} (+{base_url})" if base_url else USER_AGENT
    owned = client is None
    http = client or httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS)
    pool = ThreadPoolExecutor(max_workers=len(feeds), thread_name_prefix="feed")
    started = time.monotonic()
    futures = [
        pool.submit(_download, http, feed, _Cache(cache_dir, feed), started, user_agent)
        for feed in feeds
    ]
    attempts: list[_Attempt] = []
    for feed, future in zip(feeds, futures, strict=True):
        remaining = started + feed.timeout + DEADLINE_GRACE - time.monotonic()
        try:
            attempts.append(future.result(timeout=max(0.0, remaining)))
        except FutureTimeout:
            attempts.append(_Attempt(None, "missing", f"timed out after {feed.timeout:g} s"))
    # Stragglers past their deadline are abandoned, not awaited: the issue must not wait.
    pool.shutdown(wait=False, cancel_futures=True)
    if owned:
        _close_when_done(http, [f for f in futures if not f.done()])

    return {
        feed.slug: _settle(feed, attempt, cache_dir, root, diagnostics)
        for feed, attempt in zip(feeds, attempts, strict=True)
    }


_OFFLINE = _Attempt(None, "missing", "")  # not fetched on purpose: fallbacks are expected


class _Refused(Exception):
    """This response cannot be used; the message says why."""


def _download(
    client: httpx.Client, feed: FeedConfig, cache: _Cache, started: float, user_agent: str
) -> _Attempt:
    deadline = started + feed.timeout
    cached = cache.load()
    headers = {"User-Agent": user_agent, "Accept": ACCEPT[feed.kind]}
    if cached and cached[1].get("etag"):
        headers["If-None-Match"] = cached[1]["etag"]
    if cached and cached[1].get("last_modified"):
        headers["If-Modified-Since"] = cached[1]["last_modified"]
    timed_out = f"timed out after {feed.timeout:g} s"
    try:
        with client.stream(
            "GET", feed.url, headers=headers, timeout=feed.timeout, follow_redirects=True
        ) as response:
            if response.status_code == 304 and cached:
                return _Attempt(cached[0], "not-modified")
            if not 200 <= response.status_code < 300:
                raise _Refused(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            too_big = _Refused(f"larger than max_bytes ({feed.max_bytes:,} bytes)")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > feed.max_bytes:
                raise too_big
            chunks: list[bytes] = []
            size = 0
            # httpx's timeout bounds each read; this bounds the whole body, however it trickles.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > feed.max_bytes:
                    raise too_big
                if time.monotonic() > deadline:
                    raise _Refused(timed_out)
                chunks.append(chunk)
        body = b"".join(chunks)
        problem = _invalid(feed, body)
        if problem:
            raise _Refused(problem)  # and so never cached
    except _Refused as refused:
        return _Attempt(None, "missing", str(refused))
    except httpx.TimeoutException:
        return _Attempt(None, "missing", timed_out)
    except httpx.TooManyRedirects:
        return _Attempt(None, "missing", f"more than {MAX_REDIRECTS} redirects")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _Attempt(None, "missing", f"{type(exc).__name__}: {exc}".rstrip(": "))
    if time.monotonic() <= deadline:  # past it, the caller may have given up on us
        cache.save(body, response)
    return _Attempt(body, "network")


def _invalid(feed: FeedConfig, body: bytes) -> str:
    """Why ``body`` is not a usable feed of its kind ('' when it is)."""
    if feed.kind == "ics":
        head = body.lstrip(b"\xef\xbb\xbf").lstrip()[:15].upper()
        return "" if head == b"BEGIN:VCALENDAR" else "not an iCalendar file"
    parsed = _parse(body, feed.url)
    if parsed.entries:
        return ""
    if parsed.bozo or not parsed.get("version"):
        return f"not a valid RSS or Atom feed ({_bozo_reason(parsed)})"
    return ""  # a well-formed feed with no entries yet


def _settle(
    feed: FeedConfig, attempt: _Attempt, cache_dir: Path, root: Path, diagnostics: Diagnostics
) -> FetchedFeed:
    """The network result, or the best fallback, warning about why a fallback was needed."""
    if attempt.body is not None:
        return FetchedFeed(feed.slug, attempt.body, attempt.origin)
    where = f"feed {feed.name!r} ({feed.url}): {attempt.cause or 'offline build'}"
    cached = _Cache(cache_dir, feed).load()
    if cached:
        saved = cached[1].get("saved_at", "")
        if attempt.cause:
            diagnostics.warn(f"{where}; using the cached copy from {saved or 'an earlier run'}")
        return FetchedFeed(feed.slug, cached[0], "cache")
    if feed.snapshot:
        path = root / feed.snapshot
        try:
            body = path.read_bytes()
        except OSError as exc:
            diagnostics.warn(f"{where}; bundled snapshot unreadable: {exc.strerror}", path=path)
        else:
            if attempt.cause:
                diagnostics.warn(f"{where}; using the bundled snapshot {feed.snapshot}")
            return FetchedFeed(feed.slug, body, "snapshot")
    diagnostics.warn(f"{where}; no cached copy or snapshot, so {feed.section!r} will lack it")
    return FetchedFeed(feed.slug, None, "missing")


def _close_when_done(client: httpx.Client, pending: list[Future[_Attempt]]) -> None:
    """Close ``client`` once the abandoned downloads still using it have finished."""

    def close() -> None:
        wait(pending)
        client.close()

    threading.Thread(target=close, daemon=True).start()


# ---- parsing ---------------------------------------------------------------------------


def _parse(body: bytes, url: str) -> Any:
    # BytesIO: feedparser treats a bare string as a URL or file name to open. The
    # content-location gives relative links in the feed their base. Sanitizing is ours
    # (nh3), and must see style attributes to spot hidden tracking pixels.
    return feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": url}, sanitize_html=False
    )


def _bozo_reason(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    return str(exc) if exc else "no entries"


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
    parsed = _parse(body, feed.url)
    if not parsed.entries:
        if parsed.bozo or not parsed.get("version"):
            diagnostics.warn(f"feed {feed.name!r}: malformed feed ({_bozo_reason(parsed)})")
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
