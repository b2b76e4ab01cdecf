"""``newsletter cards``: the quarter's postcards for the nurture list, ready for the shop,
or (``--email``) the quarter's nurture email.

A click wrapper over :func:`newsletter.print.cardrun.print_cards` and
:func:`newsletter.deliver.run.send_nurture_quarter`.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import click

from newsletter.cli.options import (
    config_option,
    fails_cleanly,
    out_option,
    send_options,
    settings_of,
    warn,
)
from newsletter.cli.send import desk_check, send_with_progress


@click.command("cards")
@config_option
@click.option(
    "--quarter",
    default=lambda: _this_quarter(),
    show_default="this quarter",
    help="The quarter, YYYYQn (e.g. 2026Q4).",
)
@out_option
@click.option(
    "--skip-incomplete-addresses",
    is_flag=True,
    help="Leave readers without a postal address off, with a warning, instead of stopping.",
)
@click.option("--silent", is_flag=True, help="No progress bars.")
@click.option(
    "--email",
    is_flag=True,
    help="Send the quarter's nurture email instead of making the cards (a dry run unless --yes).",
)
@send_options
@fails_cleanly
def cards_command(
    config_path: Path,
    quarter: str,
    out_root: Path,
    skip_incomplete_addresses: bool,
    silent: bool,
    email: bool,
    yes: bool,
    limit: int | None,
    resend_uncertain: bool,
    retry_rejected: bool,
    skip_desk_check: bool,
) -> None:
    """Quarterly postcards: cards.pdf (both sides, duplex), labels, mailing list; with
    --email, the quarter's nurture email to the same people, once each.

    Exit status with --email: as `newsletter send` (0 all done, 1 some left to retry or
    uncertain, 2 an error stopped it).
    """
    from newsletter.audience.tokens import secret_from_env
    from newsletter.cards import parse_quarter
    from newsletter.print.cardrun import print_cards

    sending = {
        "--yes": yes,
        "--limit": limit,
        "--resend-uncertain": resend_uncertain,
        "--retry-rejected": retry_rejected,
        "--skip-desk-check": skip_desk_check,
    }
    if not email and any(sending.values()):
        given = ", ".join(option for option, value in sending.items() if value)
        raise click.UsageError(f"{given}: only with --email (the cards are printed, not sent)")
    chosen = parse_quarter(quarter)
    if email:
        from newsletter.deliver.run import send_nurture_quarter

        settings = settings_of(config_path)
        send = functools.partial(
            send_nurture_quarter,
            settings,
            chosen,
            secret=secret_from_env(),
            live=yes,
            desk_check=desk_check(settings, skip=skip_desk_check),
            limit=limit,
            resend_uncertain=resend_uncertain,
            retry_rejected=retry_rejected,
        )
        send_with_progress(send, live=yes, silent=silent)
        return
    settings = settings_of(config_path)
    result = print_cards(
        settings,
        chosen,
        out_root=out_root,
        secret=secret_from_env(),
        skip_incomplete=skip_incomplete_addresses,
        silent=silent,
    )
    for message in result.warnings:
        warn(message)
    roster = result.roster
    size = settings.config.cards.card_size
    click.echo(
        f"{chosen}: {result.cards} cards, {size.height:g} x {size.length:g} in "
        f"({', '.join(roster.segments)}; {roster.opted_out} opted out of post, "
        f"{roster.returned} returned as undeliverable, {roster.incomplete} without an "
        f"address) -> {result.out_dir}"
    )
    click.echo(f"files: {', '.join(result.files)}")


def _this_quarter() -> str:
    from newsletter.cards import quarter_of

    return str(quarter_of(date.today()))
