"""The project's exception tree.

    NewsletterError            anything the user can fix; printed as one line by the CLI
    ├── ConfigError            newsletter.yaml is missing, malformed or invalid
    ├── ContentError           an editorial, offer or other content file is wrong
    ├── SourceError            a feed or calendar failed (only raised under --strict)
    ├── TemplateError          a template is missing or does not render
    ├── BuildError             the build cannot be written or fails a check (size, …)
    ├── ReferralError          a referral command cannot do what was asked (unknown code, …)
    └── ReportError            the monthly report cannot read a ledger or write its folder

Every error carries where it happened (a file, and a line or dotted key when known) so the
CLI can print ``newsletter: FILE:LINE: KEY: message`` and exit with status 2.
"""

from __future__ import annotations

from pathlib import Path


class NewsletterError(Exception):
    """An error the user can fix, with the place it was found."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        also: tuple[NewsletterError, ...] = (),
    ) -> None:
        self.message = message
        self.also = also  # further problems found in the same pass (validation collects all)
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``file:line: key: message``, leaving out the parts that are unknown."""
        place = ""
        if self.path:
            place = self.path + (f":{self.line}" if self.line else "") + ": "
        key = f"{self.key}: " if self.key else ""
        return f"{place}{key}{self.message}"

    def all_lines(self) -> list[str]:
        """This problem and every further one found with it, one line each."""
        return [self.one_line(), *(p.one_line() for p in self.also)]


class ConfigError(NewsletterError):
    """newsletter.yaml is missing, malformed or fails validation."""


class ContentError(NewsletterError):
    """An editorial, offer, subscriber list or other content file is wrong."""


class SourceError(NewsletterError):
    """A feed or calendar could not be used (raised instead of a warning under --strict)."""


class TemplateError(NewsletterError):
    """A template is missing or fails to render."""


class BuildError(NewsletterError):
    """The build cannot be written, or its output fails a check."""


class ReferralError(NewsletterError):
    """A referral command cannot do what was asked: an unknown code or lead, a bad change."""


class ReportError(NewsletterError):
    """The monthly report cannot read what it is made from, or cannot be written."""
