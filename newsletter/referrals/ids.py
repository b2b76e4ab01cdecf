"""Numbers given to leads and rewards, never given twice.

A lead's or a reward's number is how a person, a signed link in an email and the desk name
it, so a number once given stays that row's even after the row is deleted by hand: the
highest number ever given is kept beside the file (``referrals.csv`` -> ``referrals.last-id``,
one number and a newline, in git with it) and the next one is above both it and every
number in the file. The caller holds the data file's lock, which guards its mark too.

Numbers have at most :data:`MAX_DIGITS` digits: a 30-digit id is a typo or a paste, and
the next number after it would be one nobody can read out on the phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from newsletter.errors import ContentError
from newsletter.fsutil import SHARED, atomic_write

MAX_DIGITS = 9
MAX_ID = 10**MAX_DIGITS - 1


def parse_id(text: str) -> int | None:
    """The number ``text`` holds (1 to :data:`MAX_ID`), or None for anything else."""
    if not text.isascii() or not text.isdecimal() or len(text) > MAX_DIGITS:
        return None
    number = int(text)
    return number if number >= 1 else None


def mark_path(path: Path) -> Path:
    """Where the highest number given for the file at ``path`` is kept."""
    return path.with_suffix(".last-id")


def last_given(path: Path) -> int:
    """The highest number given for the file at ``path`` (0: none kept)."""
    mark = mark_path(path)
    if not mark.exists():
        return 0
    text = mark.read_text(encoding="utf-8").strip()
    number = parse_id(text) if text else 0
    if number is None:
        raise ContentError(
            f"not a number from 1 to {MAX_ID:,}: {text[:20]!r} (it keeps the highest "
            f"number given in {path.name})",
            path=mark,
            line=1,
        )
    return number


def next_id(path: Path, used: Iterable[int]) -> int:
    """The number for a new row of the file at ``path``, whose rows use ``used``."""
    number = max(last_given(path), max(used, default=0)) + 1
    if number > MAX_ID:
        raise ContentError(f"no numbers left (the highest is {MAX_ID:,})", path=path)
    return number


def remember(path: Path, used: Iterable[int]) -> None:
    """Keep the highest of ``used`` as given for the file at ``path`` (never lowered)."""
    highest = max(used, default=0)
    if highest > last_given(path):
        atomic_write(mark_path(path), f"{highest}\n", mode=SHARED)
