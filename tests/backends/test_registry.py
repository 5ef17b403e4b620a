"""Spec strings, the factory and the preflight check."""

from __future__ import annotations

import asyncio
import re

import pytest

from workbench.backends import (
    BackendSpec,
    BackendUnreachable,
    HostPool,
    ModelNotFound,
    NonLoopbackRefused,
    OllamaBackend,
    OpenAICompatBackend,
    UnknownBackendSpec,
    check_backend,
    get_backend,
    parse_spec,
)


@pytest.mark.parametrize(("spec", "parsed"), [
    ("ollama/llama3.2:3b", BackendSpec("ollama", "llama3.2:3b")),
    ("ollama/library/llama3.2:3b", BackendSpec("ollama", "library/llama3.2:3b")),
    ("ollama/hf.co/org/model-GGUF:Q4_K_M", BackendSpec("ollama", "hf.co/org/model-GGUF:Q4_K_M")),
    ("openai/qwen2.5-7b@http://127.0.0.1:8000/v1",
     BackendSpec("openai", "qwen2.5-7b", "http://127.0.0.1:8000/v1")),
    ("openai/meta-llama/Llama-3.1-8B@http://u:p@127.0.0.1:8000/v1",
     BackendSpec("openai", "meta-llama/Llama-3.1-8B", "http://u:p@127.0.0.1:8000/v1")),
    ("scripted/ed_intake", BackendSpec("scripted", "ed_intake")),
    ("  ollama/llama3.2  ", BackendSpec("ollama", "llama3.2")),
])
def test_parse_spec(spec, parsed):
    assert parse_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["", "llama3.2:3b", "vllm/x", "ollama/", "scripted/",
                                  "openai/model", "openai/@http://x", "openai/m@"])
def test_bad_specs_list_the_valid_forms(spec):
    with pytest.raises(UnknownBackendSpec) as caught:
        parse_spec(spec)
    message = str(caught.value)
    assert "ollama/<model>" in message and "openai/<model>@<base_url>" in message
    assert "scripted/<script>" in message
    assert isinstance(caught.value, ValueError)


def test_a_bare_model_name_gets_a_hint():
    with pytest.raises(UnknownBackendSpec, match=re.escape("Did you mean 'ollama/llama3.2:3b'")):
        get_backend("llama3.2:3b")


def test_factory_picks_the_class(server):
    assert isinstance(get_backend("ollama/m", hosts=[server.url]), OllamaBackend)
    assert isinstance(get_backend("ollama/m", hosts=[server.url, server.url]), OllamaBackend)
    assert isinstance(get_backend("ollama/m", hosts=[server.url, "127.0.0.2:1"]), HostPool)
    assert isinstance(get_backend(f"openai/m@{server.url}/v1"), OpenAICompatBackend)


def test_several_hosts_in_ollama_host_make_a_pool(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:11434,localhost:11435")
    backend = get_backend("ollama/llama3.2")
    assert isinstance(backend, HostPool)
    assert backend.host == "http://127.0.0.1:11434,http://localhost:11435"


def test_one_remote_host_in_a_pool_is_refused():
    with pytest.raises(NonLoopbackRefused, match=re.escape("10.1.1.1")):
        get_backend("ollama/m", hosts=["127.0.0.1:11434", "10.1.1.1:11434"])
    assert isinstance(get_backend("ollama/m", hosts=["127.0.0.1", "10.1.1.1"],
                                  allow_remote=True), HostPool)


async def test_check_backend_passes_for_an_installed_model(server):
    await check_backend("ollama/llama3.2:1b", hosts=[server.url])
    await check_backend("ollama/library/qwen2.5:0.5b", hosts=[server.url])
    await check_backend("scripted/x", script_loader=lambda name: ["q?"])
    assert server.stats().by_path == {"/api/tags": 2}


async def test_check_backend_raises_the_clear_errors(server, dead_url):
    with pytest.raises(ModelNotFound, match=re.escape("ollama pull llama3.2:3b")):
        await check_backend("ollama/llama3.2:3b", hosts=[server.url])
    with pytest.raises(BackendUnreachable, match="ollama serve"):
        await check_backend("ollama/llama3.2:1b", hosts=[dead_url])
    with pytest.raises(NonLoopbackRefused):
        await check_backend("ollama/llama3.2:1b", hosts=["10.0.0.1"])


@pytest.mark.parametrize("kind", ["ollama", "openai"])
def test_a_backend_survives_successive_event_loops(server, messages, kind):
    # The Streamlit pages run one asyncio.run per action with a long-lived backend.
    spec = "ollama/llama3.2:1b" if kind == "ollama" else f"openai/llama3.2:1b@{server.url}/v1"
    backend = get_backend(spec, hosts=[server.url])
    first = asyncio.run(backend.chat(messages))
    second = asyncio.run(backend.chat(messages))
    assert first.text == second.text
    asyncio.run(backend.aclose())
