"""Ollama through the official ``ollama.AsyncClient`` (spec ``ollama/<model>``).

The registry imports this module only when an Ollama backend is asked for, so the SDK is
imported lazily from the rest of the workbench's point of view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator, Sequence

import httpx
import ollama
import pydantic

from .base import (
    LIST_TIMEOUT_S,
    Backend,
    ChatOptions,
    LoopBoundClient,
    Messages,
    Reply,
    each_within,
)
from .errors import BackendError, BackendUnreachable, ModelNotFound, TransientBackendError
from .guard import guarded_transport
from .hosts import ensure_local, normalize_host, ollama_hosts_from_env

# Enough kept-alive connections for a run's concurrency, so calls reuse connections instead of
# paying a TCP handshake (and a server thread) each; the run engine bounds concurrency itself.
_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=128)


def canonical_model(name: str) -> str:
    """Ollama's own normalisation: ``library/x`` is ``x`` and a missing tag is ``:latest``."""
    for prefix in ("registry.ollama.ai/", "library/"):
        name = name.removeprefix(prefix)
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class OllamaBackend(Backend):
    """One model on one Ollama server, with one pooled HTTP client per backend.

    Args:
        model: The Ollama model name, e.g. ``llama3.2:3b`` or ``library/llama3.2:3b``.
        host: Server URL or ``host:port``; default the first of ``OLLAMA_HOST``, else
            http://127.0.0.1:11434.
        allow_remote: Allow a host that is not this machine.

    Raises:
        NonLoopbackRefused: The host is remote and ``allow_remote`` is false.
    """

    kind = "ollama"

    def __init__(self, model: str, host: str | None = None, *, allow_remote: bool = False):
        self.model = model
        self._host = normalize_host(host) if host else ollama_hosts_from_env()[0]
        ensure_local(self._host, allow_remote=allow_remote, model=model)
        # Every request (redirects included) passes the loopback guard before it connects.
        self._client = LoopBoundClient(lambda: ollama.AsyncClient(self._host, transport=(
            guarded_transport(httpx, allow_remote=allow_remote, origin=self._host, model=model,
                              limits=_LIMITS))))

    @property
    def host(self) -> str:
        """The normalised server URL."""
        return self._host

    async def chat(self, messages: Messages, options: ChatOptions | None = None) -> Reply:
        """One non-streamed ``/api/chat`` call; token counts from the final object."""
        options = options or ChatOptions()
        started = time.perf_counter()
        with self._mapped_errors(options):
            async with asyncio.timeout(options.timeout_s):
                response = await self._client.get().chat(
                    model=self.model, messages=list(messages),
                    options=options.ollama_options(), stream=False,
                )
        return Reply(
            text=response.message.content or "",
            prompt_tokens=response.prompt_eval_count,
            completion_tokens=response.eval_count,
            latency_s=time.perf_counter() - started,
            model=self.model,
            host=self._host,
            finish_reason=response.done_reason,
        )

    async def stream(
        self, messages: Messages, options: ChatOptions | None = None
    ) -> AsyncIterator[str]:
        """Yield text pieces as they arrive; ``timeout_s`` bounds the wait for each piece."""
        options = options or ChatOptions()
        with self._mapped_errors(options):
            parts = await self._client.get().chat(
                model=self.model, messages=list(messages), options=options.ollama_options(),
                stream=True,
            )
            # The SDK types its stream as AsyncIterator, but it is an async generator (aclose).
            async with contextlib.aclosing(parts):  # type: ignore[type-var]
                async for part in each_within(parts, options.timeout_s):
                    if part.message.content:
                        yield part.message.content

    async def list_models(self) -> list[str]:
        """Names from ``/api/tags`` (as Ollama spells them, e.g. ``llama3.2:3b``)."""
        options = ChatOptions(timeout_s=LIST_TIMEOUT_S)
        with self._mapped_errors(options):
            async with asyncio.timeout(options.timeout_s):
                response = await self._client.get().list()
        return [m.model for m in response.models if m.model]

    def has_model(self, available: Sequence[str]) -> bool:
        """Compare the way Ollama resolves names (``x`` is ``x:latest``)."""
        return canonical_model(self.model) in {canonical_model(m) for m in available}

    async def aclose(self) -> None:
        """Close the HTTP client's connections (if they belong to the running loop)."""
        await self._client.aclose()

    @contextlib.contextmanager
    def _mapped_errors(self, options: ChatOptions) -> Iterator[None]:
        """Turn the SDK's and httpx's exceptions into the workbench's ``BackendError``s."""
        host, model = self._host, self.model
        try:
            yield
        except ollama.ResponseError as exc:
            raise _from_response_error(exc, host, model) from exc
        except (ConnectionError, httpx.ConnectError) as exc:
            # The SDK turns httpx.ConnectError into ConnectionError for plain calls only;
            # streamed calls let httpx.ConnectError through.
            raise BackendUnreachable(host, model=model) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise TransientBackendError.timed_out(host, model, options.timeout_s) from exc
        except httpx.TransportError as exc:  # dropped connection, cut-off body, reset...
            raise TransientBackendError(host, model, f"connection failed ({exc!r})") from exc
        except json.JSONDecodeError as exc:
            raise TransientBackendError.malformed_json(host, model, exc) from exc
        except pydantic.ValidationError as exc:
            if not exc.title.endswith("Response"):
                raise  # our messages failed the SDK's validation: a programming error
            raise BackendError(
                f"The server at {host} answered, but not like Ollama does ({exc.error_count()} "
                "unexpected fields). Check that OLLAMA_HOST points at Ollama, not another "
                "service.", host=host, model=model) from exc


def _from_response_error(exc: ollama.ResponseError, host: str, model: str) -> BackendError:
    status = exc.status_code
    if status == 404:
        return ModelNotFound(model, host)
    if status == -1:  # an {"error": ...} line in a stream: Ollama's runner failed mid-way
        return TransientBackendError(host, model, f"error in the stream: {exc.error}")
    if status == 429 or status >= 500:
        return TransientBackendError(host, model, f"HTTP {status}: {exc.error}")
    return BackendError(
        f"Ollama at {host} rejected the request for model {model!r} (HTTP {status}): "
        f"{exc.error}. Check the options passed to the model (e.g. num_ctx, num_predict).",
        host=host, model=model,
    )
