"""The send's one reading of ``subscribers.csv``: validate it whole, count, and keep who to
email.

A bad line must stop the send before anyone gets anything, and referral codes must be
known unique before the first is used, so the whole list is read before the first batch.
It is read (and validated) once: what the send needs of each row goes into a spool, a
temporary file (0600, already unlinked, in the state folder) of compact chunks that the
send then streams back, so memory stays flat however long the list is.

Codes are checked the same way: each address's code number is computed once, here, kept
in the spool and counted by the code book; only when some number occurs twice is the
spool read again, for the addresses that have it (:meth:`Roster._settle_codes`).
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import os
import signal
import struct
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from newsletter.audience.subscribers import iter_readers, iter_subscribers
from newsletter.audience.tokens import CodeBook, DuplicateAddress
from newsletter.csvfile import file_lines
from newsletter.deliver.offload import die_with_parent
from newsletter.errors import NewsletterError
from newsletter.model import normalize_email

CHUNK = 1000  # rows per spooled chunk
HELD_ROWS = 16 * CHUNK
"""Rows read and not yet spooled, at most: with many groups (segments and variants, up to
the build's cap of 200 variants) each group's chunk is written before it is full."""
SPLIT_BYTES = 1 << 19
"""Lists this long or longer (about 10,000 rows) are read in two halves at once."""
_SIZE = struct.Struct("<I")  # each chunk's length, before it

Reader = tuple[str, str, str, str, str, int, str]
"""One subscriber to email: (email, normalized email, first name, last name, segment,
referral code number, personal variant key or "")."""
VariantKey = Callable[[str, str, str], str]
"""(segment, tags cell, facts cell) -> the reader's personal variant ("" the plain one)."""


class Roster:
    """The list read once (see the module docstring); use as a context manager.

    A list of at least ``split_bytes`` is read in two halves at once, the second by a
    forked child into a spool of its own (:meth:`_read_halves`).
    """

    def __init__(
        self,
        path: Path,
        *,
        secret: bytes,
        blocked: frozenset[str],
        spool_dir: Path,
        variant_key: VariantKey | None = None,
        split_bytes: int = SPLIT_BYTES,
    ):
        self.path = path
        self._variant_key = variant_key
        self._secret = secret
        self._spool_dir = spool_dir
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Closed by __exit__ (or at once if reading fails).
        self._spools: list[IO[bytes]] = [tempfile.TemporaryFile(dir=spool_dir)]  # noqa: SIM115
        self._start()
        try:
            if not self._read_halves(blocked, split_bytes):
                self._take(self._read_part(blocked, None, 0))
            self._settle_codes()
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *exc: object) -> None:
        for spool in self._spools:
            spool.close()

    def chunks(self) -> Iterator[list[Reader]]:
        """The subscribers to email, a chunk at a time: segment by segment and variant by
        variant (each in file order), so that the send fills one batch at a time and
        each batch goes out as soon as it is full. In file order, every variant's batch
        filled at once: the first went out late, and the last of each all came at the
        end, each waiting for a place in flight while nothing else was done."""
        for spool, offset, _ in sorted(self._chunks, key=_group):
            # A row not to email is only (normalized email, code number).
            yield [row for row in self._load(spool, offset) if len(row) > 2]

    # -- the one pass ----------------------------------------------------------------

    def _start(self) -> None:
        self.codes = CodeBook(self._secret)
        self.emailable = self.suppressed = self.not_email = 0
        self._chunks: list[tuple[int, int, str]] = []  # (spool, offset, group)

    def _read_part(
        self,
        blocked: frozenset[str],
        lines: Iterable[str] | None,
        spool: int,
        *,
        keep_numbers: bool = False,
    ) -> _Part:
        """Read ``lines`` (the header and some rows; None: the whole file) into ``spool``.
        ``keep_numbers``: the part keeps its code numbers, for another process's book."""
        part = _Part(spool)
        add, variant_key = self.codes.add, self._variant_key
        keep = part.numbers.append if keep_numbers else None
        # A chunk for each group of readers (segment and variant), and one of the rows
        # not to email (the code check reads them again if codes clash).
        chunks: dict[str, list[tuple[object, ...]]] = {}
        held = 0  # rows in them
        row: tuple[object, ...]
        for email, first_name, last_name, segment, channels, tags, facts in iter_readers(
            self.path, lines
        ):
            key = normalize_email(email)
            number = add(key)
            if keep is not None:
                keep(number)
            if "email" not in channels:
                part.not_email += 1
                group, row = _NOT_EMAILED, (key, number)
            elif key in blocked:
                part.suppressed += 1
                group, row = _NOT_EMAILED, (key, number)
            else:
                part.emailable += 1
                variant = ""
                if variant_key is not None and (tags or facts):
                    variant = variant_key(segment, tags, facts)
                group = f"{segment}/{variant}"
                row = (email, key, first_name, last_name, segment, number, variant)
            chunk = chunks.get(group)
            if chunk is None:
                chunk = chunks[group] = []
            chunk.append(row)
            held += 1
            if len(chunk) == CHUNK:
                self._write(part, chunk, group)
                del chunks[group]
                held -= CHUNK
            elif held >= HELD_ROWS:  # many groups, each filling slowly: memory stays flat
                for group, chunk in chunks.items():
                    self._write(part, chunk, group)
                chunks.clear()
                held = 0
        for group, chunk in chunks.items():
            self._write(part, chunk, group)
        # On disk before the part is handed over: a forked reader ends with os._exit, which
        # would drop what its file object still buffers (a short last chunk).
        self._spools[part.spool].flush()
        return part

    def _take(self, part: _Part, counted: bool = True) -> None:
        """Add a part read to the roster (``counted``: its codes are in the code book)."""
        self._chunks += [(part.spool, offset, group) for group, offset in part.chunks]
        if not counted:
            for number in part.numbers:
                self.codes.count(number)
        self.emailable += part.emailable
        self.suppressed += part.suppressed
        self.not_email += part.not_email

    def _read_halves(self, blocked: frozenset[str], split_bytes: int) -> bool:
        """Read the list in two halves at once, if it is long enough; False if it was not
        read. A half that fails (a bad row, or the middle inside a quoted value) sends the
        list back to be read whole, which reports the first problem in file order."""
        split = _middle(self.path, split_bytes)
        if split is None:
            return False
        header, middle = split
        self._spools.append(tempfile.TemporaryFile(dir=self._spool_dir))  # noqa: SIM115
        lines = itertools.chain([header], file_lines(self.path, start=middle))
        child, pipe = _fork_reading(lambda: self._read_part(blocked, lines, 1, keep_numbers=True))
        try:
            first: _Part | None = self._read_part(blocked, file_lines(self.path, stop=middle), 0)
        except NewsletterError:
            first = None
        except BaseException:
            os.kill(child, signal.SIGKILL)
            raise
        finally:
            with os.fdopen(pipe, "rb") as answer:
                second = _Part.loads(answer.read(), spool=1)
            os.waitpid(child, 0)
        if first is None or second is None:
            self._spools.pop().close()
            self._spools[0].seek(0)
            self._spools[0].truncate()
            self._start()
            return False
        self._take(first)
        self._take(second, counted=False)
        return True

    def _write(self, part: _Part, chunk: list[tuple[object, ...]], group: str) -> None:
        spool = self._spools[part.spool]
        part.chunks.append((group, spool.tell()))
        blob = marshal.dumps(chunk)
        spool.write(_SIZE.pack(len(blob)) + blob)

    def _load(self, spool: int, offset: int) -> list[tuple[Any, ...]]:
        """The chunk at ``offset`` of a spool, read whole (one read: reading a file lets
        other threads in, and the send's threads are busy)."""
        file = self._spools[spool]
        file.seek(offset)
        (size,) = _SIZE.unpack(file.read(_SIZE.size))
        rows: list[tuple[Any, ...]] = marshal.loads(file.read(size))
        return rows

    def _settle_codes(self) -> None:
        """Give the addresses whose codes may clash to the code book (which finds real
        clashes and duplicate addresses among them)."""
        flagged = self.codes.flagged
        emails: list[str] = []
        # Rare (two codes alike: about once in a list of a million), so the spool is read
        # again rather than every row's number kept (8 MB a million rows).
        for spool, offset, _ in self._chunks if flagged else ():
            for row in self._load(spool, offset):
                key, number = row[:2] if len(row) == 2 else (row[1], row[5])
                if number in flagged:
                    emails.append(key)
        try:
            self.codes.settle(emails)
        except DuplicateAddress:
            for _ in iter_subscribers(self.path):  # raises the error naming both lines
                pass
            raise


