"""The print edition: the same Issue rendered for paper by WeasyPrint from ``templates/print/``.

US Letter or A4 with a bleed on every side (TrimBox = the page, BleedBox the bleed larger)
and crop marks outside the bleed; the bundled DejaVu fonts embedded; 2 to 4 pages (a denser
layout is tried before giving up); images checked for 300 dpi at their printed size; an
optional greyscale or PDF/X rendering.

Two variants share one layout: ``generic`` (issue.pdf, for hand-outs and label mailings:
the referral box points at the public landing page) and ``addressed`` (the base that every
addressed copy overlays with its address, code and QR code: those spots are left empty).
Rendering reads no network and no clock: the logo and editorial images are printed from
their files in ``content/images/`` (an image given as a URL from the file of the same name
there), and PDF dates are the issue date.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
import weasyprint
from PIL import Image as PILImage

from newsletter.audience.hooks import Variant as PersonalVariant
from newsletter.blocks import variant_html
from newsletter.config import Settings
from newsletter.errors import BuildError, ConfigError, TemplateError
from newsletter.images import published_url
from newsletter.model import Issue
from newsletter.pipeline.variants import with_blocks
from newsletter.placeholders import PLACEHOLDERS
from newsletter.print.assets import (
    ColorMode,
    image_size,
    local_images,
    low_resolution,
)
from newsletter.print.frontpage import (
    COLUMN_GAP,
    GREETING_SIZE,
    MARGIN,
    PANEL_GAP,
    FrontLayout,
    front_layout,
)
from newsletter.print.overlay import Lettering
from newsletter.print.pdfdraw import FontMetrics, fit_text, qr_code
from newsletter.print.postal import address_lines
from newsletter.print.press import color_mode, paper_press
from newsletter.render.environment import issue_context, palette, render_template, site_context

TEMPLATE = "print/issue.html.j2"
GREETING_TEMPLATE = "print/partials/greeting.txt.j2"
ADDRESS_FONT = "print/fonts/DejaVuSans.ttf"
GREETING_FONT = "print/fonts/DejaVuSerif-Italic.ttf"  # the body's italic: "NL Serif" in print.css
TITLE_FONT = "print/fonts/DejaVuSans-Bold.ttf"  # the masthead's: "NL Sans" bold
LOGO_HEIGHT = 30.0  # points, at the masthead's right
MIN_PAGES, MAX_PAGES = 2, 4
DENSITIES = 3  # layouts tried, from roomy to dense, before a long issue is an error
QR_PIXELS = 400  # at least: 300 dpi up to 1.33 in wide

Variant = Literal["generic", "addressed"]


@dataclass(frozen=True)
class PrintedIssue:
    pdf: bytes
    pages: int
    layout: FrontLayout
    warnings: tuple[str, ...]


def render_print_issue(
    issue: Issue,
    settings: Settings,
    env: jinja2.Environment,
    *,
    variant: Variant = "generic",
    personal: PersonalVariant | None = None,
) -> PrintedIssue:
    """The issue as a print-ready PDF; raises BuildError when it cannot fit 4 pages.

    With ``personal``, the edition of the readers with those tags and hook lines: the
    template is rendered with every ``::: only TAG`` block and a slot for hook lines, then
    cut as the email's variants are (:mod:`newsletter.blocks`), and laid out on its own.
    """
    if personal is not None:
        issue = with_blocks(issue)
    layout = front_layout(settings)
    press = paper_press(settings)
    images, warnings = local_images(issue, settings)

    def render(density: int, pad: bool) -> weasyprint.Document:
        context = _context(env, issue, settings, layout, variant, images, press.mode, density, pad)
        context["hook_slot"] = personal is not None  # where its hook lines go (blocks.py)
        html = render_template(env, TEMPLATE, context)
        if personal is not None:
            html = variant_html(html, personal.tags, personal.hooks)
        return press.render(html, warnings)

    for density in range(DENSITIES):
        document = render(density, pad=False)
        if len(document.pages) <= MAX_PAGES or len(document.pages) > MAX_PAGES * 3 // 2:
            break  # fits; or so long that no denser setting could take a third off
    if len(document.pages) > MAX_PAGES:
        raise BuildError(
            f"the print edition needs {len(document.pages)} pages even set densely; at most "
            f"{MAX_PAGES} fit the envelope: shorten the editorials or show fewer sections",
            path=f"{issue.month}/print/issue.pdf",
        )
    if len(document.pages) < MIN_PAGES:
        document = render(density, pad=True)  # the offer moves to a back page of its own
    warnings += low_resolution(document, images)
    pdf = press.write(document, warnings)
    return PrintedIssue(pdf, len(document.pages), layout, tuple(warnings))


def _context(
    env: jinja2.Environment,
    issue: Issue,
    settings: Settings,
    layout: FrontLayout,
    variant: Variant,
    images: Mapping[str, str],
    mode: ColorMode,
    density: int,
    pad: bool,
) -> dict[str, Any]:
    config = settings.config.print
    landing = issue.offer.landing_url
    address = settings.address
    lines = address_lines(settings.config.business.name, "", address, home_country=address.country)
    box = layout.return_address
    font = address_font(settings)
    # Block lines when there is room, else one line ("Name · Street · Town"), as above a
    # European window address.
    fitted = fit_text(font, lines, box.width, box.height, max_size=8, min_size=5.5) or fit_text(
        font, [" · ".join(lines)], box.width, box.height, max_size=7, min_size=5
    )
    if fitted is None:
        raise ConfigError("the business address does not fit its box on page 1", key="business")
    return {
        **issue_context(issue, settings, segment=None, personal=False),
        "colors": {k: css_color(v, mode) for k, v in palette(settings.config.brand).items()},
        "black": css_color("#000000", mode),
        "white": css_color("#ffffff", mode),
        "variant": variant,
        "hook_slot": False,
        "density": density,
        "pad": pad,
        "page_size": "letter" if config.paper == "letter" else "A4",
        "bleed": f"{config.bleed:.2f}pt",
        "box": layout.css(origin=(MARGIN, MARGIN)),
        "panel_height": f"{layout.panel - MARGIN:.2f}pt",
        "panel_gap": f"{PANEL_GAP:.2f}pt",
        "column_gap": f"{COLUMN_GAP:.2f}pt",
        "greeting_size": f"{GREETING_SIZE:.2f}pt",
        "salutation": salutation(env, settings, settings.config.issue.first_name_fallback),
        "print_images": images,
        "landing_qr": qr_data_uri(landing),
        "landing_display": landing.split("://", 1)[-1].rstrip("/"),
        "footer_left": " · ".join(
            filter(None, (settings.config.business.name, settings.config.business.phone))
        ),
        "return_lines": fitted.lines,
        "return_size": f"{fitted.size:.2f}",
        **_masthead(settings, issue, images, layout),
    }


def _masthead(
    settings: Settings, issue: Issue, images: Mapping[str, str], layout: FrontLayout
) -> dict[str, Any]:
    """The logo at the masthead's right, when it prints, and the largest title size (17 pt
    down to 11 pt) at which the title fits on one line beside it."""
    logo = settings.config.brand.logo
    uri = images.get(published_url(logo.src, issue.web_url)) if logo else None
    width = 0.0
    if uri:
        pixels_wide, pixels_high = image_size(uri)
        width = LOGO_HEIGHT * pixels_wide / pixels_high
    room = layout.sheet[0] - 2 * MARGIN - (width + 12 if width else 0)
    title = title_font(settings)
    size = next((s / 4 for s in range(68, 43, -1) if title.width(issue.title, s / 4) <= room), 11)
    return {
        "masthead_logo": uri,
        "masthead_logo_width": f"{width:.2f}pt",
        "masthead_logo_height": f"{LOGO_HEIGHT:.2f}pt",
        "title_size": f"{size:.2f}pt",
    }


def address_font(settings: Settings) -> FontMetrics:
    """The sans serif that addresses, codes and labels are set in (bundled with the
    templates, so a business may swap it)."""
    return _bundled_font(settings, ADDRESS_FONT, "addresses")


def salutation(env: jinja2.Environment, settings: Settings, first_name: str) -> str:
    """The print edition's salutation for ``first_name``, e.g. "Hi María," (one line)."""
    # Paper has no page of its own: the site's address stands in for the issue's.
    context = {**site_context(settings, web_url=settings.config.web.base_url)}
    context["first_name"] = first_name
    return " ".join(render_template(env, GREETING_TEMPLATE, context).split())


