"""Addresses in USPS Publication 28 form, and doors told apart however they are written."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.audience.standard import delivery_point, standardized
from newsletter.model import Address


def us(street: str, city: str = "Madison", region: str = "WI", postal: str = "53703") -> Address:
    return Address(street, city, region, postal, "US")


@pytest.mark.parametrize(
    ("written", "standard"),
    [
        ("123 North Main Street", "123 N MAIN ST"),
        ("4821 Old Sauk Road Apartment 4B", "4821 OLD SAUK RD APT 4B"),
        ("12 West Johnson Street, Suite 200", "12 W JOHNSON ST STE 200"),
        ("100 E. Washington Ave., Ste. 200", "100 E WASHINGTON AVE STE 200"),
        ("123 Main Street Northeast", "123 MAIN ST NE"),
        ("9 Elm Street #4", "9 ELM ST # 4"),
        ("P.O. Box 12", "PO BOX 12"),
    ],
)
def test_a_us_street_takes_the_publication_28_abbreviations_and_capitals(
    written: str, standard: str
) -> None:
    assert standardized(us(written)).address.street == standard


def test_a_state_written_out_or_with_a_period_becomes_its_two_letters() -> None:
    assert standardized(us("9 Elm St", region="Wisconsin")).address.region == "WI"
    assert standardized(us("9 Elm St", region="Wis.")).address.region == "WI"


def test_the_city_is_in_capitals_without_punctuation() -> None:
    assert standardized(us("9 Elm St", city="St. Louis", region="MO")).address.city == "ST LOUIS"


def test_zip_plus_4_is_kept_when_given_and_never_invented() -> None:
    assert standardized(us("9 Elm St", postal="53703-1234")).address.postal_code == "53703-1234"
    assert standardized(us("9 Elm St", postal="537031234")).address.postal_code == "53703-1234"
    assert standardized(us("9 Elm St", postal="53703")).address.postal_code == "53703"


def test_an_address_outside_the_us_is_left_as_written() -> None:
    gdansk = Address("ul. Długa 12 m. 4", "Gdańsk", "", "80-827", "PL")
    result = standardized(gdansk)
    assert result.address == gdansk
    assert result.reason == "outside the US: left as written"


def test_an_address_the_parser_cannot_take_apart_is_left_as_written_with_the_reason() -> None:
    odd = us("123 Main St Apt 4 Apt 5")
    result = standardized(odd)
    assert result.address == odd
    assert "left as written" in result.reason


@pytest.mark.parametrize(
    "street",
    [
        "123 N Main St Apt 4",
        "123 N Main St #4",
        "123 N Main St Unit 4",
        "123 North Main Street Apartment 4",
        "123 North Main Street APT. 4",
        "123 n. main st., unit 4",
    ],
)
def test_every_way_of_writing_one_apartment_is_one_door(street: str) -> None:
    assert delivery_point(us(street)) == delivery_point(us("123 N MAIN ST APT 4"))


def test_north_main_street_and_n_main_st_are_one_door() -> None:
    assert delivery_point(us("123 N Main St")) == delivery_point(us("123 North Main Street"))


def test_different_units_of_one_building_are_different_doors() -> None:
    assert delivery_point(us("123 N Main St Apt 4")) != delivery_point(us("123 N Main St Apt 5"))
    assert delivery_point(us("123 N Main St #4")) != delivery_point(us("123 N Main St"))


def test_zip_plus_4_and_city_spelling_do_not_make_another_door() -> None:
    plain = us("9 Elm St", city="St. Louis", region="MO", postal="63101")
    longer = us("9 Elm Street", city="Saint Louis", region="Missouri", postal="63101-0042")
    assert delivery_point(plain) == delivery_point(longer)


def test_doors_abroad_compare_without_case_or_punctuation() -> None:
    one = Address("Flat 4, 10 Downing St.", "London", "", "SW1A 2AA", "GB")
    other = Address("flat 4 10 downing st", "LONDON", "", "sw1a2aa", "GB")
    assert delivery_point(one) == delivery_point(other)


streets = st.one_of(
    # What subscribers.csv can hold: no control characters.
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60),
    st.builds(
        "{} {} {} {}".format,
        st.integers(1, 99999),
        st.sampled_from(["N", "North", "S.", "", "West"]),
        st.sampled_from(["Main", "Old Sauk", "Elm", "1st", "Martin Luther King Jr"]),
        st.sampled_from(["St", "Street", "Ave.", "Road #4", "Blvd Apt 2", "Ct, Unit 7B", ""]),
    ),
)
addresses = st.builds(
    Address,
    streets,
    st.sampled_from(["Madison", "St. Louis", "", "fort wayne"]),
    st.sampled_from(["WI", "Wisconsin", "mo", "", "Wis."]),
    st.sampled_from(["53703", "53703-1234", "2134", "", "abc"]),
    st.sampled_from(["US", "", "CA"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(addresses)
def test_standardizing_never_fails_and_a_standard_form_stays_as_it_is(address: Address) -> None:
    result = standardized(address)
    if not result.changed:
        assert result.address == address
        return
    again = standardized(result.address)
    assert again.address == result.address
    assert delivery_point(result.address) == delivery_point(address)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(addresses)
def test_standardizing_keeps_every_number_and_writes_only_printable_values(
    address: Address,
) -> None:
    result = standardized(address)
    form = result.address
    assert sorted(re.findall(r"\d+", form.street)) == sorted(re.findall(r"\d+", address.street))
    if result.changed:
        for value in (form.street, form.city, form.region, form.postal_code):
            assert value.isprintable() and len(value) <= max(200, len(address.street))
