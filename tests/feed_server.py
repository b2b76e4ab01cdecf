"""A real HTTP server on loopback that serves feeds the way real (and badly behaved) sites do.

Tests talk to it over TCP with the production code's own httpx client, so nothing is mocked.
Use it as a context manager (or through the ``feed_server`` fixture, e.g. from a conftest):

    with FeedServer() as server:
        url = server.url("/rss2.xml")
        server.route("/late.xml", body=b"...", delay=0.5)  # add or replace a route
        ...
        assert server.hits["/rss2.xml"] == 1

Built-in routes (bodies from tests/fixtures/feeds/):

    /rss2.xml /atom.xml /rss1.rdf /latin1.xml /hostile.xml /undated.xml /calendar.ics
    /malformed.xml  not well-formed, no entries      /not-found  404
    /entities.xml   entity expansion: flagged malformed, yet half-parsed into an item
    /error          500                              /html       a 200 HTML page, not a feed
    /slow.xml       answers after SLOW_DELAY s       /trickle.xml  body one byte at a time
    /big.xml        a valid feed of BIG_BYTES bytes  /etag.xml   ETag + Last-Modified, 304s
    /redirect       302 to /rss2.xml                 /big-unsized.xml  /big.xml, no length
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
RSS = "application/rss+xml; charset=utf-8"
SLOW_DELAY = 0.6
TRICKLE_INTERVAL = 0.02
BIG_BYTES = 300_000
ETAG = '"v1-abc123"'
LAST_MODIFIED = "Thu, 19 Nov 2026 15:00:00 GMT"


@dataclass
class Route:
    """How the server answers one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = RSS
    delay: float = 0.0  # seconds before the response starts
    trickle: float = 0.0  # seconds between single body bytes (a slow, dribbling body)
    etag: str | None = None
    last_modified: str | None = None
    send_length: bool = True  # False: no Content-Length, the body ends when the socket closes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    status: int


def big_feed(size: int = BIG_BYTES) -> bytes:
    """A well-formed RSS feed of at least ``size`` bytes."""
    item = (
        "<item><title>Filler {n}</title><link>https://big.example.com/{n}</link>"
        "<pubDate>Mon, 02 Nov 2026 10:00:00 +0000</pubDate>"
        "<description>" + "padding " * 40 + "</description></item>\n"
    )
    items = []
    total = 0
    while total < size:
        items.append(item.format(n=len(items)))
        total += len(items[-1])
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
        "<link>https://big.example.com/</link><description>Big</description>\n"
        + "".join(items)
        + "</channel></rss>\n"
    ).encode()


def default_routes() -> dict[str, Route]:
    """The routes every :class:`FeedServer` starts with."""
    fixture = {p.name: p.read_bytes() for p in FIXTURES.iterdir() if p.is_file()}
    routes = {f"/{name}": Route(body) for name, body in fixture.items()}
    routes["/atom.xml"].content_type = "application/atom+xml; charset=utf-8"
    routes["/latin1.xml"].content_type = "application/rss+xml"  # charset only in the XML
    routes["/calendar.ics"].content_type = "text/calendar"
    html = b"<!doctype html><html><body><h1>We moved!</h1></body></html>"
    routes.update(
        {
            "/not-found": Route(b"<h1>Not Found</h1>", status=404, content_type="text/html"),
            "/error": Route(b"<h1>Oops</h1>", status=500, content_type="text/html"),
            "/html": Route(html, content_type="text/html; charset=utf-8"),
            "/slow.xml": Route(fixture["rss2.xml"], delay=SLOW_DELAY),
            "/trickle.xml": Route(fixture["rss2.xml"], trickle=TRICKLE_INTERVAL),
            "/big.xml": Route(big_feed()),
            "/big-unsized.xml": Route(big_feed(), send_length=False),
            "/etag.xml": Route(fixture["rss2.xml"], etag=ETAG, last_modified=LAST_MODIFIED),
            "/redirect": Route(status=302, headers={"Location": "/rss2.xml"}),
        }
    )
    return routes


class FeedServer:
    """A threading HTTP server on 127.0.0.1 with a free port, recording every request."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes = default_routes() if routes is None else routes
        self.requests: list[Request] = []
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True  # a sleeping slow route must not hold up teardown
        # A short poll interval keeps shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base + path

    def route(self, path: str, **options: object) -> Route:
        """Add or replace the route for ``path``; options are :class:`Route` fields."""
        self.routes[path] = Route(**options)  # type: ignore[arg-type]
        return self.routes[path]

    def statuses(self, path: str) -> list[int]:
        """The status codes served for ``path``, in order."""
        with self._lock:
            return [r.status for r in self.requests if r.path == path]

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self.hits[request.path] += 1

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            route = server.routes.get(path) or Route(b"no such route", 404, "text/plain")
            headers = {k.lower(): v for k, v in self.headers.items()}
            etag_matches = route.etag is not None and headers.get("if-none-match") == route.etag
            date_matches = (
                route.last_modified is not None
                and headers.get("if-modified-since") == route.last_modified
            )
            status = 304 if etag_matches or date_matches else route.status
            server._record(Request(path, headers, status))
            if route.delay:
                time.sleep(route.delay)
            # The client may have given up already, as it should on a slow feed.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._respond(route, status)

        def _respond(self, route: Route, status: int) -> None:
            body = b"" if status == 304 else route.body
            self.send_response(status)
            self.send_header("Content-Type", route.content_type)
            if route.send_length:
                self.send_header("Content-Length", str(len(body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not route.trickle:
                self.wfile.write(body)
                return
            for offset in range(len(body)):
                self.wfile.write(body[offset : offset + 1])
                time.sleep(route.trickle)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running :class:`FeedServer` with the default routes, stopped after the test."""
    with FeedServer() as server:
        yield server
