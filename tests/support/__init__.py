"""Test support: the Ollama-API test server (``ollama_server``) and its scripted replies.

Names are resolved lazily so that ``python -m tests.support.ollama_server`` does not import the
module twice (once through this package, once as ``__main__``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ollama_server import DEFAULT_MODELS, FAULT_KINDS, OllamaTestServer, ServerStats

__all__ = ["DEFAULT_MODELS", "FAULT_KINDS", "OllamaTestServer", "ServerStats"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import ollama_server

        return getattr(ollama_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
