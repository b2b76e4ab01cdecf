"""Referral offers (content/offers/*.yaml): validation and choosing the one for an issue."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from newsletter.errors import ContentError
from newsletter.model import Milestone
from newsletter.sources.offers import current_offer, load_offers
from tests.golden import FIXTURE_PROJECT

VALID = """\
title: Send a neighbor our way
body: |
  Your friend gets **$50 off** a tune-up.
valid_from: 2026-09-01
valid_to: 2027-08-31
landing_url: https://hartwellhvac.example.com/refer
milestones:
  - referrals: 1
    reward: A coffee card
  - referrals: 3
    reward: Dinner for two
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "offers").mkdir(parents=True)
    return folder


def write(content: Path, name: str, text: str) -> None:
    (content / "offers" / name).write_text(text, encoding="utf-8")


def dated(valid_from: str, valid_to: str) -> str:
    return VALID.replace("2026-09-01", valid_from).replace("2027-08-31", valid_to)


def error_from(content: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_offers(content)
    return caught.value


def test_offer_file_becomes_an_offer(content: Path) -> None:
    write(content, "neighbor.yaml", VALID)
    (offer,) = load_offers(content)
    assert offer.slug == "neighbor"
    assert offer.title == "Send a neighbor our way"
    assert offer.body_html == "<p>Your friend gets <strong>$50 off</strong> a tune-up.</p>"
    assert offer.body_text == "Your friend gets $50 off a tune-up."
    assert (offer.valid_from, offer.valid_to) == (date(2026, 9, 1), date(2027, 8, 31))
    assert offer.landing_url == "https://hartwellhvac.example.com/refer"
    assert offer.milestones == (Milestone(1, "A coffee card"), Milestone(3, "Dinner for two"))
    assert offer.path == "content/offers/neighbor.yaml"


def test_the_words_for_the_friend_are_optional_markdown(content: Path) -> None:
    write(content, "neighbor.yaml", VALID)
    assert load_offers(content)[0].friends_html == ""
    friends = "for_friends: |\n  Your first tune-up is **$50 off**.\nvalid_from:"
    write(content, "neighbor.yaml", VALID.replace("valid_from:", friends))
    (offer,) = load_offers(content)
    assert offer.friends_html == "<p>Your first tune-up is <strong>$50 off</strong>.</p>"


def test_segments_default_to_clients_and_partners(content: Path) -> None:
    write(content, "neighbor.yaml", VALID)
    assert load_offers(content)[0].segments == ("client", "partner")


def test_valid_to_before_valid_from_is_an_error(content: Path) -> None:
    write(content, "backwards.yaml", dated("2026-09-01", "2026-08-01"))
    error = error_from(content)
    assert (error.path, error.line, error.key) == ("content/offers/backwards.yaml", 5, "valid_to")
    assert error.message.startswith("must be after valid_from")
    assert error.one_line().startswith(
        "content/offers/backwards.yaml:5: valid_to: must be after valid_from"
    )


def test_landing_url_must_be_http(content: Path) -> None:
    write(content, "neighbor.yaml", VALID.replace("https://", "ftp://"))
    error = error_from(content)
    assert (error.line, error.key, error.message) == (6, "landing_url", "not a URL")


def test_landing_url_with_a_user_name_and_password_is_refused(content: Path) -> None:
    write(content, "a.yaml", VALID.replace("https://", "https://bank.example@"))
    error = error_from(content)
    assert error.key == "landing_url" and error.line == 6
    assert "not a link a reader may follow" in error.message


def test_the_offers_html_is_cleaned_like_a_feeds(content: Path) -> None:
    write(
        content,
        "a.yaml",
        VALID.replace(
            "Your friend gets **$50 off** a tune-up.",
            "Your friend gets [$50 off](javascript:alert(1)).<script>x()</script>",
        ),
    )
    (offer,) = load_offers(content)
    assert "$50 off" in offer.body_html
    assert "javascript" not in offer.body_html and "<script" not in offer.body_html


def test_milestone_referrals_must_be_positive(content: Path) -> None:
    write(content, "neighbor.yaml", VALID.replace("referrals: 1", "referrals: 0"))
    error = error_from(content)
    assert (error.line, error.key) == (8, "milestones[0].referrals")


def test_milestones_must_strictly_increase(content: Path) -> None:
    write(content, "neighbor.yaml", VALID.replace("referrals: 3", "referrals: 1"))
    error = error_from(content)
    assert (error.line, error.key) == (10, "milestones[1].referrals")
    assert "more than the previous milestone's 1" in error.message


def test_missing_and_unknown_keys_are_all_reported(content: Path) -> None:
    write(content, "neighbor.yaml", VALID.replace("title:", "titel:"))
    lines = error_from(content).all_lines()
    assert "content/offers/neighbor.yaml:1: titel: unknown key" in lines
    assert "content/offers/neighbor.yaml:1: title: required key is missing" in lines


def test_unknown_segment_is_an_error(content: Path) -> None:
    write(content, "neighbor.yaml", VALID + "segments: [client, landlords]\n")
    error = error_from(content)
    assert (error.line, error.key) == (12, "segments[1]")


def test_malformed_yaml_names_file_and_line(content: Path) -> None:
    write(content, "broken.yaml", "title: [unclosed\nbody: x\n")
    error = error_from(content)
    assert error.path == "content/offers/broken.yaml"
    assert error.line == 2
    assert "malformed YAML" in error.message


# --- choosing the issue's offer -----------------------------------------------------------


def test_offer_valid_on_the_issue_date_is_chosen(content: Path) -> None:
    write(content, "spring.yaml", dated("2026-03-01", "2026-08-31"))
    write(content, "fall.yaml", dated("2026-09-01", "2027-08-31"))
    assert current_offer(content, date(2026, 11, 1)).slug == "fall"
    assert current_offer(content, date(2026, 8, 31)).slug == "spring"  # last day counts


def test_no_active_offer_names_the_offer_files(content: Path) -> None:
    write(content, "spring.yaml", dated("2026-03-01", "2026-08-31"))
    write(content, "winter.yaml", dated("2027-01-01", "2027-02-28"))
    with pytest.raises(ContentError) as caught:
        current_offer(content, date(2026, 11, 1))
    assert caught.value.path == "content/offers"
    assert caught.value.message == (
        "no active referral offer for 2026-11-01 (offers: "
        "spring.yaml valid 2026-03-01 to 2026-08-31, winter.yaml valid 2027-01-01 to 2027-02-28)"
    )


def test_no_offer_files_at_all_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no active referral offer for 2026-11-01"):
        current_offer(tmp_path / "content", date(2026, 11, 1))


def test_overlapping_offers_name_both_files(content: Path) -> None:
    write(content, "fall.yaml", dated("2026-09-01", "2027-08-31"))
    write(content, "holiday.yaml", dated("2026-11-01", "2026-12-31"))
    with pytest.raises(ContentError) as caught:
        current_offer(content, date(2026, 11, 15))
    message = caught.value.message
    assert "fall.yaml valid 2026-09-01 to 2027-08-31" in message
    assert "holiday.yaml valid 2026-11-01 to 2026-12-31" in message
    assert caught.value.path == "content/offers"


def test_sample_offer_for_november_2026_is_the_neighbor_offer() -> None:
    offer = current_offer(FIXTURE_PROJECT / "content", date(2026, 11, 1))
    assert offer.title == "Send a neighbor our way"
    assert offer.landing_url == "https://hartwellhvac.example.com/refer"
    assert [m.referrals for m in offer.milestones] == [1, 3, 5]
    assert (
        len(load_offers(FIXTURE_PROJECT / "content")) == 2
    )  # the expired one is kept for the record