def lettering(settings: Settings, env: jinja2.Environment) -> Lettering:
    """Fonts and salutation for the layers of addressed copies."""
    return Lettering(
        sans=address_font(settings),
        italic=_bundled_font(settings, GREETING_FONT, "the salutation"),
        salutation=salutation(env, settings, PLACEHOLDERS["first_name"]),
        fallback=settings.config.issue.first_name_fallback,
        ink=pdf_fill(palette(settings.config.brand)["text"], color_mode(settings.config.print)),
    )


def title_font(settings: Settings) -> FontMetrics:
    """The bold sans of titles (the masthead's, a card's), to size them to their line."""
    return _bundled_font(settings, TITLE_FONT, "titles")


def _bundled_font(settings: Settings, relative: str, purpose: str) -> FontMetrics:
    path = settings.templates_dir / relative
    if not path.is_file():
        raise TemplateError(f"font for {purpose} not found", path=path)
    return _metrics(path)


@functools.cache
def _metrics(path: Path) -> FontMetrics:
    return FontMetrics(path)


def css_color(hex_color: str, mode: ColorMode) -> str:
    """``#rrggbb`` as CSS for ``mode``: as is, as black ink only (K), or as naive CMYK."""
    if mode == "rgb":
        return hex_color
    return "device-cmyk({:.3f} {:.3f} {:.3f} {:.3f})".format(*_cmyk(hex_color, mode))


def pdf_fill(hex_color: str, mode: ColorMode) -> str:
    """``#rrggbb`` as the PDF operator that sets it as the fill colour, as css_color would."""
    if mode == "rgb":
        r, g, b = _rgb(hex_color)
        return f"{r:.3f} {g:.3f} {b:.3f} rg"
    return "{:.3f} {:.3f} {:.3f} {:.3f} k".format(*_cmyk(hex_color, mode))


def _rgb(hex_color: str) -> tuple[float, float, float]:
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return r, g, b


def _cmyk(hex_color: str, mode: ColorMode) -> tuple[float, float, float, float]:
    """Black ink only for ``gray`` (the grey the eye sees), else naive CMYK."""
    r, g, b = _rgb(hex_color)
    if mode == "gray":
        return 0.0, 0.0, 0.0, 1 - (0.2126 * r + 0.7152 * g + 0.0722 * b)
    k = 1 - max(r, g, b)
    if k >= 1:
        return 0.0, 0.0, 0.0, 1.0
    c, m, y = ((1 - v - k) / (1 - k) for v in (r, g, b))
    return c, m, y, k


def qr_data_uri(text: str) -> str:
    """A QR code for ``text`` as a greyscale PNG data URI, sharp at 300 dpi and above."""
    code = qr_code(text)
    size = code.size
    image = PILImage.frombytes("L", (size, size), code.modules)
    scale = -(-QR_PIXELS // size)  # whole pixels per module keep the edges sharp
    image = image.resize((size * scale,) * 2, resample=PILImage.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
