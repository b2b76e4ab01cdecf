"""``print_proof()``: the print edition as a reviewer sees it, with no reader in it.

build folder (feed snapshot) → Issue (without the subscribers folder) → the generic issue
PDF (WeasyPrint) → ``build/YYYY-MM/print-proof.pdf``, or wherever it is asked to go.

A proof is what a person approves before the month goes out, made where the customer data
is sealed (the monthly workflow's build job has no key to it and no referral secret): it
reads nothing under the subscribers folder and needs no secret. It is the generic edition
(the referral box points at the public landing page; no address, name or code), set out
as the addressed copies are; last month's thank-you roll is left out, since its names come
from the subscriber list. The proof sits beside the build's files, outside its manifest: a
check of the approved build ignores it, and a new build of the month removes it with the
build it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings
from newsletter.fsutil import SHARED, atomic_write
from newsletter.model import Issue
from newsletter.months import parse_month
from newsletter.pipeline.build import issue_of_build
from newsletter.pipeline.monthlock import month_lock
from newsletter.print.document import render_print_issue
from newsletter.render.environment import make_environment

PROOF_FILE = "print-proof.pdf"
"""The proof's name in the month's build folder, when no other place is asked for."""


@dataclass(frozen=True)
class ProofResult:
    issue: Issue
    path: Path  # where the PDF was written
    pages: int
    warnings: tuple[str, ...]


def print_proof(
    settings: Settings, month: str, *, out_root: Path, to: Path | None = None
) -> ProofResult:
    """Render the generic print edition of the built ``month`` into ``to`` (by default
    ``out_root/YYYY-MM/print-proof.pdf``), holding the month's lock so that a build does
    not replace the folder it reads; BuildError when there is no build, or when its words
    changed since."""
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    target = to if to is not None else out_root / month / PROOF_FILE
    with month_lock(out_root, month, doing="print a proof of"):
        issue = issue_of_build(settings, month, out_root=out_root, readers=False)
        env = make_environment(settings.templates_dir)
        printed = render_print_issue(issue, settings, env, variant="generic")
        # Nobody's data is in it: readable like the email preview it is shown beside.
        atomic_write(target, printed.pdf, mode=SHARED)
    return ProofResult(issue, target, printed.pages, printed.warnings)
