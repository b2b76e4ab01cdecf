"""Personal editions on paper: each addressed copy says what its reader's email says, the
``::: only TAG`` blocks of their tags and the hook lines of their facts
(:mod:`newsletter.audience.hooks`).

The issue is rendered once per edition in use among the mail recipients, never per copy,
and each copy takes its edition's pages. Paper has no segments (the printed issue has
every section), so an edition is the tags some editorial of the issue writes a block for
and the hook lines; the cap and its error are the email build's (``personal.max_variants``).
Hook lines sit where the email puts them, under the opening paragraph, in the edition's
pages: like the email, they belong to the variant, not to the per-copy layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsletter.audience.hooks import Variant, VariantPicker
from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.pipeline.variants import check_variant_cap, personalized, used_tags
from newsletter.print.mailing import MailRecipient

PAPER = "print"
"""The segment name of paper editions: the issue as every segment's sections together."""


@dataclass(frozen=True)
class Editions:
    """The editions the copies need, and which one each copy takes."""

    variants: tuple[Variant | None, ...]  # None: the plain edition (no blocks, no hooks)
    of_copy: tuple[int, ...]  # per recipient, in order: its edition's index in ``variants``


def paper_editions(
    settings: Settings, issue: Issue, recipients: Sequence[MailRecipient]
) -> Editions:
    """The editions in use among ``recipients``, in order of first use (the plain one alone
    when nobody is on the list or the config asks for no personal variants); BuildError
    when there are more than ``personal.max_variants``."""
    if not personalized(settings) or not recipients:
        return Editions((None,), (0,) * len(recipients))
    picker = VariantPicker(settings.config.personal, used_tags(issue, None), issue.issue_date)
    found: dict[str, int] = {}
    variants: list[Variant | None] = []
    of_copy: list[int] = []
    for recipient in recipients:
        variant = picker.variant(PAPER, recipient.tags, recipient.facts)
        index = found.get(variant.key)
        if index is None:
            index = found[variant.key] = len(variants)
            variants.append(variant if variant.key else None)
        of_copy.append(index)
    check_variant_cap(settings, sum(v is not None for v in variants), paper=True)
    return Editions(tuple(variants), tuple(of_copy))
