"""Personal hooks: subscribers' tags and dated facts, and the variant each reader gets.

``facts`` in subscribers.csv is a list of ``key: [words] DATE`` separated by ``;``::

    installed: furnace 2012; last_service: 2026-03-14; birthday: March

DATE is ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or a month's name. The config's hook lines
(:mod:`newsletter.config.personal`) turn facts into sentences on the issue date; the tags
that editorials write blocks for pick those blocks. A reader's *variant* is the pair
(tags that matter, hook lines): readers with the same pair get the same email, rendered
once, never per recipient.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from newsletter.config.personal import NAME, PersonalConfig

VARIANTS_FILE = "variants.json"
"""The build's list of personal variants (newsletter.pipeline.variants), read by the send."""
_DATE = re.compile(r"^(?:(?P<what>.*?)\s+)?(?P<when>\d{4}(?:-\d{2}(?:-\d{2})?)?|[A-Za-z]+)$")
_MONTHS = {
    **{name.lower(): n for n, name in enumerate(calendar.month_name) if name},
    **{name.lower(): n for n, name in enumerate(calendar.month_abbr) if name},
}


@dataclass(frozen=True)
class Fact:
    key: str  # "installed"
    what: str  # "furnace" ("" when the value is a date alone)
    year: int | None  # None for a month alone (a birthday month)
    month: int | None
    day: int | None


def parse_facts(cell: str) -> tuple[Fact, ...]:
    """The facts in a ``facts`` cell; ValueError says which one is not ``key: [words] DATE``."""
    facts = []
    for item in (part.strip() for part in cell.split(";")):
        if not item:
            continue
        key, colon, value = (x.strip() for x in item.partition(":"))
        if not colon or not re.match(NAME, key):
            raise ValueError(f"not a fact (key: [words] DATE): {item!r}")
        facts.append(_fact(key, value))
    return tuple(facts)


def _fact(key: str, value: str) -> Fact:
    match = _DATE.match(value)
    when = match.group("when") if match else ""
    what = (match.group("what") or "") if match else ""
    if when.lower() in _MONTHS:
        return Fact(key, what, None, _MONTHS[when.lower()], None)
    parts = [int(p) for p in when.split("-")] if when[:1].isdigit() else []
    try:
        if not parts:
            raise ValueError
        date(parts[0], *([*parts[1:], 1, 1])[:2])  # a real year, month and day
    except (ValueError, TypeError):
        raise ValueError(
            f"{key}: not a date (YYYY-MM-DD, YYYY-MM, YYYY or a month's name): {value!r}"
        ) from None
    year, month, day = ([*parts, None, None])[:3]
    return Fact(key, what, year, month, day)


def hook_lines(facts: tuple[Fact, ...], personal: PersonalConfig, on: date) -> tuple[str, ...]:
    """The config's hook lines that ``facts`` call for on the issue date ``on``, in the
    config's order (each line once)."""
    lines: list[str] = []
    for hook in personal.hooks:
        for fact in facts:
            if fact.key != hook.fact:
                continue
            months = _months_since(fact, on)
            if hook.in_month:
                due = fact.month == on.month
            elif hook.min_years is not None:
                due = months is not None and months // 12 >= hook.min_years
            else:
                due = months is not None and months >= (hook.min_months or 0)
            if not due:
                continue
            line = hook.text.format(
                what=fact.what or fact.key.replace("_", " "),
                years="" if months is None else months // 12,
                months="" if months is None else months,
                year="" if fact.year is None else fact.year,
            )
            if line not in lines:
                lines.append(line)
    return tuple(lines)


def _months_since(fact: Fact, on: date) -> int | None:
    if fact.year is None:
        return None
    months = (on.year - fact.year) * 12 + on.month - (fact.month or 1)
    if fact.day is not None and on.day < fact.day:
        months -= 1
    return months


@dataclass(frozen=True)
class Variant:
    """What makes one reader's email differ from their segment's: tags and hook lines."""

    segment: str
    tags: tuple[str, ...]  # only tags some editorial block of the issue names, sorted
    hooks: tuple[str, ...]

    @property
    def key(self) -> str:
        """ "" for the segment's plain email, else a short stable name for the folder."""
        if not self.tags and not self.hooks:
            return ""
        text = "\n".join([*self.tags, "--", *self.hooks])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class VariantPicker:
    """The variant of a reader from the cells of their row; the few distinct spellings of
    a list's cells are worked out once each."""

    def __init__(self, personal: PersonalConfig, used_tags: Collection[str], on: date) -> None:
        self.personal = personal
        self.used = frozenset(used_tags)
        self.on = on
        self.pick = functools.lru_cache(maxsize=4096)(self._pick)

    def _pick(self, segment: str, tags_cell: str, facts_cell: str) -> Variant:
        tags = sorted({t.strip() for t in tags_cell.split(";")} & self.used)
        facts = parse_facts(facts_cell) if facts_cell else ()
        hooks = hook_lines(facts, self.personal, self.on) if facts else ()
        return Variant(segment, tuple(tags), hooks)
