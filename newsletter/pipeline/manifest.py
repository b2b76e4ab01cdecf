"""The build's ``manifest.json``: what a later step checks before it uses a build.

Kept apart from :mod:`newsletter.pipeline.build` so that readers of a build (the send) need not
import the whole rendering pipeline.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from newsletter.errors import NewsletterError

MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
