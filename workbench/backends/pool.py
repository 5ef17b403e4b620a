"""Several Ollama servers behind one backend, so a run spreads its load over them.

``HostPool`` is itself a ``Backend``: each call goes to the server with the fewest calls in
flight (ties rotate), and a server that refuses connections is skipped for a while and the call
moves on. A run that prefers to keep each conversation on one server, so Ollama can reuse the
conversation's cached prompt between turns, takes a backend per conversation from
``for_conversation()`` instead.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Sequence

from .base import Backend, ChatOptions, Messages, Reply
from .errors import BackendError, BackendUnreachable
from .hosts import normalize_host
from .ollama import OllamaBackend, canonical_model

DOWN_FOR_S = 30.0
"""How long a server that refused a connection is left out before it is tried again."""


class HostPool(Backend):
    """One Ollama model served by several hosts.

    Args:
        model: The Ollama model name.
        hosts: Server URLs or ``host:port`` strings (duplicates are dropped).
        allow_remote: Allow hosts that are not this machine.

    Raises:
        BackendError: ``hosts`` is empty.
        NonLoopbackRefused: A host is remote and ``allow_remote`` is false.
    """

    kind = "ollama"

    def __init__(self, model: str, hosts: Sequence[str], *, allow_remote: bool = False):
        unique = list(dict.fromkeys(normalize_host(h) for h in hosts))
        if not unique:
            raise BackendError("No Ollama host given; set OLLAMA_HOST or the hosts in Settings.",
                               model=model)
        self.model = model
        self.backends = [OllamaBackend(model, h, allow_remote=allow_remote) for h in unique]
        self._in_flight = [0] * len(unique)
        self._down_until = [0.0] * len(unique)
        self._cursor = 0
        self._conversations = itertools.cycle(self.backends)

    @property
    def host(self) -> str:
        """The hosts, comma-separated (each ``Reply.host`` names the one that answered)."""
        return ",".join(b.host for b in self.backends)

    def for_conversation(self) -> OllamaBackend:
        """A single-host backend for one conversation, handed out round-robin."""
        return next(self._conversations)

    def _pick(self, exclude: set[int]) -> int:
        """The host for the next call, never one in ``exclude`` (which must leave one)."""
        now = time.monotonic()
        n = len(self.backends)
        candidates = [i for i in range(n) if i not in exclude]
        up = [i for i in candidates if self._down_until[i] <= now] or candidates
        # Fewest calls in flight; among equals, the first at or after the rotating cursor.
        best = min(up, key=lambda i: (self._in_flight[i], (i - self._cursor) % n))
        self._cursor = (best + 1) % n
        return best

    async def chat(self, messages: Messages, options: ChatOptions | None = None) -> Reply:
        """Chat on the least-busy reachable host; fails over when a host refuses connections."""
        tried: set[int] = set()
        while True:
            i = self._pick(tried)
            tried.add(i)
            self._in_flight[i] += 1
            try:
                return await self.backends[i].chat(messages, options)
            except BackendUnreachable:
                self._down_until[i] = time.monotonic() + DOWN_FOR_S
                if len(tried) == len(self.backends):
                    raise
            finally:
                self._in_flight[i] -= 1

    async def stream(
        self, messages: Messages, options: ChatOptions | None = None
    ) -> AsyncIterator[str]:
        """Stream from the least-busy host (no failover once a reply has begun)."""
        i = self._pick(set())
        self._in_flight[i] += 1
        try:
            async for piece in self.backends[i].stream(messages, options):
                yield piece
        finally:
            self._in_flight[i] -= 1

    async def list_models(self) -> list[str]:
        """Models that every host has."""
        per_host = [await b.list_models() for b in self.backends]
        common = set.intersection(*({canonical_model(m) for m in models} for models in per_host))
        return [m for m in per_host[0] if canonical_model(m) in common]

    def has_model(self, available: Sequence[str]) -> bool:
        """Compare the way Ollama resolves names."""
        return self.backends[0].has_model(available)

    async def check(self) -> None:
        """Every host must be reachable and have the model (the error names the host)."""
        for backend in self.backends:
            await backend.check()

    async def aclose(self) -> None:
        """Close every host's connections."""
        for backend in self.backends:
            await backend.aclose()
