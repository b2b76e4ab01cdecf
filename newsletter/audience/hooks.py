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
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from newsletter.config.personal import NAME, PersonalConfig

CACHE_SIZE = 16384  # entries per cache: a few MB at most
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
    return tuple(_parsed(item) for item in (part.strip() for part in cell.split(";")) if item)


# Whole cells are often one reader's own ("last_service: 2026-03-14" differs from row to
# row) but their items repeat across a list: each distinct item is parsed once.
@functools.lru_cache(maxsize=16384)
def _parsed(item: str) -> Fact:
    key, colon, value = (x.strip() for x in item.partition(":"))
    if not colon or not re.match(NAME, key):
        raise ValueError(f"not a fact (key: [words] DATE): {item!r}")
    return _fact(key, value)


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


HookFinds = tuple[tuple[int, str], ...]
"""The hook lines one fact calls for, each with the place of its hook in the config."""


def hook_lines(facts: Sequence[Fact], personal: PersonalConfig, on: date) -> tuple[str, ...]:
    """The config's hook lines that ``facts`` call for on the issue date ``on``, in the
    config's order (each line once)."""
    return _in_config_order([fact_hooks(fact, personal, on) for fact in facts])


def fact_hooks(fact: Fact, personal: PersonalConfig, on: date) -> HookFinds:
    """The hook lines ``fact`` calls for on ``on``, with their hooks' places in the config."""
    found: list[tuple[int, str]] = []
    for place, hook in enumerate(personal.hooks):
        if fact.key != hook.fact:
            continue
        months = _months_since(fact, on)
        if hook.in_month:
            due = fact.month == on.month
        elif hook.min_years is not None:
            due = months is not None and months // 12 >= hook.min_years
        else:
            due = months is not None and months >= (hook.min_months or 0)
        if due:
            line = hook.text.format(
                what=fact.what or fact.key.replace("_", " "),
                years="" if months is None else months // 12,
                months="" if months is None else months,
                year="" if fact.year is None else fact.year,
            )
            found.append((place, line))
    return tuple(found)


def _in_config_order(per_fact: Sequence[HookFinds]) -> tuple[str, ...]:
    """Hook lines by their hooks' order in the config, then the facts' order, each once."""
    if not any(per_fact):
        return ()
    ranked = sorted((place, n, line) for n, found in enumerate(per_fact) for place, line in found)
    return tuple(dict.fromkeys(line for _, _, line in ranked))


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

    @functools.cached_property
    def key(self) -> str:
        """ "" for the segment's plain email, else a short stable name for the folder."""
        if not self.tags and not self.hooks:
            return ""
        text = "\n".join([*self.tags, "--", *self.hooks])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class VariantPicker:
    """The variant of a reader, from the cells of their row (:meth:`pick`) or from their
    row read (:meth:`variant`).

    A send asks once per reader, so the work is cached in parts that repeat across a list
    whatever its size: the tags cells, the facts cells and each single fact (cells written
    per reader, such as a service date, miss the cell cache but not the fact's), and the
    few variants themselves, each with its key hashed once.
    """

    def __init__(self, personal: PersonalConfig, used_tags: Collection[str], on: date) -> None:
        self.personal = personal
        self.used = frozenset(used_tags)
        self.on = on
        cache = functools.lru_cache(maxsize=CACHE_SIZE)
        self._tags_of_cell = cache(self._cell_tags)
        self._hooks_of_cell = cache(self._cell_hooks)
        self._hooks_of_fact = cache(functools.partial(fact_hooks, personal=personal, on=on))
        self._interned = cache(Variant)

    def pick(self, segment: str, tags_cell: str, facts_cell: str) -> Variant:
        """The variant of a reader of ``segment`` whose row has these tags and facts cells
        (ValueError for a facts cell that is not facts)."""
        tags = self._tags_of_cell(tags_cell) if tags_cell else ()
        hooks = self._hooks_of_cell(facts_cell) if facts_cell else ()
        return self._interned(segment, tags, hooks)

    def variant(self, segment: str, tags: Collection[str], facts: Sequence[Fact]) -> Variant:
        """The variant of a reader of ``segment`` with these tags and (parsed) facts."""
        return self._interned(segment, self._tags_that_matter(tags), self._hooks(facts))

    def _cell_tags(self, cell: str) -> tuple[str, ...]:
        return self._tags_that_matter([t.strip() for t in cell.split(";")])

    def _tags_that_matter(self, tags: Collection[str]) -> tuple[str, ...]:
        return tuple(sorted(self.used.intersection(tags)))

    def _cell_hooks(self, cell: str) -> tuple[str, ...]:
        return self._hooks(parse_facts(cell))

    def _hooks(self, facts: Sequence[Fact]) -> tuple[str, ...]:
        return _in_config_order([self._hooks_of_fact(fact) for fact in facts])
