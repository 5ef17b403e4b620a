"""Runs started from the app: plan in the store, execute in a detached process, read progress.

A Streamlit script re-executes on every click, so a run cannot live inside it. The Runs page
plans the run here (``simulate.plan_checked_run``: every check first, so a mistake leaves the
store unchanged), then starts
``python -m workbench run <run-id>`` in its own session: closing the tab, or even stopping the
app, does not stop the run. The process writes its output to ``<store>.runs/<run-id>.log`` and
its pid to ``<run-id>.pid`` beside it; the page follows the run by reading the store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from workbench.domain.identifiers import InvalidIdError, check_id, is_valid_id
from workbench.settings import ENV_OLLAMA_HOST, ENV_STORE, PROJECT_ROOT
from workbench.store.runs import STALE_AFTER_S, owner_gone
from workbench.store.timestamps import utc_now

if TYPE_CHECKING:
    from workbench.library import Library
    from workbench.simulate import RunConfig
    from workbench.store import Store

ACTIVE_STATUSES = ("pending", "running")
"""Run statuses that still have work to do."""
DEFAULT_EXPECTED_TURNS = 20.0
"""Turns a conversation is expected to take when neither a limit nor a finished one says."""

ProcessState = Literal["alive", "gone", "unknown"]
"""``unknown``: the run was not started from the app (e.g. in a terminal)."""


class LaunchedRun(NamedTuple):
    """A run process started by ``launch_run``."""

    run_id: str
    pid: int
    """The process (and its session's) id."""
    log_path: Path
    """Where its output goes."""


class RunView(BaseModel):
    """One run as the Runs page shows it: its record, its progress and its process."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Run id."""
    name: str
    """The run's name."""
    status: str
    """pending, running, done, failed or cancelled."""
    patient_model: str
    """Patient backend spec."""
    clinician: str
    """Clinician spec."""
    created_at: datetime
    """When the run was planned (UTC)."""
    total: int
    """Conversations in the run."""
    done: int
    """Conversations done."""
    failed: int
    """Conversations failed."""
    cancelled: int
    """Conversations cancelled."""
    turns: int
    """Turns stored so far."""
    cancel_requested: bool
    """Someone asked the run to stop."""
    process: ProcessState
    """Whether the process the app started for it lives."""
    unfinished_turns: int = 0
    """Turns stored in conversations not finished yet."""
    expected_turns: float = DEFAULT_EXPECTED_TURNS
    """Turns a conversation is expected to take (the run's turn limit, else the mean of the
    done ones)."""
    heartbeat_age_s: float | None = None
    """Seconds since the executing process's last heartbeat (None: nobody holds the run)."""
    owner_gone: bool = False
    """The executing process ran on this machine and has died."""

    @property
    def fraction(self) -> float:
        """Share of the run done, 0..1: finished conversations, plus the turns of unfinished
        ones against the turns a conversation is expected to take (so the bar moves with every
        turn, not only when whole conversations finish)."""
        if not self.total:
            return 0.0
        finished = self.done + self.failed + self.cancelled
        unfinished = self.total - finished
        partial = min(self.unfinished_turns / max(self.expected_turns, 1.0), 0.99 * unfinished)
        return min(1.0, (finished + partial) / self.total)

    @property
    def label(self) -> str:
        """E.g. ``pilot (r-…): 3/6 done · 1 failed · 42 turns``."""
        parts = [f"{self.done}/{self.total} done"]
        parts += [f"{self.failed} failed"] if self.failed else []
        parts += [f"{self.cancelled} cancelled"] if self.cancelled else []
        parts.append(f"{self.turns} turns")
        if self.stalled:
            state = " · stalled"
        elif self.cancel_requested and self.status == "running":
            state = " · stopping…"
        else:
            state = ""
        return f"{self.name} ({self.id}): " + " · ".join(parts) + state

    @property
    def active(self) -> bool:
        """Still pending or running."""
        return self.status in ACTIVE_STATUSES

    @property
    def stalled(self) -> bool:
        """Unfinished, and nobody is executing it: the store's heartbeat is stale or its process
        died (whatever the pid file says), or no process holds it and none the app started
        lives."""
        if not self.active:
            return False
        if self.heartbeat_age_s is not None:
            return self.owner_gone or self.heartbeat_age_s > STALE_AFTER_S
        return self.process != "alive"

    @property
    def resumable(self) -> bool:
        """Offered a Resume button: stalled, or stopped by a cancel."""
        return self.stalled or self.status == "cancelled"


def plan_and_launch(store_path: Path, library: Library, config: RunConfig, *,
                    name: str | None = None) -> LaunchedRun:
    """``simulate.check_run``, then ``plan_run`` in the store at ``store_path``, then
    ``launch_run`` it detached.

    Raises:
        The errors of ``check_run``; nothing is written or started then.
    """
    from workbench import simulate
    from workbench.store import Store

    config = simulate.check_run(library, config)
    with Store(store_path) as store:
        record = simulate.plan_run(store, library, config, name=name or None)
    return launch_run(store_path, record.id, hosts=config.hosts)


def runs_dir(store_path: Path) -> Path:
    """Where the app keeps run logs and pids: ``<store>.runs/`` beside the store file."""
    store_path = Path(store_path).expanduser().resolve()
    return store_path.with_name(store_path.name + ".runs")


def run_file(store_path: Path, run_id: str, suffix: str) -> Path:
    """``<store>.runs/<run-id><suffix>``: a run's log or pid file.

    Run ids come from the store, where an import may have put anything: the id must follow the
    id rule, and the resolved path must lie in the runs folder.

    Raises:
        InvalidIdError: The id is not a valid id, or its file would lie elsewhere.
    """
    check_id(run_id, "run id")
    folder = runs_dir(store_path)
    path = (folder / f"{run_id}{suffix}").resolve()
    if path.parent != folder.resolve():
        raise InvalidIdError(f"run id {run_id!r} names a file outside {folder}")
    return path


def log_path(store_path: Path, run_id: str) -> Path:
    """The run process's output (stdout and stderr); raises ``InvalidIdError`` (``run_file``)."""
    return run_file(store_path, run_id, ".log")


def launch_run(store_path: Path, run_id: str, *, hosts: Sequence[str] = (),
               resume: bool = False, retry_failed: bool = False) -> LaunchedRun:
    """Start ``python -m workbench run <run-id>`` (or ``--resume``) detached from this process.

    The child runs in a new session (no signal from the app's terminal or process group reaches
    it) with stdin closed and its output appended to the run's log. ``WORKBENCH_STORE`` and
    ``OLLAMA_HOST`` are set in its environment, so it finds the same store and hosts whatever its
    working directory. A daemon thread waits for it, so a finished run leaves no zombie behind
    while the app lives.

    Args:
        store_path: The store holding the planned run.
        run_id: The run.
        hosts: Ollama hosts for ``OLLAMA_HOST`` (default: leave the environment's).
        resume: Continue an interrupted or cancelled run instead of starting it.
        retry_failed: With ``resume``: try failed conversations again too.
    """
    store_path = Path(store_path).expanduser().resolve()
    folder = runs_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    log = log_path(store_path, run_id)
    command = [sys.executable, "-m", "workbench", "run", "--no-progress", "--store",
               str(store_path)]
    command += ["--resume", run_id] if resume else [run_id]
    command += ["--retry-failed"] if retry_failed else []
    env = {**os.environ, ENV_STORE: str(store_path), "PYTHONUNBUFFERED": "1"}
    if hosts:
        env[ENV_OLLAMA_HOST] = ",".join(hosts)
    with log.open("a") as out:
        out.write(f"[{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC] python {' '.join(command[1:])}\n")
        out.flush()
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            cwd=PROJECT_ROOT, start_new_session=True, close_fds=True,
        )
    run_file(store_path, run_id, ".pid").write_text(f"{process.pid}\n")
    threading.Thread(target=process.wait, name=f"reap-{run_id}", daemon=True).start()
    return LaunchedRun(run_id, process.pid, log)


