"""``newsletter cards``: the quarter's postcards for the nurture list, ready for the shop.

A click wrapper over :func:`newsletter.print.cardrun.print_cards`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from newsletter.cli.options import config_option, fails_cleanly, out_option, settings_of, warn


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
@fails_cleanly
def cards_command(
    config_path: Path, quarter: str, out_root: Path, skip_incomplete_addresses: bool, silent: bool
) -> None:
    """Quarterly postcards: cards.pdf (both sides, duplex), labels, mailing list."""
    from newsletter.audience.tokens import secret_from_env
    from newsletter.cards import parse_quarter
    from newsletter.print.cardrun import print_cards

    chosen = parse_quarter(quarter)
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
