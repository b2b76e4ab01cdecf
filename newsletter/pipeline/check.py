"""``newsletter check``: validate everything a build and a send read, without building."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.audience.returned import held_back
from newsletter.audience.standardizing import address_changes, diff_lines
from newsletter.audience.subscribers import load_subscribers
from newsletter.config import Settings
from newsletter.diagnostics import Diagnostics
from newsletter.errors import ConfigError, SealedFile
from newsletter.months import parse_month
from newsletter.pipeline.build import dry_build
from newsletter.referrals.ledger import STATUSES, load_leads
from newsletter.referrals.rewardfile import load_rewards
from newsletter.render.environment import make_environment
from newsletter.sources.editorials import load_editorials
from newsletter.sources.fetch import snapshot_problems
from newsletter.sources.offers import current_offer

REQUIRED_TEMPLATES = (
    "email.html.j2",
    "email.txt.j2",
    "web/issue.html.j2",
    "web/archive.html.j2",
    "web/feed.xml.j2",
)


ADDRESS_DIFF_ROWS = 20
"""Rows of the address diff that ``check`` shows; ``newsletter mail standardize`` shows all."""


@dataclass(frozen=True)
class CheckReport:
    warnings: tuple[str, ...]
    summary: tuple[str, ...]
    # subscribers.csv's US addresses as USPS Publication 28 would write them, as a diff
    address_diff: tuple[str, ...] = ()
    # what was left unchecked, and why, without being a problem (the lists sealed here)
    notes: tuple[str, ...] = ()


def check_all(settings: Settings, month: str, *, strict: bool = False) -> CheckReport:
    """Load and validate content, offer, templates, subscribers and referrals for ``month``,
    then render the whole issue in memory (offline: cached and bundled feed copies), so
    that every template and format string the build evaluates has been evaluated.

    The config itself was validated when ``settings`` was loaded. The first error raises.
    """
    first = parse_month(month)
    diagnostics = Diagnostics(strict=strict)
    editorials = load_editorials(
        settings.content_dir,
        f"{first:%Y-%m}",
        diagnostics=Diagnostics(strict=False),  # the dry build below warns about them
        tags=settings.config.personal.tags,
    )
    offer = current_offer(settings.content_dir, first)
    env = make_environment(settings.templates_dir)
    for name in REQUIRED_TEMPLATES:
        env.get_template(name)
    with diagnostics.batch():  # under --strict, every missing snapshot is named at once
        for feed, problem in snapshot_problems(settings.config.feeds, settings.root):
            diagnostics.warn(f"feed {feed.name!r}: snapshot {problem}", error=ConfigError)
    rendered = dry_build(settings, f"{first:%Y-%m}", diagnostics)  # unwritten
    notes: tuple[str, ...] = ()
    try:
        personal, address_diff = _personal_data(settings)
    except SealedFile as sealed:
        # The public parts are checked without a key, under --strict too: a helper who
        # writes editorials, and the repository's CI, have none, and a build made here
        # cannot be sent (its manifest says what it lacks).
        notes = (f"personal data not checked: {sealed.one_line()}",)
        personal, address_diff = (), ()
    return CheckReport(
        warnings=tuple(diagnostics.warnings),
        summary=(
            f"config: {settings.path.name}: {len(settings.config.feeds)} feeds, "
            f"{len(settings.config.sections)} sections",
            f"editorials for {first:%Y-%m}: {len(editorials)}",
            f"offer: {offer.title} (valid {offer.valid_from} to {offer.valid_to})",
            f"templates: {len(REQUIRED_TEMPLATES)} found, {len(rendered.files)} files rendered",
            *personal,
        ),
        address_diff=address_diff,
        notes=notes,
    )


def _personal_data(settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The summary lines of the lists that hold personal data, and the address diff."""
    subscribers = load_subscribers(settings.subscribers_csv)
    held = held_back(settings.returned_mail_csv)
    posted = [s for s in subscribers if "mail" in s.channels]
    returned = sum(1 for s in posted if held.record_for(s) is not None)
    addresses = address_changes(settings.subscribers_csv)
    by_segment = {
        s: sum(1 for x in subscribers if x.segment == s) for s in settings.config.segments
    }
    leads = load_leads(settings.referrals_csv)
    rewards = load_rewards(settings.rewards_csv)
    by_status = ", ".join(f"{sum(1 for x in leads if x.status == s)} {s}" for s in STATUSES)
    summary = (
        "subscribers: " + ", ".join(f"{count} {segment}" for segment, count in by_segment.items()),
        f"referrals: {len(leads)} leads ({by_status}), "
        f"{sum(1 for r in rewards if r.status == 'handed-out')} rewards handed out",
        f"post: {len(posted)} readers, {returned} held back after returned mail "
        f"({held.cleared(posted)} cleared by a new address)",
        f"addresses: {len(addresses.changes)} to write in USPS form"
        + (" (`newsletter mail standardize --yes` writes them)" if addresses.changes else ""),
    )
    return summary, tuple(diff_lines(addresses, limit=ADDRESS_DIFF_ROWS))
