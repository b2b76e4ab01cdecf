"""The files an import reads, and their lines: bounded in size, decoded line by line so that
a bad byte is reported on its own line.

A FILE given to ``newsletter import`` may be a CSV or vCard file, a folder (its CSV and
vCard files, in name order) or a ZIP archive as Mailchimp sends an audience export (the
CSV and vCard files inside it). Every line is read as it is needed; a line longer than
``MAX_LINE_BYTES`` or a file larger than ``MAX_FILE_BYTES`` is refused with its name, so
neither a file that is not an export at all nor an archive that unpacks to gigabytes can
take the memory or the afternoon.
"""

from __future__ import annotations

import codecs
import contextlib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from newsletter.errors import ContentError

MAX_LINE_BYTES = 1024 * 1024
"""Bytes in one line. A contact's row is a few hundred; a vCard's folded photo is cut into
short lines. Longer is a file that is not a contact export."""
MAX_FILE_BYTES = 256 * 1024 * 1024
"""Bytes in one file (or one file inside an archive): about a million contacts."""
SUFFIXES = (".csv", ".txt", ".vcf", ".vcard")
"""The files a folder or an archive is read for."""


@dataclass(frozen=True)
class Input:
    """One file to read: ``name`` as messages show it, ``open`` gives its bytes."""

    name: str
    open: Callable[[], contextlib.AbstractContextManager[IO[bytes]]]

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def expand(paths: Sequence[Path]) -> list[Input]:
    """The files to read for ``paths``: each file itself, a folder's and an archive's
    export files. A path that does not exist, or a folder or archive with no export file
    in it, is a ContentError naming it."""
    found: list[Input] = []
    for path in paths:
        if path.is_dir():
            inside = [p for p in sorted(path.iterdir()) if p.suffix.lower() in SUFFIXES]
            if not inside:
                raise ContentError(f"no {', '.join(SUFFIXES)} file in this folder", path=path)
            found += [_file(p) for p in inside if p.is_file()]
        elif path.suffix.lower() == ".zip":
            found += _archive(path)
        else:
            found.append(_file(path))
    return found


def _file(path: Path) -> Input:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ContentError("file not found", path=path) from None
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", path=path) from None
    _check_size(size, str(path))
    return Input(str(path), lambda: path.open("rb"))


def _archive(path: Path) -> list[Input]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and not m.filename.startswith("__MACOSX/")  # the Finder's resource forks
                and Path(m.filename).suffix.lower() in SUFFIXES
            ]
    except FileNotFoundError:
        raise ContentError("file not found", path=path) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ContentError(f"not a ZIP archive that can be read: {exc}", path=path) from None
    if not members:
        raise ContentError(f"no {', '.join(SUFFIXES)} file in this archive", path=path)
    found = []
    for member in sorted(members, key=lambda m: m.filename):
        name = f"{path}:{member.filename}"
        _check_size(member.file_size, name)
        found.append(Input(name, _opener(path, member.filename)))
    return found


def _opener(path: Path, member: str) -> Callable[[], contextlib.AbstractContextManager[IO[bytes]]]:
    @contextlib.contextmanager
    def opened() -> Iterator[IO[bytes]]:
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            yield handle

    return opened


def _check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ContentError(
            f"{size:,} bytes, more than the {MAX_FILE_BYTES:,} an import reads at once: "
            "split the export",
            path=name,
        )


def raw_lines(source: Input) -> Iterator[tuple[int, bytes]]:
    """(line number, the line's bytes with its line break) of ``source``, one at a time."""
    try:
        with source.open() as handle:
            number = 0
            while True:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                number += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise ContentError(
                        f"a line longer than {MAX_LINE_BYTES:,} bytes: not a contact export",
                        path=source.name,
                        line=number,
                    )
                yield number, raw
    except (OSError, zipfile.BadZipFile) as exc:
        raise ContentError(f"cannot read: {exc}", path=source.name) from None


def text_lines(source: Input, encoding: str) -> Iterator[str]:
    """The lines of ``source`` decoded from ``encoding`` (a byte-order mark at the start
    is dropped); a line that does not decode is a ContentError naming it."""
    decode = codecs.getdecoder(encoding)
    for number, raw in raw_lines(source):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield decode(raw)[0]
        except UnicodeDecodeError as exc:
            raise ContentError(
                f"not {encoding} text (byte {exc.start + 1} of the line); "
                "give the file's encoding with --encoding (e.g. cp1252 for Excel's CSV)",
                path=source.name,
                line=number,
            ) from None


def check_encoding(encoding: str) -> str:
    """``encoding``'s canonical name if lines can be split in its bytes at ``\\n`` (UTF-8,
    Latin-1, Windows code pages…), else ValueError: UTF-16 and the like are refused."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    if name == "utf-8-sig":
        return "utf-8"  # the byte-order mark is dropped from every file's first line
    if "a,\n".encode(name) != b"a,\n":
        raise ValueError(f"{name} is not read line by line; save the file as UTF-8")
    return name
