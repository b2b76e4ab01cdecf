"""Data files sealed with age: how one is recognized, who may read it, and the one error a
command gives when it meets one it cannot open.

A project seals its personal data in git (see :mod:`newsletter.privacy`). Where the owner
has unlocked the repository, the working tree holds plain text and every reader of data
files works as it always does; where no key is present, a data file holds the age
ciphertext as git stores it. The two readers of data files (:func:`newsletter.csvfile.
file_lines` and :func:`newsletter.config.yamlfile.read_text`) call :func:`refuse_sealed`
on the first bytes they read, so a command that needs personal data says in one line
which file is sealed, whose keys open it and how to unlock it.

The readers are listed in ``.newsletter/readers.txt`` at the top of the repository, one
a line: a name (no spaces), then the age recipient (``age1…``); ``#`` starts a comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ContentError, NewsletterError, SealedFile

AGE_HEADER = b"age-encryption.org/v1\n"
"""How every age file starts (the format's version line)."""
READERS_FILE = Path(".newsletter") / "readers.txt"
"""Who can read the sealed files, relative to the top of the repository."""
KEY_ENVIRONMENT = "NEWSLETTER_AGE_KEY"
"""The environment variable that holds a secret key (``AGE-SECRET-KEY-1…``), for a
workflow whose key is a repository secret."""
KEY_FILE_HINT = "~/.config/newsletter/age-key.txt"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}")


@dataclass(frozen=True)
class Reader:
    """One person or machine that may read the sealed files."""

    name: str
    recipient: str  # the public age recipient, age1…


def is_sealed(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) is the start of an age file."""
    return head.startswith(AGE_HEADER)


def refuse_sealed(path: Path, head: bytes, error: type[NewsletterError] = SealedFile) -> None:
    """Raise :class:`SealedFile` when ``head`` (the first bytes of ``path``) is age
    ciphertext: a file sealed in git that no key here has opened. A reader that promises
    its callers another kind of error (the config's) gets that kind instead."""
    if not is_sealed(head):
        return
    readers = readers_near(path)
    whose = f"a key of {', '.join(r.name for r in readers)}" if readers else "a reader's key"
    kind = SealedFile if issubclass(SealedFile, error) else error
    raise kind(
        f"sealed (age); it opens with {whose}, and none is unlocked here: put your key in "
        f"{KEY_FILE_HINT} (or {KEY_ENVIRONMENT} in the environment) and run "
        "`newsletter keys unlock`",
        path=path,
        line=1,  # age's header line
    )


def readers_near(path: Path) -> list[Reader]:
    """The readers listed in the repository that holds ``path`` ([] if none is found or
    the list cannot be read: the caller is already reporting a problem)."""
    for folder in path.resolve().parents:
        listing = folder / READERS_FILE
        if listing.is_file():
            try:
                return parse_readers(listing.read_text(encoding="utf-8"), listing)
            except (OSError, UnicodeDecodeError, ContentError):
                return []
    return []


def parse_readers(text: str, path: Path) -> list[Reader]:
    """The readers in ``text`` (a readers file at ``path``); a bad line is a ContentError
    naming it, a name or recipient given twice too."""
    readers: list[Reader] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ContentError("expected: NAME RECIPIENT (age1…)", path=path, line=number)
        name, recipient = parts
        if not _NAME.fullmatch(name):
            raise ContentError(
                f"a reader's name is letters, digits and . _ @ -, not {name!r}",
                path=path,
                line=number,
            )
        if not _RECIPIENT.fullmatch(recipient):
            raise ContentError(
                f"not an age recipient (age1 and 58 more characters): {recipient!r}",
                path=path,
                line=number,
            )
        for other in readers:
            if other.name == name or other.recipient == recipient:
                twice = "name" if other.name == name else "recipient"
                raise ContentError(f"{twice} listed twice", path=path, line=number)
        readers.append(Reader(name, recipient))
    return readers


def format_readers(readers: Iterable[Reader]) -> str:
    """The readers file holding ``readers``, which :func:`parse_readers` reads back."""
    lines = [
        "# Who can read the sealed data files: a name, then an age recipient.",
        "# Change it with `newsletter keys add` / `newsletter keys remove`.",
    ]
    lines += [f"{r.name} {r.recipient}" for r in readers]
    return "\n".join(lines) + "\n"
