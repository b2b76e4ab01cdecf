"""``newsletter referral add|update|clear|subscribe|list|report|rewards``: click wrappers over
newsletter.referrals.

The library (:mod:`newsletter.referrals.actions`) does the work; these commands read
options, call it, and print. Errors are the project's own and are printed as one line by
``fails_cleanly``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.options import (
    config_option,
    fails_cleanly,
    month_option,
    secret_env,
    settings_of,
    warn,
)
from newsletter.model import SOURCE_KINDS

if TYPE_CHECKING:
    from newsletter.referrals.ledger import Lead
    from newsletter.referrals.rewardfile import Reward

STATUS_CHOICES = ("new", "contacted", "won", "lost")
qualify_option = click.option(
    "--qualify",
    "qualified_because",
    default=None,
    metavar="REASON",
    help="Qualified: ready and able to buy, called within 24 hours (from now, for a "
    'nurture lead promoted). REASON in a few words, or "".',
)
nurture_option = click.option(
    "--nurture",
    "nurture_because",
    default=None,
    metavar="REASON",
    help="Nurture: not ready yet; kept in touch with, never chased. Why, in a few words.",
)
source_option = click.option(
    "--source",
    type=click.Choice(SOURCE_KINDS),
    default=None,
    help="The kind of relationship the lead came through (default for a new lead: the "
    "referrer's source in subscribers.csv).",
)
thank_option = click.option(
    "--thank/--no-thank",
    "thank",
    default=None,
    help="The referrer agreed (or declined) to be thanked by name in the newsletter.",
)


@click.group()
def referral() -> None:
    """Referred leads: add, update, clear flags, list, report; rewards to approve and hand out."""


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
@qualify_option
@nurture_option
@source_option
@fails_cleanly
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
    qualified_because: str | None,
    nurture_because: str | None,
    source: str | None,
) -> None:
    """Add a lead to subscribers/referrals.csv (needs NEWSLETTER_SECRET to check the code).

    A lead is qualified unless --nurture says why not yet."""
    from newsletter.audience.tokens import secret_from_env
    from newsletter.referrals.actions import add_referred_lead, parse_time_option
    from newsletter.referrals.leads import Qualification
    from newsletter.referrals.times import format_shown

    settings = settings_of(config_path)
    added = add_referred_lead(
        settings,
        secret_from_env(secret_env(settings)),
        code=code,
        name=name,
        received_at=parse_time_option(received_at, settings.tz, "--received-at"),
        phone=phone,
        email=email,
        address=address,
        need=need,
        note=note,
        thank_by_name=thank,
        qualification=Qualification.given(qualified_because, nurture_because),
        source=source,
    )
    lead = added.lead
    for duplicate in added.duplicates:
        earlier = duplicate.lead
        warn(
            f"lead {lead.id} may be lead {earlier.id} again ({earlier.name}, received "
            f"{format_shown(earlier.received_at, settings.tz)}): {duplicate.reason}"
        )
    click.echo(
        f"added lead {lead.id}: {lead.name}, referred by {added.referrer} ({added.code}); "
        f"{_judged(lead)}"
    )
    for flag in lead.flags:
        warn(f"lead {lead.id} is flagged, and counts only once cleared: {flag}")
    _tell_new_rewards(added.rewards)


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
@qualify_option
@nurture_option
@source_option
@fails_cleanly
def update(
    config_path: Path,
    lead_id: int,
    status: str | None,
    value: str | None,
    note: str,
    replace_notes: str | None,
    at: str | None,
    thank: bool | None,
    qualified_because: str | None,
    nurture_because: str | None,
    source: str | None,
) -> None:
    """Change a lead's status, value, notes, consent, qualification or source. Leads are
    never deleted: mark them lost."""
    from newsletter.referrals.actions import (
        ledger_path,
        parse_time_option,
        parse_value_option,
        sync_project_rewards,
    )
    from newsletter.referrals.leads import Qualification, update_lead
    from newsletter.referrals.outputs import money

    settings = settings_of(config_path)
    lead = update_lead(
        ledger_path(settings),
        lead_id,
        at=parse_time_option(at, settings.tz, "--at"),
        status=status,
        value=parse_value_option(value) if value is not None else None,
        note=note,
        replace_notes=replace_notes,
        thank_by_name=thank,
        qualification=Qualification.given(qualified_because, nurture_because),
        source=source,
    )
    worth = f", {money(lead.value)}" if lead.value is not None and lead.status == "won" else ""
    click.echo(f"updated lead {lead.id} ({lead.name}): {lead.status}{worth}; {_judged(lead)}")
    _tell_new_rewards(sync_project_rewards(settings))


@referral.command("subscribe")
@config_option
@click.argument("lead_id", metavar="ID", type=int)
@click.option(
    "--channels",
    type=click.Choice(("email", "mail", "both")),
    required=True,
    help="What they agreed to receive: email, post (mail) or both.",
)
@click.option("--how", required=True, help="How they agreed, e.g. 'by phone' or 'in person'.")
@click.option("--email", default="", help="Their address, if the lead has none or another.")
@click.option("--street", default="", help="Postal address (default: the lead's address).")
@click.option("--city", default="")
@click.option("--region", default="", help="State, e.g. WI.")
@click.option("--postal-code", default="")
@click.option(
    "--source",
    type=click.Choice(SOURCE_KINDS),
    default="business-contact",
    show_default=True,
    help="Their kind of relationship, as a subscriber.",
)
@click.option("--at", default=None, help="When they agreed (default: now).")
@fails_cleanly
def subscribe(
    config_path: Path,
    lead_id: int,
    channels: str,
    how: str,
    email: str,
    street: str,
    city: str,
    region: str,
    postal_code: str,
    source: str,
    at: str | None,
) -> None:
    """A nurture lead who agreed to hear from us becomes a prospect subscriber: the row in
    subscribers.csv (linked to the lead and its referrer), the consent in consents.csv,
    and a note on the lead."""
    from newsletter.referrals.actions import parse_time_option
    from newsletter.referrals.nurture import PostalAddress, subscribe_lead

    settings = settings_of(config_path)
    given = [street, city, region, postal_code]
    done = subscribe_lead(
        settings.subscribers_dir,
        lead_id,
        channels=channels,
        how=how,
        at=parse_time_option(at, settings.tz, "--at"),
        country=settings.config.business.address.country,
        email=email,
        postal=PostalAddress(*given) if any(given) else None,
        source=source,
    )
    if not done.line_added and not done.consent_added:
        click.echo(f"lead {lead_id} ({done.lead.name}) was already subscribed as {done.email}")
        return
    click.echo(
        f"subscribed lead {lead_id} ({done.lead.name}) as a prospect: {done.email}, {channels}"
    )


def _judged(lead: Lead) -> str:
    why = f" ({lead.qualification_reason})" if lead.qualification_reason else ""
    return f"{lead.qualification}{why}"


@referral.command("list")
@config_option
@click.option(
    "--status", "statuses", type=click.Choice(STATUS_CHOICES), multiple=True, help="Only these."
)
@click.option("--now", "as_of", default=None, hidden=True, help="List as of this time.")
@fails_cleanly
def list_leads(config_path: Path, statuses: tuple[str, ...], as_of: str | None) -> None:
    """List the leads in the ledger, oldest first, with when each one still to call is due
    (24 hours after it arrived, or was qualified)."""
    from newsletter.referrals.actions import ledger_path, parse_time_option, referrer_names
    from newsletter.referrals.ledger import load_leads
    from newsletter.referrals.outputs import leads_table
    from newsletter.tables import print_tables

    settings = settings_of(config_path)
    leads = [x for x in load_leads(ledger_path(settings)) if not statuses or x.status in statuses]
    if not leads:
        click.echo("no leads" + (f" with status {' or '.join(statuses)}" if statuses else ""))
        return
    now = parse_time_option(as_of, settings.tz, "--now")
    print_tables([leads_table(leads, referrer_names(settings), settings.tz, now)])


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
@fails_cleanly
def report(config_path: Path, month: str, out_root: Path, as_of: str | None) -> None:
    """Leads overdue and due in the next 24 hours, referrers and rewards, totals: printed,
    and written as CSV and HTML."""
    from newsletter.referrals.actions import parse_time_option, write_referral_report
    from newsletter.referrals.outputs import report_tables
    from newsletter.tables import print_tables

    settings = settings_of(config_path)
    now = parse_time_option(as_of, settings.tz, "--now")
    written = write_referral_report(settings, month, out_root=out_root, now=now)
    print_tables(report_tables(written.report))
    click.echo(f"wrote {written.out_dir}/ ({', '.join(written.files)})")


by_option = click.option(
    "--by", default=None, help="Who decides (default: your login name); recorded with the time."
)


@referral.command("clear")
@config_option
@click.argument("lead_id", metavar="ID", type=int)
@click.option("--reason", default="", help="Why it is a real referral, kept as a dated note.")
@by_option
@click.option("--at", default=None, help="When (default: now).")
@fails_cleanly
def clear(config_path: Path, lead_id: int, reason: str, by: str | None, at: str | None) -> None:
    """Clear a lead's flags: it is a real referral, and counts toward its referrer's
    rewards from now on."""
    from newsletter.referrals.actions import (
        ledger_path,
        parse_time_option,
        sync_project_rewards,
        who_decides,
    )
    from newsletter.referrals.leads import clear_flags

    settings = settings_of(config_path)
    lead = clear_flags(
        ledger_path(settings),
        lead_id,
        by=who_decides(by),
        at=parse_time_option(at, settings.tz, "--at"),
        reason=reason,
    )
    click.echo(f"cleared the flags of lead {lead.id} ({lead.name}): it counts now")
    _tell_new_rewards(sync_project_rewards(settings))


@referral.group("rewards", invoke_without_command=True)
@config_option
@click.pass_context
@fails_cleanly
def rewards(ctx: click.Context, config_path: Path) -> None:
    """Rewards reached: pending approval, approved, denied and handed out, with the leads
    behind each. Alone, lists them (the rewards reached by now are added, pending)."""
    if ctx.invoked_subcommand is not None:
        return
    from datetime import datetime

    from rich.console import Console

    from newsletter.referrals.actions import listed_rewards, referrer_names
    from newsletter.referrals.outputs import rewards_table

    settings = settings_of(config_path)
    lines = listed_rewards(settings, datetime.now(settings.tz).date())
    if not lines:
        click.echo("no rewards reached yet")
        return
    Console(highlight=False).print(rewards_table(lines, referrer_names(settings), settings.tz))


def _decision(action: str) -> click.Command:
    past = {"approve": "approved", "deny": "denied", "hand-out": "handed out"}[action]

    @click.command(action)
    @config_option
    @click.argument("reward_id", metavar="ID", type=int)
    @by_option
    @click.option("--at", default=None, help="When (default: now).")
    @fails_cleanly
    def decide_command(
        config_path: Path, reward_id: int, by: str | None, at: str | None, **extra: str
    ) -> None:
        from newsletter.referrals.actions import (
            decide,
            parse_time_option,
            referrer_names,
            who_decides,
        )

        settings = settings_of(config_path)
        reward, changed = decide(
            settings,
            reward_id,
            action,
            by=who_decides(by),
            at=parse_time_option(at, settings.tz, "--at"),
            reason=extra.get("reason", ""),
        )
        who = referrer_names(settings).get(reward.referrer_email, reward.referrer_email)
        state = past if changed else f"already {past}"
        click.echo(
            f"reward {reward.id} {state}: {reward.reward} (milestone {reward.milestone}) "
            f"for {who} ({reward.referrer_code})"
        )

    decide_command.help = {
        "approve": "Approve reward ID: it shows as earned in the referrer's next copy.",
        "deny": "Deny reward ID, saying why: it is never shown as earned.",
        "hand-out": "Record that approved reward ID was handed out.",
    }[action]
    if action == "deny":
        decide_command = click.option(
            "--reason", required=True, help="Why it is denied (kept with it)."
        )(decide_command)
    return decide_command


for _action in ("approve", "deny", "hand-out"):
    rewards.add_command(_decision(_action))


def _tell_new_rewards(new: tuple[Reward, ...]) -> None:
    for reward in new:
        click.echo(
            f"reward {reward.id} reached, pending approval: {reward.reward} (milestone "
            f"{reward.milestone}) for {reward.referrer_code}; `newsletter referral rewards "
            f"approve {reward.id}` or `deny {reward.id} --reason …`"
        )
