"""The ``openai/`` backend against a real OpenAI-compatible server: llama.cpp's own
(``python -m llama_cpp.server``, the ``llama-cpp-python[server]`` extra) serving the embedded model
on 127.0.0.1. Skips with the reason when the extra's packages are not installed."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from workbench.backends import ChatOptions, get_backend
from workbench.backends.local import embedded_model_path

ALIAS = "smollm2"
MESSAGES = [{"role": "system", "content": "You are a patient with a cough. Answer briefly."},
            {"role": "user", "content": "What brings you in today?"}]
READY_WITHIN_S = 300.0
"""How long the server may take to start on a busy machine (it loads in well under a second)."""


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    missing = [m for m in ("fastapi", "sse_starlette", "starlette_context", "uvicorn",
                           "pydantic_settings") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"llama-cpp-python[server] is not installed (missing {', '.join(missing)})")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # --interrupt_requests False: otherwise a new request silently cuts the stream in progress.
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()),
         "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
         "--interrupt_requests", "False", "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + READY_WITHIN_S
    try:
        while True:  # poll until it answers (or has died)
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"llama_cpp.server did not start: "
                                         f"{process.stderr.read() if process.stderr else ''}")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(30)


async def test_the_openai_backend_talks_to_a_real_llama_cpp_server(server_url: str):
    backend = get_backend(f"openai/{ALIAS}@{server_url}")
    try:
        await backend.check()
        assert ALIAS in await backend.list_models()
        reply = await backend.chat(MESSAGES, ChatOptions(seed=1, temperature=0.7, num_predict=8))
        assert reply.text and reply.host == server_url
        assert reply.prompt_tokens and 0 < (reply.completion_tokens or 0) <= 8
        assert reply.finish_reason in {"stop", "length"}
    finally:
        await backend.aclose()


async def test_two_streams_at_once_both_finish(server_url: str):
    backend = get_backend(f"openai/{ALIAS}@{server_url}")

    async def collect(seed: int) -> str:
        return "".join([p async for p in backend.stream(
            MESSAGES, ChatOptions(seed=seed, temperature=0.8, num_predict=24))])

    try:
        texts = await asyncio.gather(collect(1), collect(2))
    finally:
        await backend.aclose()
    assert all(text.strip() for text in texts)
