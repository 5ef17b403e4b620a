"""Fixtures: the Ollama-API test server on 127.0.0.1, and a port where nothing listens."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import OllamaTestServer
from tests.support.fixtures import dead_url, make_server

__all__ = ["dead_url", "make_server"]  # shared fixtures, used by this package's tests

SYSTEM = "You are Ada Lovelace, 36, with a cough for two weeks."


@pytest.fixture
def messages() -> list[dict[str, str]]:
    """A first patient turn: a persona's system prompt and the clinician's opening question."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "What brings you in today?"}]


@pytest.fixture
def server(make_server: Callable[..., OllamaTestServer]) -> OllamaTestServer:
    """A default test server (no latency, models llama3.2:1b and qwen2.5:0.5b)."""
    return make_server()
