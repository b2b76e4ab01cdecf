"""``newsletter print``: the print edition of a built month, and the print shop's package.

A click wrapper over :func:`newsletter.print.job.print_edition`; emailing the package
(:func:`newsletter.print.shop.email_package`) is a dry run unless ``--yes``, like
``send``. With ``--proof`` it wraps :func:`newsletter.print.proof.print_proof` instead:
the generic edition alone, for review, made without the subscriber list or the secret.
"""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.options import (
    config_option,
    fails_cleanly,
    month_option,
    out_option,
    secret_env,
    settings_of,
    warn,
)


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
@click.option(
    "--proof",
    is_flag=True,
    help="Only the proof for review: the generic issue PDF, with no reader in it "
    "(reads no subscriber data, needs no secret).",
)
@click.option(
    "--to",
    "proof_to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --proof: write it here instead of OUT/MONTH/print-proof.pdf.",
)
@fails_cleanly
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
    proof: bool,
    proof_to: Path | None,
) -> None:
    """Print edition of the built month: issue.pdf, addressed copies, labels, mailing list.

    With --proof, only the proof for review (the generic issue PDF).
    """
    from newsletter.audience.tokens import secret_from_env
    from newsletter.print.job import print_edition
    from newsletter.print.shop import email_package

    if proof:
        _refuse_with_proof(
            package=make_package,
            split=split,
            send_to_printer=send_to_printer,
            yes=yes,
            skip_incomplete_addresses=skip_incomplete_addresses,
        )
        _print_proof(config_path, month, out_root, proof_to)
        return
    if proof_to is not None:
        raise click.UsageError(
            "--to goes with --proof (the print edition goes to OUT/MONTH/print/)"
        )
    settings = settings_of(config_path)
    result = print_edition(
        settings,
        month,
        out_root=out_root,
        secret=secret_from_env(secret_env(settings)),
        split=split,
        make_package=make_package or send_to_printer,
        skip_incomplete=skip_incomplete_addresses,
        silent=silent,
    )
    for message in result.warnings:
        warn(message)
    mailing = result.mailing
    click.echo(
        f"{result.issue.month}: {result.pages} pages, {len(mailing.recipients)} addressed copies "
        f"({mailing.opted_out} opted out of post, {mailing.returned} returned as "
        f"undeliverable, {mailing.incomplete} without an address) -> {result.out_dir}"
    )
    if mailing.shared:
        click.echo(
            f"households: {mailing.shared} more readers share their household's copy "
            "(print.one_per_household)"
        )
    if result.editions > 1:
        click.echo(f"editions: {result.editions} (copies with the same personal hooks share one)")
    click.echo(f"files: {', '.join(result.files)}")
    if result.split:
        click.echo(f"split: {result.split} PDFs in {result.out_dir / 'addressed'}")
    if send_to_printer and result.package is not None:
        emailed = email_package(
            settings, result.package, ticket=result.ticket, title=result.issue.title, live=yes
        )
        click.echo(emailed.summary())


def _refuse_with_proof(**chosen: bool) -> None:
    """A usage error naming the first option that makes no sense with ``--proof``."""
    for name, given in chosen.items():
        if given:
            option = "--" + name.replace("_", "-")
            raise click.UsageError(f"{option} is for the print edition, not for --proof")


def _print_proof(config_path: Path, month: str, out_root: Path, to: Path | None) -> None:
    from newsletter.print.proof import print_proof

    result = print_proof(settings_of(config_path), month, out_root=out_root, to=to)
    for message in result.warnings:
        warn(message)
    click.echo(
        f"{result.issue.month}: proof of {result.pages} pages, no reader in it -> {result.path}"
    )
