"""Fixtures for the security tests: a loopback server that redirects every request elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.app.conftest import app_env
from tests.simulate.conftest import library, library_root, store_path
from tests.simulate.test_cli import cli
from tests.support.fixtures import make_server

__all__ = ["app_env", "cli", "library", "library_root", "make_server", "store_path"]  # shared fixtures


class RedirectServer:
    """Answers every request with ``status`` and ``Location: target``; counts the requests."""

    def __init__(self, status: int, target: str) -> None:
        self.status, self.target, self.paths = status, target, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                outer.paths.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(outer.status)
                self.send_header("Location", outer.target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _redirect

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def redirector() -> Iterator[Callable[[int, str], RedirectServer]]:
    """Start redirect servers (``redirector(307, "http://10.255.255.1/")``); stopped at teardown."""
    servers: list[RedirectServer] = []

    def start(status: int, target: str) -> RedirectServer:
        servers.append(RedirectServer(status, target))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
