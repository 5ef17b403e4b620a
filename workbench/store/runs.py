"""Runs: their records, status, cancel flag and progress."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
from typing import Any

from workbench.store.connection import StoreBase
from workbench.store.errors import RunClaimed, StoreError, UnknownRun
from workbench.store.identifiers import new_run_id
from workbench.store.jsontext import compact
from workbench.store.records import (
    CONVERSATION_STATUSES,
    FINISHED_STATUSES,
    RUN_STATUSES,
    RunProgress,
    RunRecord,
)
from workbench.store.timestamps import from_text, now_text, to_text, utc_now

_ID_ATTEMPTS = 5
HEARTBEAT_S = 2.0
"""Seconds between an executing process's heartbeats."""
STALE_AFTER_S = 30.0
"""A heartbeat older than this means the executing process is gone or stuck: the run is stalled,
and another process may take it over. Many heartbeats long, so a busy machine or a writer waiting
for the lock is not taken for dead."""


def new_owner() -> str:
    """A claim id for one execution of a run: host, pid and a random token."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def owner_gone(owner: str | None) -> bool:
    """Whether a claim's process is known to have died: it ran on this machine and its pid is
    gone (a claim from another machine, or a live pid, is judged by its heartbeat instead)."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RunQueries(StoreBase):
    """Create runs, follow and steer them."""

    def create_run(
        self, *, name: str, config: dict[str, Any], patient_model: str, clinician: str
    ) -> RunRecord:
        """Create a pending run.

        Args:
            name: human name for the run.
            config: the run's options (JSON-serialisable).
            patient_model: patient backend spec.
            clinician: clinician spec.

        Returns:
            The new run, with an id such as ``r-20261126-021530-ab12``.
        """
        config_text = compact(config)
        for _ in range(_ID_ATTEMPTS):
            now = utc_now()
            run_id = new_run_id(now)
            try:
                with self._write() as conn:
                    conn.execute(
                        """
                        INSERT INTO runs (id, name, created_at, status, config, patient_model,
                                          clinician)
                        VALUES (?, ?, ?, 'pending', ?, ?, ?)
                        """,
                        (run_id, name, to_text(now), config_text,
                         patient_model, clinician),
                    )
            except sqlite3.IntegrityError:
                continue  # two runs in the same second drew the same suffix: draw again
            return self.get_run(run_id)
        raise StoreError(f"could not draw a free run id in store {self}")

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id.

        Raises:
            UnknownRun: no such run.
        """
        row = self._conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(run_id, self)
        return _run_record(row)

    def list_runs(self) -> list[RunRecord]:
        """All runs, newest first."""
        rows = self._conn.execute("SELECT * FROM runs ORDER BY created_at DESC, id DESC")
        return [_run_record(row) for row in rows]

    def set_run_status(self, run_id: str, status: str) -> None:
        """Move a run to ``status``; done, failed and cancelled also stamp ``finished_at``.

        Raises:
            UnknownRun: no such run.
            ValueError: not a run status.
        """
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}; valid: {', '.join(RUN_STATUSES)}")
        finished_at = now_text() if status in FINISHED_STATUSES else None
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                (status, finished_at, run_id),
            )
            if cursor.rowcount == 0:
                raise UnknownRun(run_id, self)

    def request_cancel(self, run_id: str) -> None:
        """Ask the run's process to stop (it checks between turns).

        Raises:
            UnknownRun: no such run.
        """
        with self._write() as conn:
            cursor = conn.execute("UPDATE runs SET cancel_requested = 1 WHERE id = ?", (run_id,))
            if cursor.rowcount == 0:
                raise UnknownRun(run_id, self)

    def clear_cancel(self, run_id: str) -> None:
        """Withdraw a cancel request (a resumed run does this, so a new request is seen).

        Raises:
            UnknownRun: no such run.
        """
        with self._write() as conn:
            cursor = conn.execute("UPDATE runs SET cancel_requested = 0 WHERE id = ?", (run_id,))
            if cursor.rowcount == 0:
                raise UnknownRun(run_id, self)

    def cancel_requested(self, run_id: str) -> bool:
        """Whether someone asked the run to stop.

        Raises:
            UnknownRun: no such run.
        """
        row = self._conn.execute(
            "SELECT cancel_requested FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise UnknownRun(run_id, self)
        return bool(row[0])

    def claim_run(self, run_id: str, owner: str, *, stale_after_s: float = STALE_AFTER_S,
                  dead_owner: str | None = None) -> None:
        """Make ``owner`` the run's only executor (atomic: one write transaction).

        The claim succeeds when nobody holds the run, ``owner`` holds it already, the holder is
        ``dead_owner`` (a process the caller knows has died), or the holder's heartbeat is older
        than ``stale_after_s`` (its process died or hangs).

        Raises:
            UnknownRun: no such run.
            RunClaimed: another process holds it and its heartbeat is recent; nothing changed.
        """
        now = utc_now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT owner, heartbeat_at FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise UnknownRun(run_id, self)
            holder, beat = row["owner"], from_text(row["heartbeat_at"])
            if holder not in (None, owner, dead_owner) and beat is not None:
                age = (now - beat).total_seconds()
                if age < stale_after_s:
                    raise RunClaimed(run_id, holder, age, stale_after_s)
            conn.execute(
                "UPDATE runs SET owner = ?, heartbeat_at = ? WHERE id = ?",
                (owner, to_text(now), run_id),
            )

    def heartbeat(self, run_id: str, owner: str) -> bool:
        """Refresh the owner's heartbeat; False when ``owner`` no longer holds the run."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND owner = ?",
                (now_text(), run_id, owner),
            )
        return cursor.rowcount == 1

    def release_run(self, run_id: str, owner: str) -> None:
        """Give up the claim (a no-op when ``owner`` no longer holds the run)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET owner = NULL, heartbeat_at = NULL WHERE id = ? AND owner = ?",
                (run_id, owner),
            )

    def run_progress(self, run_id: str) -> RunProgress:
        """Conversations per status and turns stored so far (one index scan).

        Raises:
            UnknownRun: no such run.
        """
        with self._read() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise UnknownRun(run_id, self)
            rows = conn.execute(
                """
                SELECT status, count(*), total(n_turns) FROM conversations
                WHERE run_id = ? GROUP BY status
                """,
                (run_id,),
            ).fetchall()
        counts = dict.fromkeys(CONVERSATION_STATUSES, 0)
        counts.update({row[0]: row[1] for row in rows})
        turns = {row[0]: int(row[2]) for row in rows}
        return RunProgress(
            run_id=run_id,
            counts=counts,
            total_conversations=sum(row[1] for row in rows),
            total_turns=sum(turns.values()),
            unfinished_turns=turns.get("pending", 0) + turns.get("running", 0),
            done_turns=turns.get("done", 0),
        )


def _run_record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        name=row["name"],
        created_at=from_text(row["created_at"]),
        status=row["status"],
        config=json.loads(row["config"]),
        patient_model=row["patient_model"] or "",
        clinician=row["clinician"] or "",
        cancel_requested=bool(row["cancel_requested"]),
        finished_at=from_text(row["finished_at"]),
        owner=row["owner"],
        heartbeat_at=from_text(row["heartbeat_at"]),
    )
