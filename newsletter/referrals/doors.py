"""The door an address reaches, for telling whether a lead lives where someone known lives.

A lead's address is one line as the friend typed it ("12 Elm St Apt 2, Springfield, IL
62701"); a subscriber's is in columns. Both are compared in USPS Publication 28 form
(:func:`newsletter.audience.standard.standardized`): street and unit, with the five-digit
ZIP when both have one, else with the town. Apartment 2 and apartment 3 of one building
are two doors; "Street" and "St" are one.

Standardizing costs a parser's time per address, so a list of subscribers is indexed by
house number first, and only the few that share a lead's house number are compared.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Generic, TypeVar

from newsletter.audience.standard import US, plain_words, standardized
from newsletter.model import Address

T = TypeVar("T")
_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")
_REGION = re.compile(r"(?:^|\s)([A-Za-z]{2})\s*$")
_NUMBER = re.compile(r"^\s*(\d+)")
_TOWN, _STATE, _ZIP_CODE = "Springfield", "IL", "62701"  # a stand-in place; see _street_form


def typed_address(text: str, country: str) -> Address | None:
    """A one-line address as a lead typed it ("street, town, ST 12345"), in parts; None
    when it has no street."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None
    rest = parts[1:]
    postal = region = ""
    if rest and (found := _ZIP.search(rest[-1])):
        postal, rest[-1] = found[1], rest[-1][: found.start()].strip()
    if rest and (postal or len(rest) > 1) and (found := _REGION.search(rest[-1])):
        region, rest[-1] = found[1].upper(), rest[-1][: found.start()].strip()
    city = next((part for part in rest if part), "")
    return Address(parts[0], city, region, postal, country)


def door_keys(address: Address | None) -> frozenset[str]:
    """Keys two spellings of one door share: street and unit with the ZIP, and with the
    town (none for an address without a street)."""
    if address is None or not address.street.strip():
        return frozenset()
    street, unit = _street_form(address.street, address.country.strip().upper() in ("", US))
    keys = set()
    postal = address.postal_code.replace(" ", "")[:5]
    if postal:
        keys.add(f"{street}|{unit}|zip {postal}")
    if address.city.strip():
        keys.add(f"{street}|{unit}|town {plain_words(address.city)}")
    return frozenset(keys)


@functools.lru_cache(maxsize=65536)
def _street_form(street: str, in_the_us: bool) -> tuple[str, str]:
    """(street line, unit) in Publication 28 form as plain words; as written elsewhere.

    The parser reads a street line only beside a town, state and ZIP, which a typed
    address often lacks; they do not change how the street is written, so a stand-in
    place is given and the street's form taken from the answer."""
    if in_the_us:
        form = standardized(Address(street, _TOWN, _STATE, _ZIP_CODE, US))
        if form.changed:
            return plain_words(form.line_1), plain_words(form.unit)
    return plain_words(street), ""


def house_number(address: Address | None) -> str:
    match = _NUMBER.match(address.street) if address else None
    return match[1] if match else ""


def same_door(one: Address | None, other: Address | None) -> bool:
    """Whether two addresses reach one door (the parser only when their numbers agree)."""
    return house_number(one) == house_number(other) and bool(door_keys(one) & door_keys(other))


class Doors(Generic[T]):
    """Things (subscribers, leads) by the door they are at, looked up by an address."""

    def __init__(self, items: Iterable[tuple[Address | None, T]] = ()) -> None:
        self._by_number: dict[str, list[tuple[Address, T]]] = defaultdict(list)
        for address, item in items:
            self.add(address, item)

    def add(self, address: Address | None, item: T) -> None:
        number = house_number(address)
        if address is not None and number:
            self._by_number[number].append((address, item))

    def at(self, address: Address | None) -> list[T]:
        """The things at the door ``address`` reaches, in the order they were added."""
        candidates = self._by_number.get(house_number(address), [])
        keys = door_keys(address) if candidates else frozenset()  # the parser only if needed
        return [item for where, item in candidates if keys and door_keys(where) & keys]
