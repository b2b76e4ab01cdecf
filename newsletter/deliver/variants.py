"""The build's personal variants as a send sees them: each reader's variant key, from the
cells of their row, checked against what the build rendered (:mod:`newsletter.pipeline.variants`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from newsletter.audience.hooks import VARIANTS_FILE, VariantPicker
from newsletter.config import Settings
from newsletter.errors import NewsletterError


class SendVariants:
    """The build's variants, for a send: each reader's key from their row's cells."""

    def __init__(self, settings: Settings, out_dir: Path) -> None:
        path = out_dir / VARIANTS_FILE
        self.active = path.is_file()
        self.listing: Mapping[str, Any] = (
            json.loads(path.read_text(encoding="utf-8")) if self.active else {}
        )
        on = date.fromisoformat(self.listing["issue_date"]) if self.active else date.today()
        segments = self.listing.get("segments", {})
        self._pickers = {
            s: VariantPicker(settings.config.personal, entry["tags"], on)
            for s, entry in segments.items()
        }
        self._known = {s: set(entry["variants"]) for s, entry in segments.items()}

    def key(self, segment: str, tags: str, facts: str) -> str:
        """The key of the variant a reader of ``segment`` gets ("" the plain email)."""
        if not self.active or not (tags or facts) or segment not in self._pickers:
            return ""
        key = self._pickers[segment].pick(segment, tags, facts).key
        if key and key not in self._known[segment]:
            raise NewsletterError(
                "a reader's tags or facts (or the hook lines in newsletter.yaml) changed since "
                "the build: build again, and preview, before sending",
                path=Path("subscribers") / "subscribers.csv",
            )
        return key
