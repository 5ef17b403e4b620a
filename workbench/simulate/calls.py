"""Model calls for a run: which backend serves a conversation, slots per server, retries.

A conversation is pinned to one host (a ``Lane``) so the server can reuse its cached prompt
between turns. Every call to a server holds one of that server's ``concurrency`` slots for the
duration of the call only (not of the conversation), and transient faults are retried with
exponential backoff and full jitter, releasing the slot while waiting.
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
    get_backend,
    normalize_host,
    parse_spec,
)
from workbench.simulate.conversation import Ask

PERMANENT_ERRORS = (BackendUnreachable, ModelNotFound, NonLoopbackRefused)
"""Errors that no retry and no other conversation can get past: they abort the run."""


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


@dataclass
class Lane:
    """One host's backends for both sides, and how many conversations it holds now."""

    patient: Backend
    clinician: Backend
    active: int = 0


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
        lanes.append(Lane(backend(patient_model, one), shared or backend(clinician, one)))
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

    def asker(self, backend: Backend, options: ChatOptions) -> Ask:
        """An ``Ask`` for one side of one conversation.

        The returned callable raises ``ConversationFailed`` when a call fails for good (retries
        exhausted, or a non-transient error such as a rejected request), and lets the
        ``PERMANENT_ERRORS`` and a script's ``ScriptExhausted`` through.
        """
        if backend.kind == "scripted":
            return lambda messages: backend.chat(messages, options)  # no server, no slot
        key = backend.host or backend.name
        slots = self._slots.setdefault(key, asyncio.Semaphore(self.concurrency))

        async def ask(messages: list[dict[str, str]]) -> Reply:
            if self.first_call is None:
                self.first_call = time.perf_counter()
            failures = 0
            while True:
                try:
                    async with slots:
                        return await backend.chat(messages, options)
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

        return ask
