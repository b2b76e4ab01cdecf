"""The ``cards:`` section of newsletter.yaml: segments, a size the USPS mails at the rate,
the postage corner; mistakes name the config's line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsletter.config import load_config
from newsletter.config.cards import CardsConfig
from newsletter.errors import ConfigError
from tests.golden import FIXTURE_PROJECT


def write(tmp_path: Path, cards: object) -> Path:
    data = yaml.safe_load((FIXTURE_PROJECT / "newsletter.yaml").read_text(encoding="utf-8"))
    data["cards"] = cards
    path = tmp_path / "newsletter.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load(tmp_path: Path, cards: object) -> CardsConfig:
    return load_config(write(tmp_path, cards)).config.cards


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_defaults_are_a_4_25_by_6_postcard_for_prospects_with_a_stamp(tmp_path: Path) -> None:
    config = load(tmp_path, {})
    assert (config.size, config.rate, config.indicia) == ("4.25x6", "postcard", ())
    assert config.all_segments() == ("prospect",)
    assert (config.card_size.height, config.card_size.length) == (4.25, 6.0)


def test_segments_are_added_to_prospect(tmp_path: Path) -> None:
    assert load(tmp_path, {"segments": ["client", "prospect"]}).all_segments() == (
        "prospect",
        "client",
    )


@pytest.mark.parametrize("written", ["6x9", "6 x 11", "6×9"])
def test_larger_cards_mail_at_the_letter_rate(tmp_path: Path, written: str) -> None:
    config = load(tmp_path, {"size": written, "rate": "letter"})
    assert config.card_size.height == 6.0


@pytest.mark.parametrize("size", ["6x9", "6x11"])
def test_a_large_card_at_the_postcard_rate_is_an_error_on_the_size_line(
    tmp_path: Path, size: str
) -> None:
    path = write(tmp_path, {"rate": "postcard", "size": size})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert (error.key, error.line) == ("cards.size", line_of(path, f"size: {size}"))
    assert error.path == str(path)
    assert "does not mail a 6 x" in error.message and "rate: letter" in error.message


def test_an_unknown_size_lists_the_sizes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown card size '5x7'.*4\.25x6, 6x9, 6x11"):
        load(tmp_path, {"size": "5x7"})


def test_an_unknown_rate_or_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"rate": "flat", "colour": "red"})
    keys = {caught.value.key, *(p.key for p in caught.value.also)}
    assert keys == {"cards.rate", "cards.colour"}


def test_an_unknown_segment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown segment 'friends'"):
        load(tmp_path, {"segments": ["friends"]})


def test_indicia_lines_must_fit_the_corner(tmp_path: Path) -> None:
    assert load(tmp_path, {"indicia": ["PRSRT STD", "PERMIT NO. 1"]}).indicia == (
        "PRSRT STD",
        "PERMIT NO. 1",
    )
    with pytest.raises(ConfigError, match="at most 6"):
        load(tmp_path, {"indicia": ["X"] * 7})
    with pytest.raises(ConfigError, match="1 to 30 plain characters"):
        load(tmp_path, {"indicia": ["U.S. POSTAGE PAID AND A VERY LONG LINE"]})
