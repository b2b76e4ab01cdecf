"""The send's one reading of ``subscribers.csv``: validate it whole, count, and keep who to
email.

A bad line must stop the send before anyone gets anything, and referral codes must be
known unique before the first is used, so the whole list is read before the first batch.
It is read (and validated) once: what the send needs of each row goes into a spool, a
temporary file (0600, already unlinked, in the state folder) of compact chunks that the
send then streams back, so memory stays flat however long the list is.

Codes are checked the same way: each address's code number is computed once, here, kept
in the spool and counted by the code book; only the addresses of the few numbers that
occur twice are looked at again (:meth:`Roster._settle_codes`).
"""

from __future__ import annotations

import marshal
import struct
import tempfile
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from newsletter.audience.subscribers import iter_readers, iter_subscribers
from newsletter.audience.tokens import CodeBook, DuplicateAddress
from newsletter.model import normalize_email

CHUNK = 1000  # rows per spooled chunk
_SIZE = struct.Struct("<I")  # each chunk's length, before it

Reader = tuple[str, str, str, str, str, int, str]
"""One subscriber to email: (email, normalized email, first name, last name, segment,
referral code number, personal variant key or "")."""
VariantKey = Callable[[str, str, str], str]
"""(segment, tags cell, facts cell) -> the reader's personal variant ("" the plain one)."""


class Roster:
    """The list read once (see the module docstring); use as a context manager."""

    def __init__(
        self,
        path: Path,
        *,
        secret: bytes,
        blocked: frozenset[str],
        spool_dir: Path,
        variant_key: VariantKey | None = None,
    ):
        self.path = path
        self._variant_key = variant_key
        self.codes = CodeBook(secret)
        self.emailable = 0
        self.suppressed = 0
        self.not_email = 0
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Closed by __exit__ (or at once if reading fails).
        self._spool: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115
        self._offsets: list[int] = []  # where each chunk starts in the spool
        try:
            self._read(blocked)
            self._settle_codes()
        except BaseException:
            self._spool.close()
            raise

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *exc: object) -> None:
        self._spool.close()

    def chunks(self) -> Iterator[list[Reader]]:
        """The subscribers to email, in file order, a chunk at a time."""
        self._spool.seek(0)
        for _ in self._offsets:
            yield [row for row in self._load() if len(row) > 1]

    # -- the one pass ----------------------------------------------------------------

    def _read(self, blocked: frozenset[str]) -> None:
        add = self.codes.add
        # Every row's code number, in file order: the few flagged as repeated are looked up
        # again by position.
        self._numbers = array("Q")
        chunk: list[tuple[object, ...]] = []
        variant_key = self._variant_key
        for email, first_name, last_name, segment, channels, tags, facts in iter_readers(self.path):
            key = normalize_email(email)
            number = add(key)
            self._numbers.append(number)
            if "email" not in channels:
                self.not_email += 1
                chunk.append((key,))
            elif key in blocked:
                self.suppressed += 1
                chunk.append((key,))
            else:
                self.emailable += 1
                variant = ""
                if variant_key is not None and (tags or facts):
                    variant = variant_key(segment, tags, facts)
                chunk.append((email, key, first_name, last_name, segment, number, variant))
            if len(chunk) == CHUNK:
                self._write(chunk)
                chunk = []
        if chunk:
            self._write(chunk)

    def _write(self, chunk: list[tuple[object, ...]]) -> None:
        self._offsets.append(self._spool.tell())
        blob = marshal.dumps(chunk)
        self._spool.write(_SIZE.pack(len(blob)) + blob)

    def _load(self) -> list[tuple[Any, ...]]:
        """The chunk at the spool's position, read whole (one read: reading a file lets
        other threads in, and the send's threads are busy)."""
        (size,) = _SIZE.unpack(self._spool.read(_SIZE.size))
        rows: list[tuple[Any, ...]] = marshal.loads(self._spool.read(size))
        return rows

    def _settle_codes(self) -> None:
        """Give the addresses whose codes may clash to the code book (which finds real
        clashes and duplicate addresses among them)."""
        flagged = self.codes.flagged
        positions = [i for i, number in enumerate(self._numbers) if number in flagged]
        del self._numbers
        emails: list[str] = []
        for chunk_number in sorted({p // CHUNK for p in positions}):
            self._spool.seek(self._offsets[chunk_number])
            rows = self._load()
            wanted = {p % CHUNK for p in positions if p // CHUNK == chunk_number}
            emails += [str(rows[i][0] if len(rows[i]) == 1 else rows[i][1]) for i in wanted]
        try:
            self.codes.settle(emails)
        except DuplicateAddress:
            for _ in iter_subscribers(self.path):  # raises the error naming both lines
                pass
            raise
