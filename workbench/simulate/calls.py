"""Model calls for a run: which backend serves a conversation, slots per server, retries.

A conversation is pinned to one host (a ``Lane``) so the server can reuse its cached prompt
between turns. Every call to a server holds one of that server's ``concurrency`` slots for the
duration of the call only (not of the conversation), and transient faults are retried with
exponential backoff and full jitter, releasing the slot while waiting.

A call that times out keeps its slot until the server has finished it: the caller stops waiting
(and retries later), but the request goes on in the background, because a server keeps
generating a reply nobody waits for, and freeing the slot at once would put one call more on it
than the concurrency allows. Such an abandoned call is dropped for good after
``ABANDONED_FACTOR`` times the timeout.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from workbench.backends import (
    Backend,
    BackendError,
    BackendUnreachable,
    ChatOptions,
    ModelNotFound,
    NonLoopbackRefused,
    Reply,
    ScriptLoader,
    TransientBackendError,
    get_backend,
    normalize_host,
    parse_spec,
)
from workbench.simulate.conversation import Ask

PERMANENT_ERRORS = (BackendUnreachable, ModelNotFound, NonLoopbackRefused)
"""Errors that no retry can get past: they take the host out of the run (``HOST_ERRORS``) or
abort the run."""
HOST_ERRORS = (BackendUnreachable, ModelNotFound)
"""A host that stopped answering (or lacks the model): its conversations move to another host,
and the run aborts only when no host is left."""
ABANDONED_FACTOR = 4.0
"""A timed-out call goes on in the background (holding its slot) for up to this many timeouts."""


class ConversationFailed(Exception):
    """This conversation cannot go on; the message is its failure reason."""


class RetryPolicy(NamedTuple):
    """Bounded retries of transient faults: exponential backoff with full jitter."""

    attempts: int = 5
    """Tries per model call, the first included (so 4 retries)."""
    base_s: float = 0.5
    """Backoff ceiling after the first failure; doubles after each further one."""
    cap_s: float = 8.0
    """Largest backoff ceiling."""

    def delay(self, failures: int, rng: random.Random) -> float:
        """Seconds to wait after ``failures`` failed tries (uniform in [0, ceiling])."""
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2 ** (failures - 1)))


@dataclass(eq=False)
class Lane:
    """One host's backends for both sides, and how many conversations it holds now."""

    patient: Backend
    clinician: Backend
    host: str | None = None
    """The Ollama host both model sides use (None: not per host, e.g. an OpenAI server)."""
    active: int = 0
    alive: bool = True
    """False once the host stopped answering: no conversation is sent there any more."""


def make_lanes(
    patient_model: str, clinician: str, hosts: Sequence[str], *, allow_remote: bool,
    script_loader: ScriptLoader | None,
) -> list[Lane]:
    """One lane per Ollama host (one in all for other backends).

    Raises:
        BackendError: A spec is malformed, a host is refused or a script cannot be loaded.
    """
    def backend(spec: str, hosts: Sequence[str] | None = None) -> Backend:
        return get_backend(spec, hosts=hosts, allow_remote=allow_remote,
                           script_loader=script_loader)

    shared = None if parse_spec(clinician).kind == "ollama" else backend(clinician)
    if parse_spec(patient_model).kind != "ollama":
        return [Lane(backend(patient_model), shared or backend(clinician, hosts))]
    targets: list[str | None] = list(dict.fromkeys(normalize_host(h) for h in hosts))
    lanes = []
    for host in targets or [None]:  # None: the backends' default (OLLAMA_HOST)
        one = [host] if host else None
        lanes.append(Lane(backend(patient_model, one), shared or backend(clinician, one), host))
    return lanes


async def close_lanes(lanes: Sequence[Lane]) -> None:
    """Close every backend's connections once."""
    seen: set[int] = set()
    for lane in lanes:
        for backend in (lane.patient, lane.clinician):
            if id(backend) not in seen:
                seen.add(id(backend))
                await backend.aclose()


