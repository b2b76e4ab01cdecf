"""Personal variants of a segment's email: one per distinct combination in use of the tags
that the issue's editorial blocks name and the hook lines readers' facts call for.

The build reads subscribers.csv (the email readers), finds the combinations in use,
refuses more than ``personal.max_variants``, renders each segment once with every block
in place and a hook slot (:mod:`newsletter.blocks`), and cuts each variant from that::

    segments/client/variants/3f9c0a1b2c4d/email.html, email.txt
    variants.json   issue date; per segment the tags that matter and each variant's
                    tags and hook lines, by key

The send reads variants.json, gives each reader their variant's key and batches by it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from newsletter.audience.hooks import VARIANTS_FILE, Variant, VariantPicker
from newsletter.audience.subscribers import iter_readers
from newsletter.blocks import variant_html, variant_text
from newsletter.config import Settings
from newsletter.config.personal import PersonalConfig
from newsletter.errors import BuildError
from newsletter.model import Editorial, Issue
from newsletter.render.email import render_email
from newsletter.render.text import render_text


def personalized(settings: Settings) -> bool:
    """Whether the config asks for personal variants at all (else builds are as before)."""
    personal = settings.config.personal
    return bool(personal.tags or personal.hooks)


def used_tags(issue: Issue, segment: str | None) -> tuple[str, ...]:
    """The tags the editorials ``segment`` reads (None: every editorial, as on paper) write
    blocks for, sorted."""
    tags = {
        block.tag
        for section in issue.for_segment(segment)
        for entry in section.entries
        if isinstance(entry, Editorial)
        for block in entry.tagged
    }
    return tuple(sorted(tags))


def variants_in_use(settings: Settings, issue: Issue) -> dict[str, set[Variant]]:
    """Per segment, the variants (other than the plain email) the email readers need."""
    segments = tuple(settings.config.segments)
    pickers = {
        s: VariantPicker(settings.config.personal, used_tags(issue, s), issue.issue_date)
        for s in segments
    }
    found: dict[str, set[Variant]] = {s: set() for s in segments}
    path = settings.subscribers_dir / "subscribers.csv"
    if not path.exists():
        return found
    for _, _, _, segment, channels, tags, facts in iter_readers(path):
        if "email" in channels and segment in pickers and (tags or facts):
            variant = pickers[segment].pick(segment, tags, facts)
            if variant.key:
                found[segment].add(variant)
    return found


def render_variants(
    issue: Issue, settings: Settings, env: jinja2.Environment, add: Callable[[str, str], None]
) -> None:
    """Render every variant in use into the build (``add(relative path, text)``)."""
    found = variants_in_use(settings, issue)
    check_variant_cap(settings, sum(len(v) for v in found.values()))
    marked = with_blocks(issue)
    listing: dict[str, Any] = {"issue_date": issue.issue_date.isoformat(), "segments": {}}
    for segment, variants in found.items():
        entry: dict[str, Any] = {"tags": list(used_tags(issue, segment)), "variants": {}}
        listing["segments"][segment] = entry
        if not variants:
            continue
        html = render_email(marked, settings, env, segment=segment, hook_slot=True)
        text = render_text(marked, settings, env, segment=segment, hook_slot=True)
        for variant in sorted(variants, key=lambda v: v.key):
            folder = f"segments/{segment}/variants/{variant.key}"
            add(f"{folder}/email.html", variant_html(html, variant.tags, variant.hooks))
            add(f"{folder}/email.txt", variant_text(text, variant.tags, variant.hooks))
            entry["variants"][variant.key] = {
                "tags": list(variant.tags),
                "hooks": list(variant.hooks),
            }
    add(VARIANTS_FILE, json.dumps(listing, indent=2, ensure_ascii=False) + "\n")


def check_variant_cap(settings: Settings, total: int, *, paper: bool = False) -> None:
    """Raise BuildError when ``total`` variants in use (of the email, or of the print
    edition) exceed ``personal.max_variants``: a list needing more is an error, not a slow
    build."""
    cap = settings.config.personal.max_variants
    if total > cap:
        what = "print edition (combinations of" if paper else "email (combinations of segment,"
        raise BuildError(
            f"the subscriber list needs {total:,} personal variants of the {what} tags the "
            f"editorials use and hook lines), more than personal.max_variants ({cap:,}); "
            "raise it, or use fewer tags or hook lines",
            path=settings.subscribers_dir / "subscribers.csv",
        )


def with_blocks(issue: Issue) -> Issue:
    """``issue`` with every tagged block in place between markers, for cutting variants
    (:func:`newsletter.blocks.variant_html`)."""
    sections = tuple(
        replace(
            s, entries=tuple(e.with_blocks() if isinstance(e, Editorial) else e for e in s.entries)
        )
        for s in issue.sections
    )
    return replace(issue, sections=sections)


def built_pickers(
    out_dir: Path, personal: PersonalConfig
) -> dict[str, tuple[VariantPicker, set[str]]]:
    """What picks each reader's variant of the build in ``out_dir``, by segment, with the
    keys of the variants the build rendered (empty: the build rendered none)."""
    listing = out_dir / VARIANTS_FILE
    if not listing.is_file():
        return {}
    built = json.loads(listing.read_text(encoding="utf-8"))
    on = date.fromisoformat(built["issue_date"])
    return {
        segment: (VariantPicker(personal, entry["tags"], on), set(entry["variants"]))
        for segment, entry in built["segments"].items()
    }
