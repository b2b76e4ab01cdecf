"""The state branch's files sealed as the repository's data files are: with age, for the
readers in ``.newsletter/readers.txt``, by the filter ``newsletter keys unlock`` registers.

Used by ``state_branch.py``; only git and the standard library. The sealing itself is the
filter's own command (``git config filter.newsletter-sealed.clean`` and ``.smudge``), run
as git runs it, so the branch and the data files on main use one seal, one list of readers
and one key.

A branch sealed for one list of readers says so in ``sealed-for.txt`` (their public
recipients, one a line): when the list changes (a reader added, removed or rotated), the
next save seals every file anew for the new list, so a removed reader's key opens no newer
copy.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from state_git import blob_of, git

READERS = Path(".newsletter") / "readers.txt"
FILTER = "newsletter-sealed"
AGE_HEADER = b"age-encryption.org/v1\n"
SEALED_FOR = "sealed-for.txt"
UNLOCK = (
    "put the key in ~/.config/newsletter/age-key.txt (in the workflow: the repository "
    "secret NEWSLETTER_AGE_KEY) and run `newsletter keys unlock` first"
)


class SealError(Exception):
    """A sealed file that cannot be opened or made here; ``str()`` says whose key opens it."""


@dataclass(frozen=True)
class Seal:
    """How this checkout seals and opens the branch's files."""

    clean: str
    smudge: str
    readers: tuple[str, ...]
    """The names of the readers, for messages."""
    sealed_for: str
    """``sealed-for.txt`` as this list of readers writes it."""

    def close(self, plain: Path, name: str, out: Path) -> Path:
        """``plain`` sealed for the readers, written to ``out``."""
        _run(self.clean, name, plain, out)
        if not is_sealed(out):
            raise SealError(f"{name}: the seal's filter gave back a file that is not sealed")
        return out

    def open(self, stored: Path, name: str, where: str) -> None:
        """Open ``stored`` (what the branch holds for ``name``, at ``where``) in place."""
        if not is_sealed(stored):
            return  # saved before the repository was sealed: the next save seals it
        opened = stored.with_name(stored.name + ".open")
        _run(self.smudge, name, stored, opened)
        if is_sealed(opened):
            opened.unlink()
            raise SealError(
                f"{name} on {where} is sealed (age) for {', '.join(self.readers)}, and no key "
                f"here opens it: nothing restored; {UNLOCK}"
            )
        opened.replace(stored)


def seal_of(root: Path) -> Seal | None:
    """This checkout's seal (``root`` is its top), None when the repository lists no readers."""
    listing = root / READERS
    if not listing.is_file():
        return None
    entries = [
        line.split("#", 1)[0].split() for line in listing.read_text(encoding="utf-8").splitlines()
    ]
    entries = [fields for fields in entries if len(fields) >= 2]
    commands = []
    for step in ("clean", "smudge"):
        command = _config(f"filter.{FILTER}.{step}")
        if not command:
            raise SealError(
                f"the customer data is sealed ({READERS} lists its readers), and this checkout "
                f"has no key unlocked to seal or open the state branch's files: {UNLOCK}"
            )
        commands.append(command)
    recipients = sorted(fields[1] for fields in entries)
    return Seal(
        clean=commands[0],
        smudge=commands[1],
        readers=tuple(fields[0] for fields in entries) or ("nobody listed",),
        sealed_for="".join(f"{recipient}\n" for recipient in recipients),
    )


def is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(AGE_HEADER)) == AGE_HEADER


def check_unsealed(stored: Path, name: str, where: str) -> None:
    """Refuse a sealed file in a repository that lists no readers (nothing here opens it)."""
    if is_sealed(stored):
        raise SealError(
            f"{name} on {where} is sealed (age), but this repository lists no readers "
            f"({READERS}): put the list back, then {UNLOCK}"
        )


def _config(key: str) -> str:
    done = subprocess.run(["git", "config", "--get", key], capture_output=True, check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else ""


def _run(command: str, name: str, source: Path, out: Path) -> None:
    """The filter ``command`` (git's ``%f`` being ``name``) from ``source`` into ``out``."""
    line = command.replace("%f", shlex.quote(name))
    with source.open("rb") as stdin:
        done = subprocess.run(line, shell=True, stdin=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise SealError(f"{name}: the seal's filter failed: {why[-1]}")
    # Opened, it is the ledger itself: the owner's only, like state/ledger.sqlite.
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as sink:
        sink.write(done.stdout)


def sealed_files(
    files: dict[str, Path], carried: Sequence[str], seal: Seal | None, tmp: Path
) -> dict[str, Path]:
    """``files`` (path on the branch -> file here) with each of the ``carried`` ones sealed
    for the readers into ``tmp``, and the list they are sealed for beside them."""
    names = [name for name in carried if name in files]
    if seal is None or not names:
        return files
    sealed = dict(files)
    for name in names:
        sealed[name] = seal.close(files[name], name, tmp / f"{name}.age")
    readers = tmp / SEALED_FOR
    readers.write_text(seal.sealed_for, encoding="utf-8")
    sealed[SEALED_FOR] = readers
    return sealed


def open_blob(blob: str, name: str, copy: Path, seal: Seal | None, where: str) -> None:
    """The branch's ``blob`` of ``name`` (at ``where``) written to ``copy``, opened when it
    is sealed."""
    git("cat-file", "blob", blob, file=copy)
    if seal is None:
        check_unsealed(copy, name, where)
    else:
        seal.open(copy, name, where)


def sealed_for(commit: str) -> str | None:
    """The list of readers the files of ``commit`` are sealed for, None if it has none."""
    blob = blob_of(commit, SEALED_FOR)
    return None if blob is None else git("cat-file", "blob", blob).decode(errors="replace")
