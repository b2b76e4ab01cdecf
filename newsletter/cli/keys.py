"""``newsletter keys``: the keys that open the sealed data files, and who holds them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from newsletter.cli.options import config_option, fails_cleanly, settings_of, warn
from newsletter.config import Settings
from newsletter.privacy import readers as keyring
from newsletter.privacy.git import PRIVATE_AGAIN

key_file_option = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the new secret key goes (default: ~/.config/newsletter/age-key.txt).",
)


@click.group()
def keys() -> None:
    """Seal the personal data files in git for the people and machines that may read them."""


@keys.command("create")
@key_file_option
@fails_cleanly
def keys_create(key_file: Path | None) -> None:
    """Make a new secret key (a file only its owner reads) and print its public recipient."""
    path, recipient = keyring.create(key_file)
    click.echo(f"key written to {path} (keep it secret; back it up)")
    click.echo(recipient)


@keys.command("list")
@config_option
@fails_cleanly
def keys_list(config_path: Path) -> None:
    """Who can read the sealed data files."""
    repo = keyring.repository(settings_of(config_path))
    readers = keyring.readers_of(repo)
    if not readers:
        click.echo("no readers: the data files are not sealed (newsletter keys add)")
    for reader in readers:
        click.echo(f"{reader.name} {reader.recipient}")


@keys.command("add")
@click.argument("name")
@click.argument("recipient")
@config_option
@fails_cleanly
def keys_add(name: str, recipient: str, config_path: Path) -> None:
    """Let NAME (whose public key is RECIPIENT, age1…) read the data files."""
    settings = settings_of(config_path)
    paths = keyring.add_reader(settings, name, recipient)
    _resealed(paths)
    _foreign_hooks(settings)


@keys.command("remove")
@click.argument("name")
@config_option
@fails_cleanly
def keys_remove(name: str, config_path: Path) -> None:
    """Stop sealing the data files for NAME (rotate too, to shut out their copies)."""
    paths = keyring.remove_reader(settings_of(config_path), name)
    _resealed(paths)
    click.echo(
        f"{name} can still open the versions already in git history; "
        "`newsletter keys rotate` the other keys and destroy the old ones to shut them out"
    )


@keys.command("rotate")
@click.argument("name")
@key_file_option
@config_option
@fails_cleanly
def keys_rotate(name: str, key_file: Path | None, config_path: Path) -> None:
    """Give NAME a new key and seal every data file anew with it."""
    rotated = keyring.rotate(settings_of(config_path), name, key_file)
    click.echo(
        f"{name}'s new key is in {rotated.key_path}; its recipient: {rotated.reader.recipient}"
    )
    if rotated.old_key_path is not None:
        click.echo(
            f"the old key is in {rotated.old_key_path}: once the new versions are committed "
            "and pushed, destroy it, and the copies in git history sealed to it are unreadable"
        )
    click.echo(
        "commit the staged files; store a workflow's new key as its NEWSLETTER_AGE_KEY secret"
    )


def _working_tree_command(
    name: str, action: Callable[[Settings], list[str]], done: str, about: str
) -> None:
    """``newsletter keys NAME``: ``action`` on the working tree, then ``done`` (with the
    number of files it changed)."""

    @keys.command(name, help=about)
    @config_option
    @fails_cleanly
    def command(config_path: Path) -> None:
        click.echo(done.format(len(action(settings_of(config_path)))))


@keys.command("unlock")
@config_option
@fails_cleanly
def keys_unlock(config_path: Path) -> None:
    """Open the sealed data files in this working tree with the key here."""
    settings = settings_of(config_path)
    opened = keyring.unlock(settings)
    click.echo(f"unlocked: {len(opened)} file(s) opened; git seals them on every commit")
    _foreign_hooks(settings)


def _foreign_hooks(settings: Settings) -> None:
    """One line when the owner's own git hooks stand where ours would keep the data files
    private after git rewrites them."""
    found = keyring.foreign_hooks(settings)
    if found:
        names = ", ".join(str(p) for p in found)
        warn(
            f"your own git hooks are kept ({names}): add this line to each, or git leaves "
            f"the data files it rewrites readable by others: {PRIVATE_AGAIN}"
        )


_working_tree_command(
    "lock",
    keyring.lock,
    "locked: {} file(s) sealed in the working tree",
    "Put the sealed data files back in their sealed form in this working tree.",
)


def _resealed(paths: list[str]) -> None:
    click.echo(f"sealed anew and staged: {len(paths)} file(s); commit them with the readers list")
