"""WeasyPrint for paper: one way to turn print HTML into a print-ready PDF, for the issue
and the quarterly cards alike.

Fonts and images are read from the templates' ``print/`` folder and ``content/images/``
only (no network); colours follow the job's colour mode (RGB, greyscale, or CMYK for
PDF/X, with the shop's output profile embedded); each page's MediaBox is widened past the
bleed for crop marks, which sit outside it; WeasyPrint's own warnings are collected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydyf
import weasyprint
from PIL import ImageCms
from weasyprint.text.fonts import FontConfiguration

from newsletter.config import Settings
from newsletter.config.print import PrintConfig
from newsletter.errors import ConfigError
from newsletter.print.assets import ColorMode, Fetcher

MARK_GAP, MARK_LENGTH, MARK_WIDTH = 3.0, 18.0, 0.3  # crop marks, in points


def color_mode(config: PrintConfig) -> ColorMode:
    """Grey when asked; CMYK for PDF/X (X-1a allows no RGB; X-3/-4 read CMYK through the
    shop's output profile); RGB otherwise."""
    if config.grayscale:
        return "gray"
    return "cmyk" if config.pdfx != "none" else "rgb"


@dataclass(frozen=True)
class PaperPress:
    """Renders print HTML (base URL: the templates' ``print/`` folder, for the fonts) and
    writes it as a PDF with the job's bleed, crop marks, colour mode and PDF/X variant."""

    config: PrintConfig
    mode: ColorMode
    fetcher: Fetcher
    base_url: str
    stylesheets: tuple[weasyprint.CSS, ...]
    profiles: dict[str, Any]  # shared: the stylesheet fills it, each document reads it

    @property
    def variant(self) -> str | None:
        return None if self.config.pdfx == "none" else self.config.pdfx

    def render(self, html: str, warnings: list[str]) -> weasyprint.Document:
        """Lay ``html`` out; WeasyPrint's warnings are added to ``warnings``."""
        document = weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        with captured(warnings):
            return document.render(
                font_config=FontConfiguration(),
                color_profiles=self.profiles,
                stylesheets=list(self.stylesheets),
                pdf_variant=self.variant,
            )

    def write(self, document: weasyprint.Document, warnings: list[str]) -> bytes:
        """The PDF of a laid-out ``document``, crop marks outside the bleed."""
        with captured(warnings):
            return bytes(
                document.write_pdf(
                    pdf_variant=self.variant, finisher=crop_marks(self.config.bleed, self.mode)
                )
            )


def paper_press(settings: Settings) -> PaperPress:
    """The press for ``settings``' ``print:`` section (ConfigError for a bad profile)."""
    config = settings.config.print
    mode = color_mode(config)
    profile = _output_profile(settings)
    fetcher = Fetcher(
        roots=(settings.templates_dir / "print", settings.content_dir / "images"),
        extra_files=(profile,) if profile else (),
        mode=mode,
    )
    profiles: dict[str, Any] = {}
    stylesheets = []
    if profile is not None:
        stylesheets.append(
            weasyprint.CSS(
                string=(
                    f"@color-profile device-cmyk {{ src: url({profile.as_uri()}); "
                    f"components: {_components(profile)}; }}"
                ),
                url_fetcher=fetcher,
                color_profiles=profiles,
            )
        )
    return PaperPress(
        config=config,
        mode=mode,
        fetcher=fetcher,
        base_url=(settings.templates_dir / "print").as_uri() + "/",
        stylesheets=tuple(stylesheets),
        profiles=profiles,
    )


def _output_profile(settings: Settings) -> Path | None:
    config = settings.config.print
    if config.pdfx == "none" or not config.output_profile:
        return None
    path = settings.resolve(config.output_profile)
    if not path.is_file():
        raise ConfigError("output profile not found", path=path, key="print.output_profile")
    return path


def _components(profile: Path) -> str:
    """The channels of an ICC profile's colour space, as WeasyPrint's @color-profile wants."""
    try:
        space = ImageCms.getOpenProfile(str(profile)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError):
        raise ConfigError("not an ICC profile", path=profile, key="print.output_profile") from None
    names = {"CMYK": "c, m, y, k", "RGB": "r, g, b", "GRAY": "k"}
    if space not in names:
        raise ConfigError(
            f"output profile is for {space} colour; expected CMYK, RGB or grey",
            path=profile,
            key="print.output_profile",
        )
    return names[space]


@contextmanager
def captured(warnings: list[str]) -> Iterator[None]:
    """WeasyPrint's own warnings (a resource it could not load, CSS it ignored) as ours."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(f"print: {record.getMessage()}")

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def crop_marks(bleed: float, mode: ColorMode) -> Any:
    """A WeasyPrint finisher: widen each page's MediaBox past the bleed and draw crop marks
    there (WeasyPrint's own ``marks: crop`` would sit inside the bleed, on the artwork)."""
    ink = "0 G" if mode == "gray" else "1 1 1 1 K"  # CMYK 100% each: registration
    room = bleed + MARK_GAP + MARK_LENGTH + MARK_GAP

    def finish(document: Any, pdf: pydyf.PDF) -> None:
        opening = pydyf.Stream([b"q"])
        pdf.add_object(opening)
        for number in pdf.pages["Kids"][::3]:
            page = pdf.objects[number]
            x0, y0, x1, y1 = page["TrimBox"]
            page["MediaBox"] = pydyf.Array((x0 - room, y0 - room, x1 + room, y1 + room))
            marks = pydyf.Stream([b"Q", *_mark_lines(x0, y0, x1, y1, bleed, ink)])
            pdf.add_object(marks)
            page["Contents"] = pydyf.Array([opening.reference, page["Contents"], marks.reference])

    return finish


def _mark_lines(x0: float, y0: float, x1: float, y1: float, bleed: float, ink: str) -> list[bytes]:
    near, far = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
    ops = [f"q {ink} {MARK_WIDTH} w"]
    for x, y, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        ops.append(f"{x + sx * near:.2f} {y:.2f} m {x + sx * far:.2f} {y:.2f} l S")
        ops.append(f"{x:.2f} {y + sy * near:.2f} m {x:.2f} {y + sy * far:.2f} l S")
    ops.append("Q")
    return [op.encode() for op in ops]
