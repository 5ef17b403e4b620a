"""Errors a model backend raises, each with a message that says what happened and what to do.

Two families: ``TransientBackendError`` (5xx, timeouts, malformed or cut-off answers: retrying
the same call may well succeed) and the permanent rest (nothing listens at the host, the model is
not installed, a remote host without opt-in, a bad request). ``is_transient`` tells them apart
for retry loops. ``ScriptExhausted`` is not a failure but the scripted interviewer's signal that
its question list has run out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from workbench.settings import DEFAULT_OLLAMA_HOST as OLLAMA_DEFAULT_HOST


class BackendError(Exception):
    """A model backend could not do what was asked.

    Attributes:
        host: The server the call went to, if any.
        model: The model the call was for, if any.
    """

    transient: ClassVar[bool] = False

    def __init__(self, message: str, *, host: str | None = None, model: str | None = None):
        super().__init__(message)
        self.message, self.host, self.model = message, host, model


class TransientBackendError(BackendError):
    """A failure that retrying the same call may cure: 5xx, timeout, malformed or dropped reply."""

    transient = True

    def __init__(self, host: str | None, model: str | None, detail: str):
        super().__init__(
            f"The model server at {host} failed while answering with model {model!r}: {detail}. "
            "This is usually temporary (server busy or restarting, model being reloaded, a "
            "connection cut off), so retrying the call normally works. If it keeps happening, "
            "read the server's log (for Ollama: the terminal running `ollama serve`, or "
            "`journalctl -u ollama`), raise the model timeout (on the Settings page, "
            "or `workbench run --timeout SECONDS` for one run), or lower the run's concurrency.",
            host=host, model=model,
        )
        self.detail = detail

    @classmethod
    def timed_out(cls, host: str, model: str, timeout_s: float) -> TransientBackendError:
        """No answer (for streams: no next piece) within the call's ``timeout_s``."""
        return cls(host, model, f"no answer within {timeout_s:g} s (timeout_s)")

    @classmethod
    def malformed_json(cls, host: str, model: str, exc: ValueError) -> TransientBackendError:
        """The answer, or a line of a streamed answer, is not valid JSON."""
        return cls(host, model, f"malformed JSON in the answer ({exc})")


class BackendUnreachable(BackendError):
    """Nothing answers at the host (connection refused, unknown name)."""

    def __init__(self, host: str, *, model: str | None = None, kind: str = "ollama"):
        if kind == "ollama":
            advice = (
                "Start Ollama with `ollama serve` (install it from https://ollama.com if "
                "needed), or, if it runs elsewhere, point OLLAMA_HOST (default "
                f"{OLLAMA_DEFAULT_HOST}) or the hosts on the Settings page at where it listens."
            )
        else:
            advice = (
                "Start the OpenAI-compatible server (vLLM, llama.cpp server, LM Studio...) and "
                "check the base URL after '@' in the backend spec, e.g. "
                "`openai/my-model@http://127.0.0.1:8000/v1`."
            )
        for_model = f" (for model {model!r})" if model else ""
        super().__init__(f"Cannot connect to the model server at {host}{for_model}. {advice}",
                         host=host, model=model)


class ModelNotFound(BackendError):
    """The server answers but does not have the model."""

    def __init__(self, model: str, host: str, *, kind: str = "ollama",
                 available: Sequence[str] | None = None):
        have = f" It has: {', '.join(available)}." if available else ""
        if kind == "ollama":
            env = "" if host == OLLAMA_DEFAULT_HOST else f"OLLAMA_HOST={host} "
            advice = f"Download it with `{env}ollama pull {model}`, or pick an installed model."
        else:
            advice = ("Use a model id the server serves (GET <base_url>/models lists them), and "
                      "check that the base URL is right (most servers expect it to end in /v1).")
        super().__init__(f"Model {model!r} is not available on the server at {host}.{have} "
                         f"{advice}", host=host, model=model)
        self.available = list(available or [])


class NonLoopbackRefused(BackendError):
    """The host is not on this machine and remote hosts were not allowed."""

    def __init__(self, host: str, *, model: str | None = None, via: str | None = None):
        sent = (f"The server at {via} redirected a request to {host}; refusing to follow"
                if via else f"Refusing to send conversations to {host}")
        super().__init__(
            f"{sent}: it is not on this machine, and clinical "
            "material stays on this machine unless you opt in. If that server is yours and "
            "trusted, allow remote hosts with the environment variable WORKBENCH_ALLOW_REMOTE=1, "
            "the `--allow-remote` command-line flag, or the switch on the Settings page.",
            host=host, model=model,
        )
        self.via = via


class UnknownBackendSpec(BackendError, ValueError):
    """A backend spec string that matches none of the known forms."""

    def __init__(self, spec: str, reason: str = ""):
        hint = f" Did you mean 'ollama/{spec}'?" if spec and "/" not in spec else ""
        super().__init__(
            f"Unknown backend {spec!r}{': ' + reason if reason else ''}. Use one of: "
            "'ollama/<model>' (e.g. ollama/llama3.2:3b), "
            "'openai/<model>@<base_url>' (e.g. openai/qwen2.5-7b@http://127.0.0.1:8000/v1), "
            "'scripted/<script>' (a question list under personas/scripts/), "
            "'replay/<corpus>' (a real conversation's clinician turns, for twins), "
            f"'local/smollm2' (the embedded model) or 'local/<path>.gguf'.{hint}",
        )
        self.spec = spec


class ScriptExhausted(BackendError):
    """A scripted backend has asked all its questions: the conversation should end."""

    def __init__(self, script: str, asked: int):
        super().__init__(f"Script {script!r} has no question left after {asked}; end the "
                         "conversation here.", model=script)
        self.script, self.asked = script, asked


def is_transient(exc: BaseException) -> bool:
    """True when retrying the failed call may succeed (see ``TransientBackendError``)."""
    return isinstance(exc, BackendError) and exc.transient
