"""A first, cheap pass over an iCalendar file: only what the issue's window needs goes on.

A calendar is someone else's file, up to ``max_bytes`` long, and a full parse costs tens of
microseconds per line. This pass reads the text itself — unfolding lines, splitting
components, reading dates as digits — and keeps, of each event near the window, only the
properties an event listing shows or a recurrence needs; everything else (past years of
events, alarms, attendee lists, attachments, custom properties) never reaches the parser.
What is kept is bounded too: events are taken from the earliest on until
:data:`MAX_VALUES` values or :data:`MAX_CHARS` characters, and the ones past that are
counted in :attr:`Scan.left_out`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PAD = timedelta(days=2)
"""Dates are read before any time zone is applied: a day either side covers every zone."""
MAX_VALUES = 2_000
"""Property values (each date of an RDATE or EXDATE list counts) handed to the parser."""
MAX_CHARS = 100_000
"""Characters handed to the parser: a month of a busy city's events."""
TEXT_LIMITS = {"SUMMARY": 500, "LOCATION": 500, "URL": 2_100, "DESCRIPTION": 2_000}
"""Longer text is cut: a listing shows a line of title and 200 characters of description."""
DATE_PROPERTIES = frozenset({"DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID"})
DATE_PARAMETERS = frozenset({"TZID", "VALUE", "RANGE"})
KEPT = DATE_PROPERTIES | set(TEXT_LIMITS) | {"UID", "DURATION", "RRULE", "SEQUENCE", "STATUS"}
HEADER = frozenset({"VERSION", "PRODID", "CALSCALE", "X-WR-TIMEZONE"})
_DURATION = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_UNTIL_ANYWHERE = re.compile(r"UNTIL=", re.IGNORECASE)
_UNTIL = re.compile(r"(?:^|;)UNTIL=(\d{8})", re.IGNORECASE)


@dataclass
class Line:
    """One unfolded content line: ``NAME;PARAM=…:value``, split."""

    name: str
    params: dict[str, str]
    value: str

    def text(self) -> str:
        params = "".join(f";{key}={value}" for key, value in self.params.items())
        return f"{self.name}{params}:{self.value}"


@dataclass
class _Event:
    raw: dict[str, list[str]]  # NAME -> the rest of each of its lines, split when read

    def all(self, name: str) -> list[Line]:
        return [_split(name, rest) for rest in self.raw.get(name, ())]

    def first(self, name: str) -> Line | None:
        found = self.raw.get(name)
        return _split(name, found[0]) if found else None

    @property
    def summary(self) -> str:
        found = self.first("SUMMARY")
        return " ".join(found.value.split()) if found else "(untitled)"


@dataclass(frozen=True)
class Scan:
    """What the pass keeps: a calendar text for the parser, and what it left out."""

    text: str
    events: int
    left_out: int
    """How many events near the window did not fit …"""
    first_left_out: str
    """… and the summary of the earliest of them."""


