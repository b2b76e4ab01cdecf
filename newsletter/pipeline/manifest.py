"""The build's ``manifest.json``: what a later step checks before it uses a build.

Kept apart from :mod:`newsletter.pipeline.build` so that readers of a build (the send) need not
import the whole rendering pipeline.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from newsletter.errors import BuildError, NewsletterError

MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out_dir: Path, month: str) -> dict[str, Any]:
    """The manifest of the build of ``month`` (YYYY-MM) in ``out_dir``. BuildError when
    there is none (build first), and when there is one the system will not let us read
    (naming it and why): an unreadable build is never taken for a missing one."""
    path = out_dir / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise BuildError(
            f"no build for {month}: run `newsletter build --month {month}` first", path=out_dir
        ) from None
    except OSError as exc:
        raise BuildError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        manifest = json.loads(text)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict):
        raise BuildError(f"not a build's manifest: build {month} again", path=path)
    return manifest


def verify_manifest(out_dir: Path) -> list[str]:
    """Output files that no longer match the build's manifest (empty: untouched)."""
    path = out_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NewsletterError(f"no readable manifest: {exc}", path=path) from None
    changed = []
    for name, digest in manifest.get("outputs", {}).items():
        target = out_dir / name
        if not target.is_file() or sha256(target.read_bytes()) != digest:
            changed.append(name)
    return changed
