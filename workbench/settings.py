"""Every path, host and environment variable in one place.

Settings come from, in increasing priority: defaults, the settings file (JSON, written by the
Settings page), and environment variables. Nothing here touches the network or the store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: holds personas/, pages/ and, by default, store.db."""

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"

ENV_STORE = "WORKBENCH_STORE"
"""Path of the SQLite store (default: store.db at the project root)."""
ENV_PERSONAS = "WORKBENCH_PERSONAS"
"""Path of the persona library (default: personas/ at the project root)."""
ENV_SETTINGS = "WORKBENCH_SETTINGS"
"""Path of the settings file (default: workbench_settings.json at the project root)."""
ENV_OLLAMA_HOST = "OLLAMA_HOST"
"""Ollama host(s); several may be given separated by commas."""
ENV_ALLOW_REMOTE = "WORKBENCH_ALLOW_REMOTE"
"""Set to 1 to allow model hosts that are not on this machine."""
ENV_ANNOTATOR = "WORKBENCH_ANNOTATOR"
"""The annotator's name."""
ENV_SERVE_NETWORK = "WORKBENCH_SERVE_NETWORK"
"""Set to 1, with ``streamlit run ... --server.address 0.0.0.0``, to serve the app to other
machines on purpose (every page then says so); without it the app listens on 127.0.0.1 only."""


class Settings(BaseModel):
    """The workbench's configuration."""

    model_config = ConfigDict(extra="ignore")

    store_path: Path = PROJECT_ROOT / "store.db"
    """SQLite file holding personas, runs, transcripts, annotations and embeddings."""
    personas_dir: Path = PROJECT_ROOT / "personas"
    """The persona library (axes, scenarios, profiles, personas, templates, scripts, rubrics)."""
    ollama_hosts: list[str] = Field(default_factory=lambda: [DEFAULT_OLLAMA_HOST])
    """Ollama servers; a run spreads its conversations over them."""
    allow_remote: bool = False
    """Allow hosts that are not loopback. Off by default: clinical material stays on this machine."""
    annotator: str = ""
    """Name recorded on annotations and trainer transcripts."""
    default_patient_model: str = ""
    """Model spec preselected on the Runs and Trainer pages (e.g. ``ollama/llama3.2:3b``)."""
    model_timeout_s: float = Field(default=120.0, gt=0)
    """Seconds a run waits for one model reply before retrying the call (``workbench run
    --timeout`` overrides it); a large model on a slow machine may need more."""


def settings_path() -> Path:
    """Where the settings file lives."""
    return Path(os.environ.get(ENV_SETTINGS, PROJECT_ROOT / "workbench_settings.json"))


OVERRIDING_ENV = {
    ENV_STORE: "store_path",
    ENV_PERSONAS: "personas_dir",
    ENV_OLLAMA_HOST: "ollama_hosts",
    ENV_ALLOW_REMOTE: "allow_remote",
    ENV_ANNOTATOR: "annotator",
}
"""Environment variable → the setting it overrides."""


class Override(NamedTuple):
    """A setting that an environment variable overrides right now."""

    variable: str
    setting: str
    value: str


class SettingsFileError(ValueError):
    """The settings file cannot be read; the message names it and what to do."""


def parse_hosts(text: str) -> list[str]:
    """``"localhost, 127.0.0.1:11500"`` → normalised URLs in order, without repeats; the default
    local host when the text names none.

    Raises:
        BackendError: a host with an invalid port (the message shows the expected form).
    """
    from workbench.backends.hosts import normalize_host  # lazy: backends import this module

    hosts = [normalize_host(h) for h in text.split(",") if h.strip()]
    return list(dict.fromkeys(hosts)) or [DEFAULT_OLLAMA_HOST]


def file_settings() -> Settings:
    """Defaults plus the settings file, without the environment (what the Settings page edits,
    so that saving never copies a session's ``OLLAMA_HOST`` into the file).

    Raises:
        SettingsFileError: the file is not valid JSON or holds invalid values.
    """
    path = settings_path()
    if not path.exists():
        return Settings()
    try:
        return Settings.model_validate(json.loads(path.read_text()))
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError
        raise SettingsFileError(
            f"The settings file {path} cannot be read ({exc}). Fix or delete it; saving on the "
            "Settings page writes a new one."
        ) from None


def env_overrides() -> list[Override]:
    """The settings that environment variables override right now."""
    return [
        Override(var, setting, os.environ[var])
        for var, setting in OVERRIDING_ENV.items()
        if os.environ.get(var)
    ]


def load_settings() -> Settings:
    """Settings from file and environment (environment wins).

    Raises:
        SettingsFileError: the settings file is broken (the message says how to fix it).
    """
    data: dict[str, object] = file_settings().model_dump()
    if os.environ.get(ENV_STORE):
        data["store_path"] = os.environ[ENV_STORE]
    if os.environ.get(ENV_PERSONAS):
        data["personas_dir"] = os.environ[ENV_PERSONAS]
    if os.environ.get(ENV_OLLAMA_HOST):
        data["ollama_hosts"] = parse_hosts(os.environ[ENV_OLLAMA_HOST])
    if os.environ.get(ENV_ALLOW_REMOTE):
        data["allow_remote"] = os.environ[ENV_ALLOW_REMOTE].strip().lower() in {"1", "true", "yes"}
    if os.environ.get(ENV_ANNOTATOR):
        data["annotator"] = os.environ[ENV_ANNOTATOR]
    return Settings.model_validate(data)


def save_settings(settings: Settings) -> Path:
    """Write the settings file (paths stored as strings) and return its path."""
    path = settings_path()
    path.write_text(json.dumps(settings.model_dump(mode="json"), indent=2) + "\n")
    return path
