"""The plain-text email: the same content, readable, wrapped, placeholders intact."""

from __future__ import annotations

import re

import jinja2
import pytest

from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.placeholders import PLACEHOLDERS
from newsletter.render.text import fold, render_text, tidy


@pytest.fixture(scope="module")
def text(issue: Issue, settings: Settings, env: jinja2.Environment) -> str:
    return render_text(issue, settings, env, segment=None)


def test_text_version_has_no_html(text: str) -> None:
    assert not re.search(r"</?[a-zA-Z][^>]*>", text)
    assert not re.search(r"&(amp|lt|gt|quot|nbsp|#\d+);", text)
    assert "Hartwell Heating & Cooling" in text


def test_text_lines_are_wrapped(text: str) -> None:
    long_lines = [line for line in text.splitlines() if len(line) > 72]
    # Only a single unbreakable word (a URL) may overrun, alone on its line.
    assert all(len(line.split()) == 1 for line in long_lines), long_lines


def test_text_has_no_trailing_spaces_and_ends_with_one_newline(text: str) -> None:
    assert all(line == line.rstrip() for line in text.splitlines())
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\n\n\n" not in text


def test_text_headings_are_underlined(text: str, issue: Issue) -> None:
    lines = text.splitlines()
    for section in issue.sections:
        heading = section.title.upper()
        index = lines.index(heading)
        assert lines[index + 1] == "=" * len(heading)


def test_text_items_carry_their_links(text: str) -> None:
    assert "Read more: https://news.example.com/library" in text


def test_text_events_have_dates_times_and_places(text: str) -> None:
    assert "* Madison Winter Festival tree lighting\n" in text
    assert "  Friday, November 20, 6:00 pm – 7:30 pm\n  Capitol Square, Madison\n" in text
    assert "  Friday, November 27 – Sunday, November 29\n  Olin Park\n" in text


def test_text_lists_holidays_with_their_days(text: str) -> None:
    assert "- Thu, Nov 26: Thanksgiving Day" in text


def test_text_offer_carries_referral_placeholders(text: str) -> None:
    assert "Your referral code: %%REFERRAL_CODE%%" in text
    assert "Share your referral link: %%REFERRAL_LINK%%" in text
    assert "\n%%REFERRAL_PROGRESS%%\n" in text
    assert "- 5 referrals: $250 off your next system upgrade" in text


def test_text_greets_by_first_name_placeholder(text: str) -> None:
    assert "Hi %%FIRST_NAME%%," in text


def test_text_footer_has_address_web_link_and_unsubscribe(text: str, issue: Issue) -> None:
    footer = text[text.rindex("\n--\n") :]
    assert "2417 Atwood Avenue, Madison, WI 53704" in footer
    assert issue.web_url in footer
    assert "Unsubscribe: %%UNSUBSCRIBE_URL%%" in footer


def test_text_prospect_variant_has_no_referral_offer(
    issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    prospect = render_text(issue, settings, env, segment="prospect")
    assert PLACEHOLDERS["referral_code"] not in prospect
    assert PLACEHOLDERS["referral_link"] not in prospect
    assert "THANK YOU FOR SENDING FRIENDS OUR WAY" not in prospect


def test_text_render_is_deterministic(
    text: str, issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    assert render_text(issue, settings, env, segment=None) == text


def test_fold_gives_list_items_a_hanging_indent() -> None:
    line = "- " + " ".join(["word"] * 30)
    folded = fold(line, 40)
    assert folded[0].startswith("- word")
    assert all(f.startswith("  word") for f in folded[1:])
    assert all(len(f) <= 40 for f in folded)


def test_fold_never_breaks_a_url() -> None:
    url = "https://example.com/" + "a" * 80
    assert fold(f"See {url} today", 72) == ["See", url, "today"]


def test_tidy_squeezes_blank_lines_and_trailing_spaces() -> None:
    assert tidy("\n\nTitle   \n\n\n\nBody \n\n") == "Title\n\nBody\n"
