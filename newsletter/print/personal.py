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

import os
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import jinja2

from newsletter.audience.hooks import Variant, VariantPicker
from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.pipeline.variants import check_variant_cap, personalized, used_tags
from newsletter.print.document import PrintedIssue, render_print_issue
from newsletter.print.mailing import MailRecipient
from newsletter.print.workers import worker_pool
from newsletter.render.environment import make_environment

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


class EditionRendering:
    """The addressed bases of ``editions``, in their order: each edition but the first is
    rendered by a worker process from the moment this is made, while the caller renders
    the first and the hand-out (each edition is a WeasyPrint render of about a second);
    :meth:`bases` waits for them. A context manager: leaving it stops the workers."""

    def __init__(
        self, issue: Issue, settings: Settings, editions: Editions, *, workers: int | None = None
    ) -> None:
        self._issue = issue
        self._settings = settings
        self._variants = editions.variants
        rest = self._variants[1:]
        count = workers if workers is not None else (os.cpu_count() or 1)
        parallel = count > 1 and bool(rest)
        self._pool = worker_pool(min(count, len(rest))) if parallel else None
        self._futures: list[Future[PrintedIssue]] = (
            [self._pool.submit(_render, issue, settings, v) for v in rest] if self._pool else []
        )

    def bases(self, env: jinja2.Environment) -> list[PrintedIssue]:
        """Every edition's base: the first rendered here, then the workers' (or, without
        workers, each rendered here in turn)."""
        issue, settings = self._issue, self._settings
        if self._pool is None:
            return [_render(issue, settings, v, env) for v in self._variants]
        first = _render(issue, settings, self._variants[0], env)
        return [first, *(future.result() for future in self._futures)]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> EditionRendering:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _render(
    issue: Issue,
    settings: Settings,
    personal: Variant | None,
    env: jinja2.Environment | None = None,
) -> PrintedIssue:
    """One edition's addressed base (in a worker process: with an environment of its own)."""
    env = env or make_environment(settings.templates_dir)
    return render_print_issue(issue, settings, env, variant="addressed", personal=personal)
