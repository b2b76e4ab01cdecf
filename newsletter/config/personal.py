"""``personal:`` in newsletter.yaml: the tags editorials may write blocks for, and the hook
lines made from subscribers' dated facts.

::

    personal:
      tags: [pets, kids, new-homeowner]     # what `::: only TAG` blocks may name
      max_variants: 200                     # combinations in use a build may render
      hooks:
        - fact: installed                   # subscribers.csv facts: "installed: furnace 2012"
          min_years: 12
          text: "Your {what} turns {years} this winter: worth a look before it quits."
        - fact: last_service
          min_months: 11
          text: "Your yearly tune-up is due: reply to book."
        - fact: birthday
          in_month: true
          text: "Happy birthday month from all of us!"

A hook line shows when its fact is old enough on the issue date (``min_years``,
``min_months``) or falls in the issue's month (``in_month``). ``{what}`` is the fact's
words before its date ("furnace"), ``{years}`` and ``{months}`` its age, ``{year}`` its year.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from newsletter.config.validation import Strict, placeholders

NAME = r"^[a-z0-9][a-z0-9_-]*$"
HOOK_FIELDS = ("what", "years", "months", "year")


class HookLine(Strict):
    """A line under the greeting for readers with a dated fact; exactly one of
    ``min_years``, ``min_months`` or ``in_month`` says when it shows."""

    fact: str = Field(pattern=NAME)
    """The fact's key in the subscribers' ``facts`` column (``installed``, ``birthday``)."""
    text: str = Field(min_length=1, max_length=200)
    """The line, with ``{what}``, ``{years}``, ``{months}`` or ``{year}`` filled in."""
    min_years: int | None = Field(default=None, ge=0, le=200)
    """Shows when the fact is at least this many years old on the issue date."""
    min_months: int | None = Field(default=None, ge=0, le=2400)
    """Shows when the fact is at least this many months old on the issue date."""
    in_month: bool = False
    """Shows when the fact's date falls in the issue's month (a birthday)."""

    @field_validator("text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        known = ", ".join(f"{{{name}}}" for name in HOOK_FIELDS)
        for field, spec, conversion in placeholders(value):
            if field not in HOOK_FIELDS or spec or conversion:
                raise ValueError(f"unknown placeholder {{{field}}} (known: {known})")
        return value

    @model_validator(mode="after")
    def _one_rule(self) -> HookLine:
        rules = [self.min_years is not None, self.min_months is not None, self.in_month]
        if sum(rules) != 1:
            raise ValueError("give exactly one of min_years, min_months or in_month: true")
        return self


class PersonalConfig(Strict):
    """Personal hooks: tagged blocks in editorials, and lines made from dated facts."""

    tags: tuple[str, ...] = ()
    """Tags that editorials may write ``::: only TAG`` blocks for (subscribers.csv may carry
    other tags too; only these change what an email says)."""
    hooks: tuple[HookLine, ...] = ()
    """Lines shown under the greeting, each for the readers whose fact matches."""
    max_variants: int = Field(default=200, ge=1, le=10_000)
    """Distinct combinations (segment, tags that matter, hook lines) a build renders; a
    list that would need more is an error, not a slow build."""

    @field_validator("tags")
    @classmethod
    def _tag_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for tag in value:
            if not re.match(NAME, tag):
                raise ValueError(f"not a tag name (a-z, 0-9, - and _): {tag!r}")
        return value
