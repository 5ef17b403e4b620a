"""What the configured model hosts offer: reachability and models, for the app and the demo.

A probe is one ``GET /api/tags`` per host, made with the standard library: the Runs and Settings
pages probe on their first run, and importing the ``ollama`` SDK and building its HTTP client
would cost that first run more than the request itself (the SDK is for generating). The probe
still applies the backends' loopback guard and speaks with their error messages; nothing here
imports streamlit. A probe never raises for a user's problem (a host down, refused or answering
oddly): it returns a ``HostStatus`` whose ``message`` says what to do.

Also here, so that a page can show them without importing the engine: the texts a page shows
when there is nothing yet (no server, no run, no conversation).
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from workbench.backends import (
    BackendError,
    BackendUnreachable,
    ensure_local,
    local,
    normalize_host,
)

PROBE_TIMEOUT_S = 5.0
"""Seconds a host may take to list its models before it counts as unreachable."""

SMALL_MODEL = "llama3.2:1b"
"""The model the how-to suggests pulling."""

OLLAMA_HOWTO = (
    "Install Ollama from https://ollama.com, start it with `ollama serve`, and pull a small "
    f"model: `ollama pull {SMALL_MODEL}`. If it runs elsewhere, set the host on the Settings page "
    "(or OLLAMA_HOST)."
)
"""How to get a model server, in one paragraph (the banner, the Settings page, the demo)."""

EMPTY_STORE_HINT = (
    "The store holds no conversations yet. Run the demo (six varied personas × 1 sample with the "
    "smallest model your Ollama offers, else the embedded tiny model) from the **Runs** page or "
    "with `workbench demo`, or set up a first run there."
)
"""What a page shows on an empty store (the Runs page offers the buttons)."""

DEMO_OFFER = (
    "No runs yet. **Run the demo** — six varied personas × 1 sample, with the smallest model "
    "your Ollama offers (else the embedded tiny model) as patient and clinician — or set up a "
    "first run below."
)
"""The Runs page's offer on an empty store, above its "Run the demo" button."""


class ModelInfo(BaseModel):
    """One model a host offers, as ``/api/tags`` describes it."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Ollama's name, e.g. ``llama3.2:1b``."""
    size_bytes: int | None = None
    """Size on disk, when the server reports it."""
    parameter_size: str | None = None
    """Ollama's parameter size label, e.g. ``1.2B`` or ``494.03M``."""
    family: str | None = None
    """Model family, e.g. ``llama``; embedding models are ``bert`` families."""

    @property
    def spec(self) -> str:
        """The backend spec, e.g. ``ollama/llama3.2:1b``."""
        return f"ollama/{self.name}"

    @property
    def is_embedding(self) -> bool:
        """Whether the model only embeds (it cannot hold a conversation)."""
        return "embed" in self.name.lower() or "bert" in (self.family or "").lower()


class HostStatus(BaseModel):
    """The result of probing one host."""

    model_config = ConfigDict(frozen=True)

    host: str
    """The host as normalised (``http://127.0.0.1:11434``)."""
    reachable: bool
    """Whether the host answered a model listing."""
    models: tuple[ModelInfo, ...] = ()
    """Its models, sorted by name (empty when unreachable)."""
    message: str | None = None
    """Why the host cannot be used, and what to do; None when it is fine."""


def probe_hosts(hosts: Sequence[str], *, allow_remote: bool,
                timeout_s: float = PROBE_TIMEOUT_S) -> list[HostStatus]:
    """Probe every host at once, in the order given.

    Args:
        hosts: Ollama host URLs or ``host:port`` strings.
        allow_remote: Whether hosts that are not this machine may be contacted at all.
        timeout_s: Longest wait for each host.
    """
    if len(hosts) <= 1:
        return [probe_host(h, allow_remote=allow_remote, timeout_s=timeout_s) for h in hosts]
    with ThreadPoolExecutor(max_workers=len(hosts), thread_name_prefix="probe") as pool:
        return list(pool.map(
            lambda h: probe_host(h, allow_remote=allow_remote, timeout_s=timeout_s), hosts))


def probe_host(host: str, *, allow_remote: bool,
               timeout_s: float = PROBE_TIMEOUT_S) -> HostStatus:
    """List one host's models (``/api/tags``); a failure becomes the status message."""
    try:
        host = normalize_host(host)
        ensure_local(host, allow_remote=allow_remote)
    except BackendError as exc:
        return HostStatus(host=host, reachable=False, message=exc.message)
    try:
        listing = _get_tags(host, timeout_s)
    except TimeoutError:  # an OSError too: before the next clause
        return HostStatus(host=host, reachable=False,
                          message=f"No answer from {host} within {timeout_s:g} s. {OLLAMA_HOWTO}")
    except OSError:  # refused, reset, unknown name
        return HostStatus(host=host, reachable=False, message=BackendUnreachable(host).message)
    except (http.client.HTTPException, ValueError) as exc:
        return HostStatus(host=host, reachable=False, message=(
            f"The server at {host} does not answer like Ollama ({exc}). Check that the host "
            "is Ollama's (default port 11434), not another service."))
    models = sorted((_model_info(m) for m in listing if m.get("model") or m.get("name")),
                    key=lambda m: m.name)
    return HostStatus(host=host, reachable=True, models=tuple(models))


