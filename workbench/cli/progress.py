"""A progress bar on stderr for the CLI's long jobs (judging, embedding, ...): counts, rate and
the estimated time left (tqdm's), off when stderr is not a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.analysis.steps import StepProgress


class CountBar:
    """``bar.update(done, total)`` from a library's ``progress(done, total)`` callback."""

    def __init__(self, description: str, unit: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(desc=description, unit=unit, file=sys.stderr, dynamic_ncols=True,
                         mininterval=0.1, disable=None)  # None: off when stderr is not a tty

    def update(self, done: int, total: int) -> None:
        """Show ``done`` of ``total``."""
        if self._bar.total != total:
            self._bar.reset(total=total)
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        """End the bar's line."""
        self._bar.close()


class StepBar:
    """A bar over a report's steps (``on_progress(steps_done, steps, what)``): the step named in
    words with its counts, the share done, elapsed time and tqdm's estimate of the time left."""

    def __init__(self, description: str) -> None:
        from tqdm import tqdm

        # tqdm writes the postfix as ", what": after the times it reads as a clause.
        self._bar = tqdm(desc=description, total=100, unit="%", file=sys.stderr,
                         dynamic_ncols=True, mininterval=0.1, disable=None,
                         bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                    "[{elapsed}<{remaining}]{postfix}")

    def update(self, done: float, total: int, what: str) -> None:
        """Show ``done`` of ``total`` steps and what is being done."""
        self._bar.n = round(100 * done / total) if total else 100
        self._bar.set_postfix_str(what, refresh=False)
        self._bar.refresh()

    def finish(self) -> None:
        """Show the job done: each step reports before it runs, so the last update is short of
        the whole."""
        self.update(1, 1, "done")

    def close(self) -> None:
        """End the bar's line."""
        self._bar.close()


@contextlib.contextmanager
def step_bar(description: str, shown: bool) -> Iterator[StepProgress | None]:
    """A :class:`StepBar`'s ``update`` for a job's ``on_progress`` while the block runs (None
    when not ``shown``: ``--no-progress`` or ``--json``); at 100 % when the block ends well, its
    line ended whatever happens."""
    bar = StepBar(description) if shown else None
    try:
        yield bar.update if bar is not None else None
        if bar is not None:
            bar.finish()
    finally:
        if bar is not None:
            bar.close()
