"""The HTTP side of the Ollama-API test server: request handler, routes and wire formats.

Kept apart from ``ollama_server.py`` (state, configuration, command line) so each stays short.
The handler reads everything configurable from ``self.server.app``, an ``OllamaTestServer``.
"""

from __future__ import annotations

import json
import socketserver
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .replies import count_tokens, embed_vector

if TYPE_CHECKING:
    from .ollama_server import OllamaTestServer

MODEL_CALLS = frozenset({"/api/chat", "/v1/chat/completions", "/api/embed"})
"""Paths that faults apply to (generation and embedding, never tags/show/version)."""
_PHRASES = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed",
            500: b"Internal Server Error"}


def canonical_model(name: str) -> str:
    """Normalise a model name the way Ollama does: ``library/x`` is ``x``, no tag is ``:latest``."""
    # Deliberately not imported from workbench.backends: the fake must not share the code under
    # test, or a bug there would be mirrored here and go unseen.
    for prefix in ("registry.ollama.ai/", "library/"):
        name = name.removeprefix(prefix)
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _details(name: str) -> dict[str, Any]:
    base, _, tag = canonical_model(name).rpartition("/")[2].partition(":")
    family = "".join(c for c in base.split(".")[0] if c.isalpha()) or "llama"
    size = tag.split("-")[0].upper() if tag[:1].isdigit() else "7B"
    return {"parent_model": "", "format": "gguf", "family": family, "families": [family],
            "parameter_size": size, "quantization_level": "Q4_K_M"}


class OllamaHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a deep backlog and no reverse-DNS lookup at bind."""

    daemon_threads = True
    # The default backlog of 5 resets connections when 16+ clients connect at once.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], app: OllamaTestServer) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # clients hanging up are not errors
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the clients' connection pools are exercised
    disable_nagle_algorithm = True  # small stream chunks must not wait for delayed ACKs
    server: OllamaHTTPServer

    def setup(self) -> None:
        super().setup()
        app = self.server.app
        with app._lock:
            app._connections += 1
            app._sockets.add(self.connection)

    def finish(self) -> None:
        app = self.server.app
        with app._lock:
            app._sockets.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # per-request stderr logging would cost CPU and flood test output

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    # -- plumbing ----------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        route = _ROUTES.get(path)
        try:
            # Read the body even for errors: left unread, it would be parsed as the next request.
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if route is None:
                return self._send(404, b"404 page not found", b"text/plain")
            if route[0] != method and not (path == "/" and method == "HEAD"):
                return self._send(405, b"405 method not allowed", b"text/plain")
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return self._send(400, _dumps({"error": "invalid JSON in request body"}))
            if path.startswith("/_control/"):
                return route[1](self, body, None)
            route[1](self, body, self.server.app._record(path, body))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, status: int, body: bytes, ctype: bytes = b"application/json; charset=utf-8"
              ) -> None:
        # One write for head and body: two small writes can stall on Nagle + delayed ACK.
        head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
            status, _PHRASES.get(status, b"Error"), ctype, len(body),
            b"Connection: close\r\n" if self.close_connection else b"")
        self.wfile.write(head + (b"" if self.command == "HEAD" else body))

    def _start_stream(self, ctype: bytes) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                         b"Cache-Control: no-cache\r\n\r\n" % ctype)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _pre_fault(self, fault: str | None, model: str, openai: bool) -> bool:
        """Answer faults that happen before generation and unknown models; True if answered."""
        app = self.server.app
        if fault == "hang":
            app._stopping.wait(app.hang_s)
            self.close_connection = True
            return True
        if fault == "http_500":
            msg = "llama runner process has terminated: exit status 2 (injected fault)"
        elif fault == "not_found" or canonical_model(str(model)) not in app.models:
            msg = f'model "{model}" not found, try pulling it first'
        else:
            return False
        status = 500 if fault == "http_500" else 404
        if openai:
            kind = "not_found_error" if status == 404 else "api_error"
            err: object = {"message": msg, "type": kind, "param": None, "code": None}
        else:
            err = msg
        self._send(status, _dumps({"error": err}))
        return True

    # -- routes ------------------------------------------------------------------------------
    def _chat(self, body: dict[str, Any], fault: str | None, openai: bool = False) -> None:
        app = self.server.app
        streamed = body.get("stream", not openai)  # Ollama streams unless told not to
        if fault == "error_line" and not streamed:
            fault = "http_500"  # outside a stream, Ollama reports runner errors as a 500
        if self._pre_fault(fault, body.get("model", ""), openai):
            return
        options = body.get("options") or {}
        seed = body.get("seed") if openai else options.get("seed")
        limit = body.get("max_tokens") if openai else options.get("num_predict")
        words = app._reply_text(body, seed).split(" ")
        reason = "stop"
        if isinstance(limit, int) and 0 <= limit < len(words):
            words, reason = words[:limit], "length"
        text = " ".join(words)
        messages = body.get("messages") or []
        prompt = sum(count_tokens(str(m.get("content") or "")) + 4 for m in messages)
        emit = _OpenAIEmitter(self, body, prompt) if openai else _OllamaEmitter(self, body, prompt)
        with app._generation() as finished:
            started = time.perf_counter()
            if not streamed:
                if app.latency > 0:
                    time.sleep(app.latency)
                if fault == "drop":
                    self.close_connection = True
                    return
                whole = emit.whole(text, len(words), reason, time.perf_counter() - started)
                finished()
                self._send(200, whole[: len(whole) // 2] if fault == "malformed" else whole)
                return
            n = app.stream_chunk_words
            pieces = [" ".join(words[i:i + n]) for i in range(0, len(words), n)]
            pieces = [p if i == 0 else " " + p for i, p in enumerate(pieces)] or [""]
            pause = app.latency / (len(pieces) + 1)
            self._start_stream(emit.ctype)
            for i, piece in enumerate(pieces):
                if pause > 0:
                    time.sleep(pause)
                self._chunk(emit.part(piece, first=i == 0))
                if fault == "drop":  # no terminating chunk: the client sees a cut-off body
                    self.close_connection = True
                    return
                if fault in ("malformed", "error_line"):
                    self._chunk(emit.broken if fault == "malformed" else emit.error_line)
                    break
            else:
                if pause > 0:
                    time.sleep(pause)
                final = emit.final(len(words), reason, time.perf_counter() - started)
                finished()
                for data in final:
                    self._chunk(data)
            self.wfile.write(b"0\r\n\r\n")

    def _openai_chat(self, body: dict[str, Any], fault: str | None) -> None:
        self._chat(body, fault, openai=True)

    def _embed(self, body: dict[str, Any], fault: str | None) -> None:
        app = self.server.app
        fault = "http_500" if fault == "error_line" else fault
        if self._pre_fault(fault, body.get("model", ""), False):
            return
        if fault == "drop":
            self.close_connection = True
            return
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        dim = body.get("dimensions") or app.embed_dim
        out = _dumps({"model": body["model"], "embeddings": [embed_vector(t, dim) for t in texts],
                      "total_duration": 1000, "load_duration": 0,
                      "prompt_eval_count": sum(count_tokens(t) for t in texts)})
        self._send(200, out[: len(out) // 2] if fault == "malformed" else out)

    def _tags(self, body: dict[str, Any], fault: str | None) -> None:
        models = [{"name": n, "model": n, "modified_at": "2025-01-01T00:00:00Z",
                   "size": 1_000_000_000, "digest": sha256(n.encode()).hexdigest(),
                   "details": _details(n)} for n in self.server.app.models]
        self._send(200, _dumps({"models": models}))

    def _show(self, body: dict[str, Any], fault: str | None) -> None:
        name = body.get("model") or body.get("name") or ""
        if canonical_model(name) not in self.server.app.models:
            return self._send(404, _dumps({"error": f"model '{name}' not found"}))
        self._send(200, _dumps({
            "modelfile": f"# Modelfile from the Ollama test server\nFROM {name}\n",
            "parameters": "temperature 0.8", "template": "{{ .Prompt }}",
            "details": _details(name), "capabilities": ["completion"],
            "model_info": {"general.architecture": _details(name)["family"],
                           "general.context_length": 8192}, "modified_at": "2025-01-01T00:00:00Z",
        }))

    def _version(self, body: dict[str, Any], fault: str | None) -> None:
        self._send(200, b'{"version":"0.9.0"}')

    def _root(self, body: dict[str, Any], fault: str | None) -> None:
        self._send(200, b"Ollama is running", b"text/plain; charset=utf-8")

    def _v1_models(self, body: dict[str, Any], fault: str | None) -> None:
        data = [{"id": n, "object": "model", "created": 1735689600, "owned_by": "library"}
                for n in self.server.app.models]
        self._send(200, _dumps({"object": "list", "data": data}))

    def _control_stats(self, body: dict[str, Any], fault: str | None) -> None:
        self._send(200, _dumps(self.server.app.stats().__dict__))

    def _control_config(self, body: dict[str, Any], fault: str | None) -> None:
        app = self.server.app
        try:
            if body.get("clear_faults"):
                app.clear_faults()
            if body.get("reset_stats"):
                app.reset_stats()
            for kind, n in (body.get("fail_next") or {}).items():
                app.fail_next(kind, int(n))
            for kind, rate in (body.get("fault_rates") or {}).items():
                app.set_fault_rate(kind, float(rate))
            app.configure(**{k: body[k] for k in ("latency", "inject", "end_marker",
                                                  "close_after", "hang_s") if k in body})
        except (TypeError, ValueError) as exc:
            return self._send(400, _dumps({"error": str(exc)}))
        self._send(200, b'{"ok":true}')


class _OllamaEmitter:
    """Wire format of ``/api/chat``: NDJSON lines, one JSON object each."""

    ctype = b"application/x-ndjson"
    broken = b'{"model":"x","created_at":"2025-01-01T00:00:00Z","message":{"role":"assist\n'
    error_line = b'{"error":"an error was encountered while running the model (injected fault)"}\n'

    def __init__(self, handler: _Handler, body: dict[str, Any], prompt_tokens: int) -> None:
        self.model, self.prompt_tokens = body["model"], prompt_tokens

    def _obj(self, content: str, done: bool) -> dict[str, Any]:
        return {"model": self.model, "created_at": _now(),
                "message": {"role": "assistant", "content": content}, "done": done}

    def _counts(self, eval_count: int, reason: str, elapsed: float) -> dict[str, Any]:
        ns = int(elapsed * 1e9)
        return {"done_reason": reason, "total_duration": ns, "load_duration": 0,
                "prompt_eval_count": self.prompt_tokens, "prompt_eval_duration": ns // 10,
                "eval_count": eval_count, "eval_duration": ns - ns // 10}

    def whole(self, text: str, eval_count: int, reason: str, elapsed: float) -> bytes:
        return _dumps(self._obj(text, True) | self._counts(eval_count, reason, elapsed))

    def part(self, piece: str, first: bool) -> bytes:
        return _dumps(self._obj(piece, False)) + b"\n"

    def final(self, eval_count: int, reason: str, elapsed: float) -> list[bytes]:
        return [_dumps(self._obj("", True) | self._counts(eval_count, reason, elapsed)) + b"\n"]


class _OpenAIEmitter:
    """Wire format of ``/v1/chat/completions``: one JSON object, or server-sent events."""

    ctype = b"text/event-stream"
    broken = b'data: {"id":"chatcmpl-x","object":"chat.completion.chunk","choices":[{"delta\n\n'
    error_line = b'data: {"error":{"message":"model runner failed (injected fault)"}}\n\n'

    def __init__(self, handler: _Handler, body: dict[str, Any], prompt_tokens: int) -> None:
        self.model, self.prompt_tokens = body["model"], prompt_tokens
        self.usage_chunk = bool((body.get("stream_options") or {}).get("include_usage"))
        self.id = f"chatcmpl-{handler.server.app._total}"
        self.created = int(time.time())

    def _head(self, obj: str) -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model,
                "system_fingerprint": "fp_ollama"}

    def _usage(self, completion: int) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": completion,
                "total_tokens": self.prompt_tokens + completion}

    def whole(self, text: str, eval_count: int, reason: str, elapsed: float) -> bytes:
        choice = {"index": 0, "message": {"role": "assistant", "content": text},
                  "finish_reason": reason}
        return _dumps(self._head("chat.completion") | {"choices": [choice],
                                                       "usage": self._usage(eval_count)})

    def _event(self, choices: list[Any], **extra: Any) -> bytes:
        return b"data: " + _dumps(self._head("chat.completion.chunk") | {"choices": choices}
                                  | extra) + b"\n\n"

    def part(self, piece: str, first: bool) -> bytes:
        delta = {"role": "assistant", "content": piece} if first else {"content": piece}
        return self._event([{"index": 0, "delta": delta, "finish_reason": None}])

    def final(self, eval_count: int, reason: str, elapsed: float) -> list[bytes]:
        out = [self._event([{"index": 0, "delta": {}, "finish_reason": reason}])]
        if self.usage_chunk:
            out.append(self._event([], usage=self._usage(eval_count)))
        return [*out, b"data: [DONE]\n\n"]


_ROUTES: dict[str, tuple[str, Callable[..., None]]] = {
    "/": ("GET", _Handler._root),
    "/api/chat": ("POST", _Handler._chat),
    "/api/embed": ("POST", _Handler._embed),
    "/api/tags": ("GET", _Handler._tags),
    "/api/show": ("POST", _Handler._show),
    "/api/version": ("GET", _Handler._version),
    "/v1/chat/completions": ("POST", _Handler._openai_chat),
    "/v1/models": ("GET", _Handler._v1_models),
    "/_control/stats": ("GET", _Handler._control_stats),
    "/_control/config": ("POST", _Handler._control_config),
}