def _get_tags(host: str, timeout_s: float) -> list[dict[str, Any]]:
    """The ``models`` of ``GET <host>/api/tags``.

    Raises:
        TimeoutError: No answer in time.
        OSError: No connection.
        ValueError: An answer that is not Ollama's model listing (status or JSON).
    """
    url = urlsplit(host)
    connection_type = (http.client.HTTPSConnection if url.scheme == "https"
                       else http.client.HTTPConnection)
    connection = connection_type(url.hostname or "127.0.0.1", url.port, timeout=timeout_s)
    try:
        connection.request("GET", f"{url.path.rstrip('/')}/api/tags",
                           headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise ValueError(f"HTTP {response.status} for /api/tags")
    listing = json.loads(body)
    models = listing.get("models") if isinstance(listing, dict) else None
    if not isinstance(models, list):
        raise ValueError("/api/tags without a list of models")  # noqa: TRY004 - the server's
    return [m for m in models if isinstance(m, dict)]


def _model_info(entry: dict[str, Any]) -> ModelInfo:
    """One ``/api/tags`` entry (sizes and details are optional: a model works without them)."""
    details = entry.get("details")
    details = details if isinstance(details, dict) else {}
    size = entry.get("size")
    return ModelInfo(name=str(entry.get("model") or entry.get("name")),
                     size_bytes=size if isinstance(size, int) else None,
                     parameter_size=details.get("parameter_size") or None,
                     family=details.get("family") or None)


def reachable_models(statuses: Sequence[HostStatus]) -> list[ModelInfo]:
    """Chat models offered by any reachable host, one entry per name, sorted by name."""
    seen: dict[str, ModelInfo] = {}
    for status in statuses:
        for model in status.models:
            if not model.is_embedding:
                seen.setdefault(model.name, model)
    return [seen[name] for name in sorted(seen)]


class ModelOffer(NamedTuple):
    """The models a page offers, and what it says about them."""

    specs: list[str]
    """Backend specs: the reachable Ollama chat models, then the embedded model if it runs."""
    banner: str | None
    """Why no Ollama host can serve a conversation (and how to get one); None when one can."""
    note: str | None
    """The embedded model's caveat, when it is the only model offered."""


def model_offer(statuses: Sequence[HostStatus]) -> ModelOffer:
    """What the Runs and Trainer pages offer: Ollama's chat models, else the embedded model."""
    specs = [m.spec for m in reachable_models(statuses)]
    banner = ollama_banner(statuses)
    if local.embedded_missing() is not None:
        return ModelOffer(specs, banner, None)
    embedded = f"local/{local.EMBEDDED_NAME}"
    return ModelOffer([*specs, embedded], banner, None if specs else local.TINY_MODEL_NOTE)


def ollama_banner(statuses: Sequence[HostStatus]) -> str | None:
    """The newcomer's how-to when no host can serve a conversation; None when one can."""
    if any(s.reachable and reachable_models([s]) for s in statuses):
        return None
    if any(s.reachable for s in statuses):
        hosts = ", ".join(s.host for s in statuses if s.reachable)
        return (f"Ollama answers at {hosts} but has no chat model yet. Pull a small one: "
                f"`ollama pull {SMALL_MODEL}`, then reload this page.")
    where = ", ".join(s.host for s in statuses) or "no host configured"
    return f"No model server is reachable ({where}). {OLLAMA_HOWTO}"


_PARAMS = re.compile(r"(\d+(?:\.\d+)?)\s*([KMBT])", re.IGNORECASE)
_NAME_PARAMS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)([mb])(?![A-Za-z])", re.IGNORECASE)
_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parameter_count(label: str | None) -> float | None:
    """``"1.2B"`` → 1.2e9, ``"494.03M"`` → 4.9403e8; None when the label says no number."""
    match = _PARAMS.fullmatch((label or "").strip())
    return float(match[1]) * _SCALE[match[2].upper()] if match else None


def parameter_count_from_name(name: str) -> float | None:
    """A guess from the name's tag: ``qwen2.5:0.5b`` → 5e8, ``llama3.2:1b`` → 1e9, else None."""
    tag = name.rpartition(":")[2] if ":" in name else name
    match = _NAME_PARAMS.search(tag)
    return float(match[1]) * _SCALE[match[2].upper()] if match else None


def human_size(n_bytes: int | None) -> str:
    """``1_300_000_000`` → ``1.3 GB``; ``—`` when unknown."""
    if n_bytes is None:
        return "—"
    size = float(n_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def model_rows(status: HostStatus) -> list[dict[str, str]]:
    """One table row per model of a host: name, parameters, size on disk, family."""
    return [{"model": m.name, "parameters": m.parameter_size or "?",
             "size": human_size(m.size_bytes), "family": m.family or ""}
            for m in status.models]
