"""``newsletter init DIR``: a new project for a business, from a few questions (on a
terminal) or options (for scripts); a thin wrapper over newsletter.project.init."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter.cli.options import fails_cleanly

QUESTIONS = (
    ("name", "Business name", None),
    ("street", "Street address (printed in every footer)", None),
    ("city", "City", None),
    ("region", "State, province or county (blank if none)", ""),
    ("postal_code", "ZIP or postcode", ""),
    ("country", "Country (two letters: its public holidays are listed)", "US"),
    ("timezone", "Time zone (e.g. America/Los_Angeles)", None),
    ("phone", "Phone (blank if none)", ""),
    ("website", "Website (blank if none)", ""),
    ("sender_name", "Whose name the emails come from", None),
    ("sender_email", "The address the emails come from", None),
    ("kind", "Kind of business", None),
)
"""(answer, question, default when Enter is pressed; None: no default), in asking order."""
F = TypeVar("F", bound=Callable[..., Any])


def _answer_options(command: F) -> F:
    """An option for each question, for scripts (``--sender-email``, …)."""
    for field, question, _ in reversed(QUESTIONS):
        command = click.option(
            "--" + field.replace("_", "-"), field, default=None, help=question + "."
        )(command)
    return command


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--web-url",
    default=None,
    help="Where the web archive is published (default: WEBSITE/newsletter/).",
)
@click.option(
    "--transport",
    type=click.Choice(["sendgrid", "smtp"]),
    default="sendgrid",
    show_default=True,
    help="Who sends the email.",
)
@click.option(
    "--offline", is_flag=True, help="Fetch no feed: the kind's feeds are left as comments."
)
@_answer_options
@fails_cleanly
def init_command(
    folder: Path, web_url: str | None, transport: str, offline: bool, **given: str | None
) -> None:
    """Make a newsletter project for a business in FOLDER (new, or empty): its config,
    a first editorial and referral offer, the templates, empty lists, the workflows and a
    Makefile. On a terminal it asks for each answer no option gives; the kinds of business
    are bakery, restaurant, home-services, real-estate, salon, shop and other."""
    from newsletter.project.answers import Business
    from newsletter.project.init import init_project
    from newsletter.project.kinds import kinds

    answers = {field: value for field, value in given.items() if value is not None}
    if sys.stdin.isatty():
        _ask(answers, {name: kind.label for name, kind in kinds().items()})
    names = {f.name for f in fields(Business)}
    business = Business(
        **{
            field: answers.get(field, "")
            for field in names
            if field not in ("web_url", "transport")
        },
        web_url=web_url or "",
        transport=transport,
    )
    report = init_project(folder, business, today=date.today(), offline=offline)
    click.echo(f"made {report.root}/ for {business.name} ({report.kind})")
    for feed in report.feeds:
        click.echo(f"  feed {feed.name}: a copy in content/feeds/ for offline builds")
    for left in report.unfetched:
        click.echo(f"  feed {left.feed.name}: left as a comment in newsletter.yaml ({left.reason})")
    click.echo(f"  first editorial: content/editorials/{report.month}/welcome.md (write your own)")
    click.echo(f"next: cd {folder} && make issue && make preview")


def _ask(answers: dict[str, str], kind_labels: dict[str, str]) -> None:
    """Ask on the terminal for every answer not given, with sensible defaults."""
    for field, question, default in QUESTIONS:
        if field in answers:
            continue
        if field == "kind":
            for name, label in kind_labels.items():
                click.echo(f"  {name:<14} {label}")
            answers[field] = click.prompt(question, type=click.Choice(list(kind_labels)))
            continue
        if field == "sender_name":
            default = answers.get("name")
        elif field == "sender_email" and answers.get("website"):
            host = answers["website"].split("://", 1)[-1].split("/", 1)[0]
            default = "news@" + host.removeprefix("www.")
        answers[field] = click.prompt(
            question, default=default, show_default=bool(default), type=str
        ).strip()
