"""``newsletter referral add|update|list|report|reward``: click wrappers over newsletter.referrals.

The library does the work; these commands read options, call it, and print. Errors are the
project's own and are printed as one line by ``_fails_cleanly``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli import _fails_cleanly, _settings, _warn, config_option, month_option

if TYPE_CHECKING:
    from newsletter.config import Settings

STATUS_CHOICES = ("new", "contacted", "won", "lost")
thank_option = click.option(
    "--thank/--no-thank",
    "thank",
    default=None,
    help="The referrer agreed (or declined) to be thanked by name in the newsletter.",
)


@click.group()
def referral() -> None:
    """Referred leads: add, update, list, report, and rewards handed out."""


@referral.command("add")
@config_option
@click.option("--ref", "code", required=True, help="The referrer's code, as the lead gave it.")
@click.option("--name", required=True, help="The lead's name.")
@click.option("--phone", default="", help="The lead's phone (a phone or an email is required).")
@click.option("--email", default="", help="The lead's email address.")
@click.option("--address", default="", help="The lead's address.")
@click.option("--need", default="", help="What they need, in a few words.")
@click.option("--note", default="", help="A first note.")
@click.option(
    "--received-at",
    default=None,
    help="When the lead arrived (default: now), e.g. 2026-11-02T09:14, in the business's "
    "timezone unless an offset is given.",
)
@thank_option
@_fails_cleanly
def add(
    config_path: Path,
    code: str,
    name: str,
    phone: str,
    email: str,
    address: str,
    need: str,
    note: str,
    received_at: str | None,
    thank: bool | None,
) -> None:
    """Add a lead to subscribers/referrals.csv (needs NEWSLETTER_SECRET to check the code)."""
    from newsletter.audience.subscribers import load_subscribers
    from newsletter.audience.tokens import referral_codes, secret_from_env
    from newsletter.referrals.leads import add_lead, referrer_for_code
    from newsletter.referrals.reports import full_name
    from newsletter.referrals.times import shown

    settings = _settings(config_path)
    secret = secret_from_env()
    subscribers = load_subscribers(settings.subscribers_dir / "subscribers.csv")
    canonical, referrer = referrer_for_code(
        code, referral_codes(secret, (s.email for s in subscribers))
    )
    lead, duplicates = add_lead(
        _ledger(settings),
        referrer_code=canonical,
        referrer_email=referrer,
        name=name,
        received_at=_moment(received_at, settings, "--received-at"),
        phone=phone,
        email=email,
        address=address,
        need=need,
        note=note,
        thank_by_name=thank,
    )
    for duplicate in duplicates:
        earlier = duplicate.lead
        _warn(
            f"lead {lead.id} may be lead {earlier.id} again ({earlier.name}, received "
            f"{shown(earlier.received_at, settings.tz)}): {duplicate.reason}"
        )
    who = next(full_name(s) for s in subscribers if s.normalized_email == referrer)
    click.echo(f"added lead {lead.id}: {lead.name}, referred by {who} ({canonical})")


@referral.command("update")
@config_option
@click.argument("lead_id", metavar="ID", type=int)
@click.option("--status", type=click.Choice(STATUS_CHOICES[1:]), help="The lead's new status.")
@click.option("--value", default=None, help="Dollars won, e.g. 1200 (won leads).")
@click.option("--note", default="", help="A note, appended with the date.")
@click.option(
    "--replace-notes",
    default=None,
    help='Replace all of the lead\'s notes with this text ("" clears them).',
)
@click.option("--at", default=None, help="When it happened (default: now).")
@thank_option
@_fails_cleanly
def update(
    config_path: Path,
    lead_id: int,
    status: str | None,
    value: str | None,
    note: str,
    replace_notes: str | None,
    at: str | None,
    thank: bool | None,
) -> None:
    """Change a lead's status, value, notes or consent. Leads are never deleted: mark them lost."""
    from newsletter.referrals.leads import update_lead
    from newsletter.referrals.outputs import money

    settings = _settings(config_path)
    lead = update_lead(
        _ledger(settings),
        lead_id,
        at=_moment(at, settings, "--at"),
        status=status,
        value=_amount(value) if value is not None else None,
        note=note,
        replace_notes=replace_notes,
        thank_by_name=thank,
    )
    worth = f", {money(lead.value)}" if lead.value is not None and lead.status == "won" else ""
    click.echo(f"updated lead {lead.id} ({lead.name}): {lead.status}{worth}")


