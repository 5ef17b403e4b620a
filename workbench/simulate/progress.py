"""What an execution of a run reports: its progress as it goes, its summary at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple


class RunAborted(Exception):
    """The run stopped early on a permanent error; the message says what to do."""


@dataclass
class ExecutionProgress:
    """How far this execution of a run has got, as reported to ``on_progress``.

    Counts only the conversations this execution handles (a resume skips finished ones); the
    store's ``run_progress`` has the whole run.
    """

    total: int
    """Conversations this execution handles."""
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    turns: int = 0
    """Turns produced by this execution."""

    @property
    def finished(self) -> int:
        """Conversations that reached a final state."""
        return self.done + self.failed + self.cancelled


class RunSummary(NamedTuple):
    """What an execution did."""

    run_id: str
    status: str
    """Final run status: done, failed or cancelled."""
    progress: ExecutionProgress
    message: str | None
    """Why the run failed, if it did."""
    elapsed_s: float
    """From the start of ``execute_run`` to the last write committed."""
    generating_s: float | None
    """From the first model call to the last turn committed (None when nothing was called)."""
    dropped_hosts: list[tuple[str, str]] = []
    """Hosts taken out of rotation during the run, each with the reason."""


ProgressCallback = Callable[[ExecutionProgress], None]
