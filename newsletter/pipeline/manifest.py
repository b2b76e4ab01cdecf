"""The build's ``manifest.json``: what a later step checks before it uses a build, and what
it reads of the build through it (which segments' emails read the same, the images).

Kept apart from :mod:`newsletter.pipeline.build` so that readers of a build (the send) need not
import the whole rendering pipeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsletter.errors import BuildError, NewsletterError

MANIFEST = "manifest.json"
LEFT_OUT = "left_out"
"""The manifest's key for what a build made without the customer data lacks."""


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


def load_build(out_dir: Path) -> dict[str, Any]:
    """The build's manifest, refusing a missing build or one edited after preview."""
    if not (out_dir / MANIFEST).is_file():
        raise NewsletterError("no build here: run `newsletter build` first", path=out_dir)
    changed = verify_manifest(out_dir)
    if changed:
        raise NewsletterError(
            f"build changed since it was made ({', '.join(changed)}): rebuild and preview again",
            path=out_dir / MANIFEST,
        )
    manifest: dict[str, Any] = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    left_out = manifest.get(LEFT_OUT)
    if left_out:  # made where the lists were sealed: no thank-you roll, no personal variants
        raise NewsletterError(f"not this build: {left_out}", path=out_dir / MANIFEST)
    return manifest


def published_images(out_dir: Path) -> dict[str, Path]:
    """Each image the build in ``out_dir`` publishes beside its web page, by the URL its
    emails show it at."""
    manifest = load_build(out_dir)
    url = manifest["issue"]["url"]
    return {
        url + name.removeprefix("web/"): out_dir / name
        for name in manifest["outputs"]
        if name.startswith("web/images/")
    }


def content_variants(manifest: dict[str, Any], segments: Iterable[str]) -> dict[str, str]:
    """segment -> the first segment whose email is byte for byte the same (often client
    and partner): segments that read the same share batches, so a send makes fewer
    requests. The manifest's hashes say which are the same. Names are plain strings (a
    config's may be Segment members): the send spools its readers' groups with marshal."""
    outputs = manifest["outputs"]
    first_with: dict[tuple[str, str], str] = {}
    variants = {}
    for segment in map(str, segments):
        key = (outputs[f"segments/{segment}/email.html"], outputs[f"segments/{segment}/email.txt"])
        variants[segment] = first_with.setdefault(key, segment)
    return variants
