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

from newsletter.images import FOLDER

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


@contextmanager
def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8000) -> Iterator[str]:
    """Serve ``folder`` read-only until the block ends; yields the base URL."""
    handler = functools.partial(
        _PreviewHandler, directory=str(folder), rewrites=image_rewrites(folder)
    )
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        assert isinstance(bound_host, str)  # AF_INET: (host, port)
        yield f"http://{bound_host}:{bound_port}/"
    finally:
        server.shutdown()
        server.server_close()
