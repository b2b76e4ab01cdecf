"""US postal addresses in USPS Publication 28 form, and the one key that tells whether two
written addresses are the same door.

Publication 28 is how the USPS wants an address written: capitals, no punctuation, the
standard abbreviations of street suffixes (STREET → ST), directionals (NORTH → N),
secondary unit designators (APARTMENT → APT, a bare number sign → ``# 4``) and states
(Wisconsin → WI), the secondary unit on the street line. usaddress-scourgify does the
parsing (usaddress's trained parser) and holds Pub 28's tables; this module decides what
to do with its answer:

- Only addresses in the United States are standardized; every other one is left as
  written (each country has its own rules, and its post reads what the sender wrote).
- ZIP+4 is kept when it is given (``537031234`` is written ``53703-1234``), never invented.
- An address the parser cannot take apart, or whose numbers it would change (a dropped
  unit number, a house number read as something else), is left as written: a wrong
  address is worse than an unabbreviated one. :func:`standardized` then says why.

scourgify reads an optional ``config/address_constants.yaml`` under the working folder (or
the file that ``ADDRESS_CONFIG`` names) when it is first imported, and merges its tables
into Pub 28's; a project should keep no such file.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace

from newsletter.model import Address

US = "US"
_DIGITS = re.compile(r"\d+")
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_PUNCTUATION = re.compile(r"[.,]")
_UNIT_DESIGNATOR = re.compile(r"^(?:#|[A-Z]+)\s+(?=\S)")
_PO_BOX = re.compile(
    r"^\s*(?:p\.?\s*o\.?|post\s+office)\s*box\s*#?\s*(?P<box>[a-z0-9-]+)\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Standardized:
    """An address in Publication 28 form, or the reason it is left as written."""

    address: Address  # the standard form; the address as written when ``reason`` is set
    reason: str = ""  # why it is left as written ("" when it was standardized)
    # When standardized: the street line without its secondary unit ("123 N MAIN ST"),
    # and the unit's identifier without its designator ("4" of "APT 4", of "# 4").
    line_1: str = ""
    unit: str = ""

    @property
    def changed(self) -> bool:
        return not self.reason


def standardized(address: Address) -> Standardized:
    """``address`` in USPS Publication 28 form when it is in the US and can be read whole;
    else as written, with the reason."""
    if address.country.strip().upper() not in ("", US):
        return Standardized(address, "outside the US: left as written")
    return _standardized(address)


@functools.lru_cache(maxsize=4096)
def _standardized(address: Address) -> Standardized:
    # Imported here: the parser's model loads in a tenth of a second, which commands that
    # never look at a postal address should not pay.
    from scourgify import normalize_address_record
    from scourgify.exceptions import AddressNormalizationError
    from scourgify.normalize import normalize_state
    from usaddress import RepeatedLabelError

    box = _PO_BOX.match(address.street)
    if box:
        # usaddress takes a post office box for a street it cannot parse; Pub 28 writes
        # it "PO BOX 12".
        region = _PUNCTUATION.sub("", address.region).strip()
        return Standardized(
            replace(
                address,
                street=f"PO BOX {box['box'].upper()}",
                city=" ".join(_PUNCTUATION.sub("", address.city).upper().split()),
                region=normalize_state(region) or region.upper(),
                postal_code=_zip(address.postal_code),
            ),
            line_1=f"PO BOX {box['box'].upper()}",
        )
    record = {
        "address_line_1": address.street,
        "address_line_2": None,
        "city": address.city,
        "state": _PUNCTUATION.sub("", address.region).strip(),
        "postal_code": address.postal_code,
    }
    try:
        parsed = normalize_address_record(record)
    except (AddressNormalizationError, RepeatedLabelError):
        return Standardized(address, "its parts cannot be told apart: left as written")
    except (ValueError, TypeError, IndexError, KeyError, AttributeError):
        # The parser's own failure on one strange address: that address stays as it is
        # and no other is affected.
        return Standardized(address, "the parser could not read it: left as written")
    line_2 = parsed["address_line_2"] or ""
    street = " ".join(" ".join((parsed["address_line_1"] or "", line_2)).split())
    if sorted(_DIGITS.findall(street)) != sorted(_DIGITS.findall(address.street)):
        return Standardized(address, "reading it would change its numbers: left as written")
    city = " ".join(_PUNCTUATION.sub("", parsed["city"] or address.city.upper()).split())
    region = parsed["state"] or address.region.upper()
    return Standardized(
        replace(
            address,
            street=street,
            city=city,
            region=region,
            postal_code=_zip(parsed["postal_code"] or address.postal_code),
        ),
        line_1=" ".join((parsed["address_line_1"] or "").split()),
        unit=_UNIT_DESIGNATOR.sub("", " ".join(line_2.split())),
    )


def _zip(code: str) -> str:
    match = _ZIP.match(code.strip())
    if match is None:
        return code
    return f"{match[1]}-{match[2]}" if match[2] else match[1]


def print_form(address: Address) -> Address:
    """The address as it is printed: its Publication 28 form where there is one."""
    return standardized(address).address


def delivery_point(address: Address) -> str:
    """The door an address reaches, as a key: two spellings of one door give one key.

    ``123 North Main Street Apartment 4``, ``123 N Main St #4`` and ``123 n. main st., unit
    4`` are one door (the same building, the same unit, whatever the unit is called);
    ``Apt 4`` and ``Apt 5`` of one building are two. Compared in the Publication 28 form,
    without the unit's designator, case, accents or punctuation, by street, unit, the
    five-digit ZIP (or the postal code) and the country; the city is left out, since the
    postal code already places the door (and "St. Louis" and "Saint Louis" are one city).
    """
    form = standardized(address)
    country = address.country.strip().upper() or US
    street = form.line_1 if form.changed else form.address.street
    postal = form.address.postal_code.replace(" ", "").upper()
    if country == US:
        postal = postal[:5]
    return "|".join((plain_words(street), plain_words(form.unit), postal, country))


def plain_words(text: str) -> str:
    """``text`` as words to compare: no case, accents or punctuation."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(letters.split())
