"""A real HTTP server that speaks Ollama's REST API, for tests and benchmarks.

The official ``ollama`` and ``openai`` clients work against it unmodified: ``/api/chat`` (NDJSON
stream or one object), ``/api/tags``, ``/api/show``, ``/api/embed``, ``/api/version``,
``/v1/chat/completions`` (SSE stream or one object) and ``/v1/models``. Replies are scripted and
deterministic (see ``replies.py``); latency, a parallel-generation cap and faults are injectable.

In-process::

    with OllamaTestServer(latency=0.05, parallel=16) as srv:
        client = ollama.Client(srv.url)
        srv.fail_next("drop")            # the next model call loses its connection mid-way
        srv.set_fault_rate("http_500", 0.1)
        srv.configure(fault_fn=lambda body: "hang" if body["model"] == "qwen2.5:0.5b" else None)

As a subprocess (prints its URL as the first stdout line, serves until killed)::

    python -m tests.support.ollama_server --port 0 --latency 0.1 --parallel 4 --fail-rate drop=0.1

A subprocess is reconfigured over HTTP: ``POST /_control/config`` with ``{"fail_next": {"drop": 1},
"fault_rates": {...}, "latency": 0.1, "inject": "...", "clear_faults": true, "reset_stats": true}``;
``GET /_control/stats`` returns the counters. Control calls are not counted.

Fault kinds (``FAULT_KINDS``) hit model calls only (chat and embed), never tags/show/version, so a
preflight can pass while generation fails: ``http_500``; ``not_found`` (the model-not-found 404);
``hang`` (no answer for ``hang_s`` seconds, then the connection closes); ``malformed`` (a broken
JSON line mid-stream, or a truncated body); ``drop`` (connection closed mid-stream / before the
answer); ``error_line`` (an ``{"error": ...}`` line mid-stream, as Ollama sends when a runner
fails; a 500 outside streams). A model call's fault is the first of: a queued ``fail_next`` fault,
the ``fault_fn`` hook's answer for the request's JSON body (in-process only), a rate fault.
"""

from __future__ import annotations

import argparse
import random
import signal
import socket
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from .ollama_wire import MODEL_CALLS, OllamaHTTPServer, canonical_model
from .replies import clinician_closing, clinician_reply, insert_text, patient_reply

FAULT_KINDS = ("http_500", "not_found", "hang", "malformed", "drop", "error_line")
DEFAULT_MODELS = ("llama3.2:1b", "qwen2.5:0.5b")
ReplyFn = Callable[[dict[str, Any]], str]
FaultFn = Callable[[dict[str, Any]], str | None]
"""``fault_fn(request_json) -> fault kind or None``: a fault chosen per request."""
__all__ = ["DEFAULT_MODELS", "FAULT_KINDS", "FaultFn", "OllamaTestServer", "ServerStats",
           "canonical_model"]


@dataclass(frozen=True)
class ServerStats:
    """A snapshot of the server's counters."""

    total_requests: int
    chat_requests: int
    max_concurrent: int
    connections: int
    by_path: dict[str, int]
    faults: dict[str, int]


