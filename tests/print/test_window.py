"""The address zone: what shows through the window wherever the folded sheet sits."""

from __future__ import annotations

import itertools

import pytest

from newsletter.config.print import EnvelopeConfig, WindowConfig
from newsletter.errors import ConfigError
from newsletter.print.window import address_zone, panel_height, shifts, window_reach

INCH = 72.0
LETTER = (8.5 * INCH, 11 * INCH)
A4 = (595.28, 841.89)


def inches(*values: float) -> tuple[float, ...]:
    return tuple(round(v / INCH, 3) for v in values)


def test_default_number_10_window_gives_the_documented_zone() -> None:
    zone = address_zone(LETTER, EnvelopeConfig())
    assert inches(zone.left, zone.right, zone.top, zone.bottom) == (1.0, 4.25, 2.625, 3.042)


def test_lob_window_moves_the_zone_up_and_left() -> None:
    lob = WindowConfig(left=0.625, bottom=1, width=4, height=1)  # numbers are inches
    zone = address_zone(LETTER, EnvelopeConfig(window=lob))
    assert inches(zone.left, zone.right, zone.top, zone.bottom) == (0.75, 3.5, 2.25, 2.542)


def test_every_corner_of_the_zone_keeps_the_clearance_in_every_position() -> None:
    envelope = EnvelopeConfig()
    window, c = envelope.window, envelope.clearance
    zone = address_zone(LETTER, envelope)
    shift_x, shift_y = shifts(LETTER, envelope)
    panel = panel_height(LETTER[1])
    corners = itertools.product((zone.left, zone.right), (zone.top, zone.bottom))
    for (x, y), x0, y0 in itertools.product(corners, (0, shift_x), (0, shift_y)):
        on_envelope_x, on_envelope_y = x0 + x, y0 + panel - y
        assert window.left + c - 1e-6 <= on_envelope_x <= window.left + window.width - c + 1e-6
        assert window.bottom + c - 1e-6 <= on_envelope_y
        assert on_envelope_y <= window.bottom + window.height - c + 1e-6


def test_zone_lies_within_what_the_window_can_ever_show() -> None:
    zone = address_zone(LETTER, EnvelopeConfig())
    reach = window_reach(LETTER, EnvelopeConfig())
    assert reach.left <= zone.left and zone.right <= reach.right
    assert reach.top <= zone.top and zone.bottom <= reach.bottom


def test_a4_in_a_dl_envelope_has_a_taller_zone() -> None:
    window = WindowConfig(left="20mm", bottom="15mm", width="90mm", height="45mm")
    dl = EnvelopeConfig(width="220mm", height="110mm", window=window)
    zone = address_zone(A4, dl)
    assert zone.height > address_zone(LETTER, EnvelopeConfig()).height * 2


def test_window_too_small_for_the_movement_is_a_config_error() -> None:
    slit = WindowConfig(left=0.875, bottom=0.5, width=4.5, height=0.6)
    with pytest.raises(ConfigError, match=r"leaves .* in for the address"):
        address_zone(LETTER, EnvelopeConfig(window=slit))


def test_sheet_that_does_not_fit_the_envelope_is_a_config_error() -> None:
    narrow = EnvelopeConfig(width="8in")
    with pytest.raises(ConfigError, match="does not fit the envelope"):
        address_zone(LETTER, narrow)
