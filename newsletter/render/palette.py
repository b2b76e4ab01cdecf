"""The one colour function: the brand's three colours and background become every colour
the templates use, each text colour readable (WCAG 2.2 AA) on every background it may sit on.

A business configures ``primary``, ``accent``, ``text`` and ``background`` and nothing else:
tints, shades and the dark-mode colours are derived here, so a new brand cannot make a
template unreadable. The rule is one for all text colours: in light mode a text colour is
darkened, in dark mode lightened, until it exceeds :data:`TEXT_CONTRAST` against the
darkest (in dark mode, the lightest) background of its mode. Where that changed a colour
the business chose for text (``text_color``, ``primary_color``) or made the background
lighter so text can be read on it, :func:`palette_adjustments` says so, and the build warns.

The accent is a decorative colour (rules, borders, tints): where it is text or a button's
background the palette's ``button`` shade stands in, dark enough for its text and for white
text on it. Colours are ``#rrggbb`` throughout.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from newsletter.config.settings import BrandConfig

TEXT_CONTRAST = 4.5
"""WCAG AA's contrast for text (3:1 is enough for large text and focus outlines). A colour
must exceed it, as checkers such as axe-core compare, never merely equal it."""
BACKGROUND_CONTRAST = 9.0
"""The least contrast a page background keeps with black: room for body text and for a
lighter muted text, both AA."""
WHITE, BLACK = "#ffffff", "#000000"
DARK_BACKGROUND, DARK_SURFACE, DARK_RULE = "#1b1917", "#26231f", "#3d3832"
DARK_TEXT, DARK_MUTED = "#ece7df", "#b9b1a5"
ERROR, ERROR_TINT = "#c5221f", "#fdecea"
_STEPS = 100


@dataclass(frozen=True)
class Adjustment:
    """A brand colour the pages show differently than configured, so text stays readable."""

    key: str  # the brand's field: "primary_color"
    configured: str
    used: str
    against: str  # the background it failed on
    ratio: float  # its contrast there, as configured

    @property
    def message(self) -> str:
        if self.key == "background_color":
            return (
                f"{self.configured} is too dark for text and muted text to be read on it "
                f"(black is {_shown(self.ratio)}:1 on it); the pages use the lighter {self.used}"
            )
        return (
            f"{self.configured} is {_shown(self.ratio)}:1 on {self.against}, under WCAG AA's "
            f"4.5:1 for text; the pages show text in {self.used} instead"
        )


def palette(brand: BrandConfig) -> dict[str, str]:
    """Every colour the templates use, by role, for light and dark mode (see the module)."""
    return dict(_derived(*_colors_of(brand)).colors)


def palette_adjustments(brand: BrandConfig) -> tuple[Adjustment, ...]:
    """The brand colours :func:`palette` had to change for text to reach AA: none for a
    brand that already reads well."""
    return _derived(*_colors_of(brand)).adjustments


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix(color: str, other: str, amount: float) -> str:
    """``color`` moved ``amount`` (0..1) of the way towards ``other``."""
    mixed = (round(a + (b - a) * amount) for a, b in zip(_rgb(color), _rgb(other), strict=True))
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def readable(
    color: str, backgrounds: Iterable[str], towards: str = BLACK, ratio: float = TEXT_CONTRAST
) -> str:
    """``color`` moved towards ``towards`` (black: darker, white: lighter) in small steps
    until its contrast with every one of ``backgrounds`` exceeds ``ratio``; ``towards`` itself
    when no step gets there."""
    grounds = tuple(backgrounds)
    for step in range(_STEPS + 1):
        shade = mix(color, towards, step / _STEPS)
        if all(contrast(shade, ground) > ratio for ground in grounds):
            return shade
    return towards


@dataclass(frozen=True)
class _Derived:
    colors: Mapping[str, str]
    adjustments: tuple[Adjustment, ...]


def _colors_of(brand: BrandConfig) -> tuple[str, str, str, str]:
    return brand.primary_color, brand.accent_color, brand.text_color, brand.background_color


@functools.cache
def _derived(
    primary_color: str, accent_color: str, text_color: str, background_color: str
) -> _Derived:
    # Text sits on the page background too (the email's top bar and footer): a background
    # too dark to leave room for text and a lighter muted text is lightened.
    background = readable(background_color, [BLACK], WHITE, BACKGROUND_CONTRAST)
    light = {
        "background": background,
        "surface": WHITE,
        "paper": mix(background, WHITE, 0.5),
        "tint": mix(primary_color, WHITE, 0.93),
        "accent_tint": mix(accent_color, WHITE, 0.92),
        "error_tint": ERROR_TINT,
    }
    grounds = tuple(light.values())
    text = readable(text_color, grounds)
    primary = readable(primary_color, grounds)
    dark_tint = mix(primary_color, DARK_SURFACE, 0.78)
    dark_grounds = (DARK_BACKGROUND, DARK_SURFACE, dark_tint)
    colors = {
        **light,
        "primary": primary,
        "accent": accent_color,
        "text": text,
        "muted": readable(mix(text, background, 0.5), grounds),
        "rule": mix(background, text, 0.12),
        "button": readable(accent_color, grounds),
        "error": readable(ERROR, grounds),
        "dark_background": DARK_BACKGROUND,
        "dark_surface": DARK_SURFACE,
        "dark_text": readable(DARK_TEXT, dark_grounds, WHITE),
        "dark_muted": readable(DARK_MUTED, dark_grounds, WHITE),
        "dark_rule": DARK_RULE,
        "dark_primary": readable(mix(primary_color, WHITE, 0.6), dark_grounds, WHITE),
        "dark_accent": readable(mix(accent_color, WHITE, 0.25), dark_grounds, WHITE),
        "dark_tint": dark_tint,
    }
    # Named against the backgrounds the business knows: its own and white.
    known = (background, WHITE)
    adjustments = (
        _adjustment("background_color", background_color, background, [BLACK]),
        _adjustment("text_color", text_color, text, known),
        _adjustment("primary_color", primary_color, primary, known),
    )
    return _Derived(colors, tuple(a for a in adjustments if a is not None))


def _adjustment(key: str, configured: str, used: str, grounds: Iterable[str]) -> Adjustment | None:
    if used == configured.lower():
        return None
    worst = min(grounds, key=lambda ground: contrast(configured, ground))
    return Adjustment(key, configured, used, worst, contrast(configured, worst))


def _shown(ratio: float) -> str:
    # Cut, not rounded, as checkers show it: 4.499 is "4.49", never a passing "4.50".
    return f"{math.floor(ratio * 100) / 100:.2f}"


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