class OllamaTestServer:
    """An Ollama look-alike on 127.0.0.1; use as a context manager or call start()/stop().

    Args:
        latency: Seconds each generation takes (spread over the chunks when streaming).
        parallel: Generations served at once; the rest queue (like ``OLLAMA_NUM_PARALLEL``).
        models: Model names the server "has"; others get Ollama's 404.
        reply_fn: ``reply_fn(request_json) -> str`` replacing the scripted replies (and the
            end-marker logic; ``inject`` still applies). Gets the raw JSON of either API.
        end_marker: A system prompt containing this string is a clinician prompt; its replies
            are questions, and every reply after the first ``close_after`` ends with the marker.
        close_after: Clinician replies before the closing one (the ``close_after + 1``-th).
        inject: Text put in the middle of every reply (e.g. an HTML payload), or None.
        seed: Seeds the fault RNG, so rate-based faults repeat run to run.
        fault_rates: Probability per model call for each fault kind.
        fault_fn: ``fault_fn(request_json) -> kind | None``, asked for every model call that no
            ``fail_next`` fault took (e.g. fail one persona's calls by its system prompt); its
            answer, when not None, wins over the rate faults. Runs on the handler threads.
        hang_s: How long a ``hang`` fault holds the request before closing the connection.
        embed_dim: Length of ``/api/embed`` vectors.
        stream_chunk_words: Words per streamed chunk.
        port: Port to bind; 0 picks a free one.
    """

    def __init__(
        self, *, latency: float = 0.0, parallel: int = 4, models: Iterable[str] = DEFAULT_MODELS,
        reply_fn: ReplyFn | None = None, end_marker: str | None = "[END]", close_after: int = 3,
        inject: str | None = None, seed: int = 0, fault_rates: dict[str, float] | None = None,
        fault_fn: FaultFn | None = None, hang_s: float = 60.0, embed_dim: int = 384,
        stream_chunk_words: int = 2, port: int = 0,
    ) -> None:
        self.latency, self.reply_fn, self.inject = latency, reply_fn, inject
        self.fault_fn = fault_fn
        self.end_marker, self.close_after, self.hang_s = end_marker, close_after, hang_s
        self.embed_dim, self.stream_chunk_words = embed_dim, max(1, stream_chunk_words)
        self.models = {canonical_model(m): m for m in models}
        self.parallel, self._port = parallel, port
        self._slots = threading.BoundedSemaphore(parallel)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._rng = random.Random(seed)
        self._queue: deque[str] = deque()
        self._rates: dict[str, float] = {}
        for kind, rate in (fault_rates or {}).items():
            self.set_fault_rate(kind, rate)
        self._sockets: set[socket.socket] = set()
        self._requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=512)
        self._httpd: OllamaHTTPServer | None = None
        self._active = 0
        self.reset_stats()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve on a daemon thread; returns self."""
        self._httpd = OllamaHTTPServer(("127.0.0.1", self._port), self)
        self._port = self._httpd.server_address[1]
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         name=f"ollama-test-{self._port}", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung requests and close kept-alive connections."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            # Handler threads block reading the next request on kept-alive connections.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after start())."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self._port}"

    # -- configuration -----------------------------------------------------------------------
    def fail_next(self, kind: str, n: int = 1) -> None:
        """Make the next ``n`` model calls fail with fault ``kind`` (before any rate faults)."""
        _check_kind(kind)
        with self._lock:
            self._queue.extend([kind] * n)

    def set_fault_rate(self, kind: str, rate: float) -> None:
        """Fail each model call with ``kind`` with probability ``rate`` (0 turns it off)."""
        _check_kind(kind)
        with self._lock:
            if rate > 0:
                self._rates[kind] = rate
            else:
                self._rates.pop(kind, None)

    def clear_faults(self) -> None:
        """Forget queued faults and fault rates."""
        with self._lock:
            self._queue.clear()
            self._rates.clear()

    def configure(self, **changes: Any) -> None:
        """Change ``latency``, ``reply_fn``, ``fault_fn``, ``inject``, ``end_marker``,
        ``close_after`` or ``hang_s`` while serving."""
        for name, value in changes.items():
            if name not in _CONFIGURABLE:
                raise TypeError(f"cannot configure {name!r}")
            setattr(self, name, value)

    # -- observation -------------------------------------------------------------------------
    def stats(self) -> ServerStats:
        """The counters now."""
        with self._lock:
            return ServerStats(self._total, self._chats, self._max_active, self._connections,
                               dict(self._by_path), dict(self._fault_counts))

    def reset_stats(self) -> None:
        """Zero the counters and forget recorded requests."""
        with self._lock:
            # _active is live state, not a counter: generations in flight keep their slot.
            self._total = self._chats = self._connections = 0
            self._max_active = self._active
            self._by_path: Counter[str] = Counter()
            self._fault_counts: Counter[str] = Counter()
            self._requests.clear()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """JSON bodies of the last 512 requests (optionally only to ``path``), oldest first."""
        with self._lock:
            return [body for p, body in self._requests if path is None or p == path]

    def last_request(self, path: str = "/api/chat") -> dict[str, Any]:
        """The JSON body of the most recent request to ``path``."""
        return self.requests(path)[-1]

    # -- used by the handler -----------------------------------------------------------------
    def _record(self, path: str, body: dict[str, Any]) -> str | None:
        """Count a request and draw its fault (None for no fault)."""
        with self._lock:
            self._total += 1
            self._by_path[path] += 1
            self._requests.append((path, body))
            if path in ("/api/chat", "/v1/chat/completions"):
                self._chats += 1
            if path not in MODEL_CALLS:
                return None
            fault = self._queue.popleft() if self._queue else None
            fault_fn = self.fault_fn
        if fault is None and fault_fn is not None:
            # Outside the lock: the hook is test code and may take its time or read stats().
            fault = fault_fn(body)
            if fault is not None:
                _check_kind(fault)
        with self._lock:
            if fault is None:
                fault = next((k for k, r in self._rates.items() if self._rng.random() < r), None)
            if fault:
                self._fault_counts[fault] += 1
            return fault

    @contextmanager
    def _generation(self) -> Iterator[Callable[[], None]]:
        """Hold a parallel slot (queueing like Ollama does) and track concurrency.

        Yields a ``finished`` callable for the handler to call just before it writes the last
        bytes of a reply: once the client has the whole reply it may send its next request at
        once, and that request must not be counted as overlapping this one.
        """
        with self._slots:
            with self._lock:
                self._active += 1
                self._max_active = max(self._max_active, self._active)
            done = False

            def finished() -> None:
                nonlocal done
                if not done:
                    done = True
                    with self._lock:
                        self._active -= 1

            try:
                yield finished
            finally:
                finished()

    def _reply_text(self, body: dict[str, Any], seed: object) -> str:
        if self.reply_fn is not None:
            text = self.reply_fn(body)
            return insert_text(text, self.inject) if self.inject else text
        messages = body.get("messages") or []
        system = "\n".join(
            str(m.get("content") or "") for m in messages if m.get("role") == "system")
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        marker = self.end_marker or ""
        clinician = bool(marker) and marker in system
        closing = clinician and turn + 1 > self.close_after
        if closing:
            text = clinician_closing(system, seed)
        elif clinician:
            text = clinician_reply(system, seed, turn)
        else:
            text = patient_reply(system, seed, turn)
        if self.inject:
            text = insert_text(text, self.inject)
        return f"{text} {marker}" if closing else text


_CONFIGURABLE = frozenset({"latency", "reply_fn", "fault_fn", "inject", "end_marker",
                           "close_after", "hang_s"})


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(FAULT_KINDS)}")


def _pairs(items: list[str], cast: Callable[[str], Any]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"expected KIND=VALUE, got {item!r}")
        out[key] = cast(value)
    return out


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM/SIGINT; the first stdout line is the base URL."""
    p = argparse.ArgumentParser(prog="python -m tests.support.ollama_server", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--latency", type=float, default=0.0, help="seconds per generation")
    p.add_argument("--parallel", type=int, default=4, help="generations served at once")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated names")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault RNG")
    p.add_argument("--end-marker", default="[END]")
    p.add_argument("--close-after", type=int, default=3)
    p.add_argument("--inject", default=None, help="text put in the middle of every reply")
    p.add_argument("--hang-s", type=float, default=60.0)
    p.add_argument("--fail-rate", action="append", default=[], metavar="KIND=RATE")
    p.add_argument("--fail-next", action="append", default=[], metavar="KIND=N")
    args = p.parse_args(argv)
    try:
        server = OllamaTestServer(
            latency=args.latency, parallel=args.parallel, models=args.models.split(","),
            seed=args.seed, end_marker=args.end_marker or None, close_after=args.close_after,
            inject=args.inject, hang_s=args.hang_s, port=args.port,
            fault_rates=_pairs(args.fail_rate, float),
        )
        for kind, n in _pairs(args.fail_next, int).items():
            server.fail_next(kind, n)
    except ValueError as exc:
        p.error(str(exc))
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    with server:
        print(server.url, flush=True)
        while not done.wait(0.5):
            pass


if __name__ == "__main__":
    main()
