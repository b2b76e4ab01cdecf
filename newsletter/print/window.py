"""Where an address must sit on the sheet to show through an envelope window.

All lengths are PDF points; boxes are measured on the trimmed sheet from its top-left corner.

The sheet is tri-folded into three panels of ``sheet height / 3``; the top panel of page 1
faces the window. The folded sheet (``sheet width × panel height``) is smaller than the
envelope, so it shifts inside it: by up to ``shift_x = envelope width − sheet width``
sideways and ``shift_y = envelope height − panel height`` up and down. A point of the panel
at (x from the sheet's left edge, y from its top edge), with the panel's bottom (the fold)
at ``y0`` above the envelope's bottom edge and its left edge at ``x0`` from the envelope's
left edge, lies on the envelope at

    X = x0 + x              (from the envelope's left, 0 ≤ x0 ≤ shift_x)
    Y = y0 + (panel − y)    (from the envelope's bottom, 0 ≤ y0 ≤ shift_y)

USPS Publication 25 asks that the address keep a clearance ``c`` from every window edge
wherever the insert moves, i.e. for *every* (x0, y0):

    window.left + c   ≤ X ≤ window.left + window.width − c
    window.bottom + c ≤ Y ≤ window.bottom + window.height − c

The worst cases are the extreme shifts, which gives the address zone on the sheet:

    x from  window.left + c                              (sheet against the left side)
      to    window.left + window.width − c − shift_x     (sheet against the right side)
    y from  panel + shift_y − window.bottom − window.height + c   (sheet raised to the top)
      to    panel − window.bottom − c                    (sheet resting on the bottom)

For the default #10 envelope and a US Letter sheet: shift 1 in × 0.458 in, and the zone is
x 1.0 – 4.25 in, y 2.625 – 3.042 in from the top: 3.25 × 0.417 in, room for three lines at
9 pt or four at 6.75 pt. Everything else that could ever show through the window
(:func:`window_reach`) is left blank on the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.config.print import EnvelopeConfig, WindowConfig
from newsletter.errors import ConfigError

PANELS = 3  # a tri-fold


@dataclass(frozen=True)
class Box:
    """A rectangle on the trimmed sheet, from its top-left corner, in points."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def contains(self, x: float, y: float, tolerance: float = 0.01) -> bool:
        return (
            self.left - tolerance <= x <= self.right + tolerance
            and self.top - tolerance <= y <= self.bottom + tolerance
        )


def boxes_css(layout: object, origin: tuple[float, float]) -> dict[str, dict[str, str]]:
    """Each :class:`Box` attribute of ``layout`` as CSS ``left/top/width/height`` in points
    from ``origin``, by attribute name (the layouts' ``css()``)."""
    return {
        name: {
            "left": f"{box.left - origin[0]:.2f}pt",
            "top": f"{box.top - origin[1]:.2f}pt",
            "width": f"{box.width:.2f}pt",
            "height": f"{box.height:.2f}pt",
        }
        for name, box in vars(layout).items()
        if isinstance(box, Box)
    }


def panel_height(sheet_height: float) -> float:
    return sheet_height / PANELS


def shifts(sheet: tuple[float, float], envelope: EnvelopeConfig) -> tuple[float, float]:
    """How far the folded sheet can move inside the envelope (sideways, up and down)."""
    width, height = sheet
    shift_x = envelope.width - width
    shift_y = envelope.height - panel_height(height)
    if shift_x < 0 or shift_y < 0:
        raise ConfigError(
            f"the sheet folded in {PANELS} ({width / 72:.2f} × {panel_height(height) / 72:.2f} "
            f"in) does not fit the envelope ({envelope.width / 72:.2f} × "
            f"{envelope.height / 72:.2f} in)",
            key="print.envelope",
        )
    return shift_x, shift_y


def address_zone(
    sheet: tuple[float, float], envelope: EnvelopeConfig, window: WindowConfig | None = None
) -> Box:
    """The box on page 1 that shows through ``window`` (default: the address window) with
    the clearance kept on every side, wherever the folded sheet sits in the envelope."""
    window = window or envelope.window
    shift_x, shift_y = shifts(sheet, envelope)
    panel = panel_height(sheet[1])
    c = envelope.clearance
    left = window.left + c
    right = window.left + window.width - c - shift_x
    top = panel + shift_y - window.bottom - window.height + c
    bottom = panel - window.bottom - c
    if right - left < 72 or bottom - top < 18:
        raise ConfigError(
            f"the window leaves {max(right - left, 0) / 72:.2f} × {max(bottom - top, 0) / 72:.2f}"
            " in for the address once the sheet's movement and the clearance are taken off;"
            " check print.envelope",
            key="print.envelope.window",
        )
    if top < 0 or left < 0:
        raise ConfigError("the window lies outside the top panel", key="print.envelope.window")
    return Box(left, top, right - left, bottom - top)


def window_reach(
    sheet: tuple[float, float], envelope: EnvelopeConfig, window: WindowConfig | None = None
) -> Box:
    """Every part of page 1 that can show through ``window`` in some position: kept blank
    apart from the address, so nothing else is read as part of it."""
    window = window or envelope.window
    shift_x, shift_y = shifts(sheet, envelope)
    panel = panel_height(sheet[1])
    left = max(window.left - shift_x, 0.0)
    right = min(window.left + window.width, sheet[0])
    top = max(panel - window.bottom - window.height, 0.0)
    bottom = min(panel + shift_y - window.bottom, panel)
    return Box(left, top, right - left, bottom - top)
