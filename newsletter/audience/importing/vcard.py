"""vCard files (``.vcf``): a phone's or an address book's contacts, versions 2.1, 3.0, 4.0.

A small reader rather than a library: it streams the file line by line, names the line of
every problem, refuses one broken card while reading on, and keeps only what the list
holds (the values of a folded photo are skipped, not gathered). Read per RFC 6350 (4.0)
and RFC 2426 (3.0), with 2.1's habits:

- a line that starts with a space or a tab continues the one before (folding);
- ``[group.]NAME;PARAM=VALUE;…:value``; a parameter value may be quoted
  (``TYPE="home,pref"``); 2.1 writes bare types (``EMAIL;INTERNET;PREF:``) and
  ``ENCODING=QUOTED-PRINTABLE`` values, whose ``=`` at a line's end continues them,
  in the ``CHARSET`` given;
- ``\\,`` ``\\;`` ``\\\\`` and ``\\n`` escape; N and ADR split into parts at ``;``.

From each card: the preferred EMAIL (``PREF=1``, ``TYPE=pref``, else the first), the
name (N, else FN), ORG, the preferred (else home, else first) ADR, and CATEGORIES as tags.
A contact list carries no evidence of consent to email.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from newsletter.audience.importing.inputs import Input, raw_lines
from newsletter.audience.importing.mailchimp import country_code
from newsletter.audience.importing.records import (
    Contact,
    Origin,
    Postal,
    Record,
    Refused,
    cleaned,
    split_name,
    tag_names,
)

NEEDED = frozenset({"BEGIN", "END", "FN", "N", "EMAIL", "ADR", "ORG", "CATEGORIES"})
"""Properties whose values are read; the others (PHOTO, NOTE, TEL…) are skipped."""
MAX_VALUE_BYTES = 64 * 1024
"""Bytes in one needed property, unfolded: far more than any name or address."""
_NAME = re.compile(rb"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)")
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"}


@dataclass
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str

    def preference(self) -> tuple[int, int]:
        """Lower is preferred: PREF=n (4.0), then TYPE=pref (3.0, 2.1), then home."""
        pref = next((int(p) for p in self.params.get("PREF", []) if p.isdigit()), 101)
        types = self.params.get("TYPE", [])
        return (pref if "PREF" not in types else 0, 0 if "HOME" in types else 1)


@dataclass
class _Card:
    start: int
    properties: list[_Property] = field(default_factory=list)
    problem: tuple[int, str] | None = None  # the first line that could not be read


def vcard_contacts(source: Input, encoding: str) -> Iterator[Record]:
    """The contacts of a vCard file; a card that cannot be read is refused, naming its line."""
    card: _Card | None = None
    outside_reported = False
    for line, raw in _logical_lines(source):
        name, problem, prop = _parsed(raw, encoding)
        if name == "BEGIN" and prop and prop.value.strip().upper() == "VCARD":
            if card is not None:
                yield _refused(source, card, line, "no END:VCARD before the next BEGIN:VCARD")
            card, outside_reported = _Card(line), False
        elif card is None:
            if not outside_reported:
                outside_reported = True
                yield Refused(Origin(source.name, line), "a line outside BEGIN:VCARD … END:VCARD")
        elif name == "END":
            yield _contact(source, card)
            card = None
        elif problem and card.problem is None:
            card.problem = (line, problem)
        elif prop is not None:
            card.properties.append(prop)
    if card is not None:
        yield _refused(source, card, card.start, "no END:VCARD at the end of the file")


def _refused(source: Input, card: _Card, line: int, reason: str) -> Refused:
    return Refused(
        Origin(source.name, line), f"the card that starts on line {card.start}: {reason}"
    )


def _logical_lines(source: Input) -> Iterator[tuple[int, bytes]]:
    """(first line, bytes) of each unfolded line; of a property that is not read, only its
    name and parameters (its value is dropped as it comes)."""
    gathering: _Unfolding | None = None
    for number, raw in raw_lines(source):
        body = raw.rstrip(b"\r\n")
        if gathering is not None and (gathering.soft_break or body[:1] in (b" ", b"\t")):
            gathering.add(body)
            continue
        if gathering is not None:
            yield gathering.start, bytes(gathering.data)
        gathering = _Unfolding(number, body) if body.strip() else None
    if gathering is not None:
        yield gathering.start, bytes(gathering.data)


class _Unfolding:
    """One line being unfolded. Folding may cut anywhere, even inside the name, so what
    the property is (and whether its value is kept) is known once its ``:`` has come."""

    def __init__(self, start: int, body: bytes) -> None:
        self.start, self.data = start, bytearray(body)
        self.head_known, self.keep, self.quoted_printable = False, True, False
        self.soft_break = False  # the last line ended in quoted-printable's "=": it goes on
        self._look()

    def add(self, body: bytes) -> None:
        if self.keep:
            if self.soft_break:
                del self.data[-1:]
            self.data += body if self.soft_break else body[1:]
            if len(self.data) >= MAX_VALUE_BYTES:  # refused by _parsed, as it is
                del self.data[MAX_VALUE_BYTES:]
                self.keep = False
            self._look()
        self.soft_break = self.quoted_printable and body.endswith(b"=")

    def _look(self) -> None:
        if self.head_known or b":" not in self.data:
            return
        head, colon, _ = _split_outside_quotes(bytes(self.data), b":", 1)
        if not colon:
            return
        self.head_known = True
        match = _NAME.match(head)
        self.keep = self.keep and match is not None and match[1].decode().upper() in NEEDED
        self.quoted_printable = b"QUOTED-PRINTABLE" in head.upper()
        self.soft_break = self.quoted_printable and self.data.endswith(b"=")
        if not self.keep:
            del self.data[len(head) + 1 :]


def _parsed(raw: bytes, encoding: str) -> tuple[str, str, _Property | None]:
    """(property name, problem, property) of one unfolded line; a problem is "" when the
    line reads, and a property is None when it is not one that is read."""
    if not raw.strip():
        return "", "", None
    head, colon, value = _split_outside_quotes(raw, b":", 1)
    match = _NAME.fullmatch(head.split(b";", 1)[0])
    if not colon or not match:
        return "", "not a vCard line (NAME:value)", None
    name = match[1].decode().upper()
    if name not in NEEDED:
        return name, "", None
    if len(raw) >= MAX_VALUE_BYTES:
        return name, f"{name}: longer than {MAX_VALUE_BYTES:,} bytes", None
    params = _params(head)
    if "QUOTED-PRINTABLE" in params.get("ENCODING", []):
        value = quopri.decodestring(value)
    charset = next(iter(params.get("CHARSET", [])), encoding)
    try:
        text = value.decode(charset)
    except LookupError:
        return name, f"{name}: unknown CHARSET {charset!r}", None
    except UnicodeDecodeError:
        return name, f"{name}: not {charset} text (give the file's encoding with --encoding)", None
    return name, "", _Property(name, params, text)


def _split_outside_quotes(raw: bytes, separator: bytes, limit: int = -1) -> list[bytes]:
    """``raw`` split at ``separator`` where it is not between double quotes; with
    ``limit`` 1, always three items (before, separator or b"", after)."""
    parts, quoted, start = [], False, 0
    for index, byte in enumerate(raw):
        if byte == 0x22:  # "
            quoted = not quoted
        elif raw[index : index + 1] == separator and not quoted:
            if limit == 1:
                return [raw[:index], separator, raw[index + 1 :]]
            parts.append(raw[start:index])
            start = index + 1
    if limit == 1:
        return [raw, b"", b""]
    return [*parts, raw[start:]]


def _params(head: bytes) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for item in _split_outside_quotes(head, b";")[1:]:
        key, equals, values = item.decode("latin-1").partition("=")
        if not equals:  # 2.1's bare parameter: a type, or an encoding
            key, values = ("ENCODING" if key.upper() in _BARE_ENCODINGS else "TYPE"), key
        for value in values.split(","):
            params.setdefault(key.strip().upper(), []).append(value.strip().strip('"').upper())
    return params


def _contact(source: Input, card: _Card) -> Record:
    if card.problem is not None:
        line, problem = card.problem
        return _refused(source, card, line, problem)
    found: dict[str, list[_Property]] = {}
    for prop in card.properties:
        found.setdefault(prop.name, []).append(prop)
    given, family = _name(found)
    company = _parts(found["ORG"][0].value)[0] if "ORG" in found else ""
    emails = sorted(found.get("EMAIL", []), key=_Property.preference)
    email = cleaned(_unescaped(emails[0].value)) if emails else ""
    origin = Origin(source.name, card.start)
    if not email:
        who = " ".join(filter(None, (given, family))) or company or "a card"
        return Refused(origin, f"no email address ({who})")
    addresses = sorted(found.get("ADR", []), key=_Property.preference)
    categories = [item for p in found.get("CATEGORIES", []) for item in _list(p.value)]
    return Contact(
        email=email,
        origin=origin,
        first_name=given,
        last_name=family,
        company=cleaned(company),
        postal=_postal(addresses[0].value) if addresses else Postal(),
        tags=tag_names(categories),
    )


def _name(found: dict[str, list[_Property]]) -> tuple[str, str]:
    if "N" in found:
        parts = [cleaned(p.replace(",", " ")) for p in _parts(found["N"][0].value)]
        family, given = [*parts, "", ""][:2]
        if given or family:
            return given, family
    if "FN" in found:
        return split_name(_unescaped(found["FN"][0].value))
    return "", ""


def _postal(value: str) -> Postal:
    parts = [cleaned(p.replace("\n", ", ")) for p in _parts(value)] + [""] * 7
    box, extended, street, city, region, postal_code, country = parts[:7]
    if not street and box:
        street = box if not box.isdigit() else f"PO Box {box}"
    return Postal(
        ", ".join(filter(None, (street, extended))),
        city,
        region,
        postal_code,
        country_code(country),
    )


def _parts(value: str) -> list[str]:
    """A structured value's parts (split at unescaped ``;``), each unescaped."""
    return _split_escaped(value, ";")


def _list(value: str) -> list[str]:
    """A list value's items (split at unescaped ``,``), each unescaped."""
    return _split_escaped(value, ",")


def _unescaped(value: str) -> str:
    return _split_escaped(value, "")[0]


def _split_escaped(value: str, separator: str) -> list[str]:
    """``value`` split at every ``separator`` that no backslash escapes, each part with
    its escapes undone (``\\n`` a line break, ``\\x`` the character x)."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append("\n" if char in "nN" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")  # a backslash at the very end escapes nothing
    return [*parts, "".join(current)]
