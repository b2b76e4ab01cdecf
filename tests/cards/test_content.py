"""``content/cards/YYYYQn.md``: loaded into the shared CardContent; every mistake names the
file and line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.cards import CardContent, Quarter, load_card_content
from newsletter.errors import ContentError
from tests.golden import FIXTURE_PROJECT

Q4 = Quarter(2026, 4)
GOOD = """\
---
title: The first hard freeze is behind us
tip:
  title: Change the filter
  text: Check it on the first of every month; if you *can't* see light through it, swap it.
local:
  title: The market moves indoors
  text: Saturdays 8 to noon.
  url: https://market.example.org/winter
ask: Know a neighbor whose furnace is making *that* noise? Send them our way.
---
Thank you for letting us keep in touch.
"""


def write(tmp_path: Path, text: str, quarter: str = "2026Q4") -> Path:
    folder = tmp_path / "content" / "cards"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{quarter}.md").write_text(text, encoding="utf-8")
    return tmp_path / "content"


def load(content: Path) -> CardContent:
    return load_card_content(content, Q4, business="Hartwell Heating & Cooling")


def test_a_card_holds_the_note_tip_local_item_and_ask(tmp_path: Path) -> None:
    card = load(write(tmp_path, GOOD))
    assert card.title == "The first hard freeze is behind us"
    assert card.note_text == "Thank you for letting us keep in touch."
    assert card.tip.title == "Change the filter"
    assert "<em>can&rsquo;t</em>" in card.tip.html and "can’t see light" in card.tip.text
    assert card.local.url == "https://market.example.org/winter"
    assert (
        card.ask_html == "<p>Know a neighbor whose furnace is making <em>that</em> noise? "
        "Send them our way.</p>"
    )
    assert (card.quarter, card.path) == (Q4, "content/cards/2026Q4.md")


def test_the_business_signs_a_note_without_a_signature(tmp_path: Path) -> None:
    assert load(write(tmp_path, GOOD)).signature == "Hartwell Heating & Cooling"


def test_a_missing_card_names_the_file_it_expects(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    with pytest.raises(ContentError) as caught:
        load(tmp_path / "content")
    assert caught.value.one_line().startswith("content/cards/2026Q4.md: no card for 2026Q4")


def test_a_missing_key_names_the_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load(
            write(
                tmp_path,
                GOOD.replace(
                    "ask: Know a neighbor whose furnace is making *that* "
                    "noise? Send them our way.\n",
                    "",
                ),
            )
        )
    assert (caught.value.path, caught.value.key) == ("content/cards/2026Q4.md", "ask")
    assert caught.value.line == 2  # the front matter's first line


def test_a_tip_too_long_for_the_card_names_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("Check it on the first", "Check it " + "very " * 60 + "often")
    with pytest.raises(ContentError) as caught:
        load(write(tmp_path, text))
    assert (caught.value.key, caught.value.line) == ("tip.text", 5)
    assert "at most 280 characters" in caught.value.message


def test_an_unknown_key_is_an_error_on_its_line(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load(write(tmp_path, GOOD.replace("ask:", "coupon: 10%\nask:")))
    assert (caught.value.key, caught.value.line, caught.value.message) == (
        "coupon",
        10,
        "unknown key",
    )


def test_a_note_too_long_for_the_card_names_the_first_line_of_the_note(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load(write(tmp_path, GOOD + "More words. " * 60))
    assert caught.value.line == 12
    assert "keep it to 600" in caught.value.message


def test_a_card_without_a_note_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="seasonal note is missing"):
        load(write(tmp_path, GOOD.rsplit("---\n", 1)[0] + "---\n"))


def test_the_bundled_cards_load() -> None:
    for path in sorted((FIXTURE_PROJECT / "content" / "cards").glob("*.md")):
        quarter = Quarter(int(path.stem[:4]), int(path.stem[5]))
        assert load_card_content(FIXTURE_PROJECT / "content", quarter, business="x").tip.text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_card_file_loads_or_names_a_line(body: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        content = write(Path(folder), body)
        try:
            load(content)
        except ContentError as exc:
            assert exc.line is not None and exc.line >= 1, exc.one_line()
            assert exc.path == "content/cards/2026Q4.md"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(GOOD.splitlines()), st.text(max_size=80))
def test_any_line_of_a_good_card_replaced_loads_or_names_a_line(line: str, new: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        content = write(Path(folder), GOOD.replace(line, new, 1))
        try:
            load(content)
        except ContentError as exc:
            assert exc.line is not None and exc.line >= 1, exc.one_line()
