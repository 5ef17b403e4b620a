"""Fixtures: the Ollama-API test server on 127.0.0.1, and a port where nothing listens."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import OllamaTestServer

SYSTEM = "You are Ada Lovelace, 36, with a cough for two weeks."


@pytest.fixture
def messages() -> list[dict[str, str]]:
    """A first patient turn: a persona's system prompt and the clinician's opening question."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "What brings you in today?"}]


@pytest.fixture
def make_server() -> Iterator[Callable[..., OllamaTestServer]]:
    """Start test servers with any options; all are stopped at teardown."""
    started: list[OllamaTestServer] = []

    def make(**kwargs: Any) -> OllamaTestServer:
        server = OllamaTestServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., OllamaTestServer]) -> OllamaTestServer:
    """A default test server (no latency, models llama3.2:1b and qwen2.5:0.5b)."""
    return make_server()


@pytest.fixture
def dead_url() -> str:
    """A loopback URL that refuses connections (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
