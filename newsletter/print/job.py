"""``print_job()``: the print edition of a built month, from the build folder to the shop.

build folder (feed snapshot) → Issue → issue.pdf and the addressed base (WeasyPrint, once
each) → mailing list (post consent, postal opt-outs, sorted by postal code) → addressed
copies (one small layer per recipient) → labels → mailing-list.csv → job ticket → written
to ``build/YYYY-MM/print/`` all at once → optionally the package zip.

Printing is a step of its own after ``build`` rather than part of it: it needs the
subscriber list and the secret for referral codes (a build needs neither, and must stay
quick and reproducible from content alone), and rendering for paper costs seconds that
``make issue`` should not pay every time. It reads the build's saved feed snapshot, so the
paper says what the preview showed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings
from newsletter.config.desk import referral_base
from newsletter.fsutil import PRIVATE, atomic_write, staged_folder, write_new
from newsletter.model import Issue
from newsletter.months import parse_month
from newsletter.pipeline.build import PRINT_DIR, PRINTED_FROM, built_from, issue_of_build
from newsletter.pipeline.monthlock import month_lock
from newsletter.print.addressed import LayerDrawing, copies_pdf, copy_name, split_pdfs
from newsletter.print.document import address_font, lettering, render_print_issue
from newsletter.print.frontpage import front_layout
from newsletter.print.labels import AVERY_5160, labels_pdf
from newsletter.print.mailing import MailingList, Progress, mailing_list
from newsletter.print.personal import EditionRendering, paper_editions
from newsletter.print.shop import (
    JobFacts,
    job_ticket,
    mailing_list_csv,
    package,
    package_name,
)
from newsletter.progress import progress_bar
from newsletter.referrals.rewards import project_progress
from newsletter.render.environment import make_environment
from newsletter.sources.offers import current_offer

SPLIT_DIR = "addressed"


@dataclass(frozen=True)
class PrintResult:
    issue: Issue
    out_dir: Path  # build/YYYY-MM/print
    files: dict[str, str]  # file name -> sha256, the top level of out_dir
    pages: int  # of the longest edition
    mailing: MailingList
    ticket: str
    package: Path | None
    split: int  # per-recipient PDFs written under addressed/
    warnings: tuple[str, ...]
    editions: int = 1  # addressed bases: the plain one and the personal ones in use


def print_edition(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    secret: bytes,
    split: bool = False,
    make_package: bool = False,
    skip_incomplete: bool = False,
    silent: bool = True,
) -> PrintResult:
    """The print edition as ``newsletter print`` makes it: :func:`print_job` with each
    addressed copy's referral progress line (from the referral ledger, under the offer of
    the month), holding the month's lock: it prints the build it starts from, and a build
    of the month meanwhile refuses (as this refuses while one runs)."""
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    with month_lock(out_root, month, doing="print"):
        offer = current_offer(settings.content_dir, first)
        source = built_from(out_root / month)
        result = print_job(
            settings,
            month,
            out_root=out_root,
            secret=secret,
            split=split,
            make_package=make_package,
            skip_incomplete=skip_incomplete,
            progress=project_progress(settings, offer),
            silent=silent,
        )
        # Which build this paper says: a later build of the month warns unless it is the same.
        atomic_write(result.out_dir / PRINTED_FROM, source, mode=PRIVATE)
        return result


def print_job(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    secret: bytes,
    split: bool = False,
    make_package: bool = False,
    skip_incomplete: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    silent: bool = True,
) -> PrintResult:
    """Render and write the print edition of ``month`` (built before) into its print/.

    Unless ``silent``, each long step (the copies, the labels, the package, the split
    copies) draws a progress bar on stderr when that is a terminal.
    """
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    # The list first: a bad row stops the job before seconds of rendering.
    mailing = mailing_list(
        settings,
        secret=secret,
        landing_url=referral_base(
            settings.config, current_offer(settings.content_dir, first).landing_url
        ),
        month=month,
        skip_incomplete=skip_incomplete,
    )
    issue = issue_of_build(settings, month, out_root=out_root)
    recipients = mailing.recipients
    editions = paper_editions(settings, issue, recipients)  # too many stops the job here
    font = address_font(settings)
    env = make_environment(settings.templates_dir)
    warnings = list(mailing.warnings)
    # The per-recipient layers (and personal editions past the first) are drawn by worker
    # processes (newsletter/print/workers.py) while this one renders the issue with
    # WeasyPrint: both take seconds, and there are cores for both.
    with (
        LayerDrawing(
            recipients, front_layout(settings), lettering(settings, env), progress, workers=workers
        ) as drawing,
        EditionRendering(issue, settings, editions, workers=workers) as rendering,
        progress_bar("addressed copies", unit="copies", silent=silent) as bar,
    ):
        bar.set_total(len(recipients))
        drawing.track(bar.advance)
        generic = render_print_issue(issue, settings, env, variant="generic")
        bases = rendering.bases(env)
        warnings[:0] = generic.warnings
        layers = drawing.layers()
        files: dict[str, bytes] = {"issue.pdf": generic.pdf}
        if recipients:
            files["addressed.pdf"] = copies_pdf([b.pdf for b in bases], layers, editions.of_copy)
    if recipients:
        with progress_bar("labels", unit="labels", silent=silent) as bar:
            bar.set_total(len(recipients))
            title = f"{issue.title}: labels"
            files["labels.pdf"] = labels_pdf(
                recipients, font=font, title=title, advance=bar.advance
            )
    else:
        warnings.append("nobody gets this issue by post: no addressed copies or labels")
    files["mailing-list.csv"] = mailing_list_csv(recipients).encode("utf-8")
    sheets = -(-len(recipients) // AVERY_5160.per_sheet)
    pages = sorted({b.pages for b in bases})
    ticket = job_ticket(
        settings,
        JobFacts(issue.title, month, pages[0], mailing, sheets, most_pages=pages[-1]),
    )
    files["job-ticket.txt"] = ticket.encode("utf-8")

    out_dir = out_root / month / PRINT_DIR
    written = 0
    # Every subscriber's postal address is in here (copies, labels, mailing list): the
    # folder and its files are the owner's only, like the ledgers they come from.
    with staged_folder(out_dir, mode=PRIVATE) as staging:
        for name, data in files.items():
            write_new(staging / name, data, mode=PRIVATE)
        if make_package:
            with progress_bar("package", unit="files", silent=silent) as bar:
                bar.set_total(len(files) + 1)  # and the checksums
                zipped = package(files, issue.issue_date, advance=bar.advance)
            write_new(staging / package_name(month), zipped, mode=PRIVATE)
        if split and recipients:
            folder = staging / SPLIT_DIR
            folder.mkdir(mode=0o700)
            with progress_bar("one PDF per copy", unit="copies", silent=silent) as bar:
                bar.set_total(len(recipients))
                copies = split_pdfs([b.pdf for b in bases], layers, editions.of_copy)
                for number, (recipient, pdf) in enumerate(copies, start=1):
                    write_new(folder / copy_name(number, recipient), pdf, mode=PRIVATE)
                    written += 1
                    bar.advance()
    if make_package:
        files[package_name(month)] = zipped
    return PrintResult(
        issue=issue,
        out_dir=out_dir,
        files={name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        pages=pages[-1],
        editions=len(bases),
        mailing=mailing,
        ticket=ticket,
        package=out_dir / package_name(month) if make_package else None,
        split=written,
        warnings=tuple(warnings),
    )
