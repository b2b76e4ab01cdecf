"""Serve what a build publishes on localhost for a look in the browser.

The email and the web page reference the issue's images where they will be published
(``{web.base_url}YYYY-MM/images/NAME``: newsletter/images.py), which is nowhere yet while
an issue is previewed, and unreachable offline. The preview serves its pages with those
URLs pointing at the build's own copies (``web/images/``), so a first preview shows its
pictures; the files on disk are left as they are.
"""

from __future__ import annotations

import functools
import html
import io
import ipaddress
import json
import posixpath
import re
import threading
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from newsletter.errors import NewsletterError
from newsletter.images import FOLDER
from newsletter.months import parse_month
from newsletter.pipeline.manifest import read_manifest

LOCAL_IMAGES = f"/web/{FOLDER}/"


PUBLISHED = re.compile(
    r"email\.(?:html|txt)|segments/[a-z]+/email\.(?:html|txt)"
    r"|web/(?:index\.html|archive\.html|feed\.xml|images/[^/]+)"
)
"""What the issue publishes, and so all the preview serves: the email (as a whole and per
segment, HTML and text) and the web pages with their images. Never print/ (the mailing
list, addressed PDFs), the personal variants, the feed snapshot or the manifest."""


class _PreviewHandler(SimpleHTTPRequestHandler):
    def __init__(
        self, *args: Any, rewrites: Mapping[str, str], hosts: AbstractSet[str], **kwargs: Any
    ) -> None:
        self.rewrites = rewrites  # set before the parent handles the request
        self.hosts = hosts
        super().__init__(*args, **kwargs)

    def send_head(self) -> BinaryIO | None:
        # A page the owner visits may point a name it controls at this address (DNS
        # rebinding); its requests carry that name, never the address the preview listens on.
        if self.headers.get("Host", "").lower() not in self.hosts:
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "Unknown host")
            return None
        asked = unquote(urlsplit(self.path).path)
        path = posixpath.normpath(asked).lstrip("/")
        if path in ("", "."):
            page = contents_page(Path(self.directory))
            return self._body(page.encode("utf-8"), "text/html; charset=utf-8")
        if path == "web":
            if not asked.endswith("/"):
                self._redirect("/web/")
                return None
            path = "web/index.html"
        file = Path(self.directory) / path
        if not PUBLISHED.fullmatch(path) or not file.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "Not part of the issue")
            return None
        if path.endswith(".html") and self.rewrites:
            page = file.read_text(encoding="utf-8")
            for published, local in self.rewrites.items():
                page = page.replace(published, local)
            return self._body(page.encode("utf-8"), "text/html; charset=utf-8")
        return self._body(file.read_bytes(), self.guess_type(path))

    def _body(self, body: bytes, content_type: str) -> BinaryIO:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def contents_page(folder: Path) -> str:
    """The preview's front page: what the build of ``folder`` publishes, one link each (the
    email as a whole and per segment, HTML and text, and the web page)."""
    try:
        title = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["issue"]
        title = str(title["title"])
    except (OSError, ValueError, KeyError, TypeError):
        title = folder.name
    segments = sorted(
        p.parent.name for p in folder.glob("segments/*/email.html") if p.parent.name.isalpha()
    )
    rows = [("The whole issue", "email.html", "email.txt")]
    rows += [
        (f"What {name} readers get", f"segments/{name}/email.html", f"segments/{name}/email.txt")
        for name in segments
    ]
    items = "".join(
        f'<li>{html.escape(label)}: <a href="/{page}">email</a> · <a href="/{text}">text</a></li>'
        for label, page, text in rows
        if (folder / page).is_file()
    )
    web = '<li><a href="/web/">The web page</a> (as the archive publishes it)</li>'
    name = html.escape(title)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Preview: {name}'
        f"</title></head><body><h1>{name}</h1><p>Preview of the build: what it publishes, "
        f"nothing else.</p><ul>{items}{web}</ul></body></html>"
    )


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` headers a browser sends to a preview listening on ``host``:``port``:
    that address, and ``localhost`` for a loopback or every-address one."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        names = {host.lower()}
    else:
        names = {f"[{address}]" if address.version == 6 else str(address)}
        if address.is_loopback or address.is_unspecified:
            names.add("localhost")
    return frozenset(f"{name}:{port}" for name in names) | (
        frozenset(names) if port == 80 else frozenset()
    )


def image_rewrites(folder: Path) -> dict[str, str]:
    """Where the build's pages expect the issue's images -> where the preview serves them
    (read from the build's manifest; none for a folder without one)."""
    try:
        url = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["issue"]["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {f"{url}{FOLDER}/": LOCAL_IMAGES}


def built_month(out_root: Path, month: str) -> Path:
    """The build folder of ``month`` (YYYY-MM) under ``out_root``; an error unless built."""
    month = f"{parse_month(month):%Y-%m}"  # never "..", never a path
    out_dir = out_root / month
    read_manifest(out_dir, month)
    return out_dir


@contextmanager
def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000) -> Iterator[str]:
    """Serve ``folder`` read-only until the block ends; yields the base URL.

    A port that is taken (another preview still running) or a host that cannot be bound
    is a NewsletterError naming it.
    """
    hosts: set[str] = set()  # filled in once the port is known (it may be 0: any free port)
    handler = functools.partial(
        _PreviewHandler, directory=str(folder), rewrites=image_rewrites(folder), hosts=hosts
    )
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        hint = (
            f" (another preview? try --port {port + 1}, or make preview PORT={port + 1})"
            if port
            else ""
        )
        raise NewsletterError(
            f"cannot serve on {host}:{port}: {reason}{hint}", key="--port"
        ) from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        assert isinstance(bound_host, str)  # AF_INET: (host, port)
        hosts.update(allowed_hosts(bound_host, bound_port))
        yield f"http://{bound_host}:{bound_port}/"
    finally:
        server.shutdown()
        server.server_close()
