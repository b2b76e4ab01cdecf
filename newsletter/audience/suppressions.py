"""``subscribers/suppressions.csv``: who must never be sent to, and merging new entries in.

Columns: email, reason (unsubscribe | bounce | complaint | manual | inactive: no answer
to "still want to hear from us?"), date (YYYY-MM-DD),
source, and optionally channel (email | mail | all; email when absent), so postal opt-outs
can live in the same file later. An entry matches every spelling of its mailbox (case,
Unicode form, the domain's ``xn--`` form), like subscribers' normalized addresses. The
file is in git: merging appends and never reorders, so a pull request shows only the new
lines.

A forgotten person's entry holds their address as a keyed hash (``forgotten:…``, see
:func:`newsletter.audience.tokens.forgotten_address`), never the address: it still stops
mail to them, matched by hashing the address being checked with ``NEWSLETTER_SECRET``.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, address_key, normalized_address
from newsletter.audience.tokens import FORGOTTEN, forgotten_address, secret_from_env
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import csv_rows, header_of
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.model import normalize_email

REASONS = ("unsubscribe", "bounce", "complaint", "manual", "inactive")
CHANNELS = ("email", "mail", "all")
COLUMNS = ("email", "reason", "date", "source", "channel")
REQUIRED = ("email", "reason", "date")
MAX_SOURCE = 200
"""Characters of ``source`` (where the entry came from: "sendgrid bounces", "phone call")."""


@dataclass(frozen=True)
class Suppression:
    email: str  # as written; compare with normalized_email
    reason: str
    date: date
    source: str = ""
    channel: str = "email"
    line: int | None = None  # where it was read from, for messages; None when new

    @functools.cached_property
    def normalized_email(self) -> str:
        """The address's key (:func:`address_key`: any case, Unicode form or IDN spelling
        of one mailbox gives one key), or its lower case if it is not an address."""
        if is_forgotten(self.email):
            return self.email.strip().lower()
        try:
            return address_key(self.email)
        except EmailNotValidError:
            return normalize_email(self.email)

    def covers(self, channel: str) -> bool:
        return self.channel in (channel, "all")


def load_suppressions(path: Path) -> tuple[Suppression, ...]:
    """Every suppression in ``path`` (none if it does not exist); bad rows name their line."""
    if not path.exists():
        return ()
    text = read_text(path, ContentError)
    return tuple(
        _suppression(row, line, path)
        for line, row in csv_rows(text, path, required=REQUIRED, allowed=COLUMNS)
    )


def suppressed_emails(
    suppressions: Iterable[Suppression], channel: str = "email"
) -> frozenset[str]:
    """Normalized addresses suppressed for ``channel`` (entries for ``all`` count too)."""
    if channel not in ("email", "mail"):
        raise ValueError(f"unknown channel {channel!r}")
    return Blocked(s.normalized_email for s in suppressions if s.covers(channel))


class Blocked(frozenset[str]):
    """Normalized addresses that must not be sent to; an address also is when its keyed
    hash is among them (a forgotten person's entry)."""

    hashed: bool

    def __new__(cls, keys: Iterable[str]) -> Blocked:
        made = super().__new__(cls, keys)
        made.hashed = any(k.startswith(FORGOTTEN) for k in made)
        return made

    def __contains__(self, key: object) -> bool:
        if frozenset.__contains__(self, key):
            return True
        if not self.hashed or not isinstance(key, str):
            return False
        return frozenset.__contains__(self, forgotten_address(secret_from_env(), key))


def is_forgotten(value: str) -> bool:
    """Whether ``value`` is a forgotten address's keyed hash rather than an address."""
    text = value.strip().lower()
    digest = text.removeprefix(FORGOTTEN)
    return (
        text.startswith(FORGOTTEN)
        and len(digest) == 32
        and all(c in "0123456789abcdef" for c in digest)
    )


def merge_suppressions(path: Path, new: Iterable[Suppression], *, verbatim: bool = False) -> int:
    """Add the entries of ``new`` not yet in ``path``; returns how many were added.

    An entry is already there when the file has the same address (case-insensitively)
    for the same channel or for ``all``. Existing rows stay as written and in order; new
    ones are appended. The file is replaced atomically, so a crash leaves the old one.
    With ``verbatim`` (the provider's own lists), an address no parser reads is kept as
    written when :func:`kept_verbatim` allows it.
    """
    with locked(path, purpose="merge suppressions"):
        return _merge(path, new, verbatim)


def _merge(path: Path, new: Iterable[Suppression], verbatim: bool) -> int:
    existing = load_suppressions(path)
    known = {(s.normalized_email, s.channel) for s in existing}
    added = [e for e in new if check_suppression(e, verbatim=verbatim) and is_new(e, known)]
    if not added:
        return 0
    text = read_text(path, ContentError) if path.exists() else ""
    atomic_write(path, merged_text(text, existing, added), mode=PRIVATE)
    return len(added)


def is_new(entry: Suppression, known: set[tuple[str, str]]) -> bool:
    """True (and ``entry`` counted in ``known``) unless ``known``, the (normalized address,
    channel) pairs of a file, already covers its address for its channel or for ``all``."""
    key = entry.normalized_email
    if (key, entry.channel) in known or (key, "all") in known:
        return False
    known.add((key, entry.channel))
    return True


def merged_text(text: str, existing: Sequence[Suppression], added: Sequence[Suppression]) -> str:
    """The file whose contents are ``text`` (its rows ``existing``) with ``added`` appended:
    rows stay as written and in order, so a diff shows only the new lines."""
    header = header_of(text)
    if not header:
        header = ["email", "reason", "date", "source"]
        text = _csv_line(header)
    needs_channel = any(e.channel != "email" for e in added)
    if needs_channel and "channel" not in header:
        # Adding the column means rewriting every row; rare (first postal opt-out).
        header = [*header, "channel"]
        text = _csv_line(header) + "".join(_csv_line(_cells(s, header)) for s in existing)
    if not text.endswith("\n"):
        text += "\n"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(_cells(s, header) for s in added)
    return text + out.getvalue()


def _cells(entry: Suppression, header: list[str]) -> list[str]:
    values = {
        "email": entry.email.strip(),
        "reason": entry.reason,
        "date": entry.date.isoformat(),
        "source": entry.source,
        "channel": entry.channel,
    }
    return [values[column] for column in header]


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def kept_verbatim(email: str) -> bool:
    """Whether ``email``, which no address parser reads (``user@localhost``, a quoted local
    part, ``a@b..com``), is still kept as written when a provider suppresses it: a mailbox
    and a domain either side of an "@", on one line. The provider refuses to send to it,
    so the list must too; compared case-insensitively."""
    local, at, domain = email.strip().rpartition("@")
    return bool(at and local and domain) and email.isprintable()


def check_suppression(entry: Suppression, *, verbatim: bool = False) -> bool:
    """True for an entry the loader would read back; ContentError (naming the field and
    the value) for one it would refuse, which is never written. Unless ``verbatim``, the
    address must be one the parser reads."""
    problem = _source_problem(entry.source)
    if problem:
        raise ContentError(problem, key="source")
    if entry.reason not in REASONS:
        raise ContentError(f"unknown suppression reason {entry.reason!r}", key="reason")
    if entry.channel not in CHANNELS:
        raise ContentError(f"unknown suppression channel {entry.channel!r}", key="channel")
    if is_forgotten(entry.email):
        return True
    try:
        normalized_address(entry.email)
    except EmailNotValidError as exc:
        if not (verbatim and kept_verbatim(entry.email)):
            message = f"not a valid address {entry.email!r}: {exc}"
            raise ContentError(message, key="email") from None
    return True


def _suppression(row: dict[str, str], line: int, path: Path) -> Suppression:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(message, path=path, line=line, key=key)

    try:
        if not is_forgotten(row["email"]):
            normalized_address(row["email"])
    except EmailNotValidError as exc:
        if not kept_verbatim(row["email"]):  # a provider's odd address, kept as written
            raise fail("email", f"not a valid address {row['email']!r}: {exc}") from None
    reason = row["reason"].lower()
    if reason not in REASONS:
        raise fail("reason", f"unknown reason {row['reason']!r} (expected {', '.join(REASONS)})")
    try:
        when = date.fromisoformat(row["date"])
    except ValueError:
        raise fail("date", f"not a date (YYYY-MM-DD): {row['date']!r}") from None
    problem = _source_problem(row.get("source", ""))
    if problem:
        raise fail("source", f"{problem}; shorten it in the file")
    channel = (row.get("channel") or "email").lower()
    if channel not in CHANNELS:
        raise fail(
            "channel", f"unknown channel {row['channel']!r} (expected {', '.join(CHANNELS)})"
        )
    return Suppression(
        email=row["email"],
        reason=reason,
        date=when,
        source=row.get("source", ""),
        channel=channel,
        line=line,
    )


def _source_problem(source: str) -> str:
    if len(source) > MAX_SOURCE:
        return f"{len(source):,} characters, more than the {MAX_SOURCE} allowed"
    if not source.isprintable():
        return "holds a line break or another control character"
    return ""
