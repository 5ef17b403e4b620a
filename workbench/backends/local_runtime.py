"""The llama.cpp runtime behind ``local/<model>``: one worker thread and a few contexts per file.

See ``workbench.backends.local`` for why it is shaped this way. Everything here runs on the
model's worker thread except ``runtime()``; ``llama_cpp`` is imported on the first reply.
"""

from __future__ import annotations

import atexit
import codecs
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import ChatOptions
from .errors import BackendError

N_CTX = 4096
"""Context window a context starts with, in tokens: a 10-turn conversation with a 1.5k-token
system prompt fits. A context grows to the model's trained window (8k for SmolLM2) when a longer
conversation needs it; the KV cache is allocated whole, about 25 MB per 1k tokens for SmolLM2."""
CONTEXTS = 4
"""Contexts (KV caches) kept per model: enough for both sides of two conversations."""
BLOCK = 64
"""Tokens per evaluation batch, and the unit of prompt reuse (see "Seeds" in ``local``). Each
call evaluates again what follows the last whole block it can reuse; with 256-token blocks that
cost one conversation at a time 22 % of the raw runtime's speed, with 64 it costs 9 %
(``benchmarks/local_bench.py``)."""
DEFAULT_MAX_TOKENS = 256
"""Token limit of a reply when the call sets none (a 135M model decodes ~60 tokens/s)."""
DEFAULTS = {"temp": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.0, "repeat_penalty": 1.1}
"""Sampling defaults: Ollama's, so a model behaves alike here and there."""


@dataclass
class Request:
    """One call: its messages and options, where its text goes, and its stop switch."""

    messages: list[Any]
    options: ChatOptions
    on_piece: Callable[[str], None] | None
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class Result:
    """One reply as generated (before the backend strips it)."""

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
    canonical: int = 0
    """Leading tokens of the KV cache evaluated as whole blocks from position 0 (reusable)."""
    used: float = 0.0


class Runtime:
    """One model file: its contexts and the one thread that runs them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"local-{path.stem}")
        self.contexts: list[_Context] = []

    # -- on the worker thread -----------------------------------------------------------------
    def run(self, request: Request) -> Result:
        """Generate one reply (called on ``self.worker`` only)."""
        started = time.monotonic()
        key = tuple((str(m.get("role")), str(m.get("content"))) for m in request.messages)
        context = self._context_for(key)
        tokens = _prompt_tokens(context.llama, request.messages)
        limit = _token_limit(request.options)
        if len(tokens) + limit > context.llama.n_ctx():
            trained = context.llama._model.n_ctx_train() or N_CTX
            if len(tokens) >= trained:
                raise BackendError(
                    f"The conversation ({len(tokens)} tokens) no longer fits the local model's "
                    f"context window ({trained} tokens): end it sooner (fewer turns), or use a "
                    "model with a longer context.", model=self.path.name)
            context.llama.close()
            context.llama, context.messages, context.canonical = _load(self.path, trained), (), 0
        _keep_canonical_prefix(context, tokens)
        result = _sample(context.llama, tokens, request, limit,
                         deadline=started + request.options.timeout_s)
        # The prompt was evaluated in whole blocks from a block boundary; its tail and the reply
        # (decoded token by token) were not, so they will be evaluated again if reused.
        context.canonical = len(tokens) // BLOCK * BLOCK
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
            self.contexts.append(_Context(_load(self.path, N_CTX)))
            return self.contexts[-1]
        return min(self.contexts, key=lambda c: c.used)


def _keep_canonical_prefix(context: _Context, tokens: list[int]) -> None:
    """Trim what the context will reuse of ``tokens`` to whole blocks evaluated as such.

    ``Llama.generate`` reuses the longest common prefix of its cache and the prompt; capping the
    cache's length (``n_tokens``) at a block boundary makes it evaluate the rest in whole blocks
    from there, as a fresh context would, so the logits (and a seeded reply) are the same.
    """
    llama = context.llama
    cached = llama.input_ids[: llama.n_tokens].tolist()
    common = 0
    for a, b in zip(cached, tokens):
        if a != b:
            break
        common += 1
    keep = min(common, context.canonical) // BLOCK * BLOCK
    if keep >= len(tokens):  # never nothing left to evaluate: the last block is evaluated again
        keep = (len(tokens) - 1) // BLOCK * BLOCK
    llama.n_tokens = keep


def _load(path: Path, n_ctx: int) -> Any:
    """A ``llama_cpp.Llama`` with a context of ``n_ctx`` tokens (at most the trained window)."""
    import llama_cpp  # the runtime: imported on the first reply only

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1

    def load(size: int) -> Any:
        # flash_attn: no n_ctx × n_batch attention matrix per layer, ~60 MB less per context.
        return llama_cpp.Llama(str(path), n_ctx=size, n_batch=BLOCK, n_ubatch=BLOCK,
                               n_threads=threads, n_threads_batch=threads, flash_attn=True,
                               verbose=False)

    llama = load(n_ctx)
    trained = llama._model.n_ctx_train()
    if 0 < trained < n_ctx:  # beyond its trained window a model writes nonsense
        llama.close()
        llama = load(trained)
    return llama


def _token_limit(options: ChatOptions) -> int:
    """The reply's token limit: ``num_predict`` when positive, else ``DEFAULT_MAX_TOKENS``."""
    return options.num_predict if options.num_predict and options.num_predict > 0 else \
        DEFAULT_MAX_TOKENS


def _sample(llama: Any, tokens: list[int], request: Request, limit: int, *,
            deadline: float) -> Result:
    """Generate one reply to ``tokens``, token by token, with every stop rule."""
    import llama_cpp

    options = request.options
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
        piece = decoder.decode(model.detokenize([token], special=False))
        if piece:
            parts.append(piece)
            if request.on_piece is not None:
                request.on_piece(piece)
        if generated >= limit or request.stop.is_set():
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
    return Result("".join(parts), len(tokens), generated, finish, timed_out)


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


_RUNTIMES: dict[Path, Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def runtime(path: Path) -> Runtime:
    """The process's runtime for a model file (one per file, made on first use)."""
    with _RUNTIMES_LOCK:
        if path not in _RUNTIMES:
            _RUNTIMES[path] = Runtime(path)
        return _RUNTIMES[path]


@atexit.register
def _close_all() -> None:
    """Free the models before the interpreter tears down the modules their finalizers need."""
    with _RUNTIMES_LOCK:
        for runtime in _RUNTIMES.values():
            runtime.worker.shutdown(wait=True, cancel_futures=True)
            for context in runtime.contexts:
                context.llama.close()
        _RUNTIMES.clear()

