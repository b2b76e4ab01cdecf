"""Images that live with the content, so a newsletter shows its pictures without the internet.

The logo (``brand.logo.src``) and an editorial's image (``image.src``) are either an absolute
http(s) URL, used as it is, or ``images/NAME``: the file ``content/images/NAME``. A build
publishes such a file beside the issue's web page, as ``web/images/NAME`` in the build
folder, which GitHub Pages serves at ``{web.base_url}YYYY-MM/images/NAME``: that published
URL is what the email and the web page reference (an email can only load absolute URLs).
``newsletter preview`` serves the build folder's copy in place of the published URL, and
print reads the file itself.

Each issue publishes its own copy, so an archived issue keeps the pictures it was sent with.
The config checks a ``src``'s form (``newsletter.config.validation.check_image_src``); this
module finds, publishes and links the files, so it depends on config and never the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import ConfigError, ContentError
from newsletter.folders import file_exists

if TYPE_CHECKING:
    from newsletter.config import Settings
    from newsletter.model import Issue

FOLDER = "images"  # content/images/, and web/images/ in each build


def is_local(src: str) -> bool:
    """Whether ``src`` names a file in ``content/images/`` rather than a URL."""
    return "://" not in src


def local_path(content_dir: Path, src: str) -> Path:
    """The file a local ``src`` names."""
    return content_dir / src


def published_url(src: str, web_url: str) -> str:
    """What email and web pages reference: a local image where the issue's page publishes
    it (``web_url``: the page's own URL, ending in /), a URL as it is."""
    return f"{web_url}{src}" if is_local(src) else src


def logo_file(settings: Settings) -> Path | None:
    """The logo's file when it is one in ``content/images/``; ConfigError when it is not
    there (every email would show a broken image)."""
    logo = settings.config.brand.logo
    if logo is None or not is_local(logo.src):
        return None
    path = local_path(settings.content_dir, logo.src)
    if not file_exists(path, ConfigError, shown=path):
        raise ConfigError(
            f"{logo.src}: no such file in {settings.content_dir / FOLDER}",
            path=settings.path,
            key="brand.logo.src",
        )
    return path


def published_images(settings: Settings, issue: Issue) -> dict[str, bytes]:
    """Each local image the issue shows (the logo, the editorials' images) by its ``src``
    (``images/NAME``), with the file's bytes: the build writes them to ``web/images/``."""
    files: dict[str, bytes] = {}
    logo = logo_file(settings)
    if logo is not None:
        files[f"{FOLDER}/{logo.name}"] = logo.read_bytes()
    for src, where in _editorial_images(issue):
        path = local_path(settings.content_dir, src)
        try:
            files.setdefault(src, path.read_bytes())
        except OSError as exc:
            raise ContentError(f"{src}: {exc.strerror}", path=where, key="image.src") from None
    return files


def _editorial_images(issue: Issue) -> Iterable[tuple[str, str]]:
    for section in issue.sections:
        for entry in section.entries:
            image = getattr(entry, "image", None)
            if image is not None and image.file:
                yield image.file, getattr(entry, "path", "")
