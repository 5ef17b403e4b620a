"""Model backends behind one protocol, chosen by spec strings.

    backend = get_backend("ollama/llama3.2:3b")
    reply = await backend.chat(messages, ChatOptions(temperature=0.7, seed=1))

Importing this package loads no SDK: ``ollama``, ``openai`` and ``llama_cpp`` are imported when a
backend that needs them is first asked for (the provider classes below are resolved lazily too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Backend, ChatOptions, Messages, Reply
from .errors import (
    BackendError,
    BackendUnreachable,
    ModelNotFound,
    NonLoopbackRefused,
    ScriptExhausted,
    TransientBackendError,
    UnknownBackendSpec,
    is_transient,
)
from .hosts import ensure_local, is_loopback, normalize_host
from .registry import BackendSpec, ScriptLoader, check_backend, get_backend, parse_spec
from .scripted import ScriptedBackend

if TYPE_CHECKING:
    from .local import LocalBackend
    from .ollama import OllamaBackend
    from .openai_compat import OpenAICompatBackend
    from .pool import HostPool

_LAZY = {"LocalBackend": ".local", "OllamaBackend": ".ollama", "OpenAICompatBackend": ".openai_compat", "HostPool": ".pool"}

__all__ = [
    "Backend", "BackendError", "BackendSpec", "BackendUnreachable", "ChatOptions", "HostPool",
    "LocalBackend", "Messages", "ModelNotFound", "NonLoopbackRefused", "OllamaBackend",
    "OpenAICompatBackend", "Reply", "ScriptExhausted", "ScriptLoader", "ScriptedBackend", "TransientBackendError",
    "UnknownBackendSpec", "check_backend", "ensure_local", "get_backend", "is_loopback",
    "is_transient", "normalize_host", "parse_spec",
]


def __getattr__(name: str) -> Any:
    # PEP 562: provider classes on first access, so `import workbench.backends` stays SDK-free.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
