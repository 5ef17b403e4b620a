"""Backends chosen by spec strings; each provider's module (and SDK) is imported on first use.

Specs:
    ``ollama/<model>``             e.g. ``ollama/llama3.2:3b``, ``ollama/library/llama3.2:3b``
    ``openai/<model>@<base_url>``  e.g. ``openai/qwen2.5-7b@http://127.0.0.1:8000/v1``
    ``scripted/<script>``          a question list, e.g. ``scripted/ed_intake``
    ``replay/<corpus>``            a real conversation's clinician turns, e.g. ``replay/primock57``
    ``local/<model>``              a GGUF model run in this process: ``local/smollm2`` (the
                                   embedded SmolLM2-135M) or ``local/<path>.gguf``
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .base import Backend
from .errors import UnknownBackendSpec
from .hosts import normalize_host, ollama_hosts_from_env

ScriptLoader = Callable[[str], Any]
"""``loader(name)`` returns the script's questions: a list of strings, or an object with a
``questions`` list (such as ``workbench.library.Script``)."""

KINDS = ("ollama", "openai", "scripted", "replay", "local")


class BackendSpec(NamedTuple):
    """A parsed spec string."""

    kind: str
    """``ollama``, ``openai``, ``scripted``, ``replay`` or ``local``."""
    model: str
    """Model name, the script's name for ``scripted``, the corpus for ``replay``, a name or a GGUF
    path for ``local``."""
    base_url: str | None = None
    """For ``openai``: the server's API root."""


def parse_spec(spec: str) -> BackendSpec:
    """Split a spec into kind, model and (for ``openai``) base URL.

    Only the first ``/`` separates the kind, so model names keep theirs
    (``ollama/library/llama3.2:3b`` is model ``library/llama3.2:3b``).

    Raises:
        UnknownBackendSpec: The spec matches none of the forms; the message lists them.
    """
    kind, sep, rest = spec.strip().partition("/")
    if not sep or kind not in KINDS:
        raise UnknownBackendSpec(spec)
    if kind == "openai":
        # The first '@' ends the model id; a base URL may itself hold one (user@host).
        model, at, base_url = rest.partition("@")
        if not at or not model or not base_url:
            raise UnknownBackendSpec(spec, "an openai spec needs a model and '@<base_url>'")
        return BackendSpec(kind, model, base_url)
    if not rest:
        raise UnknownBackendSpec(spec, f"'{kind}/' needs a name after the slash")
    return BackendSpec(kind, rest)


def get_backend(
    spec: str,
    *,
    hosts: Sequence[str] | None = None,
    allow_remote: bool = False,
    script_loader: ScriptLoader | None = None,
) -> Backend:
    """The backend a spec names, ready to use (no network traffic yet).

    Args:
        spec: See the module docstring.
        hosts: Ollama servers; several give a ``HostPool``. Default: ``OLLAMA_HOST`` (which may
            list several, comma-separated), else http://127.0.0.1:11434. Ignored by other kinds.
        allow_remote: Allow hosts that are not this machine (off: clinical material stays here).
        script_loader: Loads a script's questions for ``scripted/``; default
            ``workbench.library.Library().load_script`` (personas/scripts/<name>.yaml).

    Raises:
        UnknownBackendSpec: Malformed spec.
        NonLoopbackRefused: A remote host without ``allow_remote``.
        BackendError: An empty script.
        LibraryError: From the default loader, for a missing or invalid script file.
    """
    kind, model, base_url = parse_spec(spec)
    if kind == "ollama":
        targets = list(dict.fromkeys(normalize_host(h) for h in hosts or () if h.strip()))
        targets = targets or ollama_hosts_from_env()
        if len(targets) == 1:
            from .ollama import OllamaBackend

            return OllamaBackend(model, targets[0], allow_remote=allow_remote)
        from .pool import HostPool

        return HostPool(model, targets, allow_remote=allow_remote)
    if kind == "openai":
        from .openai_compat import OpenAICompatBackend

        assert base_url is not None  # parse_spec guarantees it
        return OpenAICompatBackend(model, base_url, allow_remote=allow_remote)
    if kind == "replay":
        from .replay import ReplayBackend

        return ReplayBackend(model)
    if kind == "local":  # in this process: no host, so no loopback guard to pass
        from .local import LocalBackend

        return LocalBackend(model)
    from .scripted import ScriptedBackend

    return ScriptedBackend(model, _load_questions(model, script_loader))


async def check_backend(
    spec: str,
    *,
    hosts: Sequence[str] | None = None,
    allow_remote: bool = False,
    script_loader: ScriptLoader | None = None,
) -> None:
    """Preflight: the spec parses, the host is allowed and reachable, the model is there.

    Raises:
        BackendError: The first problem found, with what to do about it
            (``BackendUnreachable``, ``ModelNotFound``, ``NonLoopbackRefused``...).
    """
    backend = get_backend(spec, hosts=hosts, allow_remote=allow_remote,
                          script_loader=script_loader)
    try:
        await backend.check()
    finally:
        await backend.aclose()


def _load_questions(name: str, loader: ScriptLoader | None) -> list[str]:
    if loader is None:
        # Imported here: only scripted specs need the persona library (and its YAML reading).
        from workbench.library import Library

        loader = Library().load_script
    loaded = loader(name)
    questions: Sequence[object] = getattr(loaded, "questions", loaded) or ()
    return [str(q) for q in questions]
