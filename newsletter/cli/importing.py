"""``newsletter import FILE…``: an existing list into subscribers.csv (a dry run unless --yes)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from newsletter.cli.options import EXIT_LEFT_TO_RETRY, config_option, fails_cleanly, settings_of
from newsletter.model import SEGMENTS, SOURCE_KINDS


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE..."
)
@config_option
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="'COLUMN=VALUE,…'",
    help="Which column of a CSV holds which value, e.g. --map 'E-mail=email,Given "
    "name=first_name'. Values: email, first_name, last_name, name, company, street, city, "
    "region, postal_code, country, consent_source, consent_date, tags.",
)
@click.option(
    "--segment",
    type=click.Choice(SEGMENTS),
    default="client",
    show_default=True,
    help="The segment of the people added.",
)
@click.option(
    "--source",
    type=click.Choice(SOURCE_KINDS),
    default="client",
    show_default=True,
    help="The kind of relationship the people added come through.",
)
@click.option(
    "--without-consent",
    type=click.Choice(("post", "refuse")),
    default="post",
    show_default=True,
    help="A row with no evidence of consent to email: take it for post only (it needs a "
    "postal address) or refuse it. Never emailed either way.",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="The files' text encoding, e.g. cp1252 for a CSV saved by Excel on Windows.",
)
@click.option("--yes", is_flag=True, help="Write the files (without it: a dry run).")
@fails_cleanly
def import_command(
    files: tuple[Path, ...],
    config_path: Path,
    maps: tuple[str, ...],
    segment: str,
    source: str,
    without_consent: str,
    encoding: str,
    yes: bool,
) -> None:
    """Bring an existing list into subscribers.csv: Mailchimp's audience export (its ZIP,
    folder or CSV files; the unsubscribed and cleaned become suppressions), a CSV, or
    vCard contacts (.vcf). Prints what would change; writes nothing unless --yes. Exits 1
    when some rows were refused (the rest is imported)."""
    from newsletter.audience.importing import Choices, import_contacts
    from newsletter.audience.importing.columns import parse_mapping
    from newsletter.audience.importing.inputs import check_encoding
    from newsletter.audience.importing.plan import REFUSED
    from newsletter.audience.importing.report import report_lines

    try:
        mapping = parse_mapping(maps)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    try:
        encoding = check_encoding(encoding)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--encoding") from None
    settings = settings_of(config_path)
    choices = Choices(
        segment,
        source,
        "refuse" if without_consent == "refuse" else "post",
        today=datetime.now(settings.tz).date(),
    )
    imported = import_contacts(
        settings.subscribers_dir,
        files,
        choices,
        tz=settings.tz,
        mapping=mapping,
        encoding=encoding,
        write_files=yes,
    )
    for line in report_lines(imported):
        click.echo(line)
    if imported.plan.count(REFUSED):
        sys.exit(EXIT_LEFT_TO_RETRY)
