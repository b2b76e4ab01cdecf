"""A send's one reading of ``subscribers.csv``: validate it whole, count, and keep who to
email, in the groups that share a message.

A bad line must stop the send before anyone gets anything, and referral codes must be
known unique before the first is used, so the whole list is read, in one pass, before the
first batch. What the send needs of each reader goes into a spool, a temporary file (0600,
already unlinked, in the state folder) of compact chunks that the send then streams back,
so memory stays flat however long the list is.

Each address's code number is computed once, here, kept in the spool and counted by the
code book; only when some number occurs twice (about once in a list of a million) is the
list read again, for the addresses that have it.
"""

from __future__ import annotations

import marshal
import struct
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from newsletter.audience.subscribers import Postal, iter_readers, iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.audience.tokens import CodeBook, DuplicateAddress
from newsletter.config import Settings
from newsletter.errors import StorageError
from newsletter.model import normalize_email

CHUNK = 1000  # rows per spooled chunk
HELD_ROWS = 16 * CHUNK
"""Rows read and not yet spooled, at most: with many groups (segments and variants, up to
the build's cap of 200 variants) each group's chunk is written before it is full."""
_SIZE = struct.Struct("<I")  # each chunk's length, before it

Reader = tuple[str, str, str, str, str, int | None, str]
"""One subscriber to email: (email, normalized email, first name, last name, segment,
referral code number (None: the code book works it out), group)."""
Personal = Callable[[str, str, str], str]
"""(segment, tags cell, facts cell) -> the reader's personal variant ("" none): its readers
are the group ``segment/variant``."""


class Roster:
    """The list read once (see the module docstring); use as a context manager.

    ``groups``: each segment's group (the message its readers get), None for a segment the
    send is not for (its readers are neither sent nor counted). ``personal``: each reader's
    personal variant, asked of readers with tags or facts. ``postal`` as for
    :func:`~newsletter.audience.subscribers.iter_subscribers`. ``choose``: whether a
    reader (by normalized address) is this send's; the others are counted in
    :attr:`skipped`, never sent."""

    def __init__(
        self,
        path: Path,
        *,
        secret: bytes,
        blocked: frozenset[str],
        spool_dir: Path,
        groups: Mapping[str, str | None],
        personal: Personal | None = None,
        postal: Postal = "required",
        choose: Callable[[str], bool] | None = None,
    ) -> None:
        self.path = path
        self.groups = groups
        self._postal = postal
        self.codes = CodeBook(secret)
        self.emailable = self.suppressed = self.not_email = self.skipped = 0
        self._choose = choose
        self._chunks: list[tuple[str, int]] = []  # (group, offset in the spool)
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self._spool = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 (closed by __exit__)
        except OSError as exc:
            raise _unwritable(spool_dir, exc) from None
        try:
            self._read(blocked, groups, personal)
            self._spool.flush()
            self._settle_codes()
        except OSError as exc:
            self._spool.close()
            raise _unwritable(spool_dir, exc) from None
        except BaseException:
            self._spool.close()
            raise

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *exc: object) -> None:
        self._spool.close()

    def chunks(self) -> Iterator[list[Reader]]:
        """The readers to email, a chunk at a time, group by group (each in file order): a
        send fills one batch at a time, and each goes out as soon as it is full."""
        for _, offset in sorted(self._chunks, key=_group):
            self._spool.seek(offset)
            (size,) = _SIZE.unpack(self._spool.read(_SIZE.size))
            rows: list[Any] = marshal.loads(self._spool.read(size))
            yield rows

    def _read(
        self, blocked: frozenset[str], groups: Mapping[str, str | None], personal: Personal | None
    ) -> None:
        """The one pass: every row checked and its code counted; each reader to email
        spooled in their group's chunk."""
        add = self.codes.add
        chunks: dict[str, list[Reader]] = {}
        held = 0  # rows in them
        for email, first_name, last_name, segment, channels, tags, facts in iter_readers(
            self.path, postal=self._postal
        ):
            key = normalize_email(email)
            number = add(key)
            group = groups.get(segment)
            if group is None:
                continue  # not this send's reader: neither sent nor counted
            if self._choose is not None and not self._choose(key):
                self.skipped += 1
                continue
            if "email" not in channels:
                self.not_email += 1
                continue
            if key in blocked:
                self.suppressed += 1
                continue
            self.emailable += 1
            if personal is not None and (tags or facts):
                variant = personal(segment, tags, facts)
                group = f"{segment}/{variant}" if variant else group
            chunk = chunks.get(group)
            if chunk is None:
                chunk = chunks[group] = []
            chunk.append((email, key, first_name, last_name, segment, number, group))
            held += 1
            if len(chunk) == CHUNK:
                self._write(group, chunks.pop(group))
                held -= CHUNK
            elif held >= HELD_ROWS:  # many groups, each filling slowly: memory stays flat
                for group, chunk in chunks.items():
                    self._write(group, chunk)
                chunks.clear()
                held = 0
        for group, chunk in chunks.items():
            self._write(group, chunk)

    def _write(self, group: str, chunk: list[Reader]) -> None:
        self._chunks.append((group, self._spool.tell()))
        blob = marshal.dumps(chunk)
        self._spool.write(_SIZE.pack(len(blob)) + blob)

    def _settle_codes(self) -> None:
        """Give the code book every address when some codes may clash (it finds the real
        clashes, and duplicate addresses among them)."""
        emails = (
            (row[0] for row in iter_readers(self.path, postal=self._postal))
            if self.codes.flagged
            else ()
        )
        try:
            self.codes.settle(emails)
        except DuplicateAddress:
            for _ in iter_subscribers(
                self.path, postal=self._postal
            ):  # raises the error naming both lines
                pass
            raise


def project_roster(
    settings: Settings,
    *,
    secret: bytes,
    groups: Mapping[str, str | None],
    personal: Personal | None = None,
    postal: Postal = "required",
    choose: Callable[[str], bool] | None = None,
) -> Roster:
    """The project's list, less its suppressions, as a send reads it."""
    return Roster(
        settings.subscribers_csv,
        secret=secret,
        blocked=suppressed_emails(load_suppressions(settings.suppressions_csv)),
        spool_dir=settings.state_dir,
        groups=groups,
        personal=personal,
        postal=postal,
        choose=choose,
    )


def _unwritable(folder: Path, exc: OSError) -> StorageError:
    return StorageError(
        f"cannot write the send's list of readers: {exc.strerror or exc}; nothing was sent",
        path=folder,
    )


def _group(chunk: tuple[str, int]) -> str:
    return chunk[0]
