"""The loopback guard at the HTTP layer: every request a model client sends passes through it.

Checking the configured host is not enough: the ``ollama`` and ``openai`` SDKs follow redirects,
so a local server answering ``307 Location: http://elsewhere/`` would otherwise deliver the
patient prompts elsewhere. Both SDKs are built on an httpx-style client (``ollama`` on httpx,
``openai`` on httpx2), and every request such a client sends — the first, each redirect hop,
each retry — goes through its transport. ``guarded_transport`` wraps that transport, so the
check runs before any connection is opened, whatever the SDK does above it.

The opt-in (``allow_remote``) comes from the caller: this invocation's ``--allow-remote`` flag or
this machine's settings, never from a stored run, an import or an export (see
``workbench.simulate.engine.execute_run``).
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from .errors import NonLoopbackRefused
from .hosts import is_loopback


def check_url(url: str, *, allow_remote: bool, origin: str | None = None,
              model: str | None = None) -> None:
    """Refuse a request to ``url`` unless it is on this machine or remote hosts are allowed.

    Args:
        url: Where the request is about to go.
        allow_remote: This invocation's or this machine's opt-in.
        origin: The server the backend was configured with; when ``url`` is elsewhere the
            message says the request was redirected there.
        model: For the message.

    Raises:
        NonLoopbackRefused: ``url`` is not loopback and ``allow_remote`` is false.
    """
    if allow_remote or is_loopback(url):
        return
    if origin is not None:
        raise NonLoopbackRefused(url, model=model, via=origin)
    raise NonLoopbackRefused(url, model=model)


@functools.cache
def _guarded_class(httpx_module: ModuleType) -> type:
    """A subclass of ``httpx_module.AsyncHTTPTransport`` that checks each request's URL."""
    base: type = httpx_module.AsyncHTTPTransport

    class GuardedAsyncTransport(base):  # type: ignore[misc, valid-type]
        """Checks every request's URL with ``check_url`` before it is sent."""

        def __init__(self, *, allow_remote: bool, origin: str | None, model: str | None,
                     **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._guard = {"allow_remote": allow_remote, "origin": origin, "model": model}

        async def handle_async_request(self, request: Any) -> Any:
            check_url(str(request.url), **self._guard)
            return await super().handle_async_request(request)

    GuardedAsyncTransport.__qualname__ = f"GuardedAsyncTransport[{httpx_module.__name__}]"
    return GuardedAsyncTransport


def guarded_transport(httpx_module: ModuleType, *, allow_remote: bool,
                      origin: str | None = None, model: str | None = None,
                      **transport_kwargs: Any) -> Any:
    """An async transport of ``httpx_module`` (``httpx`` or ``httpx2``) behind the guard.

    Pass it as ``transport=`` to the module's ``AsyncClient``. A client given a transport
    ignores its own ``limits`` and the environment's proxies, so give ``limits`` here.

    Args:
        httpx_module: The httpx flavour the SDK uses.
        allow_remote: This invocation's or this machine's opt-in.
        origin: The configured server (named in the message about a redirect).
        model: For the message.
        transport_kwargs: Passed to ``AsyncHTTPTransport`` (e.g. ``limits``).
    """
    return _guarded_class(httpx_module)(allow_remote=allow_remote, origin=origin, model=model,
                                        **transport_kwargs)