class CallGate:
    """Slots per server and the retry policy, shared by every conversation of a run.

    Args:
        concurrency: Calls in flight per server.
        retry: The retry policy for transient faults.
    """

    def __init__(self, concurrency: int, retry: RetryPolicy) -> None:
        self.concurrency = concurrency
        self.retry = retry
        self.first_call: float | None = None
        """``time.perf_counter()`` of the first model call (for throughput figures)."""
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._rng = random.Random()
        self._abandoned: set[asyncio.Future[Reply]] = set()

    async def call(self, backend: Backend, messages: list[dict[str, str]],
                   options: ChatOptions) -> Reply:
        """One model call, with a slot of its server and retries of transient faults.

        Raises:
            ConversationFailed: The call failed for good (retries exhausted, or a non-transient
                error such as a rejected request).
            BackendError: One of ``PERMANENT_ERRORS``, or a script's ``ScriptExhausted``.
        """
        if backend.kind == "scripted":
            return await backend.chat(messages, options)  # no server, no slot
        slots = self._slots.setdefault(backend.host or backend.name,
                                       asyncio.Semaphore(self.concurrency))
        if self.first_call is None:
            self.first_call = time.perf_counter()
        failures = 0
        while True:
            try:
                return await self._attempt(backend, slots, messages, options)
            except PERMANENT_ERRORS:
                raise
            except BackendError as exc:
                failures += 1
                if not exc.transient:
                    raise ConversationFailed(exc.message) from exc
                if failures >= self.retry.attempts:
                    raise ConversationFailed(
                        f"{exc.message} (gave up after {failures} attempts)") from exc
            await asyncio.sleep(self.retry.delay(failures, self._rng))

    async def _attempt(self, backend: Backend, slots: asyncio.Semaphore,
                       messages: list[dict[str, str]], options: ChatOptions) -> Reply:
        await slots.acquire()
        # The request itself may outlive our wait (see the module docstring); its slot is
        # released when it ends, whoever was waiting for it.
        patient = options.model_copy(update={"timeout_s": options.timeout_s * ABANDONED_FACTOR})
        request = asyncio.ensure_future(backend.chat(messages, patient))
        request.add_done_callback(lambda _: slots.release())
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancel that
            # lands as the call completes, and the run would not stop.
            async with asyncio.timeout(options.timeout_s):
                return await asyncio.shield(request)
        except TimeoutError:
            self._abandoned.add(request)
            request.add_done_callback(self._forget)
            raise TransientBackendError.timed_out(backend.host or backend.name, backend.model,
                                                  options.timeout_s) from None
        except asyncio.CancelledError:
            request.cancel()  # the run stops: drop the request (closing its connection)
            raise

    def _forget(self, request: asyncio.Future[Reply]) -> None:
        self._abandoned.discard(request)
        if not request.cancelled():
            request.exception()  # retrieved: nobody waits for an abandoned call's outcome

    async def aclose(self) -> None:
        """Drop the calls still running in the background (before their clients close)."""
        for request in list(self._abandoned):
            request.cancel()
        if self._abandoned:
            await asyncio.wait(list(self._abandoned))

    def asker(self, backend: Backend, options: ChatOptions) -> Ask:
        """An ``Ask`` for one side of one conversation on a fixed backend (see ``call``)."""
        return lambda messages: self.call(backend, messages, options)


@dataclass(eq=False)
class Seat:
    """Where a conversation is served now (it moves when its host stops answering)."""

    lane: Lane


class Rotation:
    """The run's lanes in rotation: new conversations go to the least busy live host, and a
    host that stops answering (``HOST_ERRORS``) is taken out, its conversations moved to the
    others where they go on from where they were.

    Args:
        lanes: One per host (see ``make_lanes``).
        gate: Slots and retries for every call.
    """

    def __init__(self, lanes: list[Lane], gate: CallGate) -> None:
        self.lanes = lanes
        self.gate = gate
        self.dropped: list[tuple[str, str]] = []
        """Hosts taken out, each with the reason."""

    @property
    def exhausted(self) -> bool:
        """Every host is out (a run without lanes is not: it has not started)."""
        return bool(self.lanes) and not any(lane.alive for lane in self.lanes)

    def seat(self) -> Seat:
        """A seat on the least busy live lane, counted as active there."""
        seat = Seat(min((ln for ln in self.lanes if ln.alive), key=lambda ln: ln.active))
        seat.lane.active += 1
        return seat

    def asker(self, seat: Seat, side: str, options: ChatOptions) -> Ask:
        """One side's model calls for a conversation, following it when its host fails over."""
        async def ask(messages: list[dict[str, str]]) -> Reply:
            while True:
                backend = getattr(seat.lane, side)
                try:
                    return await self.gate.call(backend, messages, options)
                except HOST_ERRORS as exc:
                    self._fail_over(seat, backend, exc)

        return ask

    def _fail_over(self, seat: Seat, backend: Backend, exc: BackendError) -> None:
        """Take the seat's host out of rotation and move the seat to another host.

        Raises:
            BackendError: ``exc`` again when the backend is not per host (one OpenAI server:
                nowhere to move to) or no host is left.
        """
        lane = seat.lane
        if lane.host is None or backend.host != lane.host:
            raise exc
        if lane.alive:
            lane.alive = False
            self.dropped.append((lane.host, exc.message))
        if self.exhausted:
            raise exc
        lane.active -= 1
        moved = self.seat()
        seat.lane = moved.lane
