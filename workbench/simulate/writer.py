"""The run's store access: one writer thread that commits in arrival order, and a few one-offs.

SQLite calls block, so they stay off the event loop: conversations hand turns and status changes
to ``StoreWriter`` (a non-blocking ``put``), and one thread applies them as soon as it gets to
them. Turns already waiting together are committed in one transaction (group commit): no turn
waits for others, but a busy run needs fewer commits and fewer GIL hand-offs. One writer also
means one order: a conversation's turns reach the store in the order they were produced, so a
killed process leaves a prefix of every conversation, never a gap.

The same thread polls the run's cancel flag and refreshes the executor's heartbeat, since it
already holds a connection. Should the claim be lost (this process stalled past the stale limit
and another took the run over), it stops writing altogether and reports ``RunTakenOver``. The
functions at the end claim and read the run before execution, read its conversations in pages,
and settle its status when there is nothing to execute; each opens its own short-lived
connection, on the thread that calls it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from workbench.domain.transcript import ConversationStatus, Transcript, Turn
from workbench.simulate.conversation import ConversationPlan
from workbench.simulate.plan import RunConfig
from workbench.store import RunTakenOver, Store, StoreError
from workbench.store.runs import HEARTBEAT_S, owner_gone

_STOP = object()
MAX_GROUP = 256
"""Most queued writes applied in one go."""
POLL_S = 0.25
"""Seconds between polls of the cancel flag: the longest a cancel waits to be seen (a poll is
one primary-key read)."""


class StoreWriter:
    """Applies writes to the store on its own thread.

    Args:
        store_path: The SQLite file.
        run_id: The run whose cancel flag is polled.
        loop: The event loop to notify (cancel requests, write errors).
        on_cancel: Called on the loop when the run's cancel flag is seen set.
        on_error: Called on the loop with the exception when a write fails.
        owner: This executor's claim on the run (heartbeats are refreshed under it).
        poll_s: Seconds between polls of the cancel flag.
        heartbeat_s: Seconds between heartbeats (default ``HEARTBEAT_S``).
    """

    def __init__(
        self,
        store_path: str | Path,
        run_id: str,
        *,
        loop: asyncio.AbstractEventLoop,
        on_cancel: Callable[[], None],
        on_error: Callable[[BaseException], None],
        owner: str | None = None,
        poll_s: float = POLL_S,
        heartbeat_s: float | None = None,
    ) -> None:
        self._path = store_path
        self._run_id = run_id
        self._loop = loop
        self._on_cancel = on_cancel
        self._on_error = on_error
        self._poll_s = poll_s
        self._owner = owner
        self._heartbeat_s = HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self._lost = False
        self._broken: set[str] = set()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=f"writer-{run_id}", daemon=True)
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.error: BaseException | None = None
        """The first write that failed, if any (later writes still go through)."""
        self.committed_turns = 0
        """Turns committed so far (read from the loop: an int read is atomic)."""
        self.last_commit: float | None = None
        """``time.perf_counter()`` of the latest commit."""

    # -- called from the event loop (never block) ---------------------------------------------
    async def start(self) -> None:
        """Start the thread and wait until its store connection is open.

        Raises:
            Exception: Whatever opening the store raised.
        """
        self._thread.start()
        await asyncio.to_thread(self._ready.wait)
        if self._startup_error is not None:
            raise self._startup_error

    def append_turn(self, conversation_id: str, turn: Turn) -> None:
        """Queue a turn for commit."""
        self._queue.put(("turn", conversation_id, turn))

    def set_conversation_status(
        self, conversation_id: str, status: ConversationStatus, reason: str | None = None
    ) -> None:
        """Queue a conversation status change (after any turns already queued)."""
        self._queue.put(("status", conversation_id, status, reason))

    def set_run_status(self, status: str) -> None:
        """Queue the run's status change."""
        self._queue.put(("run", status))

    def cancel_rest(self, statuses: list[ConversationStatus], after_seq: int) -> None:
        """Queue: mark the conversations never started (in ``statuses``, after ``after_seq``)
        cancelled."""
        self._queue.put(("rest", statuses, after_seq))

    async def close(self) -> None:
        """Commit everything queued, then stop the thread and close its connection."""
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    # -- the thread ---------------------------------------------------------------------------
    def _serve(self) -> None:
        store: Store | None = None
        try:
            store = Store(self._path)
            # The first poll comes before start() returns, so a cancel requested by now reaches
            # the loop ahead of anything the run starts.
            cancel_seen = store.cancel_requested(self._run_id)
        except Exception as exc:  # noqa: BLE001 - start() re-raises it on the loop
            if store is not None:
                store.close()
            self._startup_error = exc
            self._ready.set()
            return
        if cancel_seen:
            self._notify(self._on_cancel)
        self._ready.set()
        try:
            self._drain(store, cancel_seen)
        finally:
            store.close()

    def _drain(self, store: Store, cancel_seen: bool) -> None:
        next_poll = time.monotonic() + self._poll_s
        next_beat = time.monotonic() + self._heartbeat_s
        while True:
            try:
                items = [self._queue.get(timeout=max(0.0, next_poll - time.monotonic()))]
            except queue.Empty:
                items = []
            # Take what is already waiting, never wait for more: no turn is held back, and when
            # the loop outpaces the writer one transaction carries several turns, so this thread
            # competes for the GIL once per group instead of several times per turn.
            while items and len(items) < MAX_GROUP:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in items
            if stop:
                items = items[: items.index(_STOP)]
            self._apply_all(store, items)
            if stop:
                return
            if self._owner is not None and not self._lost and time.monotonic() >= next_beat:
                next_beat = time.monotonic() + self._heartbeat_s
                self._guarded(self._beat, store)
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self._poll_s
                if not cancel_seen and store.cancel_requested(self._run_id):
                    cancel_seen = True
                    self._notify(self._on_cancel)

    def _beat(self, store: Store) -> None:
        assert self._owner is not None
        if not store.heartbeat(self._run_id, self._owner):
            self._lost = True  # another executor has the run now: write nothing more
            raise RunTakenOver(self._run_id)

    def _apply_all(self, store: Store, items: list[tuple[Any, ...]]) -> None:
        """Apply items in order, runs of consecutive turns as one transaction each."""
        if self._lost:
            return
        turns: list[tuple[str, Turn]] = []
        for item in items:
            if item[0] == "turn":
                turns.append((item[1], item[2]))
                continue
            self._append_turns(store, turns)
            turns = []
            if item[0] == "status" and item[1] in self._broken:
                continue  # a turn of it was lost: it stays unfinished, for a resume to complete
            self._guarded(self._apply_status, store, item)
        self._append_turns(store, turns)

    def _append_turns(self, store: Store, turns: list[tuple[str, Turn]]) -> None:
        # Nothing more is written for a conversation one of whose turns could not be: a later
        # turn would leave a gap, and its "done" would hide the loss from a resume.
        turns = [(cid, turn) for cid, turn in turns if cid not in self._broken]
        if len(turns) > 1:
            try:
                store.append_turns_bulk(turns)
            except StoreError:
                # All or nothing rolled back: apply one by one so only the faulty turn is lost.
                for conversation_id, turn in turns:
                    self._append_one(store, conversation_id, turn)
                return
            self.committed_turns += len(turns)
            self.last_commit = time.perf_counter()
        elif turns:
            self._append_one(store, *turns[0])

    def _append_one(self, store: Store, conversation_id: str, turn: Turn) -> None:
        if conversation_id in self._broken:
            return
        if not self._guarded(self._append_turn, store, conversation_id, turn):
            self._broken.add(conversation_id)

    def _append_turn(self, store: Store, conversation_id: str, turn: Turn) -> None:
        store.append_turn(conversation_id, turn)
        self.committed_turns += 1
        self.last_commit = time.perf_counter()

    def _apply_status(self, store: Store, item: tuple[Any, ...]) -> None:
        if item[0] == "status":
            store.set_conversation_status(item[1], item[2], failure_reason=item[3])
        elif item[0] == "rest":
            store.set_status_of_rest(self._run_id, item[1], after_seq=item[2], status="cancelled")
        else:
            store.set_run_status(self._run_id, item[1])

    def _guarded(self, write: Callable[..., None], *args: Any) -> bool:
        """Apply one write; False (and the run told, once) when it failed."""
        try:
            write(*args)
        except Exception as exc:  # noqa: BLE001 - not swallowed: the loop aborts the run with it
            if self.error is None:
                self.error = exc
                self._notify(self._on_error, exc)
            return False
        return True

    def _notify(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop has closed: nobody is left to tell
            pass


# -- one-off store access before and after the writer's thread (call via asyncio.to_thread) --
def open_run(
    store_path: str | Path, run_id: str, owner: str, statuses: list[ConversationStatus],
    *, clear_cancel: bool = False,
) -> tuple[RunConfig, int, bool]:
    """Claim the run for ``owner``, then return its config, how many conversations are in
    ``statuses`` and its cancel flag.

    The claim comes first: a second executor is refused before it changes anything. With
    ``clear_cancel`` (a resume), a standing cancel request is then withdrawn, so that a new one
    made during the resume is seen.

    Raises:
        StoreMissing: No store at ``store_path``.
        UnknownRun: No such run.
        RunClaimed: Another live process executes it.
    """
    with Store(store_path, create=False) as store:
        holder = store.get_run(run_id).owner
        # A process killed on this machine is taken over at once, not after the stale limit.
        store.claim_run(run_id, owner, dead_owner=holder if owner_gone(holder) else None)
        run = store.get_run(run_id)
        if clear_cancel and run.cancel_requested:
            store.clear_cancel(run_id)
            run = store.get_run(run_id)
        total = store.count_conversations_of_run(run_id, statuses)
        return RunConfig.model_validate(run.config), total, run.cancel_requested


class Admitted(NamedTuple):
    """A conversation read for execution: its row order, its transcript and the prompt texts
    its plan names by hash."""

    seq: int
    conversation: Transcript
    prompts: dict[str, str]

    def plan(self) -> ConversationPlan:
        """The conversation's plan, prompts filled in.

        Raises:
            ValueError: The stored plan is invalid or names prompts the store lacks.
        """
        plan = ConversationPlan.model_validate(self.conversation.metadata["plan"])
        return plan.with_prompt_texts(self.prompts)


def stored_plan(store: Store, transcript: Transcript) -> ConversationPlan:
    """A planned conversation's plan, with the prompts it names by hash read from the store.

    Raises:
        ValueError: The stored plan is invalid or names prompts the store lacks.
    """
    plan = ConversationPlan.model_validate(transcript.metadata["plan"])
    return plan.with_prompt_texts(store.prompt_texts(plan.patient_prompt_hashes.values()))


def read_batch(
    store_path: str | Path, run_id: str, statuses: list[ConversationStatus], *,
    after_seq: int, limit: int,
) -> list[Admitted]:
    """The next ``limit`` conversations to execute after ``after_seq``, with turns and the
    prompt texts their plans refer to."""
    with Store(store_path) as store:
        rows = store.conversation_batch(run_id, statuses, after_seq=after_seq, limit=limit)
        hashes = {h for _, conv in rows
                  for h in (conv.metadata.get("plan") or {}).get("patient_prompt_hashes", {})
                  .values()}
        texts = store.prompt_texts(hashes) if hashes else {}
    return [Admitted(seq, conv, texts) for seq, conv in rows]


def release_run(store_path: str | Path, run_id: str, owner: str) -> None:
    """Give up this executor's claim on the run."""
    with Store(store_path) as store:
        store.release_run(run_id, owner)


def settle_status(store_path: str | Path, run_id: str) -> str:
    """The status a run with no pending or running conversation should have; stored if new."""
    with Store(store_path) as store:
        counts = store.run_progress(run_id).counts
        if counts["cancelled"]:
            status = "cancelled"
        elif counts["failed"] and not counts["done"]:
            status = "failed"
        else:
            status = "done"
        if store.get_run(run_id).status != status:
            store.set_run_status(run_id, status)
    return status


def set_run_status(store_path: str | Path, run_id: str, status: str) -> None:
    """Move the run to ``status``."""
    with Store(store_path) as store:
        store.set_run_status(run_id, status)
