"""Looking into the project's folders when the system may refuse: a folder or a file the
user may not read is an error naming it, never a folder read as empty nor a file taken for
missing.

``Path.glob`` passes over a folder it may not list without a word, and whether
``Path.is_file`` raises or answers False for a file in a folder it may not enter depends on
the Python version; these ask the system directly.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from pathlib import Path

from newsletter.errors import NewsletterError


def folder_files(
    folder: Path,
    suffixes: Collection[str],
    error: type[NewsletterError],
    *,
    shown: str | Path | None = None,
) -> list[Path]:
    """The files in ``folder`` whose names end in one of ``suffixes``, sorted by name,
    hidden ones (``.name``) left out; [] when there is no such folder. A folder the
    system will not list is ``error`` naming it (as ``shown``, or its path)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _refused(exc, error, shown or folder, "cannot read the folder") from None
    ends = tuple(suffixes)
    return sorted(folder / n for n in names if n.endswith(ends) and not n.startswith("."))


def check_folder(
    folder: Path, error: type[NewsletterError], *, shown: str | Path | None = None
) -> None:
    """``error`` naming ``folder`` when it is there but the system will not list it."""
    folder_files(folder, (), error, shown=shown)


def file_exists(
    path: Path, error: type[NewsletterError], *, shown: str | Path | None = None
) -> bool:
    """Whether ``path`` is a file (False when nothing, or a folder, is there). When the
    system will not say (a folder on the way the user may not enter), ``error`` naming it."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise _refused(exc, error, shown or path, "cannot read") from None
    return stat.S_ISREG(mode)


def _refused(
    exc: OSError, error: type[NewsletterError], shown: str | Path, doing: str
) -> NewsletterError:
    if isinstance(exc, NotADirectoryError):
        return error("is a file, not a folder", path=shown)
    return error(f"{doing}: {exc.strerror or exc}", path=shown)
