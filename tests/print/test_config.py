"""The ``print:`` section of newsletter.yaml: lengths with units, defaults, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsletter.config import load_config
from newsletter.errors import ConfigError
from tests.golden import FIXTURE_PROJECT


def load(tmp_path: Path, print_section: dict) -> object:
    data = yaml.safe_load((FIXTURE_PROJECT / "newsletter.yaml").read_text(encoding="utf-8"))
    data["print"] = print_section
    path = tmp_path / "newsletter.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_config(path).config.print


def test_defaults_are_letter_an_eighth_inch_bleed_and_a_number_10_window(tmp_path: Path) -> None:
    config = load(tmp_path, {})
    assert (config.paper, config.bleed, config.pdfx) == ("letter", 9.0, "none")
    window = config.envelope.window
    assert (window.left, window.bottom, window.width, window.height) == (63, 36, 324, 81)


@pytest.mark.parametrize(
    ("written", "points"), [(0.125, 9.0), ("0.125in", 9.0), ("3mm", 8.504), ("9pt", 9.0)]
)
def test_lengths_take_inches_or_a_unit(tmp_path: Path, written: object, points: float) -> None:
    assert load(tmp_path, {"bleed": written}).bleed == pytest.approx(points, abs=0.001)


def test_a_length_in_an_unknown_unit_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"envelope": {"window": {"left": "2 furlongs"}}})
    assert caught.value.key == "print.envelope.window.left"


def test_unknown_print_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"papper": "a4"})
    assert (caught.value.key, caught.value.message) == ("print.papper", "unknown key")


def test_sample_config_names_a_print_shop() -> None:
    assert load_config(FIXTURE_PROJECT / "newsletter.yaml").config.print.print_shop
