"""What the print edition reads besides its templates: local copies of images, checked
for resolution and converted for greyscale or PDF/X jobs.

Printing reads no network: the logo and editorial images are printed from their files in
``content/images/`` (newsletter/images.py), and an image given as a URL from the file of the
same name there; without one it is left out with a warning.
WeasyPrint fetches through :class:`Fetcher`, which serves only local files under the given
folders and data URIs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import weasyprint
from PIL import Image as PILImage
from weasyprint.urls import URLFetcher, URLFetcherResponse

from newsletter.config import Settings
from newsletter.images import FOLDER, is_local, local_path, published_url
from newsletter.model import Image, Issue
from newsletter.print.compat import layout_boxes

MIN_DPI = 300
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff")
ColorMode = Literal["rgb", "gray", "cmyk"]


def local_images(issue: Issue, settings: Settings) -> tuple[dict[str, str], list[str]]:
    """Each image to print, by the URL email and web use for it -> the local file to print
    (a file URL), and warnings: the logo and every editorial image."""
    found: dict[str, str] = {}
    warnings: list[str] = []
    wanted = [(image.src, image.file) for image in _editorial_images(issue)]
    logo = settings.config.brand.logo
    if logo is not None:
        wanted.append(
            (published_url(logo.src, issue.web_url), logo.src if is_local(logo.src) else None)
        )
    for src, file in wanted:
        if src in found:
            continue
        local = _local_copy(settings.content_dir, src, file)
        if local.is_file():
            found[src] = local.resolve().as_uri()
        else:
            warnings.append(
                f"print: no local copy of image {src} (put it in {local}, 300 dpi at print "
                "size); left out"
            )
    return found, warnings


def _editorial_images(issue: Issue) -> list[Image]:
    return [
        image
        for section in issue.sections
        for entry in section.entries
        if (image := getattr(entry, "image", None)) is not None
    ]


def _local_copy(content_dir: Path, src: str, file: str | None) -> Path:
    """The file a content image names, or for a URL the file of the same name in
    ``content/images/``."""
    if file:
        return local_path(content_dir, file)
    name = PurePosixPath(unquote(urlsplit(src).path)).name or "image.jpg"
    return content_dir / FOLDER / name


def image_size(uri: str) -> tuple[int, int]:
    """Width and height in pixels of the local image at file URL ``uri``."""
    with PILImage.open(Path(unquote(urlsplit(uri).path))) as image:
        return image.size


def low_resolution(document: weasyprint.Document, images: Mapping[str, str]) -> list[str]:
    """A warning for every raster image printed at under MIN_DPI."""
    original = {uri: src for src, uri in images.items()}
    warnings = []
    for number, page in enumerate(document.pages, start=1):
        for box in layout_boxes(page):
            image = getattr(box, "replacement", None)
            pixels = getattr(image, "width", None)
            if not pixels or not box.width:
                continue
            inches = box.width / 96  # CSS px
            dpi = pixels / inches
            if dpi < MIN_DPI:
                src = box.element.get("src", "")
                warnings.append(
                    f"print: image {original.get(src, src[:60])} prints at {dpi:.0f} dpi on "
                    f"page {number} ({inches:.2f} in wide); {MIN_DPI} dpi needs "
                    f"{round(inches * MIN_DPI)} px"
                )
    return warnings


class Fetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
    """Local files under ``roots`` and data URIs only; images converted for the colour mode."""

    def __init__(self, *, roots: tuple[Path, ...], extra_files: tuple[Path, ...], mode: ColorMode):
        super().__init__(allowed_protocols=("file", "data"))
        self._roots = tuple(r.resolve() for r in roots)
        self._files = {f.resolve() for f in extra_files}
        self._mode = mode

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path not in self._files and not any(path.is_relative_to(r) for r in self._roots):
                raise ValueError(f"print reads no files outside {self._roots}: {path}")
        response = super().fetch(url, headers)
        if self._mode == "rgb" or not _is_image(url):
            return response
        data = response.read()
        response.close()
        converted, kind = _convert(data, self._mode)
        return URLFetcherResponse(url, converted, {"Content-Type": kind})


def _is_image(url: str) -> bool:
    return url.startswith("data:image/") or urlsplit(url).path.lower().endswith(IMAGE_SUFFIXES)


def _convert(data: bytes, mode: ColorMode) -> tuple[bytes, str]:
    """A raster image as greyscale, or (naively) as CMYK for PDF/X; greys stay grey."""
    image: PILImage.Image = PILImage.open(io.BytesIO(data))
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Paper is white: transparent parts (a logo's surround) must not turn black.
        backdrop = PILImage.new("RGB", image.size, "white")
        backdrop.paste(image.convert("RGBA"), mask=image.convert("RGBA"))
        image = backdrop
    buffer = io.BytesIO()
    if mode == "gray" or image.mode in ("1", "L", "LA"):
        image.convert("L").save(buffer, format="PNG")
        return buffer.getvalue(), "image/png"
    image.convert("CMYK").save(buffer, format="JPEG", quality=95)  # embedded as-is, DCT
    return buffer.getvalue(), "image/jpeg"
