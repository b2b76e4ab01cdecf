"""Tables people read, shared by the reports: one :class:`Block` per table, shown on a
terminal with rich (and in HTML by the reports' templates).

What people typed (a lead's name, a need) is shown literally: ``[bold]`` or ``[link=…]``
in a cell is text on the terminal, never rich markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

KEEP = frozenset({"Received", "Code", "Status"})
"""Columns a narrow terminal must not wrap: times, codes and statuses are read whole."""
UNBOUNDED = 100_000
"""Columns to measure a table's natural width in: more than any table of ours needs."""
FOLD: Final = "fold"
"""What a cell too long for its column does: it goes on, folded onto the next line. Never
cut short with an ellipsis, on a terminal or written to a file: a phone number or an
address with its end missing is worse than none."""


@dataclass(frozen=True)
class Block:
    """One table of a report: a title, column names, rows, and a line for no rows."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[str] = frozenset()  # right-aligned columns
    empty: str = ""
    more: str = ""  # said under the rows when only some are shown ("and 12 more …")


def block_renderable(block: Block) -> RenderableType:
    """``block`` as a rich table, or one line when it has no rows and says why."""
    if not block.rows and block.empty:
        return Text(f"{block.title}: {block.empty}")
    table = Table(title=block.title, caption=block.more or None)
    for column in block.columns:
        numeric = column in block.numeric
        table.add_column(
            column,
            justify="right" if numeric else "left",
            no_wrap=numeric or column in KEEP,
            overflow=FOLD,
        )
    for row in block.rows:
        table.add_row(*map(literal, row))
    return table


def literal(value: str) -> Text:
    # People typed these: "[link=…]" or "[bold]" in a name is shown, never obeyed.
    return Text(value)


def print_tables(parts: list[RenderableType]) -> None:
    """Print ``parts`` on stdout. On a terminal a long cell folds to fit its width; written
    to a file or a pipe, where no one reads a width, each table is written whole at its
    natural width, every cell in full on one line."""
    console = Console(highlight=False)
    if not console.is_terminal:
        unbounded = console.options.update_width(UNBOUNDED)
        widest = max(
            (console.measure(part, options=unbounded).maximum for part in parts), default=0
        )
        console = Console(highlight=False, width=max(console.width, widest))
    for part in parts:
        console.print(part)
