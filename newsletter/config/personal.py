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

import string

from pydantic import Field, field_validator, model_validator

from newsletter.config.validation import Strict

NAME = r"^[a-z0-9][a-z0-9_-]*$"
HOOK_FIELDS = ("what", "years", "months", "year")


class HookLine(Strict):
    fact: str = Field(pattern=NAME)
    text: str = Field(min_length=1, max_length=200)
    min_years: int | None = Field(default=None, ge=0, le=200)
    min_months: int | None = Field(default=None, ge=0, le=2400)
    in_month: bool = False

    @field_validator("text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        known = ", ".join(f"{{{name}}}" for name in HOOK_FIELDS)
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(f"{exc} (write {{{{ and }}}} for a literal brace)") from None
        for _, field, spec, conversion in parts:
            if field is not None and (field not in HOOK_FIELDS or spec or conversion):
                raise ValueError(f"unknown placeholder {{{field}}} (known: {known})")
        return value

    @model_validator(mode="after")
    def _one_rule(self) -> HookLine:
        rules = [self.min_years is not None, self.min_months is not None, self.in_month]
        if sum(rules) != 1:
            raise ValueError("give exactly one of min_years, min_months or in_month: true")
        return self


class PersonalConfig(Strict):
    tags: tuple[str, ...] = ()
    """Tags that editorials may write ``::: only TAG`` blocks for (subscribers.csv may carry
    other tags too; only these change what an email says)."""
    hooks: tuple[HookLine, ...] = ()
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
