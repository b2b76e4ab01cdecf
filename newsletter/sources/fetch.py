"""Fetching feeds: the pipeline's only network step.

Fetching never blocks an issue. Every feed is fetched at once, each against its own hard
deadline and size cap, and only from public addresses (:mod:`newsletter.netguard`);
a feed that fails falls back to the last good copy cached under ``cache_dir``, then to the
snapshot bundled with the content, and only then goes missing — each fallback is a warning,
which ``--strict`` turns into a :class:`SourceError` naming every failing feed at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from newsletter.config.settings import FeedConfig
from newsletter.diagnostics import Diagnostics
from newsletter.errors import StorageError
from newsletter.fsutil import SHARED, atomic_write
from newsletter.netguard import AddressRefused, PublicOnlyTransport
from newsletter.sources.feeds import malformed, parse_feed

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
    allow_private_hosts: Collection[str] = (),
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
    Feeds are fetched from public addresses only, except from ``allow_private_hosts``.

    ``offline`` skips the network: cache, then snapshot, are used without a warning, since
    nothing failed; only a feed with neither is reported.
    """
    with diagnostics.batch():
        if offline:
            return {f.slug: _settle(f, _OFFLINE, cache_dir, root, diagnostics) for f in feeds}
        attempts = _attempts(feeds, cache_dir, allow_private_hosts, base_url)
        return {
            feed.slug: _settle(feed, attempt, cache_dir, root, diagnostics)
            for feed, attempt in zip(feeds, attempts, strict=True)
        }


def _attempts(
    feeds: Sequence[FeedConfig],
    cache_dir: Path,
    allow_private_hosts: Collection[str],
    base_url: str | None,
) -> list[_Attempt]:
    """One network attempt per feed, all at once, each within its own deadline."""
    if not feeds:
        return []
    started = time.monotonic()  # each feed's deadline counts from here, setup included
    user_agent = f"{USER_AGENT} (+{base_url})" if base_url else USER_AGENT
    # trust_env=False: a proxy from the environment would connect on our behalf to
    # whatever the name resolves to there, past the public-address check.
    http = httpx.Client(
        transport=PublicOnlyTransport(allow_private_hosts),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
    )
    pool = ThreadPoolExecutor(max_workers=len(feeds), thread_name_prefix="feed")
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
    _close_when_done(http, [f for f in futures if not f.done()])
    return attempts


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
    except AddressRefused as refused:
        return _Attempt(None, "missing", str(refused))
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:  # IDNA: a host's name
        return _Attempt(None, "missing", _network_trouble(exc))
    if time.monotonic() <= deadline:  # past it, the caller may have given up on us
        try:
            cache.save(body, response)
        except StorageError as exc:  # the issue has the feed; only the next run lacks it
            return _Attempt(body, "network", f"not cached: {exc.one_line()}")
    return _Attempt(body, "network")


_TROUBLES: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str], ...] = (
    (httpx.ConnectError, "cannot connect"),
    (httpx.RemoteProtocolError, "the server broke off the answer"),
    (httpx.ReadError, "the connection failed while reading"),
    (httpx.WriteError, "the connection failed while asking"),
    (httpx.UnsupportedProtocol, "not an http or https address"),
    ((httpx.InvalidURL, UnicodeError), "not an address that can be fetched"),
    (httpx.DecodingError, "the answer's encoding cannot be read"),
    (httpx.TooManyRedirects, "too many redirects"),
)
"""What a reader is told of a failure of the network, by httpx's exception: its words, not
the exception's class name."""


def _network_trouble(exc: Exception) -> str:
    what = next((words for kind, words in _TROUBLES if isinstance(exc, kind)), "network error")
    detail = str(exc).strip()
    return f"{what}: {detail}" if detail and detail != what else what


def _invalid(feed: FeedConfig, body: bytes) -> str:
    """Why ``body`` is not a usable feed of its kind ('' when it is)."""
    if feed.kind == "ics":
        head = body.lstrip(b"\xef\xbb\xbf").lstrip()[:15].upper()
        return "" if head == b"BEGIN:VCALENDAR" else "not an iCalendar file"
    parsed = parse_feed(body, feed.url)
    problem = malformed(parsed)
    if problem:
        return f"not a valid RSS or Atom feed ({problem})"
    return ""  # a well-formed feed, perhaps with no entries yet


def _settle(
    feed: FeedConfig, attempt: _Attempt, cache_dir: Path, root: Path, diagnostics: Diagnostics
) -> FetchedFeed:
    """The network result, or the best fallback, warning about why a fallback was needed."""
    if attempt.body is not None:
        if attempt.cause:
            diagnostics.warn(f"feed {feed.name!r} ({feed.url}): {attempt.cause}")
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
            body = _read_snapshot(path, root, feed.max_bytes)
        except _Refused as refused:
            diagnostics.warn(f"{where}; bundled snapshot {refused}", path=path)
        else:
            if attempt.cause:
                diagnostics.warn(f"{where}; using the bundled snapshot {feed.snapshot}")
            return FetchedFeed(feed.slug, body, "snapshot")
    diagnostics.warn(f"{where}; no cached copy or snapshot, so {feed.section!r} will lack it")
    return FetchedFeed(feed.slug, None, "missing")


def snapshot_problems(feeds: Sequence[FeedConfig], root: Path) -> list[tuple[FeedConfig, str]]:
    """Each feed whose bundled ``snapshot`` could not stand in for it, with the reason: a
    build without network and cache would go without that feed."""
    problems: list[tuple[FeedConfig, str]] = []
    for feed in feeds:
        if feed.snapshot:
            try:
                _read_snapshot(root / feed.snapshot, root, feed.max_bytes)
            except _Refused as refused:
                problems.append((feed, f"{feed.snapshot} {refused}"))
    return problems


def _read_snapshot(path: Path, root: Path, max_bytes: int) -> bytes:
    """The bundled snapshot at ``path``, which must be a file inside the project ``root``
    (the config refuses ``..``; this also catches a symbolic link that leads out)."""
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise _Refused("refused: it leads outside the project")
    try:
        with real.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise _Refused("does not exist") from None
    except OSError as exc:
        raise _Refused(f"unreadable: {exc.strerror}") from None
    if len(body) > max_bytes:
        raise _Refused(f"refused: larger than max_bytes ({max_bytes:,} bytes)")
    return body


def _close_when_done(client: httpx.Client, pending: list[Future[_Attempt]]) -> None:
    """Close ``client`` once the abandoned downloads still using it have finished."""

    def close() -> None:
        wait(pending)
        client.close()

    threading.Thread(target=close, daemon=True).start()
