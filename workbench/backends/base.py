"""The backend protocol: one required async ``chat``, defaults for everything else.

A backend turns a list of chat messages (``{"role": ..., "content": ...}``) into the next
assistant message. Implementations live one per file (``ollama.py``, ``openai_compat.py``,
``scripted.py``) and are picked by a spec string through ``registry.get_backend``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .errors import ModelNotFound

Messages = Sequence[Mapping[str, Any]]
"""Chat messages in the common ``{"role": "system"|"user"|"assistant", "content": str}`` form."""

LIST_TIMEOUT_S = 30.0
"""Seconds a model listing (a preflight) may take; servers answer it even while generating."""


class _ClosableClient(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=_ClosableClient)
T = TypeVar("T")


class LoopBoundClient(Generic[C]):
    """An SDK client made on first use and remade whenever the running event loop changes.

    An httpx pool belongs to the event loop it was used on; a caller that runs one loop per
    action (asyncio.run per Streamlit rerun) gets a fresh client for each new loop.

    Args:
        make: Builds a new client (called inside the running loop).
    """

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._client: C | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> C:
        """The client of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = self._make(), loop
        return self._client

    async def aclose(self) -> None:
        """Close the client's connections (if they belong to the running loop)."""
        client, loop, self._client, self._loop = self._client, self._loop, None, None
        if client is not None and loop is asyncio.get_running_loop():
            await client.close()


async def each_within(pieces: AsyncIterator[T], timeout_s: float) -> AsyncIterator[T]:
    """Yield ``pieces`` one by one, raising ``TimeoutError`` when one takes over ``timeout_s``."""
    while True:
        async with asyncio.timeout(timeout_s):
            try:
                piece = await anext(pieces)
            except StopAsyncIteration:
                return
        yield piece


class ChatOptions(BaseModel):
    """Generation options; ``None`` leaves the server's default in place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = Field(default=None, ge=0)
    """Sampling temperature; 0 is (near-)greedy."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling: keep the smallest token set with this much probability mass."""
    seed: int | None = None
    """Sampling seed, so a sample can be reproduced on the same server and model."""
    num_ctx: int | None = Field(default=None, gt=0)
    """Context window in tokens (Ollama only; OpenAI-compatible servers fix it at launch)."""
    num_predict: int | None = None
    """Most tokens to generate (Ollama's name; sent as ``max_tokens`` to OpenAI servers)."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Seconds to wait for a whole reply (for streams: for each chunk) before giving up."""

    def ollama_options(self) -> dict[str, Any]:
        """Ollama's ``options`` object: the set fields, without the timeout."""
        return self.model_dump(exclude_none=True, exclude={"timeout_s"})


class Reply(BaseModel):
    """One assistant message and what it cost."""

    text: str
    """The assistant's message."""
    prompt_tokens: int | None = None
    """Tokens the server read (Ollama ``prompt_eval_count``); None when not reported."""
    completion_tokens: int | None = None
    """Tokens the server generated (Ollama ``eval_count``); None when not reported."""
    latency_s: float
    """Wall-clock seconds from sending the request to having the whole reply."""
    model: str
    """The model that answered."""
    host: str | None = None
    """The server that answered (None for the scripted backend)."""
    finish_reason: str | None = None
    """Why generation stopped: ``stop``, or ``length`` when ``num_predict`` cut it short."""


class Backend(abc.ABC):
    """A model behind one protocol. Subclasses implement ``chat``; the rest has defaults.

    Subclasses set ``kind`` (the spec prefix) and ``model``. A backend may hold a connection
    pool; close it with ``aclose()`` or ``async with backend: ...``.
    """

    kind: ClassVar[str] = "backend"
    model: str

    @abc.abstractmethod
    async def chat(self, messages: Messages, options: ChatOptions | None = None) -> Reply:
        """Generate the next assistant message.

        Args:
            messages: The conversation so far, system prompt first.
            options: Generation options; defaults to ``ChatOptions()``.

        Raises:
            BackendError: A subclass saying what went wrong and what to do.
        """

    async def stream(
        self, messages: Messages, options: ChatOptions | None = None
    ) -> AsyncIterator[str]:
        """Yield the next assistant message in pieces; by default the whole reply at once."""
        reply = await self.chat(messages, options)
        yield reply.text

    async def list_models(self) -> list[str]:
        """Models this backend can serve; by default just its own."""
        return [self.model]

    def has_model(self, available: Sequence[str]) -> bool:
        """Whether ``self.model`` is among ``available`` (exact match unless overridden)."""
        return self.model in available

    async def check(self) -> None:
        """Raise a clear ``BackendError`` unless the server is reachable and has the model."""
        available = await self.list_models()
        if not self.has_model(available):
            raise ModelNotFound(self.model, self.host or "?", kind=self.kind, available=available)

    @property
    def name(self) -> str:
        """The spec this backend answers to, e.g. ``ollama/llama3.2:3b``."""
        return f"{self.kind}/{self.model}"

    @property
    def host(self) -> str | None:
        """The server this backend talks to, if any."""
        return None

    async def aclose(self) -> None:
        """Release connections; the default has none."""
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        host = f" @ {self.host}" if self.host else ""
        return f"<{type(self).__name__} {self.name}{host}>"
