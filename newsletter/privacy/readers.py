"""``newsletter keys``: who can read the sealed files, and the working tree opened or
sealed for them.

The readers are ``.newsletter/readers.txt`` (committed); ``.gitattributes`` names the data
files git seals (the subscribers folder's CSV files); the filter that seals them is
registered in the repository's own ``.git/config``, with the git hooks that keep the
opened files 0600 whenever git rewrites them. Adding, removing or rotating a reader
seals every data file anew to the new list and stages it, ready to commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyrage import x25519

from newsletter.config import Settings
from newsletter.errors import PrivacyError
from newsletter.fsutil import PRIVATE, SHARED, atomic_write
from newsletter.locks import locked
from newsletter.privacy import git
from newsletter.privacy.keys import create_key, identities, key_file, key_text, public, unseal
from newsletter.sealed import READERS_FILE, Reader, format_readers, is_sealed, parse_readers

ATTRIBUTES = ".gitattributes"


@dataclass(frozen=True)
class Rotated:
    """A reader's new key: where it was written, and the old key kept until destroyed."""

    reader: Reader
    key_path: Path
    old_key_path: Path | None


def repository(settings: Settings) -> Path:
    return git.top(settings.root)


def readers_of(repo: Path) -> list[Reader]:
    listing = repo / READERS_FILE
    if not listing.is_file():
        return []
    return parse_readers(listing.read_text(encoding="utf-8"), listing)


def sealed_patterns(settings: Settings, repo: Path) -> list[str]:
    """The ``.gitattributes`` patterns of the files git seals."""
    folder = settings.subscribers_dir.relative_to(repo.resolve()).as_posix()
    return [f"{folder}/*.csv"]


def ensure_attributes(settings: Settings, repo: Path) -> None:
    """``.gitattributes`` names the data files with the seal's filter and diff driver."""
    path = repo / ATTRIBUTES
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    wanted = [f"{p} filter={git.FILTER} diff={git.FILTER}" for p in sealed_patterns(settings, repo)]
    missing = [w for w in wanted if w not in lines]
    if missing:
        head = "# personal data: sealed with age (newsletter keys)"
        atomic_write(path, "\n".join([*lines, head, *missing]) + "\n", mode=SHARED)


def _plain_paths(repo: Path) -> list[str]:
    """The sealed files, refused if one is still ciphertext here (sealing anew needs them
    opened: `newsletter keys unlock`)."""
    paths = git.sealed_paths(repo)
    for name in paths:
        with (repo / name).open("rb") as handle:
            if is_sealed(handle.read(64)):
                raise PrivacyError(
                    "still sealed in the working tree: run `newsletter keys unlock` first",
                    path=repo / name,
                )
    return paths


def _write_readers(settings: Settings, repo: Path, readers: list[Reader]) -> list[str]:
    """Save ``readers`` and seal every data file anew for them; the sealed paths."""
    paths = _plain_paths(repo)
    atomic_write(repo / READERS_FILE, format_readers(readers), mode=SHARED)
    ensure_attributes(settings, repo)
    git.register_filter(repo)
    git.git(repo, "add", "--", str(READERS_FILE), ATTRIBUTES)
    paths = git.sealed_paths(repo)  # the attributes may have just named them
    git.reseal(repo, paths)
    return paths


def add_reader(settings: Settings, name: str, recipient: str) -> list[str]:
    """Let ``name`` (with the age recipient ``recipient``) read the data files; the files
    sealed anew."""
    repo = repository(settings)
    readers = readers_of(repo)
    reader = Reader(name, recipient.strip())
    new = [*readers, reader]
    parse_readers(format_readers(new), repo / READERS_FILE)  # one check of name and key
    with locked(repo / READERS_FILE, purpose=f"newsletter keys add {name}"):
        return _write_readers(settings, repo, new)


def remove_reader(settings: Settings, name: str) -> list[str]:
    """Stop sealing for ``name``: the next version of each file is sealed without them.
    (What they could read before stays readable to them: see `newsletter keys rotate`.)"""
    repo = repository(settings)
    readers = readers_of(repo)
    kept = [r for r in readers if r.name != name]
    if len(kept) == len(readers):
        raise PrivacyError(f"no reader named {name!r}", path=repo / READERS_FILE)
    if not kept:
        raise PrivacyError("the last reader cannot go: nobody could open the files")
    with locked(repo / READERS_FILE, purpose=f"newsletter keys remove {name}"):
        return _write_readers(settings, repo, kept)


