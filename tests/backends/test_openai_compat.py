"""OpenAICompatBackend through the official openai.AsyncOpenAI against the test server's /v1."""

from __future__ import annotations

import pytest

from tests.support import DEFAULT_MODELS
from tests.support.replies import patient_reply
from workbench.backends import (
    BackendUnreachable,
    ChatOptions,
    ModelNotFound,
    NonLoopbackRefused,
    OpenAICompatBackend,
    check_backend,
    get_backend,
)

MODEL = "qwen2.5:0.5b"


@pytest.fixture
def spec(server) -> str:
    return f"openai/{MODEL}@{server.url}/v1"


async def test_chat_round_trip(server, spec, messages):
    async with get_backend(spec) as backend:
        reply = await backend.chat(messages, ChatOptions(seed=4))
    expected = patient_reply(messages[0]["content"], 4, 0)
    assert reply.text == expected
    assert reply.completion_tokens == len(expected.split(" "))
    assert reply.prompt_tokens is not None and reply.prompt_tokens > 0
    assert (reply.model, reply.host, reply.finish_reason) == (MODEL, f"{server.url}/v1", "stop")
    assert backend.name == spec


async def test_stream_round_trip(server, spec, messages):
    async with get_backend(spec) as backend:
        pieces = [p async for p in backend.stream(messages, ChatOptions(seed=4))]
    assert len(pieces) > 1
    assert "".join(pieces) == patient_reply(messages[0]["content"], 4, 0)
    assert server.last_request("/v1/chat/completions")["stream"] is True


async def test_options_are_mapped_to_openai_names(server, spec, messages):
    options = ChatOptions(temperature=0.2, top_p=0.5, seed=9, num_ctx=4096, num_predict=5)
    async with get_backend(spec) as backend:
        reply = await backend.chat(messages, options)
    sent = server.last_request("/v1/chat/completions")
    assert {k: sent[k] for k in ("temperature", "top_p", "seed", "max_tokens")} == {
        "temperature": 0.2, "top_p": 0.5, "seed": 9, "max_tokens": 5}
    assert "num_ctx" not in sent  # fixed at server launch for OpenAI-compatible servers
    assert reply.finish_reason == "length"
    assert len(reply.text.split(" ")) == 5


async def test_list_models_and_check(spec):
    async with get_backend(spec) as backend:
        assert await backend.list_models() == list(DEFAULT_MODELS)
    await check_backend(spec)


async def test_missing_model(server, messages):
    spec = f"openai/gpt-9@{server.url}/v1"
    async with get_backend(spec) as backend:
        with pytest.raises(ModelNotFound) as caught:
            await backend.chat(messages)
    assert "gpt-9" in str(caught.value) and "/v1" in str(caught.value)
    with pytest.raises(ModelNotFound) as caught:
        await check_backend(spec)
    assert MODEL in str(caught.value)  # the served models are listed


async def test_nothing_listening_is_unreachable(dead_url, messages):
    async with get_backend(f"openai/{MODEL}@{dead_url}/v1") as backend:
        with pytest.raises(BackendUnreachable) as caught:
            await backend.chat(messages)
    assert dead_url in str(caught.value)


def test_base_url_without_scheme_gets_http():
    assert OpenAICompatBackend(MODEL, "localhost:8000/v1/").base_url == "http://localhost:8000/v1"


def test_remote_server_is_refused_unless_allowed():
    spec = f"openai/{MODEL}@https://api.example.com/v1"
    with pytest.raises(NonLoopbackRefused) as caught:
        get_backend(spec)
    assert "https://api.example.com/v1" in str(caught.value)
    assert get_backend(spec, allow_remote=True).host == "https://api.example.com/v1"


def test_api_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    assert OpenAICompatBackend(MODEL, "http://127.0.0.1:1/v1")._api_key == "sk-local"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert OpenAICompatBackend(MODEL, "http://127.0.0.1:1/v1")._api_key == "not-needed"
