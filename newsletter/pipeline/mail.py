"""The built issue's emails as messages to send: one per group of readers (a segment's email,
shared by the segments that read the same, or ``segment/variant``), read from the build
folder once its manifest is checked, with what makes each reader's values (the referral
progress lines, the :class:`~newsletter.audience.personalize.Personalizer`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from newsletter.audience.personalize import Personalizer
from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.errors import NewsletterError
from newsletter.mail import Message
from newsletter.months import parse_month
from newsletter.pipeline.manifest import content_variants, load_build
from newsletter.pipeline.variants import built_pickers
from newsletter.referrals.rewards import project_progress
from newsletter.sources.offers import current_offer


class IssueMail:
    """The built month's messages (one per group: a segment's email shared by the segments
    that read the same, or ``segment/variant``) and what makes each reader's values."""

    def __init__(self, settings: Settings, month: str, *, out_root: Path, secret: bytes) -> None:
        first = parse_month(month)
        self.month = month = f"{first:%Y-%m}"
        self._settings, self._out_dir = settings, out_root / month
        manifest = load_build(self._out_dir)
        self._title = manifest["issue"]["title"]
        offer = current_offer(settings.content_dir, first)
        self.progress = project_progress(settings, offer)
        landing_url = referral_base(settings.config, offer.landing_url)
        self.personalizer = Personalizer(
            settings, secret=secret, landing_url=landing_url, month=month
        )
        self.variants = content_variants(manifest, settings.config.segments)
        self._messages: dict[str, Message] = {}
        self._pickers = built_pickers(self._out_dir, settings.config.personal)
        self.has_variants = bool(self._pickers)

    def message(self, group: str) -> Message:
        """A group's message, read when first needed: a shared one's custom_args name every
        segment that shares it."""
        if group not in self._messages:
            segment, _, variant = group.partition("/")
            made = segment_message(
                self._settings, self._out_dir, segment, self._title, self.month, variant=variant
            )
            if not variant:
                sharing = "+".join(s for s in self.variants if self.variants[s] == segment)
                made = replace(made, custom_args={**made.custom_args, "segment": sharing})
            self._messages[group] = self.personalizer.message(made)
        return self._messages[group]

    def variant(self, segment: str, tags: str, facts: str) -> str:
        """The key of the personal variant a reader of ``segment`` gets, from their row's
        cells ("" the plain email); refused when the build did not render it."""
        picking = self._pickers.get(segment)
        if picking is None:
            return ""
        picker, built = picking
        key = picker.pick(segment, tags, facts).key
        if key and key not in built:
            raise NewsletterError(
                "a reader's tags or facts (or the hook lines in newsletter.yaml) changed since "
                "the build: build again, and preview, before sending",
                path=Path("subscribers") / "subscribers.csv",
            )
        return key


def segment_message(
    settings: Settings, out_dir: Path, segment: str, subject: str, month: str, *, variant: str = ""
) -> Message:
    folder = out_dir / "segments" / segment
    if variant:
        folder = folder / "variants" / variant
    sender = settings.config.sender
    return Message(
        subject=subject,
        from_email=sender.email,
        from_name=sender.name,
        reply_to=sender.reply_to,
        html=(folder / "email.html").read_text(encoding="utf-8"),
        text=(folder / "email.txt").read_text(encoding="utf-8"),
        categories=("newsletter", month),
        custom_args={"issue": month, "segment": segment},
    )