class _Part:
    """What reading some of the list gave: counts, chunks in a spool, and (when read by
    another process) its code numbers."""

    def __init__(self, spool: int) -> None:
        self.spool = spool
        self.emailable = self.suppressed = self.not_email = 0
        self.numbers = array("Q")
        self.chunks: list[tuple[str, int]] = []  # each chunk's group and offset in the spool

    def dumps(self) -> bytes:
        counts = (self.emailable, self.suppressed, self.not_email)
        return marshal.dumps((counts, self.numbers.tobytes(), self.chunks))

    @classmethod
    def loads(cls, data: bytes, *, spool: int) -> _Part | None:
        if not data:
            return None  # the child failed: the parent reads the list whole
        (emailable, suppressed, not_email), numbers, chunks = marshal.loads(data)
        part = cls(spool)
        part.emailable, part.suppressed, part.not_email = emailable, suppressed, not_email
        part.numbers.frombytes(numbers)
        part.chunks = list(chunks)
        return part


_NOT_EMAILED = ""  # the group of rows not to email (a reader's group has a "/")


def _group(chunk: tuple[int, int, str]) -> str:
    return chunk[2]


def _middle(path: Path, split_bytes: int) -> tuple[str, int] | None:
    """(header line, offset of the first line starting after the middle of the file), for
    a file of at least ``split_bytes``; else None."""
    try:
        size = path.stat().st_size
        if size < split_bytes:
            return None
        with path.open("rb") as file:
            header = file.readline()
            file.seek(size // 2)
            file.readline()
            middle = file.tell()
        if middle >= size or middle <= len(header):
            return None
        return header.decode("utf-8-sig"), middle
    except (OSError, UnicodeDecodeError):
        return None  # reading it whole reports the problem


def _fork_reading(read: Callable[[], _Part]) -> tuple[int, int]:
    """Run ``read`` in a forked child; (its pid, the pipe its part comes back on: empty if
    it failed)."""
    parent = os.getpid()
    pipe, ours = os.pipe()
    child = os.fork()
    if child:
        os.close(ours)
        return child, pipe
    try:  # the child: nothing here may return into the caller's code
        os.close(pipe)
        data = b""
        if die_with_parent(parent):
            with contextlib.suppress(BaseException):
                data = read().dumps()
        with os.fdopen(ours, "wb") as answer:
            answer.write(data)
    finally:
        os._exit(0)
