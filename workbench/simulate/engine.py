"""The run engine: many conversations at once over one or more hosts, resumable and cancellable.

- **Concurrency**: each model server gets a semaphore of ``concurrency`` slots held per call (not
  per conversation), so a slot never idles while a conversation commits a turn. Conversations are
  admitted two per slot and spread over the hosts (fewest active first); each stays on its host so
  the server can reuse its cached prompt between turns.
- **Writes**: every turn goes to one ``StoreWriter`` thread as soon as it exists and is committed
  on its own; the event loop never waits on SQLite.
- **Memory**: conversations stream from the store into the engine, a page at a time, as slots
  free (``read_batch``); a run of 100,000 conversations holds about as much as a run of 100.
- **Ownership**: an execution first claims the run in the store (``claim_run``) and keeps a
  heartbeat while it works; a second executor is refused before it changes anything.
- **Faults**: transient errors (5xx, timeouts, malformed or dropped replies) are retried with
  exponential backoff and full jitter; a conversation that still fails is marked ``failed`` with
  the reason and the run goes on. A host that stops answering (or lacks the model) is taken out
  of rotation and its conversations continue on the other hosts from where they were; the run
  aborts only when no host is left, or on a refused remote host, with the backend's message.
  Unfinished conversations stay resumable.
- **Cancel**: the writer polls the run's cancel flag; in-flight conversations are interrupted and,
  with those never started, marked ``cancelled``. A cancel counts whenever it comes: a fresh run
  whose flag is already set starts nothing, and the launcher checks the flag before every
  conversation, so a cancel that lands before the launcher exists still stops it. In-flight
  model calls are cancelled, not awaited (a turn is stored only once its reply is complete), so
  a run stops within one poll of the flag. A resume withdraws the cancel that stopped the run, so
  a new cancel during the resume stops it again.
- **Resume**: ``resume_run`` continues every unfinished conversation (pending, running and
  cancelled; failed ones too with ``retry_failed``) from its last committed turn. Conversations
  are replayed from the store, so no turn is produced twice or skipped.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.backends import (
    Backend,
    BackendError,
    ChatOptions,
    ScriptedBackend,
    ScriptLoader,
    get_backend,
)
from workbench.domain.transcript import ConversationStatus, Transcript, Turn
from workbench.simulate.calls import (
    PERMANENT_ERRORS,
    CallGate,
    ConversationFailed,
    RetryPolicy,
    Rotation,
    Seat,
    close_lanes,
    make_lanes,
)
from workbench.simulate.conversation import Ask, Conversation, ConversationPlan
from workbench.simulate.hosts import preflight
from workbench.simulate.plan import RunConfig
from workbench.simulate.writer import (
    POLL_S,
    Admitted,
    StoreWriter,
    open_run,
    read_batch,
    release_run,
    set_run_status,
    settle_status,
)
from workbench.simulate.progress import (
    ExecutionProgress,
    ProgressCallback,
    RunAborted,
    RunSummary,
)
from workbench.store import StoreError
from workbench.store.runs import new_owner

__all__ = [
    "ExecutionProgress",
    "RetryPolicy",
    "RunAborted",
    "RunSummary",
    "execute_run",
    "resume_run",
]


_PAGE = 64
"""Conversations read from the store at a time (at least the admission width)."""


async def execute_run(
    store_path: str | Path,
    run_id: str,
    *,
    on_progress: ProgressCallback | None = None,
    hosts: Sequence[str] | None = None,
    allow_remote: bool = False,
    resume: bool = False,
    retry_failed: bool = False,
    retry: RetryPolicy | None = None,
    script_loader: ScriptLoader | None = None,
    poll_s: float = POLL_S,
    timeout_s: float | None = None,
) -> RunSummary:
    """Execute a planned run's unfinished conversations.

    Args:
        store_path: The SQLite store holding the run.
        run_id: The run, as planned by ``plan_run``.
        on_progress: Called on the event loop after every turn and every finished conversation.
        hosts: Override the run's hosts.
        allow_remote: This invocation's or this machine's opt-in to hosts that are not this
            machine. A run's stored config never grants it: a run planned elsewhere, imported
            or resumed reaches only loopback hosts unless the caller opts in here.
        resume: Also continue cancelled conversations, withdrawing the cancel request that
            stopped the run (a new request during the resume stops it again).
        retry_failed: Also continue failed (and cancelled) conversations.
        retry: Retry policy for transient faults (default: ``RetryPolicy()``).
        script_loader: Loads a ``scripted/`` clinician's questions when the run has none stored
            (runs planned by ``plan_run`` store them).
        poll_s: Seconds between polls of the cancel flag.
        timeout_s: Override the run's model timeout (seconds per call).

    Raises:
        UnknownRun: No such run (a ``KeyError``).
        RunClaimed: Another live process executes the run; nothing was changed.
        RunAborted: A permanent error (unreachable server, missing model, refused host); the run
            is marked failed with the same message and stays resumable.
    """
    started = time.perf_counter()
    statuses: list[ConversationStatus] = ["pending", "running"]
    statuses += ["cancelled"] if resume or retry_failed else []
    statuses += ["failed"] if retry_failed else []
    owner = new_owner()
    # The claim comes first: a second executor is refused before it changes anything. A resume
    # overrides an earlier cancel (and clears it); a fresh start honours it.
    config, total, flagged = await asyncio.to_thread(functools.partial(
        open_run, store_path, run_id, owner, statuses, clear_cancel=resume))
    try:
        if config.script is not None:  # the questions as planned, whatever the library says now
            script_loader = _planned_script(config.script)
        if timeout_s is not None:
            config = config.model_copy(update={
                "options": config.options.model_copy(update={"timeout_s": timeout_s})})
        execution = _Execution(store_path, run_id, config, statuses, total, owner=owner,
                               on_progress=on_progress, hosts=hosts, allow_remote=allow_remote,
                               retry=retry or RetryPolicy(), script_loader=script_loader,
                               poll_s=poll_s, cancel_flag=flagged)
        return await execution.run(started)
    finally:
        try:
            await asyncio.shield(asyncio.to_thread(release_run, store_path, run_id, owner))
        except StoreError:
            pass  # the store refuses writes (full, read-only): the claim goes stale by itself


async def resume_run(store_path: str | Path, run_id: str, **kwargs: Any) -> RunSummary:
    """Continue an interrupted or cancelled run (see ``execute_run`` for the arguments)."""
    return await execute_run(store_path, run_id, resume=True, **kwargs)


def _planned_script(questions: list[str]) -> ScriptLoader:
    return lambda name: questions


class _Execution:
    """One execution of a run: the state shared by its conversation tasks."""

    def __init__(self, store_path: str | Path, run_id: str, config: RunConfig,
                 statuses: list[ConversationStatus], total: int, *, owner: str,
                 on_progress: ProgressCallback | None, hosts: Sequence[str] | None,
                 allow_remote: bool, retry: RetryPolicy, script_loader: ScriptLoader | None,
                 poll_s: float, cancel_flag: bool) -> None:
        self.store_path, self.run_id, self.config = store_path, run_id, config
        self.statuses, self.owner = statuses, owner
        self.hosts = list(hosts or config.hosts)
        self.allow_remote = allow_remote  # never config.allow_remote: the opt-in stays here
        self.script_loader, self.poll_s = script_loader, poll_s
        self.on_progress = on_progress
        self.progress = ExecutionProgress(total=total)
        self.gate = CallGate(config.concurrency, retry)
        self.rotation = Rotation([], self.gate)
        self.classifiers: dict[str, Backend] = {}  # act-classifier backends by spec
        self.tasks: set[asyncio.Task[None]] = set()
        self.started: set[str] = set()
        self.cancelled = cancel_flag  # cancelled before it started
        self.abort_error: BaseException | None = None
        self.launcher: asyncio.Task[None] | None = None

    # -- the whole run ------------------------------------------------------------------------
    async def run(self, started: float) -> RunSummary:
        if not self.progress.total:
            return await self._finish_without_work(started)
        if not self.cancelled:  # cancelled before it started: no server is needed to say so
            try:
                check = await preflight(self.config, hosts=self.hosts,
                                        allow_remote=self.allow_remote,
                                        script_loader=self.script_loader)
            except BackendError as exc:  # no host answers, model missing, host refused, script
                await asyncio.to_thread(set_run_status, self.store_path, self.run_id, "failed")
                raise RunAborted(exc.message) from exc
            self.rotation = Rotation(make_lanes(
                self.config.patient_model, self.config.clinician, check.hosts or self.hosts,
                allow_remote=self.allow_remote, script_loader=self.script_loader), self.gate)
            self.rotation.dropped += check.dropped
        loop = asyncio.get_running_loop()
        self.writer = StoreWriter(self.store_path, self.run_id, loop=loop,
                                  on_cancel=self.cancel, on_error=self._abort,
                                  owner=self.owner, poll_s=self.poll_s)
        await self.writer.start()
        self.writer.set_run_status("running")
        try:
            self.launcher = asyncio.create_task(self._launch_all())
            await asyncio.wait([self.launcher])
            while self.tasks:
                await asyncio.wait(set(self.tasks))
        except asyncio.CancelledError:  # Ctrl-C or the caller gave up: stop like a cancel
            self.cancel()
            # The launcher settles the conversations it never started: let it, before closing.
            if self.launcher is not None:
                await asyncio.wait([self.launcher])
            while self.tasks:
                await asyncio.wait(set(self.tasks))
            await self._finalize(started)
            raise
        finally:
            await self.gate.aclose()
            await close_lanes(self.rotation.lanes)
            for backend in self.classifiers.values():
                await backend.aclose()
        summary = await self._finalize(started)
        error = self.abort_error or self.writer.error
        if isinstance(error, BackendError | StoreError):
            raise RunAborted(summary.message or str(error)) from error
        if error is not None:
            raise error  # a bug, not a user error: show it whole
        return summary

    async def _launch_all(self) -> None:
        # Two conversations per slot keep every slot fed while conversations still finish in
        # order, so a cancelled or interrupted run leaves mostly complete transcripts.
        width = 2 * self.config.concurrency * max(1, len(self.rotation.lanes))
        admit = asyncio.Semaphore(width)
        launched, last_seq = 0, -1
        try:
            # Conversations stream from the store a page at a time as slots free (keyset paging
            # on their row order), so memory stays flat however large the run.
            while batch := await asyncio.to_thread(
                    functools.partial(read_batch, self.store_path, self.run_id, self.statuses,
                                      after_seq=last_seq, limit=max(width, _PAGE))):
                for admitted in batch:
                    # Checked before and after the wait: a cancel or an abort may come at any
                    # point, even before this task existed (then nobody could cancel it).
                    if self._stopping:
                        break
                    await admit.acquire()
                    if self._stopping:
                        break
                    conv = admitted.conversation
                    seat = self.rotation.seat()
                    task = asyncio.create_task(self._converse(admitted, seat, admit))
                    self.tasks.add(task)
                    task.add_done_callback(functools.partial(self._task_done, conv=conv))
                    launched, last_seq = launched + 1, admitted.seq
                if self._stopping:
                    break
        except asyncio.CancelledError:
            pass  # stopped by cancel() or an abort: settled below
        if self.cancelled:  # conversations never started are cancelled too
            self.writer.cancel_rest(self.statuses, last_seq)
            self.progress.cancelled += max(0, self.progress.total - launched)
            self._report()

    @property
    def _stopping(self) -> bool:
        return self.cancelled or self.abort_error is not None or self.rotation.exhausted

    def _task_done(self, task: asyncio.Task[None], conv: Transcript) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            if conv.id not in self.started:  # cancelled before its first step: no finally ran
                self._interrupted(conv)
        elif task.exception() is not None:
            self._abort(task.exception())  # type: ignore[arg-type]
        self.started.discard(conv.id)

    def _interrupted(self, conv: Transcript) -> None:
        # On a cancel the conversation is cancelled; on an abort it stays resumable.
        if self.cancelled:
            self.writer.set_conversation_status(conv.id, "cancelled")
            self.progress.cancelled += 1
        else:
            self.writer.set_conversation_status(conv.id, "pending")
        self._report()

    def cancel(self) -> None:
        """Stop launching, interrupt running conversations and mark them cancelled."""
        if self.cancelled or self.abort_error is not None:
            return
        self.cancelled = True
        self._stop_all()

    def _abort(self, exc: BaseException) -> None:
        if self.abort_error is None and not self.cancelled:
            self.abort_error = exc
            self._stop_all()

    def _stop_all(self) -> None:
        if self.launcher is not None:
            self.launcher.cancel()
        for task in list(self.tasks):
            task.cancel()

    async def _finalize(self, started: float) -> RunSummary:
        p = self.progress
        message: str | None = None
        if self.abort_error is not None:
            status, message = "failed", self._failure_message(self.abort_error)
        elif self.cancelled:
            status = "cancelled"
        elif p.failed and not p.done:
            status, message = "failed", "Every conversation failed; see their failure reasons."
        else:
            status = "done"
        decided_by = self.abort_error
        self.writer.set_run_status(status)
        await self.writer.close()
        # A fault of the writer's own, or its abort landing on the loop while the writer closed
        # (the abort is scheduled from the writer's thread): the run failed after all.
        late = self.abort_error or self.writer.error
        if late is not None and late is not decided_by:
            status, message = "failed", self._failure_message(late)
            await asyncio.to_thread(set_run_status, self.store_path, self.run_id, status)
        self._report()
        last = self.writer.last_commit
        first = self.gate.first_call
        generating = last - first if last and first else None
        return RunSummary(self.run_id, status, p, message, time.perf_counter() - started,
                          generating, self.rotation.dropped)

    def _failure_message(self, err: BaseException) -> str:
        resume = f"`workbench run --resume {self.run_id}`"
        if isinstance(err, PERMANENT_ERRORS):
            return f"{err.message} Then continue the run with {resume}."
        if isinstance(err, BackendError):
            return err.message
        if isinstance(err, StoreError):
            return f"Writing to the store failed: {err} Then continue the run with {resume}."
        return f"{type(err).__name__}: {err}"

    async def _finish_without_work(self, started: float) -> RunSummary:
        # Nothing left to execute: settle the run's status from its conversations (a process
        # may have died between its last conversation and the run's final status).
        status = await asyncio.to_thread(settle_status, self.store_path, self.run_id)
        return RunSummary(self.run_id, status, self.progress, None,
                          time.perf_counter() - started, None, self.rotation.dropped)

    def _act_classifier(self, plan: ConversationPlan, options: ChatOptions) -> Ask | None:
        """An asker for the model an arc names to classify clinician acts (one backend per spec,
        closed when the run ends)."""
        spec = plan.affect.acts.model if plan.affect else None
        if spec is None:
            return None
        if spec not in self.classifiers:
            self.classifiers[spec] = get_backend(spec, hosts=self.hosts or None,
                                                 allow_remote=self.allow_remote)
        return self.gate.asker(self.classifiers[spec],
                               options.model_copy(update={"temperature": 0.0}))

    # -- one conversation ---------------------------------------------------------------------
    async def _converse(self, admitted: Admitted, seat: Seat, admit: asyncio.Semaphore) -> None:
        writer, conv = self.writer, admitted.conversation
        self.started.add(conv.id)
        try:
            writer.set_conversation_status(conv.id, "running")
            options = self.config.options.model_copy(update={"seed": conv.seed})

            def emit(turn: Turn, cid: str = conv.id) -> None:
                writer.append_turn(cid, turn)
                self.progress.turns += 1
                self._report()

            try:
                plan = admitted.plan()
                clinician = seat.lane.clinician
                loop = Conversation(
                    plan, conv.clinician_prompt or "",
                    ask_patient=self.rotation.asker(seat, "patient", plan.patient_options(options)),
                    ask_clinician=self.rotation.asker(seat, "clinician", options),
                    emit=emit,
                    script_remaining=clinician.remaining
                    if isinstance(clinician, ScriptedBackend) else None,
                    ask_classifier=self._act_classifier(plan, options),
                )
                if loop.replay(conv.turns) is None:
                    await loop.run()
            except ValueError as exc:  # a broken plan, or stored turns that do not continue it
                raise ConversationFailed(str(exc)) from exc
            writer.set_conversation_status(conv.id, "done")
            self.progress.done += 1
        except ConversationFailed as exc:
            writer.set_conversation_status(conv.id, "failed", str(exc))
            self.progress.failed += 1
        except PERMANENT_ERRORS as exc:
            writer.set_conversation_status(conv.id, "pending")
            self._abort(exc)
        except asyncio.CancelledError:
            self._interrupted(conv)
            raise
        finally:
            seat.lane.active -= 1
            admit.release()
            self._report()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)
