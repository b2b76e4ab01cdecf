"""Serve a build folder on localhost for a look in the browser.

The email and the web page reference the issue's images where they will be published
(``{web.base_url}YYYY-MM/images/NAME``: newsletter/images.py), which is nowhere yet while
an issue is previewed, and unreachable offline. The preview serves its pages with those
URLs pointing at the build's own copies (``web/images/``), so a first preview shows its
pictures; the files on disk are left as they are.
"""

from __future__ import annotations

import functools
import io
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

from newsletter.errors import NewsletterError
from newsletter.images import FOLDER
from newsletter.months import parse_month

LOCAL_IMAGES = f"/web/{FOLDER}/"


class _PreviewHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, rewrites: Mapping[str, str], **kwargs: Any) -> None:
        self.rewrites = rewrites  # set before the parent handles the request
        super().__init__(*args, **kwargs)

    def send_head(self) -> BinaryIO | None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        if not self.rewrites or path.suffix != ".html" or not path.is_file():
            return super().send_head()  # also redirects a folder's URL without its /
        page = path.read_text(encoding="utf-8")
        for published, local in self.rewrites.items():
            page = page.replace(published, local)
        body = page.encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        return


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
    if not (out_dir / "manifest.json").is_file():
        raise NewsletterError(f"no build for {month}: run `newsletter build` first", path=out_dir)
    return out_dir


@contextmanager
def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000) -> Iterator[str]:
    """Serve ``folder`` read-only until the block ends; yields the base URL.

    A port that is taken (another preview still running) or a host that cannot be bound
    is a NewsletterError naming it.
    """
    handler = functools.partial(
        _PreviewHandler, directory=str(folder), rewrites=image_rewrites(folder)
    )
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        hint = f" (another preview? try --port {port + 1})" if port else ""
        raise NewsletterError(
            f"cannot serve on {host}:{port}: {reason}{hint}", key="--port"
        ) from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        assert isinstance(bound_host, str)  # AF_INET: (host, port)
        yield f"http://{bound_host}:{bound_port}/"
    finally:
        server.shutdown()
        server.server_close()
