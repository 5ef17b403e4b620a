"""OpenAI-compatible servers through the official ``openai.AsyncOpenAI``.

Spec ``openai/<model>@<base_url>``, e.g. ``openai/qwen2.5-7b@http://127.0.0.1:8000/v1``: vLLM,
llama.cpp's server, LM Studio or Ollama's own ``/v1`` endpoint, which is how a study moves to
GPUs or a cluster when a laptop is not enough. Imported lazily by the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import importlib

import openai

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
from .hosts import ensure_local


def _sdk_httpx() -> ModuleType:
    """The httpx flavour the SDK's client is built on (openai 1.x: httpx, 3.x: httpx2)."""
    client_base = openai.DefaultAsyncHttpxClient.__mro__[1]
    return importlib.import_module(client_base.__module__.partition(".")[0])


def _caused_by_connect_error(exc: BaseException) -> bool:
    # openai 1.x wraps httpx, 3.x wraps httpx2; both name the class ConnectError.
    cause = exc.__cause__
    return cause is not None and any(c.__name__ == "ConnectError" for c in type(cause).__mro__)


class OpenAICompatBackend(Backend):
    """One model on one OpenAI-compatible server.

    Args:
        model: The model id the server serves.
        base_url: The API root, usually ending in ``/v1``; ``http://`` is assumed if missing.
        allow_remote: Allow a server that is not on this machine.
        api_key: Defaults to ``OPENAI_API_KEY``, else ``not-needed`` (local servers ignore it).

    Raises:
        NonLoopbackRefused: The server is remote and ``allow_remote`` is false.
    """

    kind = "openai"

    def __init__(self, model: str, base_url: str, *, allow_remote: bool = False,
                 api_key: str | None = None):
        self.model = model
        self.base_url = (base_url if "://" in base_url else f"http://{base_url}").rstrip("/")
        ensure_local(self.base_url, allow_remote=allow_remote, model=model)
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
        # No SDK retries: the run engine retries transient errors itself, and hidden retries
        # would multiply latency and mask faults.
        # Every request (redirects included) passes the loopback guard before it connects.
        self._client = LoopBoundClient(lambda: openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self._api_key, max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(transport=guarded_transport(
                _sdk_httpx(), allow_remote=allow_remote, origin=self.base_url, model=model))))

    @property
    def name(self) -> str:
        """``openai/<model>@<base_url>``."""
        return f"openai/{self.model}@{self.base_url}"

    @property
    def host(self) -> str:
        """The base URL."""
        return self.base_url

    def _params(self, messages: Messages, options: ChatOptions) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model, "messages": list(messages),
                                  "timeout": options.timeout_s}
        for ours, theirs in (("temperature", "temperature"), ("top_p", "top_p"),
                             ("seed", "seed"), ("num_predict", "max_tokens")):
            value = getattr(options, ours)
            if value is not None:  # an explicit null would override the server's default
                params[theirs] = value
        return params

    async def chat(self, messages: Messages, options: ChatOptions | None = None) -> Reply:
        """One non-streamed chat completion."""
        options = options or ChatOptions()
        started = time.perf_counter()
        with self._mapped_errors(options):
            async with asyncio.timeout(options.timeout_s):
                response = await self._client.get().chat.completions.create(
                    **self._params(messages, options))
        choice = response.choices[0]
        usage = response.usage
        return Reply(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            latency_s=time.perf_counter() - started,
            model=self.model,
            host=self.base_url,
            finish_reason=choice.finish_reason,
        )

    async def stream(
        self, messages: Messages, options: ChatOptions | None = None
    ) -> AsyncIterator[str]:
        """Yield text pieces as they arrive; ``timeout_s`` bounds the wait for each piece."""
        options = options or ChatOptions()
        with self._mapped_errors(options):
            async with asyncio.timeout(options.timeout_s):
                chunks = await self._client.get().chat.completions.create(
                    **self._params(messages, options), stream=True)
            async with chunks:  # closes the response even when the consumer stops early
                async for chunk in each_within(aiter(chunks), options.timeout_s):
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content

    async def list_models(self) -> list[str]:
        """Model ids from ``GET <base_url>/models``."""
        options = ChatOptions(timeout_s=LIST_TIMEOUT_S)
        with self._mapped_errors(options):
            page = await self._client.get().models.list(timeout=options.timeout_s)
        return [m.id for m in page.data]

    async def check(self) -> None:
        """Reachable and serving the model; servers without a model list pass on reachability."""
        try:
            await super().check()
        except ModelNotFound as exc:
            if exc.available:  # an empty or missing list proves nothing (llama.cpp, some proxies)
                raise

    async def aclose(self) -> None:
        """Close the HTTP client's connections (if they belong to the running loop)."""
        await self._client.aclose()

    @contextlib.contextmanager
    def _mapped_errors(self, options: ChatOptions) -> Iterator[None]:
        """Turn the SDK's exceptions into the workbench's ``BackendError``s."""
        host, model = self.base_url, self.model
        try:
            yield
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise TransientBackendError.timed_out(host, model, options.timeout_s) from exc
        except openai.APIConnectionError as exc:
            if _caused_by_connect_error(exc):
                raise BackendUnreachable(host, model=model, kind="openai") from exc
            raise TransientBackendError(host, model, f"connection failed ({exc.__cause__!r})"
                                        ) from exc
        except openai.NotFoundError as exc:
            raise ModelNotFound(model, host, kind="openai") from exc
        except openai.APIStatusError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                raise TransientBackendError(host, model, exc.message) from exc
            raise BackendError(
                f"The server at {host} rejected the request for model {model!r} (HTTP "
                f"{exc.status_code}): {exc.message}. Check the options and, if the server "
                "needs a key, OPENAI_API_KEY.", host=host, model=model) from exc
        except openai.APIResponseValidationError as exc:
            raise BackendError(f"The server at {host} answered in an unexpected shape: {exc}",
                               host=host, model=model) from exc
        except openai.APIError as exc:  # an error event inside a stream
            raise TransientBackendError(host, model, f"error in the stream: {exc.message}"
                                        ) from exc
        except json.JSONDecodeError as exc:
            raise TransientBackendError.malformed_json(host, model, exc) from exc
