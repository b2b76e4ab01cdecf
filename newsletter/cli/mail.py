"""``newsletter mail returned`` and ``newsletter mail standardize``: post that came back,
and the list's US addresses in USPS form. Both are dry runs unless ``--yes``."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from newsletter.cli.options import (
    EXIT_LEFT_TO_RETRY,
    config_option,
    fails_cleanly,
    secret_env,
    settings_of,
)
from newsletter.errors import ContentError


@click.group()
def mail() -> None:
    """Post: pieces that came back, addresses in USPS Publication 28 form."""


@mail.command("returned")
@config_option
@click.option("--email", default="", help="The reader's email.")
@click.option("--ref", "code", default="", help="The referral code on the piece's label.")
@click.option("--name", default="", help="The name on the piece (with --street, --postal-code).")
@click.option("--street", default="", help="The street line the piece was sent to.")
@click.option("--city", default="")
@click.option("--region", default="")
@click.option("--postal-code", default="")
@click.option("--country", default="", help="ISO code (default: US).")
@click.option("--reason", default="", help='What the post wrote on it, e.g. "Vacant", "MLNA".')
@click.option("--on", "returned_on", default="", help="The day it came back (default: today).")
@click.option(
    "--file",
    "returns_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The print shop's returns file (CSV): one piece a row.",
)
@click.option("--yes", is_flag=True, help="Record them (without it: a dry run).")
@fails_cleanly
def returned_command(
    config_path: Path,
    email: str,
    code: str,
    name: str,
    street: str,
    city: str,
    region: str,
    postal_code: str,
    country: str,
    reason: str,
    returned_on: str,
    returns_file: Path | None,
    yes: bool,
) -> None:
    """Record post that came back undeliverable: the reader keeps their email and gets no
    post until their address in subscribers.csv changes. Name the piece by --email, --ref
    or --name with --street and --postal-code, or give the print shop's --file. Exits 1
    when some pieces were set aside (the rest is recorded)."""
    from newsletter.audience.returned import REASONS
    from newsletter.audience.returns import (
        ReturnedPiece,
        read_returns_file,
        reason_key,
        returned_mail,
        returns_lines,
    )
    from newsletter.audience.tokens import secret_from_env
    from newsletter.errors import SecretMissing
    from newsletter.model import Address

    settings = settings_of(config_path)
    today = datetime.now(settings.tz).date()
    one_by_one = any((email, code, name, street, postal_code, reason, returned_on))
    if returns_file is not None and one_by_one:
        raise click.UsageError("give either --file or one piece's options, not both")
    if returns_file is not None:
        pieces = read_returns_file(returns_file, today)
    elif not (email or code or (street and postal_code)):
        raise click.UsageError(
            "name the piece: --email, --ref, or --street and --postal-code (or --file)"
        )
    else:
        key = reason_key(reason)
        if key is None:
            wordings = "; ".join(REASONS.values())
            raise ContentError(f"say why it came back, one of: {wordings}", key="--reason")
        address = None
        if street and postal_code:
            address = Address(street, city, region, postal_code, country.upper() or "US")
        when = _day(returned_on, today)
        pieces = [ReturnedPiece(key, when, email, code, name, address)]
    try:
        secret: bytes | None = secret_from_env(secret_env(settings))
    except SecretMissing:
        secret = None
    result = returned_mail(settings, pieces, secret=secret, write=yes)
    plan = result.plan
    if returns_file is None and plan.set_aside:
        raise ContentError(plan.set_aside[0].why)
    for line in returns_lines(result, written=yes):
        click.echo(line)
    if plan.set_aside:
        sys.exit(EXIT_LEFT_TO_RETRY)


def _day(text: str, today: date) -> date:
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ContentError(f"not a date (YYYY-MM-DD): {text!r}", key="--on") from None
    if day > today:
        raise ContentError(f"{day} is after today", key="--on")
    return day


@mail.command("standardize")
@config_option
@click.option("--yes", is_flag=True, help="Write them into subscribers.csv (else: a dry run).")
@fails_cleanly
def standardize_command(config_path: Path, yes: bool) -> None:
    """Write subscribers.csv's US addresses in USPS Publication 28 form (print uses that
    form either way). Shows each change as a diff; writes nothing unless --yes."""
    from newsletter.audience.standardizing import plan_lines, standardize_addresses

    plan = standardize_addresses(settings_of(config_path).subscribers_csv, write=yes)
    for line in plan_lines(plan, written=yes):
        click.echo(line)
