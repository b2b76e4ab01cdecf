"""git's filter for sealed files, run by git as ``python -m newsletter.privacy.gitfilter``.

    clean PATH     plain text in, age ciphertext out (what git stores)
    smudge PATH    what git stores in, plain text out where a key here opens it
    textconv FILE  a stored or working file as text for ``git diff``

age seals differently each time, so ``clean`` hands back the blob git already holds for
the file (in the index, else HEAD) when that blob opens to the same bytes and is sealed to
as many readers as the list has: otherwise ``git status`` would show every sealed file as
changed after each checkout. ``smudge`` passes ciphertext through when no key opens it, so
a clone without a key checks out (the files then stay sealed in the working tree).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from newsletter.errors import NewsletterError, PrivacyError
from newsletter.privacy.git import FRESH, blob
from newsletter.privacy.keys import identities, seal, unseal
from newsletter.sealed import READERS_FILE, is_sealed, parse_readers

STANZA = b"\n-> X25519 "


def clean(path: str, plain: bytes, repo: Path) -> bytes:
    """What git stores for ``plain``, the working file at ``path`` in ``repo``."""
    if is_sealed(plain):
        return plain  # a working tree that is locked: already what git stores
    listing = repo / READERS_FILE
    if not listing.is_file():
        raise PrivacyError(
            "no readers to seal it for: add one with `newsletter keys add NAME RECIPIENT`",
            path=path,
        )
    readers = parse_readers(listing.read_text(encoding="utf-8"), listing)
    if not os.environ.get(FRESH):
        keys = identities()
        for spec in (f":{path}", f"HEAD:{path}"):
            stored = blob(repo, spec)
            if stored is None or not is_sealed(stored):
                continue
            header = stored.split(b"\n---", 1)[0]
            if header.count(STANZA) == len(readers) and unseal(stored, keys) == plain:
                return stored
    return seal(plain, readers)


def smudge(stored: bytes) -> bytes:
    """The working file for what git stores: opened when a key here can."""
    try:
        opened = unseal(stored, identities())
    except NewsletterError:
        opened = None  # a broken key file must not stop a checkout
    return stored if opened is None else opened


def textconv(data: bytes) -> bytes:
    opened = unseal(data, identities())
    return b"(sealed with age: no key here opens it)\n" if opened is None else opened


def main(argv: list[str]) -> int:
    action = argv[0] if argv else ""
    try:
        if action == "clean":
            out = clean(argv[1], sys.stdin.buffer.read(), Path.cwd())
        elif action == "smudge":
            out = smudge(sys.stdin.buffer.read())
        elif action == "textconv":
            out = textconv(Path(argv[1]).read_bytes())
        else:
            print("usage: python -m newsletter.privacy.gitfilter clean|smudge|textconv")
            return 2
    except (NewsletterError, OSError) as exc:
        print(f"newsletter: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
