"""Postal address lines as a letter carrier reads them, by the destination country's habit.

Domestic mail leaves the country out; international mail ends with the country's name in
capitals on a line of its own (UPU S42). Countries not listed here get the generic layout
``City Region Postcode``, which every postal service can read.
"""

from __future__ import annotations

from newsletter.model import Address

# "{city} {region} {postal}" on one line (the generic layout) unless listed here.
POSTAL_CODE_FIRST = frozenset(
    # Postcode before the town, as in "00-950 Warszawa" or "75007 Paris".
    "AT BE CH CZ DE DK EE ES FI FR GR HR HU IS IT LI LT LU LV MC NL NO PL PT SE SI SK".split()  # noqa: SIM905
)
POSTAL_CODE_OWN_LINE = frozenset({"GB", "IE"})
COUNTRY_NAMES = {
    "US": "UNITED STATES OF AMERICA",
    "CA": "CANADA",
    "MX": "MEXICO",
    "GB": "UNITED KINGDOM",
    "IE": "IRELAND",
    "DE": "GERMANY",
    "FR": "FRANCE",
    "PL": "POLAND",
    "NL": "NETHERLANDS",
    "BE": "BELGIUM",
    "CH": "SWITZERLAND",
    "AT": "AUSTRIA",
    "IT": "ITALY",
    "ES": "SPAIN",
    "PT": "PORTUGAL",
    "SE": "SWEDEN",
    "NO": "NORWAY",
    "DK": "DENMARK",
    "FI": "FINLAND",
    "AU": "AUSTRALIA",
    "NZ": "NEW ZEALAND",
    "JP": "JAPAN",
}


def locality_lines(address: Address) -> list[str]:
    """The line(s) after the street: city, region and postal code in the country's order."""
    country = address.country.upper()
    city, region, postal = address.city, address.region, address.postal_code
    if country in POSTAL_CODE_FIRST:
        return [_join(postal, city, region)]
    if country in POSTAL_CODE_OWN_LINE:
        return [line for line in (_join(city, region), postal) if line]
    return [_join(city, region, postal)]


def address_lines(
    name: str, company: str, address: Address, *, home_country: str
) -> tuple[str, ...]:
    """Every line of the address block, top to bottom, without blank lines."""
    street = [part.strip() for part in address.street.splitlines()]
    lines = [name, company, *street, *locality_lines(address)]
    country = address.country.upper()
    if country and country != home_country.upper():
        lines.append(COUNTRY_NAMES.get(country, country))
    return tuple(" ".join(line.split()) for line in lines if line and line.strip())


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