def process_state(store_path: Path, run_id: str, *, marker: str | None = None) -> ProcessState:
    """Whether the process the app started for a run (or another job whose files are named
    ``run_id``) still lives ("unknown" for an invalid id). ``marker``: a word of the process's
    command line that tells it from a recycled pid (default: ``run_id``)."""
    try:
        pid = int(run_file(store_path, run_id, ".pid").read_text().strip())
    except (FileNotFoundError, ValueError):  # InvalidIdError is a ValueError
        return "unknown"
    proc = Path(f"/proc/{pid}")
    if proc.exists():  # Linux: also rule out a zombie and a recycled pid
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            return "gone"
        return "alive" if state != "Z" and (marker or run_id) in cmdline else "gone"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        pass  # it exists, under another user
    return "alive"


def read_log_tail(store_path: Path, run_id: str, lines: int = 15) -> str | None:
    """The last lines of a run's log, or None when the app did not start it (or the id is not
    a valid one)."""
    if not is_valid_id(run_id):
        return None
    path = log_path(store_path, run_id)
    if not path.exists():
        return None
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 16_384))
        text = f.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def run_views(store: Store, *, limit: int = 50) -> list[RunView]:
    """The newest runs with their progress (one query per run; ``limit`` bounds them)."""
    views = []
    now = utc_now()
    for record in store.list_runs()[:limit]:
        progress = store.run_progress(record.id)
        counts = progress.counts
        beat = record.heartbeat_at
        done = counts.get("done", 0)
        expected = (record.config.get("max_turns")
                    or (progress.done_turns / done if done else DEFAULT_EXPECTED_TURNS))
        views.append(RunView(
            id=record.id, name=record.name, status=record.status,
            patient_model=record.patient_model, clinician=record.clinician,
            created_at=record.created_at, total=progress.total_conversations,
            done=counts.get("done", 0), failed=counts.get("failed", 0),
            cancelled=counts.get("cancelled", 0), turns=progress.total_turns,
            cancel_requested=record.cancel_requested,
            process=process_state(store.path, record.id),
            unfinished_turns=progress.unfinished_turns, expected_turns=float(expected),
            heartbeat_age_s=(now - beat).total_seconds() if beat else None,
            owner_gone=owner_gone(record.owner),
        ))
    return views


def run_rows(views: Sequence[RunView]) -> list[dict[str, object]]:
    """The past-runs table: one row per run."""
    return [{"run": v.id, "name": v.name, "status": v.status,
             "created": f"{v.created_at:%Y-%m-%d %H:%M}", "conversations": v.total,
             "done": v.done, "failed": v.failed, "cancelled": v.cancelled, "turns": v.turns,
             "patient": v.patient_model, "clinician": v.clinician} for v in views]
