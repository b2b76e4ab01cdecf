"""Warnings that never block an issue — unless ``--strict`` turns them into errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import NewsletterError, SourceError, together


@dataclass
class Diagnostics:
    """Collects warnings during a build; under ``strict`` the first one is raised instead."""

    strict: bool = False
    warnings: list[str] = field(default_factory=list)
    _held: list[NewsletterError] | None = None  # inside batch(): strict problems kept back

    def warn(
        self,
        message: str,
        *,
        error: type[NewsletterError] = SourceError,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        problem = error(message, path=path, line=line, key=key)
        if self.strict and self._held is not None:
            self._held.append(problem)
        elif self.strict:
            raise problem
        else:
            self.warnings.append(problem.one_line())

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Under ``strict``, raise the problems warned about in the block together at its
        end (one error carrying the others), so one run names every failing feed."""
        if self._held is not None:  # already batching
            yield
            return
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
        if held:
            raise together(held)
