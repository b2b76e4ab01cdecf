"""``newsletter print``: the print edition of a built month, and the print shop's package.

A click wrapper over :func:`newsletter.printjob.print_job`; emailing the package is a dry
run unless ``--yes``, like ``send``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli import _fails_cleanly, _settings, _warn, config_option, month_option, out_option

if TYPE_CHECKING:
    from newsletter.config import Settings


@click.command("print")
@config_option
@month_option
@out_option
@click.option("--package", "make_package", is_flag=True, help="Also write the print shop's zip.")
@click.option("--split", is_flag=True, help="Also write one PDF per recipient (print/addressed/).")
@click.option(
    "--send-to-printer",
    is_flag=True,
    help="Email the package to print.print_shop (implies --package; a dry run unless --yes).",
)
@click.option("--yes", is_flag=True, help="Really email the package.")
@click.option(
    "--skip-incomplete-addresses",
    is_flag=True,
    help="Leave mail subscribers without a postal address off, with a warning, "
    "instead of stopping.",
)
@click.option("--silent", is_flag=True, help="No progress bars.")
@_fails_cleanly
def print_command(
    config_path: Path,
    month: str,
    out_root: Path,
    make_package: bool,
    split: bool,
    send_to_printer: bool,
    yes: bool,
    skip_incomplete_addresses: bool,
    silent: bool,
) -> None:
    """Print edition of the built month: issue.pdf, addressed copies, labels, mailing list."""
    from newsletter.audience.tokens import secret_from_env
    from newsletter.months import parse_month
    from newsletter.printjob import print_job
    from newsletter.referrals.ledger import LEDGER_FILE
    from newsletter.referrals.rewards import progress_lines
    from newsletter.sources.offers import current_offer

    settings = _settings(config_path)
    offer = current_offer(settings.content_dir, parse_month(month))
    result = print_job(
        settings,
        month,
        out_root=out_root,
        secret=secret_from_env(),
        split=split,
        make_package=make_package or send_to_printer,
        skip_incomplete=skip_incomplete_addresses,
        progress=progress_lines(settings.subscribers_dir / LEDGER_FILE, offer, settings.tz),
        silent=silent,
    )
    for message in result.warnings:
        _warn(message)
    mailing = result.mailing
    click.echo(
        f"{result.issue.month}: {result.pages} pages, {len(mailing.recipients)} addressed copies "
        f"({mailing.opted_out} opted out of post, {mailing.returned} returned as "
        f"undeliverable, {mailing.incomplete} without an address) -> {result.out_dir}"
    )
    click.echo(f"files: {', '.join(result.files)}")
    if result.split:
        click.echo(f"split: {result.split} PDFs in {result.out_dir / 'addressed'}")
    if send_to_printer and result.package is not None:
        _send(settings, result.package, result.ticket, result.issue.title, yes=yes)


def _send(settings: Settings, path: Path, ticket: str, title: str, *, yes: bool) -> None:
    from newsletter.deliver.factory import make_transport
    from newsletter.deliver.printshop import print_shop_message, send_to_printer

    shop = settings.config.print.print_shop
    data = path.read_bytes()
    message = print_shop_message(settings, title=title, ticket=ticket, name=path.name, data=data)
    if not yes:
        click.echo(
            f"dry run: would email {path.name} ({len(data) / 1000:.0f} KB) to "
            f"{shop or '(print.print_shop is not set)'}; add --yes to send"
        )
        return
    transport = make_transport(settings)
    try:
        result = send_to_printer(settings, transport, message)
    finally:
        transport.close()
    click.echo(f"emailed {path.name} to {shop} (message id {result.first_id() or 'unknown'})")
