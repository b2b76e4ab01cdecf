"""Warnings that never block an issue — unless ``--strict`` turns them into errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import NewsletterError, SourceError


@dataclass
class Diagnostics:
    """Collects warnings during a build; under ``strict`` the first one is raised instead."""

    strict: bool = False
    warnings: list[str] = field(default_factory=list)

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
        if self.strict:
            raise problem
        self.warnings.append(problem.one_line())
