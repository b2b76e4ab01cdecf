"""Files the tool writes are written whole or not at all, with the permissions they need.

Personal data (the referral ledger, rewards, suppressions, reports with phone numbers, the
sample message) is written ``PRIVATE``: readable by its owner only, also when it replaces a
file that was more open. Everything else is ``SHARED``, as a file made by hand would be.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from newsletter.errors import BuildError, StorageError

PRIVATE = 0o600
"""Files holding personal data: the owner reads and writes them, nobody else."""
SHARED = 0o644
"""Other outputs: readable by everyone on the machine, like a file made by hand."""


def atomic_write(path: Path, data: bytes | str, *, mode: int) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    ``mode`` is the file's permissions (``PRIVATE`` or ``SHARED``), set before the file
    takes the place of the old one, so it is never readable by more people than meant.
    A folder that cannot be written, or a full disk, is a StorageError naming ``path``,
    which is left as it was.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _unwritten(path, exc) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _unwritten(path, exc) from None
        raise


def _unwritten(path: Path, exc: OSError) -> StorageError:
    return StorageError(
        f"cannot write: {exc.strerror or exc}; the file is left as it was", path=path
    )


def stale_temps(path: Path) -> list[Path]:
    """The temporary files that :func:`atomic_write` of ``path`` left behind when its
    process was killed (``.NAME.*.tmp`` beside it)."""
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))


def remove_stale_temps(path: Path) -> int:
    """Remove :func:`stale_temps` of ``path``; how many. Only for a caller that holds the
    lock of ``path`` (:func:`newsletter.locks.locked`): every writer of a locked file
    writes under its lock, so no live process is writing one of these."""
    removed = 0
    for temp in stale_temps(path):
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
            removed += 1
    return removed


@contextlib.contextmanager
def staged_folder(
    target: Path, *, mode: int = SHARED, keep: Collection[str] = ()
) -> Iterator[Path]:
    """A staging folder to write into; on success it takes the place of ``target``.

    For outputs too large to hold in memory at once (one PDF per recipient); on any error
    the staging folder is removed and ``target`` stays as it was. A ``PRIVATE`` folder is
    entered by its owner only. The entries of ``target`` named in ``keep`` (written there
    by another step) go into the new folder as they are, unless it has its own.
    """
    parent = target.parent
    retired = parent / f".{target.name}.retired"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if retired.exists() and not target.exists():
            os.replace(retired, target)  # a writer killed between the two renames below
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.staging-"))
    except OSError as exc:
        raise BuildError(f"output folder not writable: {exc.strerror}", path=parent) from None
    try:
        yield staging
        for name in keep:
            if (target / name).exists() and not (staging / name).exists():
                _carry(target / name, staging / name)
        os.chmod(staging, 0o700 if mode == PRIVATE else 0o755)
        shutil.rmtree(retired, ignore_errors=True)
        if target.exists():
            os.replace(target, retired)
        try:
            os.replace(staging, target)
        except OSError:
            if retired.exists() and not target.exists():
                os.replace(retired, target)
            raise
        shutil.rmtree(retired, ignore_errors=True)
    except OSError as exc:
        raise BuildError(f"cannot write {target.name}: {exc.strerror}", path=target) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _carry(source: Path, destination: Path) -> None:
    """``source`` (a file or a folder) at ``destination`` too, by hard links where the file
    system has them: nothing is copied, and until the new folder takes the place of the
    old one, the old one still holds every byte (a kill at any point loses nothing)."""
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, destination, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(destination))


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, destination, follow_symlinks=False)


def write_new(path: Path, payload: bytes, *, mode: int) -> None:
    """Create ``path`` (it must not exist yet: a staging folder's file) holding ``payload``
    with exactly the permissions ``mode``."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), mode)  # os.open's mode is narrowed by the umask
        handle.write(payload)


def replace_folder(
    target: Path, files: Mapping[str, bytes], *, mode: int = SHARED, keep: Collection[str] = ()
) -> None:
    """Make ``target`` hold exactly ``files`` (relative path -> bytes), all or nothing, and
    the entries of the old ``target`` named in ``keep``.

    The files are written into a sibling staging folder first, which then takes the place
    of ``target``: an interrupted build leaves the previous build untouched. Each file gets
    the permissions ``mode``.
    """
    with staged_folder(target, mode=mode, keep=keep) as staging:
        for relative, payload in sorted(files.items()):
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            write_new(destination, payload, mode=mode)