_MARK = re.compile(r"^(BEGIN|END)[ \t]*:[ \t]*([A-Za-z0-9-]*)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_PROPERTY = re.compile(r"^([A-Za-z0-9-]+)([;:].*)$", re.MULTILINE)
_KEPT_PROPERTY = re.compile(
    rf"^({'|'.join(sorted(KEPT, key=len, reverse=True))})([;:].*)$", re.MULTILINE | re.IGNORECASE
)
_PARAMS = re.compile(r'((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^;:"]*)(?:,(?:"[^"]*"|[^;:",]*))*)*):')
_PARAM = re.compile(r';([A-Za-z0-9-]+)=((?:"[^"]*"|[^;:"]*)(?:,(?:"[^"]*"|[^;:",]*))*)')


def scan_calendar(body: bytes, first: date, end: date) -> Scan:
    """The events of ``body`` that may touch the dates ``[first, end)``, as a calendar.

    ValueError when ``body`` is not an iCalendar file or its components do not nest.
    """
    text = _unfolded(body)
    low, high_digits = _Bound(first - PAD), f"{end + PAD:%Y%m%d}"
    header: list[Line] = []
    zones: list[str] = []
    near: list[tuple[str, int, str]] = []  # (start as YYYYMMDD, order in the file, text)
    stack: list[str] = []
    own: list[str] = []  # the current event's text outside its nested components
    begun = 0  # where the current top-level component (or its next own part) begins
    for mark in _MARK.finditer(text):
        begin, kind = mark.groups()
        kind = kind if kind.isupper() else kind.upper()
        if begin in ("BEGIN", "begin") or begin.upper() == "BEGIN":
            if not stack and kind != "VCALENDAR":
                raise ValueError(f"BEGIN:{kind} outside BEGIN:VCALENDAR")
            if len(stack) == 1:
                if mark.start() - begun > 1:  # something between components
                    header.extend(_header(text[begun : mark.start()]))
                begun = mark.end() if kind == "VEVENT" else mark.start()
                own = []
            elif len(stack) == 2 and stack[1] == "VEVENT":
                own.append(text[begun : mark.start()])
            stack.append(kind)
            continue
        if not stack or stack[-1] != kind:
            raise ValueError(f"END:{kind} does not close BEGIN:{stack[-1] if stack else '…'}")
        stack.pop()
        if len(stack) == 1 and kind == "VEVENT":
            own.append(text[begun : mark.start()])
            event_text = "".join(own)
            start = _start_if_near(event_text, low, high_digits)
            if start is not None:
                near.append((start, len(near), event_text))
        elif len(stack) == 1 and kind == "VTIMEZONE":
            zones.append(text[begun : mark.end()])
        if len(stack) == 1 or stack[1:] == ["VEVENT"]:
            begun = mark.end()
    if stack:
        raise ValueError(f"BEGIN:{stack[-1]} is never ended")
    near.sort()
    return _bounded(header, zones, [text for _, _, text in near])


def _unfolded(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").removeprefix("\ufeff")
    if not text.lstrip()[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise ValueError("not an iCalendar file")
    # str.replace, not re.sub: a substitution per line would hold a list of every piece.
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    del text
    return lines.replace("\n ", "").replace("\n\t", "")


def _header(text: str) -> list[Line]:
    return [
        Line(name.upper(), {}, _split(name.upper(), rest).value)
        for name, rest in _PROPERTY.findall(text)
        if name.upper() in HEADER
    ]


def _event(text: str) -> _Event:
    raw: dict[str, list[str]] = {}
    for name, rest in _KEPT_PROPERTY.findall(text):
        raw.setdefault(name.upper(), []).append(rest)
    return _Event(raw)


def _split(name: str, rest: str) -> Line:
    """A line's ``;P=V;P="V":value`` part, split (quoted values may hold ``:`` or ``;``)."""
    if rest.startswith(":"):
        return Line(name, {}, rest[1:])
    head = _PARAMS.match(rest)
    if head is None:  # not a line the parser will read either: it says so
        return Line(name, {}, rest.partition(":")[2])
    params = {key.upper(): value for key, value in _PARAM.findall(head.group(1))}
    return Line(name, params, rest[head.end() :])


_QUICK = re.compile(
    r"^(DTSTART|DTEND|DURATION|RRULE|RDATE|RECURRENCE-ID)\b[^:\n]*:([^\n]*)", re.MULTILINE
)


_SINGLE = frozenset({"DTSTART", "DTEND", "DURATION"})
UNREADABLE = "99999999"
"""The sort key of an event whose start cannot be read: last (the parser will judge it)."""


def _start_if_near(text: str, low: _Bound, high: str) -> str | None:
    """The start (``YYYYMMDD``, which sorts as dates do) of an event that may touch the
    days ``[low, high]``, or None for one that cannot.

    A first look at a few lines, comparing dates as digits, decides a single event (no
    rule, extra dates or moved instance), so that years of past events cost little;
    :func:`_near` judges the rest.
    """
    found: dict[str, str] = dict(_QUICK.findall(text))
    start = found.get("DTSTART", "").strip()[:8]
    if not (len(start) == 8 and start.isascii() and start.isdigit()):
        return UNREADABLE
    if not found.keys() <= _SINGLE:
        if start > high and "RECURRENCE-ID" not in found:
            return None
        if "RECURRENCE-ID" not in found and not _UNTIL_ANYWHERE.search(text):
            return start  # repeats (or has extra dates) from before the window, without end
        first, high_day = _date_of(start), _date_of(high)
        if first is None or high_day is None:
            return UNREADABLE
        return start if _near(_event(text), first, low.day, high_day) else None
    if start > high:
        return None
    if start >= low.digits:
        return start
    if "DTEND" in found:
        return start if found["DTEND"].strip()[:8] >= low.digits else None
    length = _duration(found.get("DURATION", "P0D"))
    if length is None:
        return start
    return start if start >= low.less(length.days) else None


class _Bound:
    """The first day of the window, as a date and as digits, and as digits that many days
    earlier (an event lasting that long and starting then still touches it)."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.digits = f"{day:%Y%m%d}"
        self._earlier: dict[int, str] = {}

    def less(self, days: int) -> str:
        found = self._earlier.get(days)
        if found is None:
            try:
                found = f"{self.day - timedelta(days=days):%Y%m%d}"
            except OverflowError:
                found = "00000000"
            self._earlier[days] = found
        return found


def _near(event: _Event, start: date, low: date, high: date) -> bool:
    """Whether ``event``, starting on ``start``, may have an occurrence touching
    ``[low, high]`` (when in doubt, yes: the parser decides)."""
    if start > high:
        return bool(event.first("RECURRENCE-ID")) and _moved_from_window(event, low, high)
    length = _length(event, start)
    if length is None:
        return True
    if start + length >= low:
        return True
    if event.first("RECURRENCE-ID"):
        return _moved_from_window(event, low, high)
    if event.first("RDATE"):
        return True
    rules = [line.value for line in event.all("RRULE")]
    untils = [_UNTIL.search(rule) for rule in rules]
    if not rules or any(u is None for u in untils):
        return bool(rules)
    last = max(_date_of(u.group(1)) or high for u in untils if u is not None)
    return last + length >= low


def _moved_from_window(event: _Event, low: date, high: date) -> bool:
    found = event.first("RECURRENCE-ID")
    was = _date(found)
    return (
        was is None
        or low <= was <= high
        or (found is not None and found.params.get("RANGE", "").upper() == "THISANDFUTURE")
    )


def _length(event: _Event, start: date) -> timedelta | None:
    end = _date(event.first("DTEND"))
    if end is not None:
        return max(end - start, timedelta(0))
    duration = event.first("DURATION")
    return _duration(duration.value) if duration is not None else timedelta(0)


def _duration(text: str) -> timedelta | None:
    """An iCalendar duration in whole days, rounded up past any part of a day (None when
    unreadable; a negative one is none at all)."""
    found = _DURATION.fullmatch(text.strip().upper())
    if found is None:
        return None
    sign, weeks, days, hours, minutes, seconds = found.groups()
    if sign == "-":
        return timedelta(0)
    whole = int(weeks or 0) * 7 + int(days or 0)
    part = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    try:
        return timedelta(days=whole + part // 86400 + 1)
    except OverflowError:
        return None


def _date(line: Line | None) -> date | None:
    return _date_of(line.value) if line is not None else None


def _date_of(value: str) -> date | None:
    digits = value.strip()[:8]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _bounded(header: list[Line], zones: list[str], near: list[str]) -> Scan:
    by_id = {_zone_id(zone): zone for zone in zones}
    kept: list[str] = []
    used_zones: set[str] = set()
    values = chars = 0
    taken = 0
    for text in near:
        lines = _trimmed(_event(text))
        needs = {
            z for line in lines if (z := line.params.get("TZID", "").strip('"')) and z in by_id
        }
        zone_texts = [by_id[zone] for zone in sorted(needs - used_zones)]
        texts = [line.text() for line in lines]
        values += len(texts) + sum(line.value.count(",") for line in lines)
        values += sum(zone.count("\n") for zone in zone_texts)
        chars += sum(len(t) for t in texts) + sum(len(zone) for zone in zone_texts)
        if values > MAX_VALUES or chars > MAX_CHARS:
            break
        kept.extend(zone.replace("\n", "\r\n") for zone in zone_texts)
        kept.extend(["BEGIN:VEVENT", *texts, "END:VEVENT"])
        used_zones |= needs
        taken += 1
    calendar = ["BEGIN:VCALENDAR", *(line.text() for line in header), *kept, "END:VCALENDAR"]
    return Scan(
        text="\r\n".join(calendar) + "\r\n",
        events=taken,
        left_out=len(near) - taken,
        first_left_out=_event(near[taken]).summary if taken < len(near) else "",
    )


def _zone_id(zone: str) -> str:
    found = re.search(r"^TZID([;:].*)$", zone, re.MULTILINE)
    return _split("TZID", found.group(1)).value.strip() if found else ""


def _trimmed(event: _Event) -> list[Line]:
    """The event's lines the listing reads, each cut to what it can show."""
    kept: list[Line] = []
    for line in (_split(name, rest) for name, rests in event.raw.items() for rest in rests):
        if line.name in DATE_PROPERTIES:
            params = {k: v for k, v in line.params.items() if k in DATE_PARAMETERS}
            kept.append(Line(line.name, params, line.value))
        else:
            limit = TEXT_LIMITS.get(line.name, 1_000)
            kept.append(Line(line.name, {}, line.value[:limit].rstrip("\\")))
    return kept
