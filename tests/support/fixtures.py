"""Fixtures shared by test packages that talk to model servers; a conftest imports the ones it uses.

``make_server`` starts Ollama-API test servers (stopped at teardown); ``dead_url`` is a loopback
URL where nothing listens.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import OllamaTestServer


@pytest.fixture
def make_server() -> Iterator[Callable[..., OllamaTestServer]]:
    """Start test servers with any options (or a subclass); all are stopped at teardown."""
    started: list[OllamaTestServer] = []

    def make(cls: type[OllamaTestServer] = OllamaTestServer, **kwargs: Any) -> OllamaTestServer:
        server = cls(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def dead_url() -> str:
    """A loopback URL that refuses connections (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
