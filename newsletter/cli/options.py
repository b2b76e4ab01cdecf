"""What every command shares: the common options, and one way of failing.

Every NewsletterError is caught by :func:`fails_cleanly`, printed as one line per problem,
and the command exits with status 2.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from newsletter.config import Settings, load_config
from newsletter.errors import NewsletterError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_USER_ERROR = 2
EXIT_LEFT_TO_RETRY = 1  # a send that left recipients failed or uncertain


STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
"""What the system says of a disk or a folder that the user can put right: full, over
quota, read-only, not theirs."""


def fails_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into ``newsletter: <one line>`` and exit status 2.

    A file the system refuses (an unreadable folder, a full disk) is turned into one line
    naming it too, wherever the library met it: the library turns the ones it expects
    into its own errors, and this is the net under the ones it does not."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except NewsletterError as exc:
            for line in exc.all_lines():
                click.echo(f"newsletter: {line}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except OSError as exc:
            if exc.filename is None and exc.errno not in STORAGE_ERRNOS:
                raise  # not about a file: a fault to see whole
            where = f"{exc.filename}: " if exc.filename is not None else ""
            click.echo(f"newsletter: {where}{exc.strerror or exc}", err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


config_option = click.option(
    "--config",
    "config_path",
    # The config's own loader says what is wrong with the file, on one line.
    type=click.Path(readable=False, path_type=Path),
    metavar="FILE",
    default="newsletter.yaml",
    show_default=True,
    envvar="NEWSLETTER_CONFIG",
    help="The newsletter's config; content, templates and subscribers resolve next to it.",
)
month_option = click.option(
    "--month",
    default=lambda: f"{date.today():%Y-%m}",
    show_default="this month",
    help="The issue month, YYYY-MM.",
)
out_option = click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default="build",
    show_default=True,
    help="Folder that holds one subfolder per built month.",
)


def settings_of(config_path: Path) -> Settings:
    """The loaded config; a broken one raises ConfigError (printed by fails_cleanly)."""
    return load_config(config_path)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def send_options(command: Callable[P, R]) -> Callable[P, R]:
    """The options of a send to the list (``newsletter send``, ``newsletter cards
    --email``): a dry run unless --yes, and what to do about those left over."""
    options = (
        click.option("--yes", is_flag=True, help="Really send (without it: a dry run)."),
        click.option("--limit", type=click.IntRange(min=1), help="Send to the next N only."),
        click.option("--resend-uncertain", is_flag=True, help="Resend batches cut off mid-flight."),
        click.option(
            "--retry-rejected", is_flag=True, help="Try again recipients refused for good before."
        ),
        click.option(
            "--skip-desk-check",
            is_flag=True,
            help="Send even if the desk holds unsubscribes not pulled yet, or cannot be reached.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command
