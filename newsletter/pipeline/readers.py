"""The parts of an issue made from the customer data, and whether this machine can read it.

Two parts of a build read the lists: the thank-you roll (the referral ledger, and the
subscriber list for the names of those who agreed to be thanked) and the personal variants
(the subscriber list's tags and facts). Where those lists are sealed and no key here opens
them (:mod:`newsletter.sealed`), the build still makes the public issue, for review, without
those parts, and its manifest says so: that build cannot be sent (the send refuses it),
and printing it refuses too (its inputs differ once the lists are opened).
"""

from __future__ import annotations

from pathlib import Path

from newsletter.config import Settings
from newsletter.pipeline.variants import personalized
from newsletter.sealed import AGE_HEADER, is_sealed


def sealed_reader_file(settings: Settings) -> Path | None:
    """The first list the build reads for its readers' parts that is sealed here, None when
    it reads none or can read every one."""
    wanted: list[Path] = []
    if settings.referrals_csv.exists():
        wanted += [settings.referrals_csv, settings.subscribers_csv]
    elif personalized(settings):
        wanted += [settings.subscribers_csv]
    for path in wanted:
        try:
            with path.open("rb") as handle:
                head = handle.read(len(AGE_HEADER))
        except FileNotFoundError:
            continue
        if is_sealed(head):
            return path
    return None


def left_out_note(settings: Settings, sealed: Path) -> str:
    """What a build without the customer data lacks, and what to do before sending it."""
    try:
        where = sealed.resolve().relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        where = str(sealed)
    return (
        f"built without the customer data ({where} is sealed and no key here opens it): no "
        "thank-you roll and no personal variants; fine for a review, but unlock "
        "(`newsletter keys unlock`) and build again before sending or printing"
    )