@referral.command("list")
@config_option
@click.option(
    "--status", "statuses", type=click.Choice(STATUS_CHOICES), multiple=True, help="Only these."
)
@_fails_cleanly
def list_leads(config_path: Path, statuses: tuple[str, ...]) -> None:
    """List the leads in the ledger, oldest first."""
    from rich.console import Console

    from newsletter.referrals.ledger import load_leads
    from newsletter.referrals.outputs import leads_table

    settings = _settings(config_path)
    leads = [x for x in load_leads(_ledger(settings)) if not statuses or x.status in statuses]
    if not leads:
        click.echo("no leads" + (f" with status {' or '.join(statuses)}" if statuses else ""))
        return
    Console(highlight=False).print(leads_table(leads, _names(settings), settings.tz))


@referral.command("report")
@config_option
@month_option
@click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default="build",
    show_default=True,
    help="The report is written to OUT/referrals/YYYY-MM/.",
)
@click.option("--now", "as_of", default=None, hidden=True, help="Report as of this time.")
@_fails_cleanly
def report(config_path: Path, month: str, out_root: Path, as_of: str | None) -> None:
    """Overdue leads, referrers and rewards, totals: printed, and written as CSV and HTML."""
    from rich.console import Console

    from newsletter.months import parse_month
    from newsletter.referrals.outputs import report_tables, write_report
    from newsletter.referrals.reports import referral_report

    settings = _settings(config_path)
    month = f"{parse_month(month):%Y-%m}"
    result = referral_report(settings, month, _moment(as_of, settings, "--now"))
    console = Console(highlight=False)
    for part in report_tables(result):
        console.print(part)
    out_dir = out_root / "referrals" / month
    names = write_report(result, out_dir)
    click.echo(f"wrote {out_dir}/ ({', '.join(names)})")


@referral.command("reward")
@config_option
@click.argument("code")
@click.option("--milestone", type=int, required=True, help="The milestone's number of referrals.")
@click.option("--on", "on", default=None, help="The day it was handed out (default: today).")
@click.option("--note", default="", help="How or where it was handed out.")
@_fails_cleanly
def reward(config_path: Path, code: str, milestone: int, on: str | None, note: str) -> None:
    """Record a reward handed out, in subscribers/rewards.csv (under the offer of that day)."""
    from newsletter.errors import ReferralError
    from newsletter.referrals.rewards import REWARDS_FILE, record_handout
    from newsletter.sources.offers import current_offer

    settings = _settings(config_path)
    try:
        day = date.fromisoformat(on) if on else datetime.now(settings.tz).date()
    except ValueError:
        raise ReferralError(f"not a date (YYYY-MM-DD): {on!r}", key="--on") from None
    given = record_handout(
        settings.subscribers_dir / REWARDS_FILE,
        _ledger(settings),
        code=code,
        milestone=milestone,
        offer=current_offer(settings.content_dir, day),
        tz=settings.tz,
        on=day,
        note=note,
    )
    who = _names(settings).get(given.referrer_email, given.referrer_email)
    click.echo(
        f"recorded {given.handed_out_on}: {given.reward} (milestone {given.milestone}) "
        f"for {who} ({given.referrer_code})"
    )


def _ledger(settings: Settings) -> Path:
    from newsletter.referrals.ledger import LEDGER_FILE

    return settings.subscribers_dir / LEDGER_FILE


def _names(settings: Settings) -> dict[str, str]:
    """Referrers' names for display, by normalized email (none if there is no list)."""
    from newsletter.audience.subscribers import load_subscribers
    from newsletter.referrals.reports import full_name

    path = settings.subscribers_dir / "subscribers.csv"
    if not path.exists():
        return {}
    return {s.normalized_email: full_name(s) for s in load_subscribers(path)}


def _moment(text: str | None, settings: Settings, key: str) -> datetime:
    from newsletter.referrals.times import parse_typed

    if text is None:
        return datetime.now(settings.tz).replace(microsecond=0)
    return parse_typed(text, settings.tz, key=key)


def _amount(text: str) -> Decimal:
    from newsletter.errors import ReferralError
    from newsletter.referrals.ledger import parse_amount

    try:
        return parse_amount(text)
    except ValueError as exc:
        raise ReferralError(str(exc), key="--value") from None
