"""The progress bar of long commands (``send``, ``print``): count, rate and time left.

Drawn on stderr, and only on a terminal: piped or logged output (the monthly workflow,
tests) stays free of control sequences, and ``--silent`` turns it off everywhere. The bar
is transient: once the work is done it is erased and the command's report follows.

    with progress_bar("sending", unit="recipients", silent=silent) as bar:
        bar.set_total(planned)       # when the total becomes known
        bar.advance(len(batch))      # from any thread
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class ProgressBar:
    """Counts work done; draws nothing unless made by :func:`progress_bar` on a terminal."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress = progress
        self._task = task
        self.total: int | None = None
        self.done = 0

    def set_total(self, total: int) -> None:
        """How much work there is in all (the bar shows an ETA from then on)."""
        self.total = total
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=total)

    def advance(self, count: int = 1) -> None:
        """``count`` more units are done. Safe to call from worker threads."""
        self.done += count
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)


class _RateColumn(ProgressColumn):
    """Units per second, e.g. ``1,840 recipients/s``."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.speed
        rate = "–" if speed is None else f"{speed:,.0f}"
        return Text(f"{rate} {self.unit}/s", style="progress.data.speed")


@contextmanager
def progress_bar(
    label: str, *, unit: str, silent: bool = False, console: Console | None = None
) -> Iterator[ProgressBar]:
    """A bar labelled ``label`` on stderr for the ``with`` block; a silent counter when
    ``silent`` or when stderr is not a terminal."""
    console = console or Console(stderr=True)
    if silent or not console.is_terminal:
        yield ProgressBar()
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(unit),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield ProgressBar(progress, progress.add_task(label, total=None))