def rotate(settings: Settings, name: str, key_path: Path | None) -> Rotated:
    """A new key for reader ``name``, every file sealed anew with it.

    The new key goes to ``key_path``; without one, ``name`` must be the key of this
    machine's key file, which then holds the new key, the old one kept beside it
    (``.old``) until its owner destroys it.
    """
    repo = repository(settings)
    readers = readers_of(repo)
    current = next((r for r in readers if r.name == name), None)
    if current is None:
        raise PrivacyError(f"no reader named {name!r}", path=repo / READERS_FILE)
    identity = x25519.Identity.generate()
    fresh = Reader(name, public(identity))
    owner = key_file()
    mine = {public(i) for i in identities()}
    old_key: Path | None = None
    if key_path is None:
        if current.recipient not in mine or not owner.exists():
            raise PrivacyError(
                f"{name}'s key is not this machine's: give --key-file for the new key"
            )
        key_path = owner
        old_key = owner.with_name(owner.name + ".old")
    elif key_path.exists():
        raise PrivacyError("a key is already there; choose a new file", path=key_path)
    with locked(repo / READERS_FILE, purpose=f"newsletter keys rotate {name}"):
        _write_readers(settings, repo, [fresh if r.name == name else r for r in readers])
        if old_key is not None:
            atomic_write(old_key, key_path.read_bytes(), mode=PRIVATE)
        atomic_write(key_path, key_text(identity), mode=PRIVATE)
    return Rotated(fresh, key_path, old_key)


def create(key_path: Path | None) -> tuple[Path, str]:
    """A new key at ``key_path`` (default: this machine's key file); its recipient."""
    path = key_path or key_file()
    return path, create_key(path)


def unlock(settings: Settings) -> list[str]:
    """Register the filter and open every sealed data file in the working tree with a key
    here; the paths opened. Refused, naming the file, when no key here opens one."""
    repo = repository(settings)
    keys = identities()
    if not keys:
        raise PrivacyError(
            f"no key here: put yours in {key_file()} (0600) or set NEWSLETTER_AGE_KEY"
        )
    git.register_filter(repo)
    opened = []
    for name in git.sealed_paths(repo):
        path = repo / name
        data = path.read_bytes()
        if not is_sealed(data):
            continue
        plain = unseal(data, keys)
        if plain is None:
            whose = ", ".join(r.name for r in readers_of(repo)) or "nobody listed"
            raise PrivacyError(f"no key here opens it (it is sealed for {whose})", path=path)
        atomic_write(path, plain, mode=PRIVATE)
        opened.append(name)
    _restage(repo, opened)
    return opened


def foreign_hooks(settings: Settings) -> list[Path]:
    """The owner's own git hooks where ours would keep the opened files 0600 after git
    rewrites them (see :mod:`newsletter.privacy.git`)."""
    return git.foreign_hooks(repository(settings))


def _restage(repo: Path, paths: list[str]) -> None:
    """Record the new size and time of ``paths`` in the index (git takes a file whose size
    changed for a changed file, unread); their content there stays as it was."""
    if paths:
        git.git(repo, "add", "--", *paths)


def lock(settings: Settings) -> list[str]:
    """Put the sealed form back into the working tree and unregister the filter and its
    hooks; refused while a data file has changes not committed (they would be lost)."""
    repo = repository(settings)
    paths = git.sealed_paths(repo)
    if paths:
        changed = git.git(repo, "diff", "--name-only", "HEAD", "--", *paths).decode().split()
        if changed:
            raise PrivacyError(
                f"changes not committed in {', '.join(changed)}: commit them first",
                path=repo,
            )
    sealed = []
    for name in paths:
        stored = git.blob(repo, f"HEAD:{name}")
        if stored is not None and is_sealed(stored):
            atomic_write(repo / name, stored, mode=PRIVATE)
            sealed.append(name)
    git.unregister_filter(repo)
    _restage(repo, sealed)
    return sealed
