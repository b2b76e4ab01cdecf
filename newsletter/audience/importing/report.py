"""What ``newsletter import`` prints: the files read, a line per change, the counts.

    reading export.zip:subscribed_members.csv: Mailchimp audience export (subscribed)
    + export.zip:subscribed_members.csv:2: ann@example.com: Ann Lee; client, email and post; …
    ~ export.zip:subscribed_members.csv:3: bob@example.com: line 4 gains first_name Bob
    - export.zip:unsubscribed_members.csv:2: carl@example.com: unsubscribe on 2024-02-03
    ! export.zip:subscribed_members.csv:7: refused: x@: not a valid address: …
    added 1, updated 1, unchanged 0, suppressed 1, refused 1

Unchanged records are counted, not listed. A refused line reads like any of the tool's
one-line errors (``FILE:LINE: …``), so an editor jumps to it.
"""

from __future__ import annotations

from newsletter.audience.importing import Imported
from newsletter.audience.importing.plan import (
    ADDED,
    KINDS,
    REFUSED,
    SUPPRESSED,
    UNCHANGED,
    UPDATED,
)

MARKS = {ADDED: "+", UPDATED: "~", SUPPRESSED: "-", REFUSED: "!"}


def report_lines(imported: Imported) -> list[str]:
    """The dry run's (or the import's) lines, last the counts and what was written."""
    plan = imported.plan
    lines = [f"reading {description}" for description in imported.files]
    for change in plan.changes:
        if change.kind == UNCHANGED:
            continue
        if change.kind == REFUSED:
            who = f"{change.email}: " if change.email else ""
            lines.append(f"! {change.origin}: refused: {who}{change.detail}")
        else:
            lines.append(f"{MARKS[change.kind]} {change.origin}: {change.email}: {change.detail}")
    lines.append(", ".join(f"{kind} {plan.count(kind):,}" for kind in KINDS))
    written = imported.written
    if written is None:
        lines.append("dry run: nothing written; run again with --yes to import")
        return lines
    wrote = [
        f"subscribers.csv: {written.subscribers_added:,} added, "
        f"{written.subscribers_updated:,} updated",
        f"suppressions.csv: {written.suppressions_added:,} added",
        f"consents.csv: {written.consents_added:,} added",
    ]
    lines.append("wrote " + "; ".join(wrote))
    return lines
