"""The project's exception tree.

    NewsletterError            anything the user can fix; printed as one line by the CLI
    ├── ConfigError            newsletter.yaml is missing, malformed or invalid
    ├── ContentError           an editorial, offer or other content file is wrong
    ├── SourceError            a feed or calendar failed (only raised under --strict)
    ├── TemplateError          a template is missing or does not render
    ├── BuildError             the build cannot be written or fails a check (size, …)
    ├── SecretMissing          NEWSLETTER_SECRET is unset or too short
    ├── InvalidToken           an unsubscribe token no known key made
    ├── LockBusy               another process holds a data file's lock (names the holder)
    ├── StorageError           a file cannot be written: a read-only folder, a full disk
    ├── DeliveryError          sending failed in a way the user must look at
    │   ├── AuthError          the API key is invalid or lacks permission: stop
    │   ├── RejectedError      the provider refused the message itself as malformed: stop
    │   ├── TransientError     retries exhausted (429, 5xx, timeouts, unreachable server)
    │   └── LedgerError        the send ledger refused a change that would break exactly-once
    ├── ReferralError          a referral command cannot do what was asked (unknown code, …)
    ├── ReportError            the monthly report cannot read a ledger or write its folder
    ├── InboxError             the desk's inbox cannot be opened or written (desk/inbox.py)
    └── DeskError              desk pull cannot read the desk (desk/pull.py)

InboxError and DeskError still live with the desk, which is being built now; they join
this module once it settles.

Every error carries where it happened (a file, and a line or dotted key when known) so the
CLI can print ``newsletter: FILE:LINE: KEY: message`` and exit with status 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from newsletter.locks import Holder


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


E = TypeVar("E", bound=NewsletterError)


def together(problems: Sequence[E]) -> E:
    """The first of ``problems`` carrying all the others (and theirs) in ``also``, so one
    run reports every problem it found. ``problems`` must not be empty."""
    first = problems[0]
    rest: list[NewsletterError] = [*first.also]
    for problem in problems[1:]:
        rest += (problem, *problem.also)
    return type(first)(
        first.message, path=first.path, line=first.line, key=first.key, also=tuple(rest)
    )


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


class SecretMissing(NewsletterError):
    """NEWSLETTER_SECRET is unset or too short to keep codes and links unguessable."""


class InvalidToken(NewsletterError):
    """An unsubscribe token that no known key made (mistyped, cut short, forged or old)."""


class LockBusy(NewsletterError):
    """Another process holds the lock (and we were told not to wait, or waited too long)."""

    def __init__(self, message: str, *, path: Path, holder: Holder | None) -> None:
        super().__init__(message, path=path)
        self.holder = holder


class StorageError(NewsletterError):
    """A file or its lock cannot be written (a read-only folder, a full disk); the file is
    left as it was."""


class DeliveryError(NewsletterError):
    """Sending failed in a way the user must look at."""


class AuthError(DeliveryError):
    """The provider refused the credentials: nothing more can be sent this run."""


class RejectedError(DeliveryError):
    """The provider refused the message itself as malformed: nothing more can be sent."""


class TransientError(DeliveryError):
    """Retries are exhausted (429, 5xx, timeouts, an unreachable server)."""


class LedgerError(DeliveryError):
    """The ledger refused a change that would break the exactly-once guarantee."""
